# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.env_file filter: the variables of a systemd environment file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: env_file
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The variables an environment file sets, read as systemd reads C(EnvironmentFile=)
description:
  - Reads the text of an environment file (say, from M(ansible.builtin.slurp)) the way systemd reads
    C(EnvironmentFile=) and C(sh) reads assignments, that is C(KEY=value) lines, C(#) and C(;) comments, values in
    double quotes (where C(\\) escapes C(\\), C("), C(`), C($) and a newline), in single quotes (taken as they
    are) or bare, and a line ending in C(\\) continued on the next.
  - The release role reads with it the C(DATABASE_URL) the app serves with, to keep its password while the
    database changes to a new one.
options:
  _input:
    description: The file's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the environment the app serves with
  ansible.builtin.slurp:
    src: /srv/shop/shared/env
  register: __env
  no_log: true

- name: Note its database URL
  ansible.builtin.set_fact:
    __serving_url: "{{ (__env.content | b64decode | webstack.django.env_file).DATABASE_URL | default('') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: Each variable's name and value, in the order of the file (a later line wins).
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a backslash escapes inside double quotes (sh and systemd alike).
_ESCAPED = {"\\", '"', "`", "$", "\n"}


def _value(text: str, start: int, line: int) -> tuple[str, int]:
    """The value that begins at text[start], and where the line after it begins."""
    out: list[str] = []
    # Whitespace after the last quote is the line's, not the value's.
    quoted = 0
    i = start
    while i < len(text) and text[i] in " \t":
        i += 1
    while i < len(text) and text[i] != "\n":
        char = text[i]
        if char == '"':
            i += 1
            while True:
                if i >= len(text):
                    raise AnsibleFilterError(f"env_file: line {line}: a double quote is not closed")
                char = text[i]
                if char == '"':
                    i += 1
                    break
                if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPED:
                    if text[i + 1] != "\n":
                        out.append(text[i + 1])
                    i += 2
                    continue
                out.append(char)
                i += 1
            quoted = len(out)
        elif char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise AnsibleFilterError(f"env_file: line {line}: a single quote is not closed")
            out.append(text[i + 1:end])
            i = end + 1
            quoted = len(out)
        elif char == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        else:
            out.append(char)
            i += 1
    value = "".join(out[:quoted]) + "".join(out[quoted:]).rstrip(" \t")
    return value, i + 1


def env_file(text: object) -> dict[str, str]:
    if not isinstance(text, str):
        raise AnsibleFilterError(f"env_file: expects the file's text, got {type(text).__name__}")
    variables: dict[str, str] = {}
    i = 0
    line = 1
    while i < len(text):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        stripped = text[i:end].lstrip(" \t")
        if not stripped or stripped[0] in "#;":
            i = end + 1
            line += 1
            continue
        name, sep, _rest = stripped.partition("=")
        name = name.strip(" \t")
        if not sep or not _NAME.fullmatch(name):
            raise AnsibleFilterError(f"env_file: line {line} is not an assignment (NAME=value)")
        start = i + (len(text[i:end]) - len(stripped)) + stripped.index("=") + 1
        value, after = _value(text, start, line)
        variables[name] = value
        line += text.count("\n", i, after)
        i = after
    return variables


class FilterModule:
    def filters(self) -> dict:
        return {"env_file": env_file}
