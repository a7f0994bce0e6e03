# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The pgpass filter writes a passfile line whose fields read back whole, as libpq splits them."""

from __future__ import annotations

import string

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.pgpass import pgpass


def libpq_fields(line: str) -> list[str]:
    """How libpq's passwordFromFile reads a line: a backslash takes the next character as it is, an unescaped
    colon ends a field."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":" and len(fields) < 4:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    return [*fields, "".join(current)]


@pytest.mark.parametrize("password", ["plain", "*", string.punctuation, "a:b\\c'd", "\\:", "é✓"])
def test_reads_back_whole(password: str) -> None:
    line = pgpass(password, "replicator")
    assert libpq_fields(line) == ["*", "*", "*", "replicator", password]


def test_the_form() -> None:
    assert pgpass("a:b\\c", "rep:l", host="10.0.0.5", port=5432, database="replication") == \
        "10.0.0.5:5432:replication:rep\\:l:a\\:b\\\\c"
    # A password of * is literal, escaped or not: only the first three fields match anything.
    assert pgpass("*", "u") == "*:*:*:u:*"


@pytest.mark.parametrize("args", [("", "u"), ("p", ""), ("p\nq", "u"), ("p", "u", None), (["p"], "u")])
def test_refuses(args: tuple) -> None:
    with pytest.raises(AnsibleFilterError):
        pgpass(*args)
