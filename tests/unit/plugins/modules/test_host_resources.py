# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The host_resources module on control group trees laid out as the kernel lays them out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.webstack.django.plugins.modules import host_resources as module

GIB = 1 << 30


def host(tmp_path: Path, memtotal_kb: int, cgroup: str, files: dict[str, str]) -> str:
    """A root with /proc/meminfo, /proc/1/cgroup and the named files below /sys/fs/cgroup."""
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "meminfo").write_text(f"MemTotal:       {memtotal_kb} kB\nMemFree:        1000 kB\n")
    (tmp_path / "proc" / "1" / "cgroup").write_text(cgroup)
    for name, text in files.items():
        path = tmp_path / "sys" / "fs" / "cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return str(tmp_path)


def test_a_machine_with_no_limit_gives_its_own_figures(tmp_path: Path) -> None:
    root = host(tmp_path, 24 * 1024 * 1024, "0::/init.scope\n",
                {"cgroup.controllers": "cpu memory", "init.scope/memory.max": "max", "init.scope/cpu.max": "max 100000"})
    assert module.resources(root, cpus_online=4) == {"memory_mb": 24 * 1024, "cpus": 4, "limited_by": []}


def test_docker_memory_and_cpus_on_cgroup_v2_with_the_hosts_namespace(tmp_path: Path) -> None:
    # docker run --memory 1g --cpus 1 --cgroupns=host: init's group is below the container's scope.
    scope = "system.slice/docker-0123abcd.scope"
    root = host(tmp_path, 24 * 1024 * 1024, f"0::/{scope}/init.scope\n", {
        "cgroup.controllers": "cpu memory",
        f"{scope}/init.scope/memory.max": "max",
        f"{scope}/memory.max": str(GIB),
        "system.slice/memory.max": "max",
        f"{scope}/cpu.max": "100000 100000",
    })
    found = module.resources(root, cpus_online=2)
    assert found["memory_mb"] == 1024 and found["cpus"] == 1
    assert found["limited_by"] == [f"memory: 1024 MiB (cgroup v2 /{scope} memory.max)",
                                   f"cpus: 1 (cgroup v2 /{scope} cpu.max)"]


def test_a_private_cgroup_namespace_reads_the_root_files(tmp_path: Path) -> None:
    root = host(tmp_path, 8 * 1024 * 1024, "0::/\n",
                {"cgroup.controllers": "cpu memory", "memory.max": str(2 * GIB), "cpu.max": "150000 100000"})
    found = module.resources(root, cpus_online=8)
    # A quota of 1.5 CPUs counts as 2.
    assert (found["memory_mb"], found["cpus"]) == (2048, 2)


def test_cgroup_v1_limits_and_its_no_limit_value(tmp_path: Path) -> None:
    group = "/docker/0123abcd"
    root = host(tmp_path, 4 * 1024 * 1024, f"12:memory:{group}\n4:cpu,cpuacct:{group}\n0::/\n", {
        f"memory{group}/memory.limit_in_bytes": str(512 * 1024 * 1024),
        "memory/memory.limit_in_bytes": str(9223372036854771712),
        f"cpu{group}/cpu.cfs_quota_us": "-1",
        f"cpu{group}/cpu.cfs_period_us": "100000",
        "cpu/cpu.cfs_quota_us": "200000",
        "cpu/cpu.cfs_period_us": "100000",
    })
    found = module.resources(root, cpus_online=4)
    assert found["memory_mb"] == 512 and found["cpus"] == 2
    assert found["limited_by"][0] == f"memory: 512 MiB (cgroup v1 {group} memory.limit_in_bytes)"
    assert found["limited_by"][1] == "cpus: 2 (cgroup v1 / cpu.cfs_quota_us)"


def test_a_limit_above_the_machine_changes_nothing(tmp_path: Path) -> None:
    root = host(tmp_path, 1024 * 1024, "0::/\n",
                {"cgroup.controllers": "memory", "memory.max": str(64 * GIB), "cpu.max": "800000 100000"})
    assert module.resources(root, cpus_online=2) == {"memory_mb": 1024, "cpus": 2, "limited_by": []}


def test_v2_files_are_not_read_on_a_hybrid_host_without_cgroup_controllers(tmp_path: Path) -> None:
    # A hybrid layout: the v2 line names "/", yet the v2 files are not at /sys/fs/cgroup.
    root = host(tmp_path, 2 * 1024 * 1024, "0::/\n", {"memory.max": str(GIB)})
    assert module.resources(root, cpus_online=1)["memory_mb"] == 2048


def test_the_module_on_this_machine_reports_facts(tmp_path: Path) -> None:
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_check_mode": True}}))
    done = subprocess.run([sys.executable, module.__file__, str(args)], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    result = json.loads(done.stdout)
    assert result["changed"] is False
    assert 1 <= result["cpus"] <= (os.cpu_count() or 1)
    assert 0 < result["memory_mb"] <= module.memtotal_mb()
    assert result["ansible_facts"] == {"webstack_memory_mb": result["memory_mb"], "webstack_cpus": result["cpus"]}
