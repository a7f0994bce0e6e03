# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.traceback filter: the last Python traceback in a log."""

from __future__ import annotations

DOCUMENTATION = r"""
name: traceback
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The last Python traceback in a log's lines, shortened to its head and its exception
description:
  - Finds the last line that begins a Python traceback (C(Traceback (most recent call last)), then a colon) and returns it with
    the lines that belong to it (indented frames, chained C(During handling ...) parts) and the exception line that
    ends it. The line a logger wrote just before it (Django's C(Internal Server Error) line) stays with it.
  - Long tracebacks keep their first lines and the last ones, where the exception is. Empty when the log holds none.
  - The release role quotes with it the app's journal when a release fails its health gate.
options:
  _input:
    description: The log's lines (a list), or its text.
    type: raw
    required: true
  lines:
    description: At most this many lines.
    type: int
    default: 20
"""

EXAMPLES = r"""
- name: Quote the app's last traceback
  ansible.builtin.debug:
    msg: "{{ journal.stdout_lines | webstack.django.traceback(lines=15) }}"
"""

RETURN = r"""
_value:
  description: The traceback's lines.
  type: list
  elements: str
"""

import re

from ansible.errors import AnsibleFilterError

_START = "Traceback (most recent call last):"
# An exception line: a dotted name, then ":" and the message, or nothing.
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt|Iteration|[A-Z]\w*)(:.*)?$")


def traceback(log: object, lines: int = 20) -> list[str]:
    if isinstance(log, str):
        log = log.splitlines()
    if not isinstance(log, list):
        raise AnsibleFilterError(f"traceback: expects the log's lines or text, got {type(log).__name__}")
    if not isinstance(lines, int) or lines < 3:
        raise AnsibleFilterError("traceback: lines must be an int of at least 3")
    text = [str(line).rstrip() for line in log]
    starts = [i for i, line in enumerate(text) if line.strip() == _START]
    if not starts:
        return []
    # The start of a chain: "During handling ..." or "The above exception ..." join two tracebacks.
    first = starts[-1]
    while True:
        earlier = [i for i in starts if i < first]
        if not earlier:
            break
        between = text[earlier[-1]:first]
        if not any(line.startswith(("During handling of the above exception",
                                    "The above exception was the direct cause")) for line in between):
            break
        first = earlier[-1]
    # A logger's line just before ("Internal Server Error: /") says where it happened.
    if first > 0 and text[first - 1] and not text[first - 1].startswith(" "):
        first -= 1
    end = starts[-1] + 1
    while end < len(text):
        line = text[end]
        end += 1
        if not line.startswith((" ", "\t")) and _EXCEPTION.match(line.strip()):
            break
    block = text[first:end]
    if len(block) <= lines:
        return block
    head = lines // 2
    return [*block[:head], f"... ({len(block) - lines + 1} lines left out)", *block[len(block) - (lines - head - 1):]]


class FilterModule:
    def filters(self) -> dict:
        return {"traceback": traceback}
