"""What one task costs, on the demo host as `make demo` leaves it: plays of N identical tasks
(a module run on the host with become, a skipped task, a task that runs on the controller
only), each timed whole, less a play with no task; and what the smallest module costs on
the host itself, compiling its module_utils from AnsiballZ's zip. The figures explain the
speed targets in docs/benchmarks.md: a run's time is roughly its module runs times the first
figure, plus its other tasks times the others.

    python bench/task_cost.py [--tasks 40] [--rounds 3]     (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from shell import INVENTORY, ROOT, WEB, run

TASKS = {
    "module run on the host (ping, become)": {"ansible.builtin.ping": None},
    "skipped task": {"ansible.builtin.ping": None, "when": "false"},
    "controller-only task (set_fact)": {"ansible.builtin.set_fact": {"x": 1}},
}


# Run on the host: the module file, ROUNDS times (the median), then once more to read
# the cumulative time of importing ansible.module_utils.basic (python -X importtime).
ON_HOST = """
import subprocess, sys, time
times = []
for _ in range(ROUNDS):
    start = time.monotonic()
    subprocess.run([sys.executable, MODULE], capture_output=True, check=True)
    times.append(time.monotonic() - start)
imports = subprocess.run([sys.executable, "-X", "importtime", MODULE], capture_output=True, text=True).stderr
basic = [line for line in imports.splitlines()
         if line.count("|") == 2 and line.split("|")[2].strip() == "ansible.module_utils.basic"]
print(sorted(times)[len(times) // 2], int(basic[-1].split("|")[1]) / 1e6 if basic else -1)
"""


def play(tasks: list[dict]) -> list[dict]:
    # One warm-up module run opens the SSH connection that every later task reuses.
    return [{"hosts": "demo", "gather_facts": False, "become": True,
             "tasks": [{"name": "warm up", "ansible.builtin.ping": None}, *tasks]}]


def timed(playbook: Path) -> float:
    start = time.monotonic()
    # SSH pipelining, as the demo's inventory sets it.
    subprocess.run(["ansible-playbook", "-i", str(INVENTORY), str(playbook)], cwd=ROOT, check=True, capture_output=True)
    return time.monotonic() - start


def per_task(folder: Path, count: int, rounds: int) -> dict:
    empty = folder / "empty.yml"
    empty.write_text(json.dumps(play([])))
    base = statistics.median(timed(empty) for _ in range(rounds))
    figures = {"empty play (s)": round(base, 2)}
    for label, task in TASKS.items():
        playbook = folder / "tasks.yml"
        playbook.write_text(json.dumps(play([{"name": f"task {i}", **task} for i in range(count)])))
        whole = statistics.median(timed(playbook) for _ in range(rounds))
        figures[f"{label} (s each)"] = round((whole - base) / count, 3)
    return figures


def on_host(rounds: int) -> dict:
    """The ping module as Ansible sends it, run on the host: whole, and its import of module_utils."""
    # Kept on the host without pipelining, so that the module's file can be run again there.
    done = run("ansible", "-i", str(INVENTORY), "demo", "-m", "ansible.builtin.ping", "-vvv",
               "-e", "ansible_pipelining=false", env={"ANSIBLE_KEEP_REMOTE_FILES": "1"})
    module = re.findall(r"/[^\s'\"]*/AnsiballZ_ping\.py", done.stdout)[0]
    script = ON_HOST.replace("MODULE", repr(module)).replace("ROUNDS", str(rounds))
    whole, basic = run("docker", "exec", WEB, "python3", "-c", script).stdout.split()
    run("docker", "exec", WEB, "sh", "-c", f"rm -rf {Path(module).parent}")
    return {"ping module on the host, whole (s)": round(float(whole), 3),
            "of which importing ansible.module_utils.basic from the zip (s)": round(float(basic), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=40, help="tasks in each play (default: 40)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each play; the median counts (default: 3)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = per_task(Path(tmp), arguments.tasks, arguments.rounds)
    figures.update(on_host(max(arguments.rounds, 5)))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
