"""PostgreSQL on its own host, reached by a web host and refused to an outsider."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import assert_refused, changed

PASSWORD = os.environ.get("WEBSTACK_TEST_DB_PASSWORD") or "s3cret-for-the-tests"
SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
PROJECT = SCENARIO.parent.parent
BACKUPS = "/var/backups/postgresql"

# Container (inventory) names carry the Debian release; inside the test network the
# hosts are webstack-db, webstack-web and webstack-outsider on every release.
DB = webstack_test.container("webstack-db")
testinfra_hosts = [DB]


def sql(host: Host, query: str) -> str:
    """Run a query as the postgres superuser over the local socket."""
    return host.check_output(f"runuser -u postgres -- psql -XAtq -d shop -c \"{query}\"")


def app_sql(host: Host, query: str, password: str = PASSWORD, server: str = "webstack-db"):
    """Run a query as the app's role over TCP with its password."""
    return host.run(
        f"PGPASSWORD='{password}' psql -XAtq "
        f"'host={server} dbname=shop user=shop sslmode=require connect_timeout=5' -c \"{query}\""
    )


def apply(**extra_vars: object) -> subprocess.CompletedProcess[str]:
    return webstack_test.playbook(SCENARIO / "apply.yml", **extra_vars)


def test_service_enabled_and_version_from_the_release(db: Host) -> None:
    cluster = db.check_output("pg_lsclusters --no-header").split()
    version, name, status = cluster[0], cluster[1], cluster[3]
    expected = {"bookworm": "15", "trixie": "17"}[db.system_info.codename]
    assert version == expected
    assert status == "online"
    assert db.service(f"postgresql@{version}-{name}").is_enabled


def test_scram_everywhere(db: Host) -> None:
    assert sql(db, "SHOW password_encryption") == "scram-sha-256"
    assert sql(db, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'shop'") == "t"
    methods = sql(db, "SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE 'shop' = ANY(user_name)")
    assert methods.split() == ["scram-sha-256"]


def test_configuration_files_are_private(db: Host) -> None:
    files = " ".join(f"/etc/postgresql/*/main/{name}" for name in (
        "postgresql.conf", "start.conf", "pg_ctl.conf", "pg_ident.conf", "pg_hba.conf", "conf.d/50-webstack.conf"))
    modes = db.check_output(f"stat -c '%a %U' {files}").splitlines()
    assert modes == ["640 postgres"] * 6, modes
    assert db.check_output("stat -c '%a %U' /var/lib/postgresql") == "750 postgres"


def test_memory_settings_computed_from_the_host(db: Host) -> None:
    mem_mb = int(db.check_output("awk '/^MemTotal:/ {print $2}' /proc/meminfo")) // 1024
    shared = min(mem_mb // 4, 8192)
    expected = {
        "shared_buffers": shared,
        "effective_cache_size": mem_mb * 3 // 4,
        "maintenance_work_mem": min(max(mem_mb // 16, 64), 2048),
        "work_mem": max((mem_mb - shared) // (100 * 3), 4),
    }
    live = {}
    for name in expected:
        setting, unit = sql(db, f"SELECT setting, unit FROM pg_settings WHERE name = '{name}'").split("|")
        live[name] = int(setting) * {"8kB": 8, "kB": 1}[unit] // 1024
    print(f"host memory {mem_mb} MiB -> {live}")
    assert live == expected
    assert sql(db, "SELECT count(*) FROM pg_settings WHERE pending_restart") == "0"


def test_listens_on_localhost_and_the_private_address(db: Host, web: Host) -> None:
    listen = sql(db, "SHOW listen_addresses").split(",")
    assert listen[0] == "localhost"
    assert listen[1] == web.check_output("getent hosts webstack-db").split()[0]


def test_web_host_connects_with_the_password(web: Host) -> None:
    result = app_sql(web, "SELECT current_user || ' ' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "shop true"


def test_wrong_password_is_refused(web: Host) -> None:
    result = app_sql(web, "SELECT 1", password="not-the-password")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_outsider_is_refused_at_the_firewall(web: Host, outsider: Host) -> None:
    assert web.run("timeout 5 bash -c '</dev/tcp/webstack-db/5432'").rc == 0
    blocked = outsider.run("timeout 5 bash -c '</dev/tcp/webstack-db/5432'")
    assert blocked.rc == 124, "the outsider's SYN must be dropped (a timeout), not answered"
    assert app_sql(outsider, "SELECT 1").rc != 0


def test_backup_timer_and_dump(db: Host) -> None:
    assert db.service("webstack-pg-backup.timer").is_enabled
    assert db.service("webstack-pg-backup.timer").is_running
    directory = db.file(BACKUPS)
    assert (directory.user, directory.mode) == ("root", 0o700)
    db.check_output("systemctl start webstack-pg-backup.service")
    newest = db.check_output(f"ls -1t {BACKUPS}/shop-*.pgc | head -n 1")
    assert "; Archive created at" in db.check_output(f"pg_restore --list {newest}")
    assert db.file(newest).mode == 0o600
    # The hook copied it "off the host".
    offsite = f"/srv/offsite/{Path(newest).name}"
    assert db.file(offsite).sha256sum == db.file(newest).sha256sum


def test_backup_restore_round_trip(db: Host, web: Host) -> None:
    assert app_sql(web, "CREATE TABLE IF NOT EXISTS keep (note text); INSERT INTO keep VALUES ('row-to-keep')").rc == 0
    db.check_output("sleep 1; systemctl start webstack-pg-backup.service")
    dump = db.check_output(f"ls -1t {BACKUPS}/shop-*.pgc | head -n 1")
    assert "TABLE DATA public keep" in db.check_output(f"pg_restore --list {dump}")
    assert app_sql(web, "DROP TABLE keep").rc == 0
    run = webstack_test.playbook(PROJECT / "playbooks" / "restore.yml", postgresql_restore_file=Path(dump).name)
    assert run.returncode == 0, run.stdout[-3000:]
    result = app_sql(web, "SELECT note FROM keep")
    assert result.stdout.strip() == "row-to-keep", result.stderr
    print(f"round trip through {dump}: row restored")


def test_retention_keeps_the_newest_dumps(db: Host) -> None:
    for _ in range(4):
        # Dump names carry the second; wait for the next one.
        db.check_output("s=$(date +%s); while [ $(date +%s) = $s ]; do sleep 0.1; done")
        db.check_output("systemctl start webstack-pg-backup.service")
    assert len(db.check_output(f"ls -1 {BACKUPS}").split()) == 3


def test_password_rotation(web: Host) -> None:
    rotated = "rotated-password-for-tests"
    run = apply(webstack_db_password=rotated)
    assert run.returncode == 0, run.stdout[-3000:]
    try:
        assert app_sql(web, "SELECT 1", password=rotated).rc == 0
        assert app_sql(web, "SELECT 1", password=PASSWORD).rc != 0
        again = apply(webstack_db_password=rotated)
        assert changed(again, DB) == 0, again.stdout[-3000:]
    finally:
        restore = apply(webstack_db_password=PASSWORD)
        assert restore.returncode == 0


def test_a_setting_that_would_stop_the_server_is_refused(db: Host) -> None:
    """A typo in a library to preload is a valid setting that only a restart tries: the
    configuration is tried on a throwaway server first, and the running server keeps its own."""
    conf = "/etc/postgresql/*/main/conf.d/50-webstack.conf"
    before = db.check_output(f"sha256sum {conf}")
    started = sql(db, "SELECT pg_postmaster_start_time()")
    run = apply(webstack_db_password=PASSWORD, postgresql_settings={"shared_preload_libraries": "pg_stat_statement"})
    text = webstack_test.output(run)
    assert run.returncode != 0
    assert "would not start with the new settings" in text and "pg_stat_statement" in text, text[-3000:]
    assert db.check_output(f"sha256sum {conf}") == before
    assert sql(db, "SELECT pg_postmaster_start_time()") == started
    assert sql(db, "SHOW shared_preload_libraries") == ""
    assert db.check_output("find /tmp -maxdepth 1 -name '*-webstack-pg-try'") == ""
    # Settings that pass the trial are applied by the restart: the converge's own
    # shared_buffers (test_memory_settings_computed_from_the_host) went that way.


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"postgresql_db_name": "shop-db"}, "postgresql_db_name: 'shop-db' is not a plain SQL identifier"),
        ({"postgresql_db_user": "postgres"}, "postgresql_db_user not postgres, public or pg_*"),
        ({"webstack_db_password": ""}, "postgresql_db_password (or webstack_db_password) is missing"),
        ({"postgresql_backup_keep": 0}, "postgresql_backup_keep: 0 is less than 1"),
        ({"postgresql_max_connections": "lots"}, "postgresql_max_connections"),
    ],
    ids=["bad database name", "reserved role", "missing password", "zero retention", "wrong type"],
)
def test_bad_input_fails_before_any_change(db: Host, extra: dict, expected: str) -> None:
    conf = "/etc/postgresql/*/main/conf.d/50-webstack.conf /etc/postgresql/*/main/pg_hba.conf /usr/local/sbin/webstack-pg-backup"
    before = db.check_output(f"sha256sum {conf}")
    assert_refused(apply(**{"webstack_db_password": PASSWORD, **extra}), DB, [expected])
    assert db.check_output(f"sha256sum {conf}") == before
