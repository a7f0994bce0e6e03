"""What both cluster test modules share: the HTTPS client."""

from __future__ import annotations

import pytest
import webstack_test
from testinfra.host import Host

ACME = "webstack-cluster-acme"
ROOT_CA = "/var/tmp/pebble-root.pem"


@pytest.fixture(scope="module")
def client() -> Host:
    """The ACME host, outside the site's groups, is the HTTPS client: it trusts pebble's root and nothing else."""
    acme = webstack_test.host(ACME)
    acme.check_output(f"curl -sfk https://localhost:15000/roots/0 -o {ROOT_CA}")
    webstack_test.copy_http_helper(webstack_test.container(ACME))
    return acme
