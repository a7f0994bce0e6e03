"""The site playbook a second time on the converged cluster, before any other test: the scenario's idempotence pass.
Debian 13 runs it as it is, and no host changes. Debian 12 runs it with a new database password (a rotation under
load), and only the password's steps change: one run checks both (docs/testing.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import webstack_test
from cluster_database import db_login, secrets_file, served_password
from cluster_front import backend_get, backend_revision, front, requests_by_host, task_results, took_requests
from testinfra.host import Host
from webstack_test import assert_no_failures

CONVERGE = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml"
WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
DB = "webstack-cluster-db"
ACME = "webstack-cluster-acme"
ROOT_CA = "/var/tmp/pebble-root.pem"
ROOT = "/srv/shop"
HOSTS = ["webstack-cluster-lb1", "webstack-cluster-lb2", DB, "webstack-cluster-db2", *WEB]

# A database password from a generator, with every character that breaks a
# quoting: through the site playbook, on both web hosts at once, under load.
# One release runs it (docs/testing.md): the code is the release role's, and
# ALTER ROLE is the same on PostgreSQL 15 and 17.
ROTATED = "rotated $\"'\\`{#{{% é end"

# What a new database password changes, and nothing else: the role's password; each app host's
# environment (and the copy of the one before, removed once the release serves); the web hosts' app
# servers held, stopped and started around the change, and their processes restarted.
ROTATION_STEPS = {
    "webstack.django.release : Settings | Write the secret key, the app's environment and the manage.py command for admins",
    "webstack.django.release : Password | Hold the app server's next start while the database password changes",
    "webstack.django.release : Password | Stop the app server (its socket holds new connections)",
    "webstack.django.release : Password | Set (or only ask about) the password of the app's role on the database host",
    "webstack.django.release : Password | Let the app server start",
    "webstack.django.release : Switch | Restart the app's other processes on the release",
    "webstack.django.release : Settings | Remove the password the release's commands used while it changed",
    "webstack.django.common : Put back | Remove the copies of the files that served before",
}


def recap_failures(run) -> dict[str, int]:
    """Each host's failed= and unreachable= counts from the recap, the non-zero ones."""
    text = webstack_test.plain(run.stdout)
    bad = {}
    for name in HOSTS:
        line = next((line for line in text.splitlines() if line.startswith(webstack_test.container(name) + " ")), "")
        assert line, f"no recap line for {name}"
        fields = dict(field.split("=") for field in line.split(":", 1)[1].split())
        if int(fields["failed"]) or int(fields["unreachable"]):
            bad[name] = fields
    return bad


@webstack_test.only_on("trixie")
def test_the_site_playbook_again_changes_nothing() -> None:
    run = webstack_test.playbook(CONVERGE)
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert recap_failures(run) == {}
    assert webstack_test.changed_tasks(run) == {}, webstack_test.changed_tasks(run)


@webstack_test.only_on("bookworm")
def test_database_password_rotation_under_load_fails_no_request_and_changes_nothing_else(client: Host,
                                                                                        tmp_path: Path) -> None:
    secrets = secrets_file(tmp_path, ROTATED)
    before = {name: backend_revision(name) for name in WEB}
    taken = requests_by_host()
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        run = webstack_test.playbook(CONVERGE, "-e", f"@{secrets}")
    print(f"password rotation: {counts}")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert recap_failures(run) == {}
    # The idempotence pass: the steps a new password takes, and no other.
    changed = webstack_test.changed_tasks(run)
    print(f"password rotation changed: {changed}")
    assert {task for tasks in changed.values() for task in tasks} <= ROTATION_STEPS, changed
    assert_no_failures(counts, least=20)
    # Both web hosts took requests through the balancers, and kept serving the release they served.
    assert took_requests(taken, requests_by_host()) == WEB, counts
    assert {name: backend_revision(name) for name in WEB} == before
    assert counts["revisions"].keys() == {before[WEB[0]]}, counts
    # The password changed once, for both hosts, between their stop and start.
    changes = task_results(run.stdout, "Password | Set (or only ask about) the password of the app's role on the database host")
    assert sum(part.count("changed: [") for part in changes) == 1, changes
    stops = task_results(run.stdout, "Password | Stop the app server (its socket holds new connections)")
    # Once, on both hosts at once (the task of going back with a failed host is skipped).
    assert [count for count in (part.count("changed: [") for part in stops) if count] == [2], stops
    # The database takes the new password and refuses the old one; each web host's app reads it back whole.
    assert (db_login(ROTATED), db_login("test-only-cluster-password")) == (0, 2)
    # The worker host's environment too (its scheduled job connects with it).
    assert served_password(DB) == ROTATED
    for name in WEB:
        assert served_password(name) == ROTATED, name
        assert not webstack_test.host(name).file(f"{ROOT}/shared/env.db-serving").exists
        answer = backend_get(name, "/healthz")
        assert answer["status"] == 200 and json.loads(answer["body"])["database"] == "ok", (name, answer)
