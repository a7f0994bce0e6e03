"""ansible-playbook runs of the collection's playbooks against the demo, in each connection mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from shell import INVENTORY, PLAYBOOKS, ROOT, WEB, log, run


def mitogen_env() -> dict:
    import ansible_mitogen  # the pinned dev toolchain carries it

    strategy = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    # Mitogen opens SSH itself and does not read ansible_ssh_common_args' host key options.
    return {"ANSIBLE_STRATEGY_PLUGINS": str(strategy), "ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_HOST_KEY_CHECKING": "False"}


MODES = {
    # What ansible-core does unless told otherwise: a few SSH round trips per task.
    "ssh": ({}, ["-e", "ansible_pipelining=false"]),
    # The module goes down the same SSH session as the command (the inventories' setting).
    "pipelining": ({}, ["-e", "ansible_pipelining=true"]),
    "mitogen": (None, []),
}


def playbook(name: str, mode: str, *args: str, root: bool = False, may_fail: bool = False) -> dict:
    """One ansible-playbook run over SSH; its wall time and recap. Fails loudly unless told it may fail."""
    env, extra = MODES[mode]
    env = mitogen_env() if env is None else env
    command = ["ansible-playbook", "-i", str(INVENTORY), str(PLAYBOOKS / name), *extra, *args]
    if root:
        # A fresh server: root's key, as a VPS provider hands it over; base turns root login off.
        command += ["-e", "ansible_user=root"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", **env))
    seconds = round(time.monotonic() - start, 1)
    recap = re.search(r"^demo\s*:\s*ok=(\d+)\s+changed=(\d+).*?failed=(\d+)", done.stdout, re.M)
    result = {"seconds": seconds, "rc": done.returncode,
              "ok": int(recap.group(1)) if recap else None,
              "changed": int(recap.group(2)) if recap else None}
    log(f"{name} ({mode}{', as root' if root else ''}): {result}")
    if done.returncode != 0 and not may_fail:
        sys.exit(f"{name} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return result


def fresh_web_host() -> None:
    run("docker", "rm", "-f", WEB, check=False)
    run("scripts/demo.sh", "hosts")
