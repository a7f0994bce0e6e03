"""The scenario's hosts, for its test modules: the database host (also the base role's host under test), the web
host that connects, the outsider (also the base role's probe)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host


@pytest.fixture(scope="module")
def db() -> Host:
    return webstack_test.host("webstack-db")


@pytest.fixture(scope="module")
def web() -> Host:
    return webstack_test.host("webstack-web")


@pytest.fixture(scope="module")
def outsider() -> Host:
    return webstack_test.host("webstack-outsider")


@pytest.fixture(scope="session")
def base() -> Host:
    """The host converged with webstack.django.base (with PostgreSQL and Redis on it)."""
    return webstack_test.host("webstack-db")


@pytest.fixture(scope="session")
def probe() -> Host:
    """A second host on the same network, outside the firewall (the outsider)."""
    return webstack_test.host("webstack-outsider")


@pytest.fixture(scope="session")
def probe_ip(probe: Host) -> str:
    return probe.check_output("hostname -I").split()[0]


@pytest.fixture(scope="session")
def ephemeral_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
