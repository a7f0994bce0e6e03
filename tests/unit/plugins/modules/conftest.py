# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Run a module as Ansible runs it: a Python process given a file of its arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest


@pytest.fixture
def run_module(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, dict], dict]:
    def run(module: str, arguments: dict) -> dict:
        directory = tmp_path_factory.mktemp("module-args")
        path = directory / "args.json"
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_tmpdir": str(directory), **arguments}}))
        done = subprocess.run([sys.executable, module, str(path)], capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        return json.loads(done.stdout)
    return run
