#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Several systemd units enabled, started, stopped or masked by one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: units
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Enable, start, stop, restart or mask several systemd units in one run
description:
  - Does what a loop of M(ansible.builtin.systemd_service) does, in one module run instead of one for each unit.
    The state of every unit is read with one C(systemctl show), and only what differs is changed.
  - The rules are M(ansible.builtin.systemd_service)'s. A unit is enabled when C(systemctl) says C(enabled),
    C(static), C(generated) or C(transient). C(started) starts a unit that is not active or activating;
    C(restarted) and C(reloaded) start a unit that is not running, and restart or reload one that is;
    C(stopped) stops a unit that is active, activating or deactivating.
  - The units are handled in their order, each one unmasked, enabled or disabled, masked, then started or
    stopped, so that a unit starts after the units before it.
  - A unit that systemd does not know fails the task before anything changes, naming the unit, unless the entry
    only stops, disables or masks it (a unit that is gone is all of these already).
options:
  units:
    description: The units, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The unit's name, such as C(nginx.service) or C(certbot.timer) (C(.service) when it has no suffix).
        type: str
        required: true
      enabled:
        description: Whether the unit starts at boot. Unset leaves it as it is.
        type: bool
      state:
        description: What the unit must be doing now. Unset leaves it as it is.
        type: str
        choices: [started, stopped, restarted, reloaded]
      masked:
        description: Whether the unit is masked (impossible to start). Unset leaves it as it is.
        type: bool
  daemon_reload:
    description: Run C(systemctl daemon-reload) first, for unit files written before this task.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports what would change, and changes nothing.
    support: full
  diff_mode:
    description: Shows each changed unit's state before and after.
    support: full
"""

EXAMPLES = r"""
- name: Services | Keep the services enabled and running
  webstack.django.units:
    units:
      - {name: nftables.service, enabled: true, state: started}
      - {name: ssh.service, enabled: true, state: started}
      - {name: apt-daily.timer, enabled: true, state: started}
      - {name: redis-server.service, enabled: false, state: stopped, masked: true}
"""

RETURN = r"""
results:
  description: One result for each unit, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The unit's name.
      type: str
    changed:
      description: Whether the unit changed (or would, in check mode).
      type: bool
    actions:
      description: The C(systemctl) verbs run for the unit (or that would be, in check mode), such as C(enable), C(start).
      type: list
      elements: str
    status:
      description: What C(systemctl show) said before, its C(LoadState), C(ActiveState) and C(UnitFileState).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState")
# What M(ansible.builtin.systemd_service) takes for enabled ("indirect" and
# "alias" are enabled again there, and here too).
ENABLED = frozenset({"enabled", "static", "generated", "transient"})
RUNNING = frozenset({"active", "activating"})
STOPPING = frozenset({"deactivating"})


def unit_name(name):
    """The name systemctl answers to: .service when the name has no suffix."""
    return name if "." in name.rsplit("@", 1)[-1] else f"{name}.service"


def parse_show(text, count):
    """The blocks of a `systemctl show -p ... a b c`, one dict per unit in their order."""
    blocks = [{}]
    for line in text.splitlines():
        if not line.strip():
            if blocks[-1]:
                blocks.append({})
            continue
        key, value = line.split("=", 1) if "=" in line else (line, "")
        blocks[-1][key] = value.strip()
    blocks = [block for block in blocks if block]
    if len(blocks) != count:
        raise ValueError(f"systemctl show answered for {len(blocks)} units, not {count}")
    return blocks


def plan(entry, status):
    """The systemctl verbs that bring one unit from its status to the entry, in order."""
    actions = []
    if status.get("LoadState") == "not-found":
        return ["mask"] if entry.get("masked") else []
    masked = status.get("UnitFileState", "").startswith("masked") or status.get("LoadState") == "masked"
    if entry.get("masked") is False and masked:
        actions.append("unmask")
    if entry.get("enabled") is not None:
        enabled = status.get("UnitFileState") in ENABLED
        if enabled != entry["enabled"]:
            actions.append("enable" if entry["enabled"] else "disable")
    # Disabled before it is masked: the links go, then the unit file is /dev/null.
    if entry.get("masked") and not masked:
        actions.append("mask")
    state = entry.get("state")
    if state:
        active = status.get("ActiveState", "inactive")
        if state == "stopped":
            if active in RUNNING or active in STOPPING:
                actions.append("stop")
        elif active not in RUNNING:
            actions.append("start")
        elif state in ("restarted", "reloaded"):
            actions.append(state[:-2])
    return actions


def missing(entry, status):
    """Whether the entry needs a unit that systemd does not know: one that is gone is stopped, disabled and
    can be masked already."""
    if status.get("LoadState") != "not-found":
        return False
    return bool(entry.get("enabled")) or entry.get("state") not in (None, "stopped") or entry.get("masked") is False


def describe(status, actions=()):
    """One line for the diff: the unit file's state and the unit's activity, after the actions."""
    file_state = status.get("UnitFileState") or status.get("LoadState", "")
    active = status.get("ActiveState", "")
    for action in actions:
        file_state = {"mask": "masked", "unmask": "disabled", "enable": "enabled", "disable": "disabled"}.get(action, file_state)
        active = {"start": "active", "stop": "inactive", "restart": "active", "reload": "active"}.get(action, active)
    return f"{file_state}, {active}"


def main():
    module = AnsibleModule(
        argument_spec={
            "units": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "name": {"type": "str", "required": True},
                    "enabled": {"type": "bool"},
                    "state": {"type": "str", "choices": ["started", "stopped", "restarted", "reloaded"]},
                    "masked": {"type": "bool"},
                },
            },
            "daemon_reload": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    entries = [dict(entry, name=unit_name(entry["name"])) for entry in module.params["units"]]
    systemctl = module.get_bin_path("systemctl", required=True)
    changed = False
    if module.params["daemon_reload"] and not module.check_mode:
        rc, out, err = module.run_command([systemctl, "daemon-reload"])
        if rc != 0:
            module.fail_json(msg=f"systemctl daemon-reload failed: {(err or out).strip()}")
    if not entries:
        module.exit_json(changed=False, results=[])
    names = [entry["name"] for entry in entries]
    rc, out, err = module.run_command([systemctl, "show", f"--property={','.join(PROPERTIES)}", "--", *names])
    if rc != 0:
        module.fail_json(msg=f"systemctl show {' '.join(names)} failed: {(err or out).strip()}")
    try:
        statuses = parse_show(out, len(names))
    except ValueError as error:
        module.fail_json(msg=str(error), stdout=out)
    pairs = [(entry, statuses[index]) for index, entry in enumerate(entries)]
    unknown = [entry["name"] for entry, status in pairs if missing(entry, status)]
    if unknown:
        module.fail_json(msg=f"systemd knows no unit named {', '.join(unknown)} on this host: nothing was changed")

    results, before, after = [], [], []
    for entry, status in pairs:
        actions = plan(entry, status)
        results.append({"name": entry["name"], "changed": bool(actions), "actions": actions,
                        "status": {key: status.get(key, "") for key in PROPERTIES[1:]}})
        if not actions:
            continue
        changed = True
        before.append(f"{entry['name']}: {describe(status)}\n")
        after.append(f"{entry['name']}: {describe(status, actions)}\n")
        if module.check_mode:
            continue
        for action in actions:
            rc, out, err = module.run_command([systemctl, action, "--", entry["name"]])
            if rc != 0:
                module.fail_json(msg=f"systemctl {action} {entry['name']} failed: {(err or out).strip()}", results=results)
    diff = {"before": "".join(before), "after": "".join(after), "before_header": "units", "after_header": "units"}
    module.exit_json(changed=changed, results=results, diff=diff)


if __name__ == "__main__":
    main()
