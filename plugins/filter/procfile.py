# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.procfile filter: the app's processes, read from its Procfile."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: procfile
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The processes a project's Procfile declares, in the form of C(webstack_processes)
description:
  - Reads a Procfile as Heroku, Dokku and Piku do, a process a line (its name, a colon, its command), blank lines
    and C(#) comments skipped, and returns its processes in the form C(webstack_processes) takes, each with a count of 1.
  - C(web) and C(release) are left out, as the collection runs those itself (gunicorn; the migration before the switch).
  - A process named C(clock), C(beat), C(scheduler) or C(cron), or whose command runs C(beat), is a scheduler
    (C(one_host)), which runs on one host only.
  - A name is lower-cased, with C(_) read as C(-) (a systemd unit's name).
options:
  _input:
    description: The Procfile's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Note the processes the Procfile declares
  ansible.builtin.set_fact:
    processes: "{{ lookup('ansible.builtin.file', project ~ '/Procfile') | webstack.django.procfile }}"
"""

RETURN = r"""
_value:
  description: The processes, by name.
  type: dict
  sample:
    worker: {command: celery -A shop worker --loglevel INFO, one_host: false}
    beat: {command: celery -A shop beat, one_host: true}
"""

# What the collection runs itself: the web process (gunicorn) and the release step (migrate).
_OURS = {"web", "release"}
# Names for a scheduler (Heroku's "clock"), which must run on one host only.
_SCHEDULERS = {"clock", "beat", "scheduler", "cron"}


def procfile(text: object) -> dict:
    """A Procfile's processes but `web` and `release`: each line `name: command`; comments and blank lines skipped."""
    if not isinstance(text, str):
        raise AnsibleFilterError(f"procfile: expects the Procfile's text, got {type(text).__name__}")
    processes: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if not colon or not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not command:
            raise AnsibleFilterError(f"Procfile line {number} is not `name: command`: {line.strip()!r}")
        name = name.lower().replace("_", "-")
        if name in _OURS:
            continue
        if name in processes:
            raise AnsibleFilterError(f"Procfile line {number} names the process {name!r} a second time")
        processes[name] = {"command": command, "one_host": name in _SCHEDULERS or bool(re.search(r"\bbeat\b", command))}
    return processes


class FilterModule:
    def filters(self) -> dict:
        return {"procfile": procfile}
