# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The hashed_assets filter finds the hashed static files a page references, as Django names them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.hashed_assets import hashed_assets

PAGE = """<!doctype html>
<html><head>
<link rel="stylesheet" href="/static/notes/site.3f2a9c1b7d4e.css">
<link rel=icon href='/static/favicon.ico'>
<script src="https://shop.example.test/static/js/app.0123456789ab.js?v=2#x" defer></script>
<link rel="stylesheet" href="/static/notes/site.3f2a9c1b7d4e.css">
</head><body>
<img src="/media/uploads/photo.a1b2c3d4e5f6.jpg">
<a href="/static/admin/">admin</a>
<img src="/static/img/logo.ABCDEF123456.png">
</body></html>
"""


def test_finds_each_hashed_asset_once_in_page_order() -> None:
    assert hashed_assets(PAGE) == ["/static/notes/site.3f2a9c1b7d4e.css", "/static/js/app.0123456789ab.js"]


def test_another_static_url() -> None:
    page = '<link href="/assets/site.3f2a9c1b7d4e.css"><link href="/static/other.3f2a9c1b7d4e.css">'
    assert hashed_assets(page, "/assets/") == ["/assets/site.3f2a9c1b7d4e.css"]


@pytest.mark.parametrize("page", ["", "not html at all <<<", "<a href=>", '<link href="/static/site.css">',
                                  '<link href="/static/site.3f2a9c1b7d4.css">'])
def test_pages_without_a_hashed_asset(page: str) -> None:
    assert hashed_assets(page) == []


def test_unhashed_and_media_files_do_not_count() -> None:
    assert hashed_assets('<img src="/media/photo.a1b2c3d4e5f6.jpg"><img src="/static/favicon.ico">') == []


@pytest.mark.parametrize(("page", "static_url"), [(None, "/static/"), ("<p>", "static/"), ("<p>", "/static")])
def test_bad_arguments_are_refused(page: object, static_url: str) -> None:
    with pytest.raises(AnsibleFilterError):
        hashed_assets(page, static_url)
