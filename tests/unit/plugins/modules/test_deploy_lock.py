# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The deploy_lock module, run as Ansible runs it (a Python process given its arguments), on a real directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.webstack.django.plugins.modules import deploy_lock as deploy_lock_module

MODULE = deploy_lock_module.__file__


@pytest.fixture
def run(run_module):  # noqa: ANN001, ANN201 - the conftest's fixture
    def run_lock(lock: Path, token: str, state: str = "held", holder: str = "", force: bool = False,
                 check: bool = False) -> dict:
        return run_module(MODULE, {"path": str(lock), "token": token, "state": state, "holder": holder,
                                   "force": force, "_ansible_check_mode": check})
    return run_lock


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    directory = tmp_path / "lib"
    directory.mkdir()
    return directory / "shop.deploy-lock"


def test_a_free_lock_is_taken_and_names_its_holder(run, lock: Path) -> None:
    result = run(lock, "run-a", holder="alice@laptop (deploy)")
    assert (result["changed"], result["held"]) == (True, True)
    assert result["lock"]["holder"] == "alice@laptop (deploy)" and result["lock"]["token"] == "run-a"
    written = json.loads(lock.read_text())
    assert (written["holder"], written["token"]) == ("alice@laptop (deploy)", "run-a")
    assert lock.stat().st_mode & 0o777 == 0o600


def test_the_same_run_takes_it_again_without_a_change(run, lock: Path) -> None:
    run(lock, "run-a", holder="alice")
    before = lock.read_text()
    result = run(lock, "run-a", holder="alice")
    assert (result["changed"], result["held"]) == (False, True)
    assert lock.read_text() == before


def test_another_run_is_refused_and_told_who_holds_it(run, lock: Path) -> None:
    run(lock, "run-a", holder="alice@laptop (deploy)")
    result = run(lock, "run-b", holder="ci run 42")
    assert (result["changed"], result["held"]) == (False, False)
    assert "held by alice@laptop (deploy) since " in result["msg"] and " s ago)" in result["msg"]
    assert result["lock"]["holder"] == "alice@laptop (deploy)"
    assert json.loads(lock.read_text())["token"] == "run-a"


def test_force_breaks_a_lock_and_returns_the_one_it_broke(run, lock: Path) -> None:
    run(lock, "run-a", holder="killed run")
    result = run(lock, "run-b", holder="ci run 42", force=True)
    assert (result["changed"], result["held"]) == (True, True)
    assert result["previous"]["holder"] == "killed run"
    assert json.loads(lock.read_text())["token"] == "run-b"


def test_only_its_run_gives_it_back(run, lock: Path) -> None:
    run(lock, "run-a", holder="alice")
    other = run(lock, "run-b", state="released")
    assert (other["changed"], other["held"]) == (False, False)
    assert lock.exists()
    mine = run(lock, "run-a", state="released")
    assert mine["changed"] is True and "previous" not in mine
    assert not lock.exists()
    again = run(lock, "run-a", state="released")
    assert again["changed"] is False


def test_force_removes_a_lock_whoever_holds_it(run, lock: Path) -> None:
    run(lock, "run-a", holder="killed run")
    result = run(lock, "run-b", state="released", force=True)
    assert result["changed"] is True and result["previous"]["holder"] == "killed run"
    assert not lock.exists()


def test_check_mode_refuses_as_it_would_and_writes_nothing(run, lock: Path) -> None:
    free = run(lock, "run-a", holder="alice", check=True)
    assert (free["changed"], free["held"]) == (True, True)
    assert not lock.exists()
    run(lock, "run-a", holder="alice")
    refused = run(lock, "run-b", holder="bob", check=True)
    assert refused["held"] is False and "alice" in refused["msg"]
    broken = run(lock, "run-b", holder="bob", force=True, check=True)
    assert broken["changed"] is True
    assert json.loads(lock.read_text())["token"] == "run-a"


def test_a_file_that_is_not_a_lock_still_holds_it(run, lock: Path) -> None:
    lock.write_text("not json\n")
    result = run(lock, "run-a", holder="alice")
    assert result["held"] is False and "unknown" in result["msg"]
    assert lock.read_text() == "not json\n"


def test_no_token_and_no_parent_directory_fail(run, lock: Path) -> None:
    assert run(lock, "")["failed"] is True
    missing = run(lock.parent / "absent" / "deeper" / "lock", "run-a")
    assert missing["failed"] is True and "is not a directory, nor is its parent" in missing["msg"]
    assert not (lock.parent / "absent").exists()


def test_a_missing_directory_is_made_for_root_alone(run, lock: Path) -> None:
    inner = lock.parent / "webstack" / "shop.deploy-lock"
    assert run(inner, "run-a", check=True)["held"] is True
    assert not inner.parent.exists(), "check mode makes nothing"
    assert run(inner, "run-a")["held"] is True
    assert oct(inner.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(inner.stat().st_mode & 0o777) == "0o600"


def test_a_symbolic_link_is_refused_not_followed(run, lock: Path) -> None:
    """The lock's directory may be one others can write to: a link planted there reads nothing and holds nothing."""
    secret = lock.parent / "secret.json"
    secret.write_text('{"holder": "the content of another file", "token": "x"}\n')
    lock.symlink_to(secret)
    for state in ("held", "released"):
        result = run(lock, "run-a", state=state, force=True)
        assert result["failed"] is True and "is a symbolic link" in result["msg"], result
        assert "another file" not in json.dumps(result)
    assert lock.is_symlink() and secret.read_text().startswith('{"holder"')


def test_of_two_runs_at_once_one_gets_it(lock: Path) -> None:
    """O_EXCL: many runs started together, one holds the lock and each other one is refused."""
    args = []
    for number in range(8):
        path = lock.parent.parent / f"race-{number}.json"
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"path": str(lock), "token": f"run-{number}",
                                                            "holder": f"run {number}",
                                                            "_ansible_tmpdir": str(lock.parent.parent)}}))
        args.append(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [subprocess.Popen([sys.executable, MODULE, str(path)], stdout=subprocess.PIPE, text=True, env=env)
                 for path in args]
    results = [json.loads(process.communicate()[0]) for process in processes]
    holders = [result for result in results if result["held"]]
    assert len(holders) == 1, results
    assert json.loads(lock.read_text())["token"] == holders[0]["lock"]["token"]
