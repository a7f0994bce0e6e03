"""Backups off the host, with restic over SFTP to another host of the scenario (the backup role), and a restore
drill: the project's rows and uploads are backed up, the database is dropped and the uploads deleted (what a new
host has), and `webstack.django.restore -e restore=both` brings back every row and every file.

Runs in both projects scenarios: wagtail on Debian 13 (restic 0.18), twelve_factor on Debian 12 (restic 0.14).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host

SCENARIO = os.environ["MOLECULE_SCENARIO_NAME"]
PROJECT = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]).parent.parent
RESTORE = PROJECT / "playbooks" / "restore.yml"
APP, KEY, OFFSITE = {
    "wagtail": ("mysite", "webstack-wagtail", "webstack-wagtail-offsite"),
    "twelve_factor": ("blog", "webstack-twelve-factor", "webstack-twelve-factor-acme"),
}[SCENARIO]
NAME = webstack_test.container(KEY)
MEDIA = f"/srv/{APP}/shared/media"
# Every table's exact row count, one "table count" line each.
ROWS = (
    "select table_name || ' ' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from public.%I', "
    "table_name), false, true, '')))[1]::text from information_schema.tables "
    "where table_schema = 'public' and table_type = 'BASE TABLE' order by 1"
)


@pytest.fixture(scope="module")
def app() -> Host:
    return webstack_test.host(KEY)


def psql(app: Host, sql: str) -> str:
    return app.check_output(f"runuser -u postgres -- psql -d {APP} -Atv ON_ERROR_STOP=1 -c \"{sql}\"")


def snapshots(app: Host, kind: str) -> list[dict]:
    return json.loads(app.check_output(f"/usr/local/sbin/webstack-backup snapshots {kind}"))


def files(app: Host) -> list[str]:
    """Each upload's owner, mode and path, then each one's checksum."""
    owners = app.check_output(f"cd {MEDIA} && find . -type f -printf '%u %m %p\\n' | sort")
    sums = app.check_output(f"cd {MEDIA} && find . -type f -print0 | sort -z | xargs -0r sha256sum")
    return owners.splitlines() + sums.splitlines()


def test_the_dumps_and_the_uploads_go_to_the_repository_off_the_host(app: Host) -> None:
    """The site run made the repository on the SFTP server; a dump (its hook) and the uploads' timer unit each add
    a snapshot of this host, and what the server holds is encrypted."""
    offsite = webstack_test.host(OFFSITE)
    assert offsite.file(f"/srv/restic/{APP}/config").user == "restic"
    psql(app, "insert into auth_group (name) values ('drill one'), ('drill two'), ('drill, three')")
    app.check_output(
        f"runuser -u {APP} -- sh -c 'umask 027; mkdir -p {MEDIA}/drill/sub && echo one > {MEDIA}/drill/one.txt"
        f" && head -c 300000 /dev/urandom > \"{MEDIA}/drill/sub/two words.bin\"'"
    )
    before = {kind: len(snapshots(app, kind)) for kind in ("database", "media")}
    app.check_output("systemctl start webstack-pg-backup.service webstack-backup@media.service")
    for kind in ("database", "media"):
        found = snapshots(app, kind)
        assert len(found) == before[kind] + 1, found
        assert {item["hostname"] for item in found} == {NAME}, found
        assert APP in found[-1]["tags"], found[-1]
    assert snapshots(app, "database")[-1]["paths"][0].startswith(f"/var/backups/postgresql/{APP.replace('-', '_')}-")
    # Encrypted at rest: no table name and no upload's text in the server's files.
    assert offsite.run(f"grep -rqa -e auth_group -e 'drill, three' /srv/restic/{APP}").rc == 1
    assert app.service("webstack-backup@media.timer").is_enabled


def test_a_restore_drill_from_an_empty_database_and_no_uploads_loses_no_row_and_no_file(app: Host) -> None:
    rows, uploads = psql(app, ROWS).splitlines(), files(app)
    assert any(line.startswith("auth_group ") and int(line.split()[1]) >= 3 for line in rows), rows
    assert len(uploads) >= 4, uploads  # two lines per upload: its owner and mode, its checksum
    database_snapshots = len(snapshots(app, "database"))
    # What a new host has: an empty database of the app, no uploads.
    app.check_output(
        f"runuser -u postgres -- dropdb --force {APP} && runuser -u postgres -- createdb -O {APP} {APP}"
        f" && find {MEDIA} -mindepth 1 -delete"
    )
    assert psql(app, ROWS) == "" and files(app) == []

    started = time.monotonic()
    run = webstack_test.playbook(RESTORE, restore="both")
    seconds = time.monotonic() - started
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert psql(app, ROWS).splitlines() == rows
    assert files(app) == uploads
    total = sum(int(line.split()[1]) for line in rows)
    after = files(app)
    print(f"restore drill: {total} rows in {len(rows)} tables and {len(uploads) // 2} uploads before, "
          f"{sum(int(line.split()[1]) for line in psql(app, ROWS).splitlines())} rows and {len(after) // 2} uploads "
          f"after, restored in {seconds:.1f} s")
    # Nothing lost: the empty database was dumped, and so backed up, before the restore.
    assert len(snapshots(app, "database")) == database_snapshots + 1
    assert not app.file(f"/run/webstack/{APP}-deploy.lock").exists
    domain = {"wagtail": "wagtail.example.test", "twelve_factor": "blog.example.test"}[SCENARIO]
    assert app.run(f"curl -sfk -o /dev/null --resolve {domain}:443:127.0.0.1 https://{domain}/").rc == 0


def test_a_restore_to_a_time_before_any_snapshot_is_refused_before_anything_changes(app: Host) -> None:
    rows = psql(app, ROWS)
    run = webstack_test.playbook(RESTORE, restore="database", at="2001-01-01")
    webstack_test.assert_refused(run, NAME, ["no snapshot taken at or before 2001-01-01", "The newest there are:"])
    assert psql(app, ROWS) == rows


def test_restic_check_finds_no_error(app: Host) -> None:
    app.check_output("systemctl start webstack-backup@check.service")
    journal = app.check_output("journalctl -u webstack-backup@check.service -o cat --since -2min")
    assert "no errors were found" in journal, journal
