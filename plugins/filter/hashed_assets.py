# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.hashed_assets filter: the hashed static files a page references."""

from __future__ import annotations

DOCUMENTATION = r"""
name: hashed_assets
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The static files with a content hash in their name that an HTML page references
description:
  - Reads the C(src) and C(href) attributes of an HTML page (with Python's C(html.parser), which takes any page) and
    returns, in the page's order and each once, the paths under O(static_url) whose file name carries a content
    hash, as Django's C(ManifestStaticFilesStorage) writes them (C(site.3f2a9c1b7d4e.css)).
  - An absolute URL counts when its path is under O(static_url); a query string or fragment is dropped.
options:
  _input:
    description: The page.
    type: str
    required: true
  static_url:
    description: The URL prefix the static files are served at, such as C(/static/).
    type: str
    default: /static/
"""

EXAMPLES = r"""
- name: Pick a hashed static file the first page references
  ansible.builtin.set_fact:
    asset: "{{ page.stdout | webstack.django.hashed_assets('/static/') | first | default('') }}"
"""

RETURN = r"""
_value:
  description: The paths of the hashed static files, each once.
  type: list
  elements: str
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError

# name.<12 hex digits>.ext, as ManifestStaticFilesStorage names a file (and .ext.gz, .ext.br beside it).
_HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links.extend(value for name, value in attrs if name in ("src", "href") and value)


def hashed_assets(page: object, static_url: str = "/static/") -> list[str]:
    if not isinstance(page, str):
        raise AnsibleFilterError(f"hashed_assets: expects the page's text, got {type(page).__name__}")
    if not isinstance(static_url, str) or not static_url.startswith("/") or not static_url.endswith("/"):
        raise AnsibleFilterError(f"hashed_assets: static_url {static_url!r} is not a URL prefix such as /static/")
    parser = _Links()
    parser.feed(page)
    parser.close()
    found: list[str] = []
    for link in parser.links:
        path = urlsplit(link.strip()).path
        if path.startswith(static_url) and _HASHED.search(path) and path not in found:
            found.append(path)
    return found


class FilterModule:
    def filters(self) -> dict:
        return {"hashed_assets": hashed_assets}
