"""Bad input fails before any change, with a message naming the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import assert_refused

NAME = webstack_test.container("webstack-invalid")
testinfra_hosts = [NAME]

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2mYh8ZsQe5bqQfZl3yq2Hh0k1yq9Yc4Q1n0o3f7QkD admin@example"
ADMIN = [{"name": "admin", "ssh_keys": [KEY]}]

# name -> (extra vars, texts the failure message must contain)
CASES: dict[str, tuple[dict, list[str]]] = {
    "wrong type": (
        {"base_admin_users": ADMIN, "base_ssh_max_auth_tries": "many"},
        ["base_ssh_max_auth_tries", "int"],
    ),
    "invalid port": (
        {"base_admin_users": ADMIN, "base_firewall_allowed": [{"port": 70000}]},
        ["between 1 and 65535", "base_firewall_allowed"],
    ),
    "unknown choice": (
        {"base_admin_users": ADMIN, "base_ssh_permit_root_login": "maybe"},
        ["base_ssh_permit_root_login", "maybe"],
    ),
    "unknown choice in a nested option": (
        {"base_admin_users": [{"name": "admin", "ssh_keys": [KEY], "sudo": "always"}]},
        ["sudo", "always", "nopasswd"],
    ),
    "password login off with no keys": (
        {"base_admin_users": [{"name": "admin"}]},
        ["base_ssh_password_authentication is false", "base_admin_users", "has ssh_keys"],
    ),
    "no admin at all": (
        {},
        ["base_ssh_password_authentication is false", "nobody could log in"],
    ),
    "bad source address": (
        {"base_admin_users": ADMIN, "base_firewall_allowed": [{"port": 5432, "sources": ["10.0.0.300/24"]}]},
        ["base_firewall_allowed[].sources", "10.0.0.300/24"],
    ),
    "not an ssh key": (
        {"base_admin_users": [{"name": "admin", "ssh_keys": ["hunter2"]}]},
        ["base_admin_users entry 'admin'", "OpenSSH public key"],
    ),
    "password and hash together": (
        {"base_admin_users": [{"name": "admin", "ssh_keys": [KEY], "password": "x", "password_hash": "$6$abc$def"}]},
        ["base_admin_users entry 'admin'", "not both"],
    ),
    "bad rate limit": (
        {"base_admin_users": ADMIN, "base_firewall_ssh_rate_limit": "lots"},
        ["base_firewall_ssh_rate_limit", "lots"],
    ),
}

# Everything a run of the role would touch first. Ansible's own temp files
# (/root/.ansible) and the journal are left out.
SNAPSHOT = (
    "find /etc /usr /var/lib /home /root /swapfile -xdev -newer /run/webstack-marker "
    "-not -path '/root/.ansible*' -not -path '/var/lib/systemd/*' -print 2>/dev/null; "
    "nft list ruleset 2>/dev/null | sha256sum"
)


@pytest.fixture(scope="module")
def bare(host: Host) -> Host:
    host.check_output("touch /run/webstack-marker && sleep 1")
    return host


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(bare: Host, case: str) -> None:
    extra_vars, expected = CASES[case]
    before = bare.run(SNAPSHOT).stdout
    assert_refused(webstack_test.playbook(SCENARIO / "apply.yml", **extra_vars), NAME, expected)
    after = bare.run(SNAPSHOT).stdout
    assert after == before
    assert "/etc" not in after, f"{case} changed the host: {after}"
