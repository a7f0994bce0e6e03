"""The whole stack, measured in one run on the demo's disposable Debian 12 hosts, reached
over SSH on 127.0.0.1 the way a VPS is: the install floor, first converges with plain
SSH, SSH pipelining and Mitogen, no-op re-runs, code-only deploys and rollbacks, serving
(nginx -> gunicorn vs gunicorn alone vs runserver; static files through nginx vs Django),
memory after converge, the whole site on a host of 1 GiB and 1 CPU, and a load through nginx during each change that could drop a
request. Writes docs/benchmarks.json and the tables between the stack markers in
docs/benchmarks.md.

    make bench-stack          (part of `make bench`)
    python bench/stack.py [all|load|changes|report]

It starts from `scripts/demo.sh clean` and leaves a converged demo behind. The parts:
shell.py (paths, commands), runs.py (ansible-playbook in each connection mode), load.py
(hey and wrk through nginx), measure.py (the measurements), stack_report.py (the tables).
The smallest VPS (a web host of 1 GiB and 1 CPU) is measured first, on a demo of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import measure
from runs import MODES
from shell import DISTRO, ROOT, run
from stack_report import write_docs

WHAT = {
    "all": "everything, from a fresh demo, then the documents",
    "load": "serving, memory and the changes under load, on the demo as it is (prints JSON)",
    "changes": "only the changes under load, on the demo as it is (prints JSON)",
    "runs": "only the floor, first converges, no-op re-runs, deploys and rollbacks, from a fresh demo (prints JSON)",
    "small": "only the smallest VPS: the whole site on a host of 1 GiB and 1 CPU, from a fresh demo (prints JSON)",
    "report": "the documents again from docs/benchmarks.json, without measuring",
}


def machine() -> dict:
    import ansible
    import mitogen

    version = mitogen.__version__
    return {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"), "ansible_core": ansible.__version__,
            "mitogen": version if isinstance(version, str) else ".".join(map(str, version))}


def measured(what: str, rounds: int, modes: list[str]) -> dict:
    results: dict = {"distro": DISTRO, "machine": machine(), "rounds": rounds}
    start = time.monotonic()
    if what == "runs":
        run("scripts/demo.sh", "clean")
        results.update(measure.converges(rounds, modes))
        measure.prepare_load()
        with tempfile.TemporaryDirectory() as tmp:
            results.update(measure.deploys(Path(tmp), rounds, modes))
        results["bench_seconds"] = round(time.monotonic() - start)
        return results
    if what == "small":
        results["small_host"] = measure.small_host()
        results["bench_seconds"] = round(time.monotonic() - start)
        return results
    if what == "all":
        results["small_host"] = measure.small_host()
        run("scripts/demo.sh", "clean")
        results.update(measure.converges(rounds))
    measure.prepare_load()
    with tempfile.TemporaryDirectory() as tmp:
        if what == "all":
            results.update(measure.deploys(Path(tmp), rounds))
        if what != "changes":
            results["memory"] = measure.memory()
            results["serving"] = measure.serving(rounds)
        results["zero_downtime"] = measure.zero_downtime(Path(tmp))
    results["bench_seconds"] = round(time.monotonic() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(f"  {name:8} {text}" for name, text in WHAT.items()))
    parser.add_argument("what", nargs="?", default="all", choices=WHAT, help="what to measure (default: all)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each converge, re-run, deploy and rollback, and of the floor; the median is "
                             "reported (default: 3)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES),
                        help="connection modes for `runs` (default: all; `all` always measures all)")
    arguments = parser.parse_args()
    what, rounds = arguments.what, arguments.rounds
    modes = arguments.modes if what == "runs" else list(MODES)
    if what == "report":
        write_docs(json.loads((ROOT / "docs" / "benchmarks.json").read_text()))
        return
    results = measured(what, rounds, modes)
    if what == "all":
        write_docs(results)
    else:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
