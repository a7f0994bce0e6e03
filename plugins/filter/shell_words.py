# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.shell_words filter: a command line split into its arguments, as sh splits it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: shell_words
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: A command line split into its arguments as C(sh) splits it, without running a shell
description:
  - Splits the text with Python's C(shlex) in POSIX mode (quotes and backslashes as C(sh) reads them). Nothing is
    expanded and nothing runs, so C($HOME), C(;) or a backtick stay characters of an argument.
  - A list is taken as the arguments already; a newline, NUL or other control character is refused.
options:
  _input:
    description: The command line, or its arguments.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Run a management command given as one line
  ansible.builtin.command:
    argv: "{{ ['/srv/shop/current/venv/bin/python', '/srv/shop/current/manage.py'] + (cmd | webstack.django.shell_words) }}"
"""

RETURN = r"""
_value:
  description: The arguments.
  type: list
  elements: str
"""

import shlex

from ansible.errors import AnsibleFilterError


def _checked(words: list[str]) -> list[str]:
    if not words:
        raise AnsibleFilterError("shell_words: the command is empty")
    for word in words:
        if any(ord(char) < 32 or ord(char) == 127 for char in word):
            raise AnsibleFilterError("shell_words: an argument holds a newline or another control character")
    return words


def shell_words(command: object) -> list[str]:
    if isinstance(command, (list, tuple)):
        if not all(isinstance(word, (str, int)) for word in command):
            raise AnsibleFilterError("shell_words: every argument must be a string")
        return _checked([str(word) for word in command])
    if not isinstance(command, str):
        raise AnsibleFilterError(f"shell_words: expects a command line or a list, got {type(command).__name__}")
    # A newline would end the command for sh: refused whole, not split on.
    _checked([command] if command.strip() else [])
    try:
        return _checked(shlex.split(command, posix=True))
    except ValueError as error:
        raise AnsibleFilterError(f"shell_words: {command!r} cannot be split: {error}") from error


class FilterModule:
    def filters(self) -> dict:
        return {"shell_words": shell_words}
