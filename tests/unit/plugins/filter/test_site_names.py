# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The site_names filter reads the names a site serves from the file the nginx role wrote."""

from __future__ import annotations

import base64

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.site_names import site_names

# The shape of the role's site file: the default servers, port 80, a redirect, the site last.
SITE = """\
# Ansible managed
# Site of shop (webstack.django.nginx), nginx 1.26.3.
# Site names: store.example.test
server {
    listen 80 default_server;
    server_name _;
}
server {
    listen 80;
    server_name store.example.test;
}
server {
    listen 443 ssl;
    server_name shop.example.test www.shop.example.test;
    location / {
        return 301 https://store.example.test$request_uri;
    }
}
server {
    listen 443 ssl;
    server_name store.example.test;
}
"""


def slurped(text: str) -> dict:
    return {"content": base64.b64encode(text.encode()).decode(), "encoding": "base64", "source": "/x", "changed": False}


def test_the_marker_names_the_site_and_not_its_redirects() -> None:
    assert site_names(SITE) == ["store.example.test"]
    assert site_names(slurped(SITE)) == ["store.example.test"]


def test_several_names_in_their_order() -> None:
    text = SITE.replace("# Site names: store.example.test", "# Site names: b.example.test a.example.test")
    assert site_names(text) == ["b.example.test", "a.example.test"]


def test_a_file_without_the_marker_is_read_by_its_last_server_name() -> None:
    older = "\n".join(line for line in SITE.splitlines() if not line.startswith("# Site names:"))
    assert site_names(older) == ["store.example.test"]
    head, _sep, tail = older.rpartition("server_name store.example.test;")
    assert site_names(head + "server_name shop.example.test www.shop.example.test;" + tail) == [
        "shop.example.test", "www.shop.example.test"]


def test_no_site_is_none_and_a_site_without_names_is_empty() -> None:
    assert site_names(None) is None
    # A missing file (slurp failed, failed_when: false) or a skipped task: no content.
    assert site_names({"failed": True, "msg": "file not found: /x"}) is None
    assert site_names({"skipped": True, "changed": False}) is None
    assert site_names("server { listen 80; }\n") == []


@pytest.mark.parametrize("value", [42, ["a"], {"content": "not base64!"}, {"content": base64.b64encode(b"\xff").decode()}])
def test_what_is_not_a_site_file_is_refused(value: object) -> None:
    with pytest.raises(AnsibleFilterError, match="site_names"):
        site_names(value)
