#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The memory and CPUs the host's services may use: the machine's, or less where a control group limits them."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_resources
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The memory and CPUs the host's services may use, control group limits included
description:
  - Reads the memory (C(/proc/meminfo)) and CPUs (the affinity of PID 1) of the host, then the limits of the control
    group the host's init runs in and of every group above it, on cgroup v2 (C(memory.max), C(cpu.max)) and v1
    (C(memory.limit_in_bytes), C(cpu.cfs_quota_us)). The smaller figure wins.
  - On a virtual machine the two agree. In a container (Docker's C(--memory) and C(--cpus), LXC, systemd-nspawn) the
    facts C(memtotal_mb) and C(processor_vcpus) are the machine's, not the container's; sizing PostgreSQL or the
    number of app workers from them would overrun the limit, and the kernel's OOM killer would end a service.
  - Never changes the host.
options: {}
attributes:
  check_mode:
    description: Runs in check mode too; it only reads.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Topology | Read the memory and CPUs the services may use
  webstack.django.host_resources:
"""

RETURN = r"""
memory_mb:
  description: Memory the services may use, in MiB.
  returned: always
  type: int
  sample: 1024
cpus:
  description: CPUs the services may use, a whole number (a quota of 1.5 CPUs counts as 2), at least 1.
  returned: always
  type: int
  sample: 1
limited_by:
  description: The control group limits that are below the machine's figures; empty on a machine with none.
  returned: always
  type: list
  elements: str
  sample: ["memory: 1024 MiB (cgroup v1 /docker/0123abcd memory.limit_in_bytes)"]
ansible_facts:
  description: C(webstack_memory_mb) and C(webstack_cpus), the same figures as facts.
  returned: always
  type: dict
"""

import math
import os

from ansible.module_utils.basic import AnsibleModule

MIB = 1024 * 1024
# cgroup v1 writes "no limit" as the largest page-aligned signed 64-bit number.
V1_UNLIMITED = 1 << 62


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def memtotal_mb(root: str = "/") -> int:
    text = _read(os.path.join(root, "proc/meminfo")) or ""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ValueError("no MemTotal line in /proc/meminfo")


def groups(root: str = "/") -> dict[str, str]:
    """PID 1's control group per hierarchy: {"": path} for v2, {"memory": path, "cpu": path} for v1."""
    found: dict[str, str] = {}
    for line in (_read(os.path.join(root, "proc/1/cgroup")) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _number, controllers, path = parts
        if controllers == "":
            found[""] = path
        for controller in controllers.split(","):
            if controller in ("memory", "cpu"):
                found[controller] = path
    return found


def _ancestors(path: str) -> list[str]:
    """The group and every group above it, the group first: /a/b -> [/a/b, /a, /]."""
    path = "/" + path.strip("/")
    chain = [path]
    while path != "/":
        path = os.path.dirname(path)
        chain.append(path)
    return chain


def _smallest(root: str, v2_file: str, controller: str, v1_files: list[str], parse) -> tuple[float, str] | None:
    """The smallest value parse() reads in PID 1's group and every group above it - cgroup v2's v2_file, or the
    v1_files of a v1 controller, their texts joined by a space - with where it is set."""
    base = os.path.join(root, "sys/fs/cgroup")
    found = groups(root)
    places = []
    if "" in found and os.path.exists(os.path.join(base, "cgroup.controllers")):
        places += [(os.path.join(base, group.lstrip("/")), [v2_file], f"cgroup v2 {group} {v2_file}")
                   for group in _ancestors(found[""])]
    if controller in found:
        places += [(os.path.join(base, controller, group.lstrip("/")), v1_files, f"cgroup v1 {group} {v1_files[0]}")
                   for group in _ancestors(found[controller])]
    best: tuple[float, str] | None = None
    for folder, names, where in places:
        texts = [_read(os.path.join(folder, name)) for name in names]
        value = None if None in texts else parse(" ".join(texts))
        if value is not None and (best is None or value < best[0]):
            best = (value, where)
    return best


def _bytes(text: str) -> int | None:
    """A memory limit in bytes; None for "max" (v2) or v1's no-limit value."""
    return int(text) if text.isdigit() and int(text) < V1_UNLIMITED else None


def _cpus(text: str) -> float | None:
    """CPUs from "QUOTA PERIOD" (v2's cpu.max; v1's quota and period); None for "max" or -1 (no quota)."""
    parts = text.split()
    if len(parts) != 2 or not all(part.isdigit() for part in parts) or int(parts[1]) == 0:
        return None
    return int(parts[0]) / int(parts[1])


def memory_limit(root: str = "/") -> tuple[float, str] | None:
    """The smallest memory limit on PID 1's group and its ancestors, in bytes, with where it is set."""
    return _smallest(root, "memory.max", "memory", ["memory.limit_in_bytes"], _bytes)


def cpu_limit(root: str = "/") -> tuple[float, str] | None:
    """The smallest CPU quota on PID 1's group and its ancestors, in CPUs, with where it is set."""
    return _smallest(root, "cpu.max", "cpu", ["cpu.cfs_quota_us", "cpu.cfs_period_us"], _cpus)


def resources(root: str = "/", cpus_online: int | None = None) -> dict:
    machine_mb = memtotal_mb(root)
    if cpus_online is None:
        try:
            cpus_online = len(os.sched_getaffinity(1))
        except OSError:
            cpus_online = os.cpu_count() or 1
    memory_mb, cpus, limited_by = machine_mb, max(cpus_online, 1), []
    memory = memory_limit(root)
    if memory and memory[0] // MIB < machine_mb:
        memory_mb = max(memory[0] // MIB, 1)
        limited_by.append(f"memory: {memory_mb} MiB ({memory[1]})")
    cpu = cpu_limit(root)
    if cpu and math.ceil(cpu[0]) < cpus:
        cpus = max(math.ceil(cpu[0]), 1)
        limited_by.append(f"cpus: {cpu[0]:g} ({cpu[1]})")
    return {"memory_mb": memory_mb, "cpus": cpus, "limited_by": limited_by}


def main() -> None:
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    try:
        found = resources()
    except (OSError, ValueError) as error:
        module.fail_json(msg=f"cannot read the host's memory: {error}")
    module.exit_json(changed=False, **found,
                     ansible_facts={"webstack_memory_mb": found["memory_mb"], "webstack_cpus": found["cpus"]})


if __name__ == "__main__":
    main()
