# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.pgpass filter: a line of a libpq passfile."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pgpass
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: A line of a libpq passfile (C(hostname:port:database:username:password)) for a password
description:
  - Escapes C(\) and C(:) with a backslash in every field, as libpq reads them, so that a password of any
    punctuation reads back whole. A host, port or database of C(*) matches any (left as it is); the user and
    the password are always literal.
  - Every field is a non-empty string without a control character.
options:
  _input:
    description: The password.
    type: str
    required: true
  user:
    description: The role.
    type: str
    required: true
  host:
    description: The host it is for.
    type: str
    default: "*"
  port:
    description: The port it is for.
    type: str
    default: "*"
  database:
    description: The database it is for (C(replication) for a physical replication connection, or C(*)).
    type: str
    default: "*"
"""

EXAMPLES = r"""
- name: Keep the replication password where only postgres reads it
  ansible.builtin.copy:
    content: "{{ replication_password | webstack.django.pgpass('replicator') }}\n"
    dest: /var/lib/postgresql/.pgpass-replication
    owner: postgres
    mode: "0600"
  no_log: true
"""

RETURN = r"""
_value:
  description: The line, without its newline.
  type: str
"""

from ansible.errors import AnsibleFilterError


def _field(value: object, wildcard: bool) -> str:
    if isinstance(value, (dict, list, bool)) or value is None or str(value) == "":
        raise AnsibleFilterError("pgpass: every field is a non-empty string")
    text = str(value)
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise AnsibleFilterError("pgpass: a field holds a control character")
    if wildcard and text == "*":
        return text
    return text.replace("\\", "\\\\").replace(":", "\\:")


def pgpass(password: object, user: object, host: object = "*", port: object = "*", database: object = "*") -> str:
    return ":".join([_field(host, True), _field(port, True), _field(database, True), _field(user, False),
                     _field(password, False)])


class FilterModule:
    def filters(self) -> dict:
        return {"pgpass": pgpass}
