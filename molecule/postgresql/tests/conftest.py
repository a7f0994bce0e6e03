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


# The base role's tests name the host under test and its probe: the database host and the outsider.
@pytest.fixture(scope="module")
def base(db: Host) -> Host:
    return db


@pytest.fixture(scope="module")
def probe(outsider: Host) -> Host:
    return outsider


@pytest.fixture(scope="module")
def probe_ip(probe: Host) -> str:
    return probe.check_output("hostname -I").split()[0]


@pytest.fixture(scope="session")
def ephemeral_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
