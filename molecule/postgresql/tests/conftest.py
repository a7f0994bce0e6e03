"""The scenario's hosts, for its test modules: the database host, the web host that connects, the outsider."""

from __future__ import annotations

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
