"""Redis (Debian 12) or Valkey (Debian 13) on the database host: the broker and the cache, reached by the web host
with the app's ACL user and refused to an outsider."""

from __future__ import annotations

import os
import re
import time

import webstack_test
from testinfra.host import Host

PASSWORD = os.environ.get("WEBSTACK_TEST_REDIS_PASSWORD") or "redis-s3cret-for-the-tests"
NAME = "redis" if webstack_test.DISTRO == "bookworm" else "valkey"
BROKER, CACHE = 6379, 6380
UNITS = {BROKER: f"{NAME}-server@webstack-broker.service", CACHE: f"{NAME}-server@webstack-cache.service"}

DB = webstack_test.container("webstack-db")
testinfra_hosts = [DB]


def cli(host: Host, port: int, command: str, user: str = "shop", password: str = PASSWORD, server: str = "webstack-db"):
    """redis-cli from a client host, as a user (the password in the environment, not in ps)."""
    return host.run(f"REDISCLI_AUTH='{password}' timeout 10 redis-cli -h {server} -p {port} --user {user} "
                    f"--no-auth-warning {command}")


def test_debians_server_of_the_release_runs_both_instances(db: Host) -> None:
    assert db.package(f"{NAME}-server").is_installed
    for unit in UNITS.values():
        service = db.service(unit)
        assert service.is_running and service.is_enabled, unit
        assert db.check_output(f"systemctl show -p User --value {unit}") == NAME
    # The package's own instance (no password, port 6379) is stopped and masked.
    assert db.check_output(f"systemctl is-enabled {NAME}-server.service || true") == "masked"


def test_the_web_host_reaches_both_with_the_apps_user(web: Host) -> None:
    for port in (BROKER, CACHE):
        assert cli(web, port, "ping").stdout.strip() == "PONG", port
        assert cli(web, port, f"set webstack-test-{port} hello").stdout.strip() == "OK"
        assert cli(web, port, f"get webstack-test-{port}").stdout.strip() == "hello"


def test_no_anonymous_access_no_wrong_password_no_administration(web: Host) -> None:
    anonymous = web.run(f"timeout 10 redis-cli -h webstack-db -p {BROKER} ping")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr, anonymous
    wrong = cli(web, BROKER, "ping", password="not-the-password-at-all")
    assert "WRONGPASS" in wrong.stdout + wrong.stderr, wrong
    default = cli(web, BROKER, "ping", user="default")
    assert "WRONGPASS" in default.stdout + default.stderr, default
    config = cli(web, BROKER, "config get maxmemory")
    assert "NOPERM" in config.stdout + config.stderr, config


def test_the_outsider_is_refused_by_the_firewall(outsider: Host, web: Host) -> None:
    """The outsider's SYN to either port is dropped (no answer in 3 s: a timeout, not a refusal), both tried at once;
    the web host's is answered at once."""
    probe = ("for port in {ports}; do (timeout 3 bash -c \"</dev/tcp/webstack-db/$port\"; echo \"$port $?\") & done; wait")
    ports = f"{BROKER} {CACHE}"
    assert sorted(outsider.check_output(probe.format(ports=ports)).splitlines()) == [f"{BROKER} 124", f"{CACHE} 124"]
    assert sorted(web.check_output(probe.format(ports=ports)).splitlines()) == [f"{BROKER} 0", f"{CACHE} 0"]


def test_the_broker_keeps_every_write_and_evicts_nothing_the_cache_the_opposite(db: Host) -> None:
    def setting(port: int, name: str) -> str:
        out = db.check_output(f"REDISCLI_AUTH='{PASSWORD}' {NAME}-cli -p {port} --user shop --no-auth-warning "
                              f"info persistence; grep -E '^(maxmemory|maxmemory-policy|appendonly|save) ' "
                              f"/etc/{NAME}/{NAME}-{'webstack-broker' if port == BROKER else 'webstack-cache'}.conf")
        found = re.search(rf"^{re.escape(name)}[ :](.*)$", out, re.M)
        return found.group(1).strip() if found else ""

    assert setting(BROKER, "aof_enabled") == "1" and setting(BROKER, "maxmemory-policy") == "noeviction"
    assert setting(BROKER, "maxmemory") == "256mb"
    assert setting(CACHE, "aof_enabled") == "0" and setting(CACHE, "save") == '""'
    assert setting(CACHE, "maxmemory-policy") == "allkeys-lru" and setting(CACHE, "maxmemory") == "128mb"
    # Only the password's hash is on the host.
    assert PASSWORD not in db.check_output(f"cat /etc/{NAME}/{NAME}-webstack-*.conf")


def test_a_job_in_the_broker_survives_a_restart(db: Host, web: Host) -> None:
    assert cli(web, BROKER, "rpush webstack-test-jobs job-1").rc == 0
    assert cli(web, CACHE, "set webstack-test-cached yes").rc == 0
    db.run_test(f"systemctl restart {UNITS[BROKER]} {UNITS[CACHE]}")
    for _ in range(20):
        if cli(web, BROKER, "ping").stdout.strip() == "PONG" and cli(web, CACHE, "ping").stdout.strip() == "PONG":
            break
        time.sleep(0.5)
    assert cli(web, BROKER, "lrange webstack-test-jobs 0 -1").stdout.split() == ["job-1"]
    assert cli(web, CACHE, "exists webstack-test-cached").stdout.strip() == "0"


def test_each_instance_is_sandboxed(db: Host) -> None:
    for unit in UNITS.values():
        score = db.check_output(f"systemd-analyze security --no-pager {unit} | tail -n 1")
        print(f"systemd-analyze security {unit}: {score}")
        exposure = float(re.search(r"exposure level for \S+: (\d+\.\d+)", score).group(1))
        assert exposure <= 2.0, score
        # Each instance may write its own data directory, not the server's settings.
        paths = db.check_output(f"systemctl show -p ReadWritePaths --value {unit}").split()
        assert f"/etc/{NAME}" not in " ".join(paths), paths
