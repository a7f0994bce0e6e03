"""The PostgreSQL standby (db2, the dbstandby group): it streams from the primary over TLS
through its own slot, with synchronous commit, and refuses writes; the failover playbook
promotes it under a write load through the balancers, points every app host at it and
fences the old primary, which the site then refuses in dbservers.

The failover changes the cluster for good (db2 is the primary after it), so it is the
last test of the scenario: this file's name sorts after the others.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import webstack_test
from cluster_database import database_url, sql
from cluster_front import front
from testinfra.host import Host

PROJECT = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]).parent.parent
DB = "webstack-cluster-db"
STANDBY = "webstack-cluster-db2"
APP_HOSTS = ["webstack-cluster-web1", "webstack-cluster-web2", DB]
ROOT_CA = "/var/tmp/pebble-root.pem"
ACME = "webstack-cluster-acme"

testinfra_hosts = [webstack_test.container(STANDBY)]


def slot() -> str:
    return webstack_test.container(STANDBY).replace("-", "_")


def test_the_standby_streams_over_tls_through_its_slot_synchronously() -> None:
    row = sql("SELECT r.application_name, r.state, r.sync_state, s.ssl FROM pg_stat_replication r "
              "JOIN pg_stat_ssl s USING (pid)", DB, "postgres")
    assert row == f"{slot()}|streaming|quorum|t", row
    assert sql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot()}'", DB, "postgres") == "t"
    settings = sql("SELECT setting FROM pg_settings WHERE name IN "
                   "('synchronous_standby_names', 'max_slot_wal_keep_size') ORDER BY name", DB, "postgres")
    assert settings.splitlines() == ["4096", f'ANY 1 ("{slot()}")'], settings
    # Replication from the other database host only, with scram, over TLS.
    rules = sql("SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules "
                "WHERE 'replication' = ANY(database)", DB, "postgres")
    assert rules.count("\n") == 0 and rules.startswith("hostssl|{replication}|{replicator}|"), rules
    assert rules.endswith("|scram-sha-256"), rules


def test_a_row_on_the_primary_reaches_the_standby_which_takes_no_write() -> None:
    marker = f"standby-{time.time_ns()}"
    sql(f"INSERT INTO notes_note (text, attachment, created) VALUES ('{marker}', '', now())", DB)
    # Synchronous commit: the standby has it once the INSERT returned; it is visible once replayed.
    for _ in range(50):
        if sql(f"SELECT count(*) FROM notes_note WHERE text = '{marker}'", STANDBY) == "1":
            break
        time.sleep(0.1)
    assert sql(f"SELECT count(*) FROM notes_note WHERE text = '{marker}'", STANDBY) == "1"
    refused = webstack_test.host(STANDBY).run(
        "runuser -u postgres -- psql -XAtq -d shop -c \"INSERT INTO notes_note (text, attachment, created) "
        "VALUES ('no', '', now())\"")
    assert refused.rc != 0 and "read-only transaction" in refused.stderr, refused.stderr
    # Its own dumps are the primary's: no backup timer on the standby.
    assert not webstack_test.host(STANDBY).file("/etc/systemd/system/webstack-pg-backup.timer").exists


# pg_promote() and the playbook around it are the same on PostgreSQL 15 and 17 (docs/testing.md).
@webstack_test.only_on("trixie")
def test_failover_under_a_write_load_loses_no_committed_row(client: Host) -> None:
    """PostgreSQL on the primary is killed (SIGKILL, as a crash); the failover playbook promotes the standby.
    Every note whose POST was answered (committed, synchronous commit) is on the new primary."""
    standby_address = client.check_output(f"getent hosts {STANDBY} | cut -d' ' -f1")
    # The name the site serves now (a test before this one may have changed it: tests/test_renamed_site.py).
    site = webstack_test.host(APP_HOSTS[0]).check_output("sed -n 's/^# Site names: //p' /etc/nginx/sites-available/shop.conf")
    env = {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA, "WEBSTACK_HOST": site.split()[0],
           "WEBSTACK_LOAD_WRITE": "1", "WEBSTACK_LOAD_PAUSE": "0.2"}
    serving = {name: database_url(name) for name in APP_HOSTS}
    with webstack_test.load(webstack_test.container(ACME), env, clients=2) as counts:
        time.sleep(3)
        t0 = time.monotonic()
        webstack_test.host(DB).check_output("systemctl kill --signal=KILL postgresql@*-main.service")
        run = webstack_test.playbook(PROJECT / "playbooks" / "failover.yml")
        took = time.monotonic() - t0
        assert run.returncode == 0, webstack_test.output(run)[-3000:]
        time.sleep(3)
    written = counts.pop("written")
    present = set(sql("SELECT text FROM notes_note WHERE text LIKE 'w-%'", STANDBY).split())
    lost = [text for text in written if text not in present]
    print(f"failover: playbook {took:.1f} s; writes failing for {counts['failing_seconds']} s; "
          f"{len(written)} committed, {len(lost)} lost; {counts}")
    assert len(written) >= 10, counts
    assert not lost, lost
    # The new primary takes writes; every app host's DATABASE_URL names it.
    assert sql("SELECT pg_is_in_recovery()", STANDBY) == "f"
    # Only the host changed: the password and role the app served with stay (not the inventory's, if they differ).
    for name in APP_HOSTS:
        assert database_url(name) == {**serving[name], "host": standby_address}, name
    assert counts["statuses"].get("302", 0) == len(written)
    # The old primary: masked, marked, read-only if started by hand.
    old = webstack_test.host(DB)
    version = old.check_output("pg_lsclusters --no-header").split()[0]
    assert old.run(f"systemctl is-enabled postgresql@{version}-main.service").stdout.strip() == "masked"
    assert "failed over to" in old.file("/var/lib/postgresql/webstack-failed-over").content_string
    # A run with the inventory not yet changed is refused before anything changes.
    run = webstack_test.playbook(PROJECT / "playbooks" / "site.yml")
    webstack_test.assert_refused(run, webstack_test.container(DB),
                                 ["is in dbservers", "webstack-failed-over", "Put the primary"])
