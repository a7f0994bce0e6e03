# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.check_host filter: the name HAProxy's health checks ask for, read from its configuration."""

from __future__ import annotations

DOCUMENTATION = r"""
name: check_host
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The Host header of the health checks in the configuration the haproxy role wrote
description:
  - Reads the first C(http-check send ... hdr Host NAME) line of the configuration.
  - None when there is no configuration or no such line (a balancer that checks nothing yet), so that the caller
    chooses the name.
  - The haproxy role uses it before the web hosts change. After a domain change the checks keep asking for the name
    the web hosts serve until they serve the new one.
options:
  _input:
    description: The file's text, or the result of C(ansible.builtin.slurp) on it (a result without content, from a
      missing file or a skipped task, means no configuration).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the configuration
  ansible.builtin.slurp:
    src: /etc/haproxy/haproxy.cfg
  register: current
  failed_when: false

- name: Keep the name the checks ask for
  ansible.builtin.set_fact:
    check_host: "{{ current | webstack.django.check_host or 'shop.example.com' }}"
"""

RETURN = r"""
_value:
  description: The name; None when there is none.
  type: str
"""

import re

from ansible_collections.webstack.django.plugins.plugin_utils.slurped import slurped_text

_CHECK_HOST = re.compile(r"^\s*http-check send\b.*?\bhdr Host (\S+)", re.MULTILINE)


def check_host(config: object) -> str | None:
    text = slurped_text(config, "check_host")
    if text is None:
        return None
    match = _CHECK_HOST.search(text)
    return match.group(1) if match else None


class FilterModule:
    def filters(self) -> dict:
        return {"check_host": check_host}
