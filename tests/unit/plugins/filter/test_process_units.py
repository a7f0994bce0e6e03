# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The procfile and process_units filters: which processes a project declares, and which units each host runs."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.process_units import process_units
from ansible_collections.webstack.django.plugins.filter.procfile import procfile

GROUPS = {"webservers": ["web1", "web2"], "workers": ["work1", "work2"], "dbservers": ["db1"]}


def test_a_procfile_gives_every_process_but_web_and_release() -> None:
    text = """# the twelve-factor way
web: gunicorn config.wsgi --bind 0.0.0.0:$PORT
release: python manage.py migrate

worker: celery -A config worker --loglevel INFO
clock: python manage.py run_scheduler
celery_beat: celery -A config beat
"""
    assert procfile(text) == {
        "worker": {"command": "celery -A config worker --loglevel INFO", "one_host": False},
        "clock": {"command": "python manage.py run_scheduler", "one_host": True},
        "celery-beat": {"command": "celery -A config beat", "one_host": True},
    }
    assert procfile("web: gunicorn app:app\n") == {}


@pytest.mark.parametrize(("text", "words"), [
    ("worker celery -A x worker\n", "line 1 is not `name: command`"),
    ("worker:\n", "line 1 is not `name: command`"),
    ("work er: run\n", "line 1 is not `name: command`"),
    ("worker: a\nworker: b\n", "line 2 names the process 'worker' a second time"),
])
def test_a_procfile_line_that_is_not_a_process_is_refused_naming_it(text: str, words: str) -> None:
    with pytest.raises(AnsibleFilterError, match=words):
        procfile(text)


def test_workers_run_on_every_host_of_their_group_with_their_count() -> None:
    processes = {"worker": {"command": "celery -A shop worker", "count": 2}, "mail": {"command": "rq worker mail"}}
    units = process_units(processes, {}, "web2", GROUPS, "shop")
    assert [unit["unit"] for unit in units] == ["shop-mail@1.service", "shop-worker@1.service",
                                                "shop-worker@2.service"]
    assert units[1] == {"unit": "shop-worker@1.service", "template": "shop-worker@.service", "name": "worker",
                        "kind": "process", "command": "celery -A shop worker", "stop_signal": "SIGTERM",
                        "stop_timeout": 60, "files": [{"dest": "shop-worker@.service", "src": "process.service.j2"}]}
    assert units[2]["files"] == []
    assert process_units(processes, {}, "db1", GROUPS, "shop") == []
    on_workers = {"worker": {"command": "celery -A shop worker", "group": "workers"}}
    assert process_units(on_workers, {}, "web1", GROUPS, "shop") == []
    assert [unit["unit"] for unit in process_units(on_workers, {}, "work2", GROUPS, "shop")] == ["shop-worker@1.service"]


def test_a_scheduler_and_every_timer_run_on_the_first_host_of_their_group_only() -> None:
    processes = {"beat": {"command": "celery -A shop beat", "one_host": True, "count": 3}}
    timers = {"clearsessions": {"command": "clearsessions", "on_calendar": "daily"}}
    first = process_units(processes, timers, "web1", GROUPS, "shop")
    assert [unit["unit"] for unit in first] == ["shop-beat@1.service", "shop-clearsessions.timer"]
    assert first[1] == {"unit": "shop-clearsessions.timer", "service": "shop-clearsessions.service",
                        "name": "clearsessions", "kind": "timer", "command": ["clearsessions"],
                        "on_calendar": "daily", "timeout": 3600,
                        "files": [{"dest": "shop-clearsessions.service", "src": "timer.service.j2"},
                                  {"dest": "shop-clearsessions.timer", "src": "timer.timer.j2"}]}
    assert process_units(processes, timers, "web2", GROUPS, "shop") == []
    # web1 leaves the group: the scheduler and the timer move to web2.
    moved = process_units(processes, timers, "web2", {**GROUPS, "webservers": ["web2"]}, "shop")
    assert [unit["unit"] for unit in moved] == ["shop-beat@1.service", "shop-clearsessions.timer"]


def test_a_group_with_a_host_that_has_no_release_is_refused_naming_it() -> None:
    on_db = {"worker": {"command": "celery -A shop worker", "group": "dbservers"}}
    with pytest.raises(AnsibleFilterError, match="webstack_processes.worker: the group 'dbservers' holds db1, in neither"):
        process_units(on_db, {}, "web1", GROUPS, "shop", "webservers", ["web1", "web2", "work1", "work2"])
    timers = {"nightly": {"command": "clearsessions", "on_calendar": "daily"}}
    with pytest.raises(AnsibleFilterError, match="webstack_timers.nightly: the group 'workers' holds work2, in neither"):
        process_units({}, timers, "web1", GROUPS, "shop", "workers", ["web1", "web2", "work1"])
    # Without the app's hosts (the role used outside the site playbook), any group is taken.
    assert [unit["unit"] for unit in process_units(on_db, {}, "db1", GROUPS, "shop")] == ["shop-worker@1.service"]


def test_a_timer_command_keeps_its_arguments() -> None:
    timers = {"report": {"command": ["send_report", "--to", "ops@example.com"], "on_calendar": "Mon 07:00",
                         "timeout": 600}}
    (unit,) = process_units({}, timers, "web1", GROUPS, "shop")
    expected = (["send_report", "--to", "ops@example.com"], "Mon 07:00", 600)
    assert (unit["command"], unit["on_calendar"], unit["timeout"]) == expected


@pytest.mark.parametrize(("processes", "timers", "words"), [
    ({"web": {"command": "gunicorn x"}}, {}, "webstack_processes.web: a name is"),
    ({"Worker": {"command": "x"}}, {}, "webstack_processes.Worker: a name is"),
    ({"worker": {}}, {}, "webstack_processes.worker: needs a command"),
    ({"worker": {"command": "x", "replicas": 2}}, {}, "unknown keys replicas"),
    ({"worker": {"command": "x", "count": "two"}}, {}, "count must be a whole number, got 'two'"),
    ({"worker": {"command": "x", "count": True}}, {}, "count must be a whole number"),
    ({"worker": {"command": "x", "stop_signal": "SIGKILL"}}, {}, "stop_signal must be one of"),
    ({"worker": {"command": "x", "group": "nowhere"}}, {}, "the group 'nowhere' is not in the inventory"),
    ({}, {"nightly": {"command": "x"}}, "webstack_timers.nightly: needs a command"),
    ({}, {"nightly": {"command": "x", "on_calendar": "daily", "user": "root"}}, "unknown keys user"),
    ({"job": {"command": "x"}}, {"job": {"command": "y", "on_calendar": "daily"}}, "name the same process"),
])
def test_what_cannot_run_is_refused_naming_the_variable(processes: dict, timers: dict, words: str) -> None:
    with pytest.raises(AnsibleFilterError, match=words):
        process_units(processes, timers, "web1", GROUPS, "shop")
