# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.conninfo filter: a libpq connection string from its parts."""

from __future__ import annotations

DOCUMENTATION = r"""
name: conninfo
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: A libpq connection string (C(key='value' ...)) from a mapping, as C(primary_conninfo) takes it
description:
  - Writes each key with its value in single quotes, C(\) and C(') escaped with a backslash, in the mapping's
    order; a key whose value is empty or null is left out. libpq reads every value back whole, whatever its
    characters (a password of any punctuation).
  - A key must be letters and underscores (libpq's keywords); a value may not hold a control character.
  - The result goes into C(postgresql.conf) as a string of its own, quoted again there (C(') doubled).
options:
  _input:
    description: The keywords and their values.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Follow the primary
  ansible.builtin.copy:
    content: >-
      primary_conninfo = '{{ {'host': '10.0.0.5', 'user': 'replicator', 'password': password, 'sslmode': 'require'}
      | webstack.django.conninfo | replace("'", "''") }}'
    dest: /etc/postgresql/17/main/conf.d/60-standby.conf
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: The connection string.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

KEYWORD = re.compile(r"^[a-z_]+$")


def conninfo(parts: object) -> str:
    if not isinstance(parts, dict):
        raise AnsibleFilterError(f"conninfo: expects a mapping of keywords to values, got {type(parts).__name__}")
    words = []
    for key, value in parts.items():
        if not isinstance(key, str) or not KEYWORD.match(key):
            raise AnsibleFilterError(f"conninfo: {key!r} is not a libpq keyword")
        if value is None or value == "":
            continue
        if isinstance(value, (dict, list)):
            raise AnsibleFilterError(f"conninfo: {key} must be a string or a number, got {type(value).__name__}")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise AnsibleFilterError(f"conninfo: {key} holds a control character")
        words.append(f"{key}='" + text.replace("\\", "\\\\").replace("'", "\\'") + "'")
    return " ".join(words)


class FilterModule:
    def filters(self) -> dict:
        return {"conninfo": conninfo}
