# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The traceback filter finds the last traceback in a log, as Python writes them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.traceback import traceback


def python_log(code: str) -> list[str]:
    """What a real Python prints on stderr for the code, as the journal holds it."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    return run.stderr.splitlines()


def test_the_last_traceback_with_its_logger_line() -> None:
    log = ["[INFO] Booting worker with pid: 7"] + python_log(
        "import logging, sys; logging.basicConfig(format='%(message)s')\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    logging.exception('Internal Server Error: /')\n"
        "raise SystemExit(1)")
    found = traceback(log)
    assert found[0] == "Internal Server Error: /"
    assert found[1] == "Traceback (most recent call last):"
    assert found[-1] == "ZeroDivisionError: division by zero"
    assert "[INFO] Booting worker with pid: 7" not in found


def test_a_chained_traceback_is_kept_whole() -> None:
    log = python_log("try:\n    {}['missing']\nexcept KeyError:\n    raise ValueError('Missing staticfiles manifest entry')")
    found = traceback(log)
    assert found[0] == "Traceback (most recent call last):"
    assert any(line.startswith("During handling of the above exception") for line in found)
    assert found[-1] == "ValueError: Missing staticfiles manifest entry"


def test_only_the_last_of_two_unrelated_tracebacks() -> None:
    first = python_log("raise KeyError('old')")
    second = python_log("import json; json.loads('{')")
    found = traceback(first + ["[INFO] Worker exiting"] + second)
    assert "KeyError: 'old'" not in found
    assert found[-1].startswith("json.decoder.JSONDecodeError: Expecting property name")


def test_a_long_traceback_keeps_its_head_and_its_exception() -> None:
    # Sixteen different frames (Python folds repeated ones).
    code = "".join(f"def f{n}():\n    return f{n + 1}()\n" for n in range(16)) + "def f16():\n    return 1 / 0\nf0()"
    found = traceback(python_log(code), lines=10)
    assert len(found) == 10
    assert found[0] == "Traceback (most recent call last):"
    assert "lines left out" in found[5]
    assert found[-1] == "ZeroDivisionError: division by zero"


def test_text_and_no_traceback() -> None:
    assert traceback("[INFO] Listening at: unix:/run/shop/gunicorn.sock\n[INFO] Booting worker") == []
    assert traceback([]) == []


@pytest.mark.parametrize(("log", "lines", "message"), [({"a": 1}, 20, "expects the log"), ([], 2, "at least 3")])
def test_refuses_what_it_cannot_read(log: object, lines: int, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        traceback(log, lines)
