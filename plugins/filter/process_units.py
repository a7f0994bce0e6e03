# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.process_units filter: the systemd units each host runs for the app's processes."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: process_units
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The systemd units a host runs for the app's processes and scheduled jobs
description:
  - Takes the app's processes (what O(_input) says, as C(webstack_processes) declares them or
    M(webstack.django.procfile#filter) reads them) and its scheduled jobs (O(timers)), and says which units this host
    runs, each a mapping with C(unit), C(name), C(kind) (C(process) or C(timer)) and what its template needs.
  - A process runs on every host of its group (O(default_group) unless it names one), as C(count) instances of a
    template unit C(APP-NAME@.service) (C(APP-NAME@1.service), C(APP-NAME@2.service), ...). A process with
    C(one_host) (a scheduler, such as celery beat) and every timer run on the first host of their group only, in
    inventory order; when that host leaves the group, the next run moves them to the next one.
options:
  _input:
    description: The processes, by name; each a mapping with C(command) and optionally C(count), C(group),
      C(one_host), C(stop_signal) and C(stop_timeout).
    type: dict
    required: true
  timers:
    description: The scheduled jobs, by name; each a mapping with C(command) (a management command and its
      arguments), C(on_calendar) and optionally C(group) and C(timeout).
    type: dict
    required: true
  host:
    description: The inventory name of the host.
    type: str
    required: true
  groups:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
  app:
    description: The app's name, the first part of every unit's name.
    type: str
    required: true
  default_group:
    description: The group of a process or timer that names none.
    type: str
    default: webservers
  app_hosts:
    description:
      - The hosts that have the app's release (the web and worker hosts). Given, a group that holds another host
        is refused, naming it; omitted, any group is taken.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Note the units this host runs
  ansible.builtin.set_fact:
    units: "{{ webstack_processes | webstack.django.process_units(webstack_timers, inventory_hostname, groups, 'shop') }}"
"""

RETURN = r"""
_value:
  description: The units, processes first, each sorted by name.
  type: list
  elements: dict
  sample:
    - {unit: shop-worker@1.service, template: shop-worker@.service, name: worker, kind: process,
       command: "celery -A shop worker", stop_signal: SIGTERM, stop_timeout: 60}
    - {unit: shop-clearsessions.timer, service: shop-clearsessions.service, name: clearsessions, kind: timer,
       command: [clearsessions], on_calendar: daily, timeout: 3600}
"""

_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")
# The web process (gunicorn) and the release step (migrate) the collection runs itself.
_OURS = {"web", "release"}
_SIGNALS = {"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"}
_PROCESS_KEYS = {"command", "count", "group", "one_host", "stop_signal", "stop_timeout"}
_TIMER_KEYS = {"command", "on_calendar", "group", "timeout"}


def _group(spec: dict, groups: dict, default_group: str, what: str, app_hosts: list[str] | None) -> list[str]:
    group = spec.get("group") or default_group
    if group not in groups:
        raise AnsibleFilterError(f"{what}: the group {group!r} is not in the inventory")
    outside = [host for host in groups[group] if app_hosts is not None and host not in app_hosts]
    if outside:
        raise AnsibleFilterError(f"{what}: the group {group!r} holds {', '.join(outside)}, in neither webservers nor "
                                 "workers: a process runs only where the app's release is (put the host in workers)")
    return list(groups[group])


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise AnsibleFilterError(f"{what}: count must be a whole number, got {value!r}")
    return int(value)


def process_units(processes: object, timers: object, host: str, groups: dict, app: str,
                  default_group: str = "webservers", app_hosts: list[str] | None = None) -> list[dict]:
    if not isinstance(processes, dict) or not isinstance(timers, dict):
        raise AnsibleFilterError("process_units: expects the processes and the timers, each a mapping by name")
    units: list[dict] = []
    for name, spec in sorted(processes.items()):
        what = f"webstack_processes.{name}"
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _OURS:
            raise AnsibleFilterError(f"{what}: a name is lower-case letters, digits and '-', at most 31, and not "
                                     "'web' or 'release'")
        if not isinstance(spec, dict) or not isinstance(spec.get("command"), str) or not spec["command"].strip():
            raise AnsibleFilterError(f"{what}: needs a command")
        unknown = sorted(set(spec) - _PROCESS_KEYS)
        if unknown:
            raise AnsibleFilterError(f"{what}: unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_PROCESS_KEYS))})")
        signal = str(spec.get("stop_signal") or "SIGTERM").upper()
        if signal not in _SIGNALS:
            raise AnsibleFilterError(f"{what}: stop_signal must be one of {', '.join(sorted(_SIGNALS))}")
        count = _count(spec.get("count", 1), what)
        hosts = _group(spec, groups, default_group, what, app_hosts)
        if spec.get("one_host"):
            hosts, count = hosts[:1], min(count, 1)
        if host not in hosts:
            continue
        stop_timeout = _count(spec.get("stop_timeout", 60), what + " stop_timeout")
        for index in range(1, count + 1):
            units.append({"unit": f"{app}-{name}@{index}.service", "template": f"{app}-{name}@.service",
                          "name": name, "kind": "process", "command": spec["command"].strip(),
                          "stop_signal": signal, "stop_timeout": stop_timeout,
                          "files": [{"dest": f"{app}-{name}@.service", "src": "process.service.j2"}] if index == 1
                          else []})
    for name, spec in sorted(timers.items()):
        what = f"webstack_timers.{name}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise AnsibleFilterError(f"{what}: a name is lower-case letters, digits and '-', at most 31")
        if not isinstance(spec, dict) or not spec.get("command") or not spec.get("on_calendar"):
            raise AnsibleFilterError(f"{what}: needs a command (a management command) and on_calendar")
        unknown = sorted(set(spec) - _TIMER_KEYS)
        if unknown:
            raise AnsibleFilterError(f"{what}: unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_TIMER_KEYS))})")
        command = spec["command"]
        words = command.split() if isinstance(command, str) else list(command)
        if not words or not all(isinstance(word, str) and word for word in words):
            raise AnsibleFilterError(f"{what}: command must be a management command and its arguments")
        if host not in _group(spec, groups, default_group, what, app_hosts)[:1]:
            continue
        units.append({"unit": f"{app}-{name}.timer", "service": f"{app}-{name}.service", "name": name,
                      "kind": "timer", "command": words, "on_calendar": str(spec["on_calendar"]),
                      "timeout": _count(spec.get("timeout", 3600), what + " timeout"),
                      "files": [{"dest": f"{app}-{name}.service", "src": "timer.service.j2"},
                                {"dest": f"{app}-{name}.timer", "src": "timer.timer.j2"}]})
    if len({unit["unit"].partition("@")[0] for unit in units if unit["kind"] == "process"}
           & {unit["unit"].removesuffix(".timer") for unit in units if unit["kind"] == "timer"}):
        raise AnsibleFilterError("webstack_processes and webstack_timers name the same process")
    return units


class FilterModule:
    def filters(self) -> dict:
        return {"process_units": process_units}
