"""What every part of the stack benchmark shares: where things are, and running commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTRO = os.environ.get("WEBSTACK_DISTRO", "bookworm")
WEB = "webstack-demo"
ACME = "webstack-demo-acme"
INVENTORY = ROOT / "inventories" / "demo" / "hosts.yml"
PLAYBOOKS = ROOT / "playbooks"
SITE = "https://shop.demo.test/"
WRK_SCRIPT = "/var/tmp/wrk_count.lua"
APP = "shop"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*command: str, check: bool = True, env: dict | None = None, timeout: int = 1800) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(command)[:300]} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def on_web(script: str, check: bool = True) -> str:
    return run("docker", "exec", WEB, "sh", "-c", script, check=check).stdout
