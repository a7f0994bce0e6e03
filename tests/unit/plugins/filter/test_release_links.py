# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The release_links filter puts a project's own static and media roots where nginx looks, or says why it cannot."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.release_links import release_links

RELEASE = "/srv/shop/releases/0123456789ab"
MEDIA = "/srv/shop/shared/media"


def links(static: str = "", media: str = "") -> dict:
    return release_links({"STATIC_ROOT": static, "MEDIA_ROOT": media}, RELEASE, MEDIA)


def test_a_project_that_reads_the_environment_needs_no_link() -> None:
    assert links(f"{RELEASE}/static", MEDIA) == {"links": [], "static_root": f"{RELEASE}/static", "problems": []}


def test_roots_not_set_need_no_link() -> None:
    assert links() == {"links": [], "static_root": f"{RELEASE}/static", "problems": []}


def test_a_static_root_of_the_projects_own_is_linked_relative_within_the_release() -> None:
    result = links(f"{RELEASE}/staticfiles", MEDIA)
    assert result["links"] == [{"dest": f"{RELEASE}/static", "src": "staticfiles"}]
    assert result["static_root"] == f"{RELEASE}/staticfiles"
    assert result["problems"] == []


def test_a_nested_static_root_is_linked_too() -> None:
    assert links(f"{RELEASE}/config/../build/static")["links"] == [{"dest": f"{RELEASE}/static", "src": "build/static"}]


def test_a_media_root_in_the_release_is_linked_to_the_shared_media() -> None:
    result = links(f"{RELEASE}/staticfiles", f"{RELEASE}/mysite/media")
    assert result["links"] == [
        {"dest": f"{RELEASE}/static", "src": "staticfiles"},
        {"dest": f"{RELEASE}/mysite/media", "src": MEDIA},
    ]
    assert result["problems"] == []


def test_a_static_root_outside_the_release_is_refused_naming_the_setting() -> None:
    result = links("/var/www/static", MEDIA)
    assert result["links"] == []
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith("settings.STATIC_ROOT is /var/www/static, outside the release")
    assert "DJANGO_STATIC_ROOT" in result["problems"][0]


def test_a_sibling_whose_name_starts_like_the_release_is_outside_it() -> None:
    assert links(f"{RELEASE}-static")["problems"]


@pytest.mark.parametrize("media", ["/var/www/media", "/srv/shop/shared", "/srv/shop/shared/media2"])
def test_a_media_root_outside_the_shared_media_is_refused(media: str) -> None:
    result = links(f"{RELEASE}/static", media)
    assert result["links"] == []
    assert result["problems"] and result["problems"][0].startswith(f"settings.MEDIA_ROOT is {media}")


@pytest.mark.parametrize("media", [RELEASE, "/srv/shop/releases", f"{RELEASE}/static/media", f"{RELEASE}/static"])
def test_a_media_root_that_holds_the_release_or_its_static_files_is_refused(media: str) -> None:
    result = links(f"{RELEASE}/static", media)
    assert result["links"] == [] and result["problems"], result


def test_a_media_root_inside_the_projects_own_static_root_is_refused() -> None:
    result = links(f"{RELEASE}/staticfiles", f"{RELEASE}/staticfiles/media")
    assert result["problems"] and "inside the static root" in result["problems"][0]


@pytest.mark.parametrize("args", [("not a dict", RELEASE, MEDIA), ({}, "relative/dir", MEDIA), ({}, RELEASE, None)])
def test_bad_arguments_are_refused(args: tuple) -> None:
    with pytest.raises(AnsibleFilterError):
        release_links(*args)
