#!/usr/bin/env python3
"""Time pip and uv filling a fresh virtualenv from one requirements file.

Runs on a test host converged with webstack.django.python. Each round builds a
new virtualenv; "cold" empties the installer's cache first (a first deploy),
"warm" keeps it (the next release on the same host). Prints JSON.

    installers.py REQUIREMENTS [ROUNDS]
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

UV = "/opt/webstack/bin/uv"
WORK = Path("/var/tmp/installer-bench")
CACHES = {"pip": Path.home() / ".cache" / "pip", "uv": Path.home() / ".cache" / "uv"}


def commands(tool: str, venv: Path, requirements: str) -> list[list[str]]:
    if tool == "pip":
        return [
            ["/usr/bin/python3", "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", requirements],
        ]
    return [
        [UV, "venv", "--quiet", "--python", "/usr/bin/python3", str(venv)],
        [UV, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-r", requirements],
    ]


def one_round(tool: str, requirements: str, cold: bool) -> float:
    venv = WORK / tool
    shutil.rmtree(venv, ignore_errors=True)
    if cold:
        shutil.rmtree(CACHES[tool], ignore_errors=True)
    start = time.perf_counter()
    for argv in commands(tool, venv, requirements):
        subprocess.run(argv, check=True)
    elapsed = time.perf_counter() - start
    # The venv must really work: import every top-level package we asked for.
    subprocess.run([str(venv / "bin" / "python"), "-c", "import django, gunicorn, psycopg"], check=True)
    return elapsed


def main() -> None:
    requirements = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    results: dict[str, dict[str, list[float]]] = {}
    for cache in ("cold", "warm"):
        for _ in range(rounds):
            # Alternate the tools so neither always runs on a warmer machine.
            for tool in ("pip", "uv"):
                results.setdefault(tool, {}).setdefault(cache, []).append(
                    round(one_round(tool, requirements, cold=cache == "cold"), 2)
                )
    summary = {
        tool: {cache: {"runs": runs, "median": round(statistics.median(runs), 2)} for cache, runs in by_cache.items()}
        for tool, by_cache in results.items()
    }
    print(json.dumps({"rounds": rounds, "requirements": Path(requirements).read_text(), "results": summary}))


if __name__ == "__main__":
    main()
