# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""This run of ansible-playbook, named for the deploy lock: its machine and process, and whether a run has ended."""

from __future__ import annotations

import getpass
import multiprocessing
import os
import platform
import re

TOKEN = re.compile(r"^(?P<machine>[^|\s]+)\|(?P<pid>[1-9][0-9]*)$")


def machine() -> str:
    return platform.node() or "localhost"


def playbook_pid() -> int:
    """The ansible-playbook process: the parent of the worker a task runs in, or this process in the main one."""
    if multiprocessing.current_process().name == "MainProcess":
        return os.getpid()
    return os.getppid()


def token() -> str:
    """This run's own value: the controller and the ansible-playbook process, the same for every task of the run."""
    return f"{machine()}|{playbook_pid()}"


def user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def holder() -> str:
    """Who runs it, as a refused run reads it: alice on laptop (ansible-playbook pid 4242)."""
    return f"{user()} on {machine()} (ansible-playbook pid {playbook_pid()})"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ended(value: object) -> bool:
    """Whether a run's token names a process of this machine that no longer runs. A token of another machine, or
    one that is not a token, has not ended as far as this machine can tell."""
    match = TOKEN.match(value) if isinstance(value, str) else None
    if match is None or match["machine"] != machine():
        return False
    return not alive(int(match["pid"]))
