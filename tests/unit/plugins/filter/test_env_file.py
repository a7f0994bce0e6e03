# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The env_value filter quotes a value for an environment file; env_file reads one as systemd and sh do."""

from __future__ import annotations

import shutil
import string
import subprocess

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.env_file import env_file
from ansible_collections.webstack.django.plugins.filter.env_value import env_value

# Passwords from generators, and values meant to break a parser.
VALUES = [
    "plain",
    "",
    string.printable.replace("\n", "").replace("\r", "").replace("\x0b", "").replace("\x0c", ""),
    "$\"'\\`{#{{%",
    "a b  ",
    "  leading",
    "# not a comment",
    "ends with a backslash\\",
    "é unicode ✓",
    "x" * 10_000,
]


@pytest.mark.parametrize("value", VALUES)
def test_reads_back_what_env_value_writes(value: str) -> None:
    text = f"# Environment of shop\nDJANGO_DB_NAME=\"shop\"\nDJANGO_DB_PASSWORD={env_value(value)}\nLAST=\"1\"\n"
    assert env_file(text) == {"DJANGO_DB_NAME": "shop", "DJANGO_DB_PASSWORD": value, "LAST": "1"}


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")
@pytest.mark.parametrize("value", VALUES)
def test_reads_what_sh_reads(value: str, tmp_path) -> None:
    path = tmp_path / "env"
    path.write_text(f"SECRET={env_value(value)}\n", encoding="utf-8")
    read = subprocess.run(["sh", "-c", '. "$1"; printf %s "$SECRET"', "sh", str(path)],
                          capture_output=True, text=True, check=True).stdout
    assert read == value
    assert env_file(path.read_text(encoding="utf-8"))["SECRET"] == value


@pytest.mark.parametrize(("text", "expected"), [
    ("A=1\nB='two words'\nC=bare value  \n", {"A": "1", "B": "two words", "C": "bare value"}),
    ("; a comment\n  # another\n\nA = 'x'  \n", {"A": "x"}),
    ("A=\"one\\\ntwo\"\n", {"A": "onetwo"}),
    ("A=one\\\ntwo\n", {"A": "onetwo"}),
    ("A='it''s'\n", {"A": "its"}),
    ('A="keeps \\n as it is"\n', {"A": "keeps \\n as it is"}),
    ("A=1\nA=2\n", {"A": "2"}),
    ("A=1", {"A": "1"}),
    ("", {}),
])
def test_reads_systemd_syntax(text: str, expected: dict[str, str]) -> None:
    assert env_file(text) == expected


@pytest.mark.parametrize("text", ['A="open\n', "A='open\n", "not an assignment\n", "1A=x\n", "A B=x\n", "=x\n"])
def test_refuses_what_is_not_an_environment_file(text: str) -> None:
    with pytest.raises(AnsibleFilterError, match="env_file: line 1"):
        env_file(text)


def test_refuses_what_is_not_text() -> None:
    with pytest.raises(AnsibleFilterError, match="expects the file's text"):
        env_file(b"A=1")


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", '"plain"'),
    ("", '""'),
    ('a"b', '"a\\"b"'),
    ("$HOME `id` \\", '"\\$HOME \\`id\\` \\\\"'),
    ("it's {{ x }} {# %", '"it\'s {{ x }} {# %"'),
    (8, '"8"'),
])
def test_quotes_for_systemd_and_sh(value: object, expected: str) -> None:
    assert env_value(value) == expected


@pytest.mark.parametrize("value", ["two\nlines", "carriage\rreturn", "nul\x00byte"])
def test_refuses_what_an_environment_file_cannot_carry(value: str) -> None:
    with pytest.raises(AnsibleFilterError, match="cannot be carried"):
        env_value(value)


@pytest.mark.parametrize("value", [None, ["a"], {"a": "b"}])
def test_refuses_what_is_not_one_value(value: object) -> None:
    with pytest.raises(AnsibleFilterError, match="expects a string"):
        env_value(value)
