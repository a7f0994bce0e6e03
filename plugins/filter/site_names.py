# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.site_names filter: the names an nginx site of the nginx role serves."""

from __future__ import annotations

DOCUMENTATION = r"""
name: site_names
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The names the site's own server answers for, read from the site file the nginx role wrote
description:
  - Reads the C(# Site names:) line the nginx role writes at the top of its site file. A file written before that
    line existed is read by its last C(server_name) directive, which is the site's own server in that template.
  - Names that the site only redirects are not among them.
  - None when there is no site file, so that a host that serves nothing yet can be told from one that serves other names.
  - The nginx role uses it before a domain change. No web host redirects to a new name before every web host serves
    that name.
options:
  _input:
    description: The file's text, or the result of C(ansible.builtin.slurp) on it (a result without content, from a
      missing file or a skipped task, means no site).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the names the site serves now
  ansible.builtin.slurp:
    src: /etc/nginx/sites-available/shop.conf
  register: current
  failed_when: false

- name: Say them
  ansible.builtin.debug:
    msg: "{{ current | webstack.django.site_names }}"
"""

RETURN = r"""
_value:
  description: The names, in the file's order; None when there is no site.
  type: list
  elements: str
"""

import re

from ansible_collections.webstack.django.plugins.plugin_utils.slurped import slurped_text

MARKER = "# Site names:"
_SERVER_NAME = re.compile(r"^\s*server_name\s+([^;]*);", re.MULTILINE)


def site_names(site: object) -> list[str] | None:
    text = slurped_text(site)
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith(MARKER):
            return line[len(MARKER):].split()
    directives = _SERVER_NAME.findall(text)
    return directives[-1].split() if directives else []


class FilterModule:
    def filters(self) -> dict:
        return {"site_names": site_names}
