# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The shell_words filter splits a command line as sh does, and runs nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.shell_words import shell_words

LINES = [
    "migrate --plan",
    "createsuperuser --noinput --username admin --email admin@example.com",
    "shell -c 'from notes.models import Note; print(Note.objects.count())'",
    'loaddata "fixtures/with space.json"',
    "changepassword o\\'brien",
    "dumpdata $HOME `id` ';' '&&'",
]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")
@pytest.mark.parametrize("line", LINES)
def test_splits_as_sh_does(line: str) -> None:
    # sh parses the line with expansion kept out ($ and ` escaped where they stand unquoted here).
    escaped = line.replace("$", "\\$").replace("`", "\\`")
    script = "set -f; set -- " + escaped + "; printf '%s\\0' \"$@\""
    words = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert shell_words(line) == words.split("\0")[:-1]


def test_expands_nothing() -> None:
    assert shell_words("dumpdata $HOME `id` ';'") == ["dumpdata", "$HOME", "`id`", ";"]


def test_takes_a_list_as_it_is() -> None:
    assert shell_words(["shell", "-c", "print(1); print(2)"]) == ["shell", "-c", "print(1); print(2)"]


@pytest.mark.parametrize(("command", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ([], "empty"),
    ("check 'unclosed", "cannot be split"),
    ("migrate\nrm -rf /", "control character"),
    (["migrate", "a\x00b"], "control character"),
    ({"cmd": "migrate"}, "expects a command line"),
    (["migrate", None], "must be a string"),
])
def test_refuses_what_is_not_a_command(command: object, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        shell_words(command)
