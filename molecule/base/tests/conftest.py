"""Fixtures for the base scenario: the hardened host and the probe beside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import testinfra
import webstack_test

# Container (inventory) names carry the Debian release; inside the test network the
# hosts are webstack-base and webstack-probe on every release.
HOST = webstack_test.container("webstack-base")
PROBE = webstack_test.container("webstack-probe")


def _host(name: str) -> testinfra.host.Host:
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)


@pytest.fixture(scope="session")
def base() -> testinfra.host.Host:
    """The host converged with webstack.django.base."""
    return _host(HOST)


@pytest.fixture(scope="session")
def probe() -> testinfra.host.Host:
    """A second host on the same network, outside the firewall."""
    return _host(PROBE)


@pytest.fixture(scope="session")
def probe_ip(probe: testinfra.host.Host) -> str:
    return probe.check_output("hostname -I").split()[0]


@pytest.fixture(scope="session")
def ephemeral_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
