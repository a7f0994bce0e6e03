"""What both cluster test modules share: the HTTPS client."""

from __future__ import annotations

import pytest
import webstack_test
from testinfra.host import Host

ACME = "webstack-cluster-acme"


@pytest.fixture(scope="module")
def client() -> Host:
    """The ACME host, outside the site's groups, is the HTTPS client: it trusts pebble's root and nothing else."""
    return webstack_test.acme_client(ACME)
