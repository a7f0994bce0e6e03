"""The monitoring role's exporters on the database host, which is also the Redis host here: the postgres exporter
logs in as a `prometheus` role of pg_monitor by peer, the Redis exporter as an ACL user that reads no key, and each
listens on the host's private address, which the firewall keeps from the other hosts (the site playbook admits the
monitoring hosts alone; this scenario has none)."""

from __future__ import annotations

import hashlib
import os

import pytest
import webstack_test
from testinfra.host import Host

REDIS_PASSWORD = os.environ.get("WEBSTACK_TEST_REDIS_PASSWORD") or "redis-s3cret-for-the-tests"
MONITORING_PASSWORD = hashlib.sha256(f"{REDIS_PASSWORD}:webstack-monitoring".encode()).hexdigest()
BROKER, CACHE = 6379, 6380
PORTS = (9100, 9187, 9121)  # node, postgres, redis
CLI = "redis-cli" if webstack_test.DISTRO == "bookworm" else "valkey-cli"


@pytest.fixture(scope="module")
def address(db: Host) -> str:
    """The database host's private address, on which its exporters listen."""
    return db.ansible("setup", "gather_subset=network", check=False)["ansible_facts"]["ansible_default_ipv4"]["address"]


def metrics(host: Host, url: str) -> str:
    script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
    return host.check_output(f"python3 -c '{script}' '{url}'")


def test_each_exporter_listens_on_the_private_address_only(db: Host, address: str) -> None:
    listening = db.check_output("ss -Htln")
    for port in PORTS:
        assert f"{address}:{port} " in listening, (port, listening)
        assert f"0.0.0.0:{port} " not in listening and f"*:{port} " not in listening, (port, listening)


def test_the_other_hosts_cannot_reach_them(outsider: Host, address: str) -> None:
    """Dropped (timeout's 124), not refused: the firewall, not a closed port."""
    probe = " ".join(f"(timeout 2 bash -c '</dev/tcp/{address}/{port}'; echo \"{port} $?\") &" for port in PORTS)
    assert sorted(outsider.check_output(f"{probe} wait").splitlines()) == sorted(f"{port} 124" for port in PORTS)


def test_the_postgres_exporter_reads_the_server_as_a_pg_monitor_role(db: Host, address: str) -> None:
    found = metrics(db, f"http://{address}:9187/metrics")
    assert "\npg_up 1" in found, found[-2000:]
    assert "pg_stat_database_" in found
    member_of = ("select string_agg(b.rolname, ',') from pg_auth_members m join pg_roles r on r.oid = m.member "
                 "join pg_roles b on b.oid = m.roleid where r.rolname = 'prometheus'")
    roles = db.check_output(f'runuser -u postgres -- psql -Atc "{member_of}"')
    assert roles == "pg_monitor"
    # Peer login to the postgres database alone, not the app's (Debian's psql wrapper needs the cluster's
    # directory, which the exporter's user may not read: the server's own psql).
    def psql(database: str):  # noqa: ANN202 - a testinfra CommandResult
        return db.run(f"runuser -u prometheus -- sh -c 'exec /usr/lib/postgresql/*/bin/psql -h /var/run/postgresql "
                      f"-Atc \"select 1\" {database}'")

    assert psql("postgres").stdout.strip() == "1"
    refused = psql("shop")
    assert refused.rc != 0 and "no pg_hba.conf entry" in refused.stderr, refused.stderr


def test_the_redis_exporter_reads_both_instances_as_a_user_that_reads_no_key(db: Host, address: str) -> None:
    for port in (BROKER, CACHE):
        found = metrics(db, f"http://{address}:9121/scrape?target=redis://127.0.0.1:{port}")
        assert "\nredis_up 1" in found, (port, found[-2000:])
        assert "redis_config_maxmemory" in found or "redis_memory_max_bytes" in found, port
    login = f"timeout 10 {CLI} -p {BROKER} --user monitoring --pass {MONITORING_PASSWORD} --no-auth-warning"
    assert "redis_version" in db.check_output(f"{login} info server")
    assert "NOPERM" in db.run(f"{login} get anything").stdout
    assert "NOPERM" in db.run(f"{login} keys '*'").stdout
    # The exporter's settings hold the password: root's alone.
    settings = db.file("/etc/default/prometheus-redis-exporter")
    assert (settings.user, settings.mode) == ("root", 0o600)
