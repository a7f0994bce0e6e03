# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""A run's token and holder (the run_id lookup), and whether a run has ended (the ended_run test), with real processes."""

from __future__ import annotations

import multiprocessing
import os
import platform
import subprocess
import sys

import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.webstack.django.plugins.lookup.run_id import LookupModule
from ansible_collections.webstack.django.plugins.plugin_utils import run
from ansible_collections.webstack.django.plugins.test.ended_run import TestModule as EndedRunPlugin


def ended_pid() -> int:
    """The number of a process that has just ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_token_names_this_machine_and_the_playbook_process() -> None:
    assert run.token() == f"{platform.node()}|{os.getpid()}"
    assert LookupModule().run([]) == [run.token()]
    holder = LookupModule().run(["holder"])[0]
    assert holder.endswith(f" on {platform.node()} (ansible-playbook pid {os.getpid()})")


def _token_from_a_worker(queue) -> None:  # noqa: ANN001 - a multiprocessing queue
    queue.put(run.token())


def test_a_worker_process_names_its_parent() -> None:
    """Ansible runs each task in a worker forked from ansible-playbook: every task of the run gets the same token."""
    queue = multiprocessing.get_context("fork").Queue()
    worker = multiprocessing.get_context("fork").Process(target=_token_from_a_worker, args=(queue,))
    worker.start()
    token = queue.get(timeout=30)
    worker.join()
    assert token == f"{platform.node()}|{os.getpid()}"


def test_an_unknown_term_is_refused() -> None:
    with pytest.raises(AnsibleLookupError, match="pid is not token or holder"):
        LookupModule().run(["pid"])


@pytest.mark.parametrize(
    ("token", "ended"),
    [
        (run.token, False),
        (lambda: f"{platform.node()}|{ended_pid()}", True),
        (lambda: f"another-machine|{ended_pid()}", False),
        (lambda: f"{platform.node()}|1", False),
        (lambda: "k2x9-not-a-token", False),
        (lambda: f"{platform.node()}|0", False),
        (lambda: None, False),
        (lambda: "", False),
    ],
    ids=["this run", "ended here", "ended elsewhere, unknown here", "pid 1 runs",
         "not a token", "pid 0", "no token", "empty"],
)
def test_ended_run(token, ended: bool) -> None:  # noqa: ANN001 - a factory
    assert EndedRunPlugin().tests()["ended_run"](token()) is ended
