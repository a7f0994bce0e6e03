"""Two balancers, two web hosts and a database host converged by the site playbook: the
web hosts behind the balancers, the database reached over the network with scram and
closed to every other host, and a rolling deploy through the balancers that drains
each web host and never leaves the site without an answer, its migration applied once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import webstack_test
from cluster_database import database_url, db_login, secrets_file, served_password, sql
from cluster_front import (
    assert_a_rolling_deploy,
    backend_get,
    backend_revision,
    front,
    migrated,
    requests_by_host,
)
from testinfra.host import Host
from webstack_test import assert_no_failures

PROJECT = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]).parent.parent
# Names inside the test network; container (inventory) names carry the Debian release.
WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
DB = "webstack-cluster-db"
ACME = "webstack-cluster-acme"
DOMAIN = "shop.example.test"
ROOT_CA = "/var/tmp/pebble-root.pem"
ROOT = "/srv/shop"
# Tests split between the releases (docs/testing.md); WEBSTACK_CASES=all runs them all.

testinfra_hosts = [webstack_test.container(name) for name in WEB]


@pytest.fixture(scope="module")
def addresses(client: Host) -> dict[str, str]:
    return {name: client.check_output(f"getent hosts {name} | cut -d' ' -f1") for name in [*WEB, DB]}


def https(client: Host, address: str, path: str) -> dict:
    answer = client.check_output(
        f"WEBSTACK_TLS={address} WEBSTACK_CA={ROOT_CA} python3 {webstack_test.HTTP_HELPER} get {path}")
    return json.loads(answer)


def test_every_web_host_serves_the_app_behind_the_balancers(client: Host) -> None:
    for name in WEB:
        answer = backend_get(name, "/healthz")
        assert answer["status"] == 200, (name, answer)
        assert json.loads(answer["body"])["database"] == "ok", (name, answer)
    answer = https(client, front(client), "/healthz")
    assert answer["status"] == 200 and json.loads(answer["body"])["database"] == "ok", answer


def test_web_hosts_have_no_compiler(host: Host) -> None:
    """python_build_deps: false, and no package brings a compiler in by recommending it (python3-pip does)."""
    assert host.package("python3-venv").is_installed
    for package in ("build-essential", "gcc", "python3-dev", "make"):
        assert not host.package(package).is_installed, package
    assert host.run("command -v cc gcc").stdout == ""


def client_address(name: str) -> str:
    return webstack_test.host(DB).check_output(f"getent hosts {name} | cut -d' ' -f1")


def test_web_hosts_reach_the_database_over_the_network_with_scram(addresses: dict[str, str]) -> None:
    db = webstack_test.host(DB)
    hba = [line.split() for line in db.check_output("cat /etc/postgresql/*/main/pg_hba.conf").splitlines()
           if line.strip() and not line.startswith("#")]
    remote = [fields for fields in hba if fields[0] in ("host", "hostssl")
              and not fields[3].startswith(("127.", "::1"))]
    assert remote, hba
    assert {fields[0] for fields in remote} == {"hostssl"}, remote
    assert {fields[-1] for fields in remote} == {"scram-sha-256"}, remote
    # The app's role from the web hosts; the replication role from the standby alone (tests/test_standby.py).
    app = [fields for fields in remote if fields[1] != "replication"]
    assert {fields[3].split("/")[0] for fields in app} == {addresses[name] for name in WEB}, remote
    standby = client_address("webstack-cluster-db2")
    assert [fields[1:4] for fields in remote if fields[1] == "replication"] == [["replication", "replicator", f"{standby}/32"]]
    assert sql("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'shop'") == "t"
    for name in WEB:
        assert database_url(name)["host"] == addresses[DB], name
    # The connections the app holds come from the web hosts, over TLS (the worker host's scheduled job, on the
    # database host, connects through the loopback).
    connected = sql("SELECT DISTINCT host(client_addr) || ' ' || ssl FROM pg_stat_activity "
                    "JOIN pg_stat_ssl USING (pid) WHERE datname = 'shop' AND client_addr IS NOT NULL "
                    "AND NOT client_addr <<= '127.0.0.0/8' AND client_addr <> '::1'")
    assert {line.split()[0] for line in connected.splitlines()} <= {addresses[name] for name in WEB}, connected
    assert all(line.endswith(" true") for line in connected.splitlines()), connected


def test_database_port_is_closed_to_every_other_host(client: Host, addresses: dict[str, str]) -> None:
    probe = f"timeout 5 bash -c '</dev/tcp/{addresses[DB]}/5432'"
    assert webstack_test.host(WEB[1]).run(probe).rc == 0
    assert client.run(probe).rc != 0, "the ACME host is not a web host: the database must not answer it"
    rules = webstack_test.host(DB).check_output("nft list table inet webstack_filter")
    assert "5432" in rules and addresses[WEB[0]] in rules and addresses[WEB[1]] in rules, rules


# Speaks Redis's protocol from a web host with the app's environment: AUTH as the URL's user, then PING (redis-cli is
# not installed on web hosts).
REDIS_PROBE = """
import os, socket, sys
from urllib.parse import unquote, urlsplit
url = urlsplit(os.environ[sys.argv[1]])
conn = socket.create_connection((url.hostname, url.port), timeout=5)
def ask(*words):
    conn.sendall(("*%d\\r\\n" % len(words) + "".join("$%d\\r\\n%s\\r\\n" % (len(w.encode()), w) for w in words)).encode())
    return conn.recv(512).decode().strip()
print(url.hostname, url.port, ask("AUTH", unquote(url.username), unquote(url.password)), ask("PING"))
"""


def test_redis_on_the_database_host_answers_the_web_hosts_only(client: Host, addresses: dict[str, str]) -> None:
    """webstack_redis with no redis group: Redis runs on the database host, the web hosts' environment names it, their
    ACL user gets in, and the firewall refuses every other host."""
    for name in WEB:
        web = webstack_test.host(name)
        for variable, port in (("REDIS_URL", 6379), ("CELERY_BROKER_URL", 6379), ("CACHE_URL", 6380)):
            said = web.check_output(f"sh -c 'set -a; . {ROOT}/shared/env; python3 -c \"$0\" {variable}' '{REDIS_PROBE}'")
            assert said == f"{addresses[DB]} {port} +OK +PONG", (name, variable, said)
    for port in (6379, 6380):
        probe = f"timeout 5 bash -c '</dev/tcp/{addresses[DB]}/{port}'"
        assert client.run(probe).rc != 0, f"the ACME host is not a web host: Redis's port {port} must not answer it"
    rules = webstack_test.host(DB).check_output("nft list table inet webstack_filter")
    assert "6379" in rules and "6380" in rules and addresses[WEB[0]] in rules, rules


# Debian 12's rolling deploy is the one with jobs in flight (tests/test_processes.py), with these checks too.
@webstack_test.only_on("trixie")
def test_rolling_deploy_keeps_the_site_answering(client: Host, tmp_path: Path) -> None:
    before = {name: backend_revision(name) for name in WEB}
    taken = requests_by_host()
    fresh = not migrated()
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml",
                                     webstack_source_path=str(webstack_test.app_with_migration(tmp_path)))
    assert_a_rolling_deploy(run, counts, before, taken, migration=fresh)


# The new password of a release that fails (the database must not keep it); test_again.py rotates to the other.
REFUSED = "not kept $\"'\\`{#{{% é end"


def test_a_new_password_one_host_at_a_time_is_refused_before_any_change(addresses: dict[str, str]) -> None:
    """The deploy playbook's default, one web host at a time: the other would keep a password the database lost."""
    serving = served_password(WEB[0])
    run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml", webstack_db_password="another-password-for-one-host")
    assert run.returncode != 0
    for name in [*WEB, DB]:
        assert webstack_test.changed(run, webstack_test.container(name)) == 0, name
    assert "would keep the old one: every app server must change to a new password" in webstack_test.output(run)
    assert db_login(serving) == 0
    assert all(served_password(name) == serving for name in WEB)


@webstack_test.only_on("bookworm")
def test_a_new_password_whose_release_fails_goes_back_everywhere(client: Host, addresses: dict[str, str],
                                                                 tmp_path: Path) -> None:
    """A release that fails its health gate, with a new password: every host and the database go back, no request fails."""
    serving = served_password(WEB[0])
    healthy = 'return JsonResponse({"status": "ok", "database": "ok", "revision": revision()})'
    failing = 'return JsonResponse({"status": "broken", "revision": revision()}, status=500)'
    broken = webstack_test.app_variant(tmp_path, "broken-health", ("notes/views.py", healthy, failing))
    before = {name: backend_revision(name) for name in WEB}
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml", "-e", f"@{secrets_file(tmp_path, REFUSED)}",
                                     webstack_source_path=str(broken), webstack_deploy_serial="100%",
                                     release_health_retries=3)
    print(f"new password with a failing release: {counts}")
    assert run.returncode != 0
    assert "Switched back" in webstack_test.output(run), webstack_test.output(run)[-3000:]
    assert_no_failures(counts, least=20)
    # The database had the new password for a moment, and has the old one again.
    changes = [part for part in run.stdout.split("TASK [")
               if part.startswith("webstack.django.release : Password | Set (or only ask about) the password")]
    assert sum(part.count("changed: [") for part in changes) == 2, changes
    assert (db_login(serving), db_login(REFUSED)) == (0, 2)
    # The worker host, whose switch passed (it has no health gate), went back with the web hosts.
    assert served_password(DB) == serving
    assert "this host went back with them" in webstack_test.output(run), webstack_test.output(run)[-3000:]
    for name in WEB:
        assert served_password(name) == serving, name
        assert not webstack_test.host(name).file(f"{ROOT}/shared/env.db-serving").exists
        answer = backend_get(name, "/version")
        assert answer["status"] == 200 and json.loads(answer["body"])["revision"] == before[name], (name, answer)


# Bad input through the site playbook on the converged cluster: refused by the
# validation play before any host changes, while the site keeps serving the
# release it served, and no upload or row is touched. Split between the releases
# as site_invalid's cases are (docs/testing.md).
CONVERGED_CASES: dict[str, tuple[dict, list[str]]] = {
    "workers in words": ({"gunicorn_workers": "four"}, ["gunicorn_workers", "int"]),
    "a newline in a sysctl value": ({"base_sysctl_settings": {"net.ipv4.ip_forward": "0\nkernel.sysrq = 1"}},
                                    ["base_sysctl_settings", "control character"]),
    "an SQL-injection database name": ({"webstack_db_name": "shop; DROP TABLE notes_note"},
                                       ["postgresql_db_name", "SQL identifier"]),
    "a static URL without its slash": ({"nginx_static_url": "/static"}, ["nginx_static_url", "URL prefix"]),
    "one role's app root": ({"python_app_root": "/opt/shop"}, ["app_root", "python_app_root is '/opt/shop'"]),
    "an unknown time zone": ({"base_timezone": "Mars/Olympus_Mons"}, ["base_timezone", "not a time zone of this host"]),
    "a schedule in words": ({"postgresql_backup_schedule": "every day at 3"}, ["postgresql_backup_schedule", "calendar"]),
    "a domain with a space": ({"webstack_domains": ["shop example.test"]}, ["shop example.test"]),
    "uploads kept apart on each web host": ({"webstack_media_storage": "local"},
                                            ["webstack_media_storage is local on", "webstack_media_shared_mount: true"]),
}
MINE = webstack_test.split(list(CONVERGED_CASES))
MEDIA = f"{ROOT}/shared/media/webstack-test-upload.txt"
STATE = "nft list ruleset | sha256sum; find /etc /srv /usr -xdev -newer /run/webstack-converged-marker -print | head -n 20"


@pytest.fixture(scope="module")
def converged_state(client: Host, addresses: dict[str, str]) -> dict:
    """What must not change: each host's ruleset and files, the served release, an upload and the rows."""
    web1 = webstack_test.host(WEB[0])
    web1.check_output(f"runuser -u shop -- sh -c 'echo an upload > {MEDIA}'")
    sql("INSERT INTO notes_note (text, attachment, created) VALUES ('kept through bad input', '', now())")
    hosts = [webstack_test.host(name) for name in [*WEB, DB]]
    for host in hosts:
        host.check_output("touch /run/webstack-converged-marker && sleep 1")
    return {
        "hosts": {host.backend.host: host.check_output(STATE) for host in hosts},
        "revision": {name: backend_revision(name) for name in WEB},
        "media": web1.check_output(f"sha256sum {MEDIA}"),
        "rows": sql("SELECT count(*), md5(string_agg(text, ',' ORDER BY id)) FROM notes_note"),
    }


@pytest.mark.parametrize("case", MINE, ids=MINE)
def test_bad_input_on_the_converged_site_changes_nothing(client: Host, addresses: dict[str, str],
                                                          converged_state: dict, case: str) -> None:
    extra_vars, expected = CONVERGED_CASES[case]
    run = webstack_test.playbook(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml", **extra_vars)
    for name in [*WEB, DB]:
        webstack_test.assert_refused(run, webstack_test.container(name), expected)
    for name in [*WEB, DB]:
        host = webstack_test.host(name)
        assert host.check_output(STATE) == converged_state["hosts"][host.backend.host], (case, name)
    for name in WEB:
        answer = backend_get(name, "/version")
        assert answer["status"] == 200, answer
        assert json.loads(answer["body"])["revision"] == converged_state["revision"][name]
    assert webstack_test.host(WEB[0]).check_output(f"sha256sum {MEDIA}") == converged_state["media"]
    assert sql("SELECT count(*), md5(string_agg(text, ',' ORDER BY id)) FROM notes_note") == converged_state["rows"]
