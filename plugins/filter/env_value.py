# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.env_value filter: a value quoted for a systemd environment file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: env_value
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: A value quoted for a systemd environment file, which C(sh) reads alike
description:
  - Puts the value in double quotes with C(\\), C("), C(`) and C($) escaped by a C(\\), the one quoting that
    systemd's C(EnvironmentFile=) and C(sh) read back as the same string. M(webstack.django.env_file) reads it
    back.
  - A newline or NUL cannot be carried by such a file and is refused.
options:
  _input:
    description: The value. Numbers and booleans are written as their text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Write the app's secret key
  ansible.builtin.copy:
    content: "DJANGO_SECRET_KEY={{ secret_key | webstack.django.env_value }}\n"
    dest: /srv/shop/shared/env.key
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: The value in double quotes, escaped.
  type: str
"""

from ansible.errors import AnsibleFilterError

_ESCAPED = ("\\", '"', "`", "$")


def env_value(value: object) -> str:
    if isinstance(value, (dict, list, tuple, set)) or value is None:
        raise AnsibleFilterError(f"env_value: expects a string, number or boolean, got {type(value).__name__}")
    text = str(value)
    if "\n" in text or "\r" in text or "\x00" in text:
        raise AnsibleFilterError("env_value: a newline, carriage return or NUL cannot be carried by an environment file")
    for char in _ESCAPED:
        text = text.replace(char, "\\" + char)
    return f'"{text}"'


class FilterModule:
    def filters(self) -> dict:
        return {"env_value": env_value}
