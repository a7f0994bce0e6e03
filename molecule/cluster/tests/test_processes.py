"""The app's other processes in the cluster: a Celery worker on each web host (webstack_processes), its broker on
the database host's Redis, and a scheduled job (webstack_timers) on the worker host (the database host, in the
workers group: the app's release without its web process). A note posted through nginx is counted by a worker; the
timer runs on one host; a deploy under load with jobs in flight loses none and reaches the worker host after the web
hosts; a worker killed mid-job leaves the job to be redone; a release whose worker does not stay up is switched back.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
import webstack_test
from cluster_database import secrets_file, served_password, sql
from cluster_front import assert_a_rolling_deploy, backend_revision, front, migrated, requests_by_host
from testinfra.host import Host

PROJECT = Path(__file__).resolve().parents[3]
WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
DB = "webstack-cluster-db"
ACME = "webstack-cluster-acme"
ROOT_CA = "/var/tmp/pebble-root.pem"
WORKER = "shop-worker@1.service"

testinfra_hosts = [webstack_test.container(name) for name in WEB]


@pytest.fixture(scope="module")
def hostnames() -> dict[str, str]:
    return {webstack_test.host(name).check_output("hostname"): name for name in WEB}


def post(client: Host, address: str, text: str) -> None:
    """A note with an attachment through nginx and the page's form, as a browser posts it."""
    answer = json.loads(client.check_output(
        f"WEBSTACK_TLS={address} WEBSTACK_CA={ROOT_CA} python3 {webstack_test.HTTP_HELPER} upload '{text}' words.txt"))
    assert answer["status"] == 302, answer


def attachments(name: str) -> int:
    """How many files the app's media holds on a web host."""
    return int(webstack_test.host(name).check_output("find /srv/shop/shared/media -type f | wc -l"))


def enqueue(texts: list[str]) -> None:
    """Notes made and their jobs enqueued from the first web host's app, as a view would."""
    code = ("from notes.models import Note; from notes.tasks import count_words; "
            f"[count_words.delay(Note.objects.create(text=text).pk) for text in {texts!r}]")
    webstack_test.host(WEB[0]).check_output(f"shop-manage shell -v 0 -c \"{code}\"")


def counted(where: str, timeout: float = 120) -> list[tuple[str, int, str, int]]:
    """Each note matching the SQL condition, once every one has its words: (text, words, host, attempts)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [line.split("|") for line in sql(
            f"SELECT text, coalesce(words, -1), counted_by, count_attempts FROM notes_note WHERE {where}").splitlines()]
        if rows and all(row[1] != "-1" for row in rows):
            return [(text, int(words), host, int(attempts)) for text, words, host, attempts in rows]
        assert time.monotonic() < deadline, f"not counted after {timeout} s: {rows}"
        time.sleep(2)


def test_a_note_posted_through_nginx_is_counted_by_a_worker(client: Host,
                                                           hostnames: dict[str, str]) -> None:
    for name in WEB:
        host = webstack_test.host(name)
        assert host.service(WORKER).is_running and host.service(WORKER).is_enabled
        assert host.check_output(f"systemctl show -p User --value {WORKER}") == "shop"
        score = host.check_output(f"systemd-analyze security {WORKER} | tail -n 1")
        print(f"{name}: {score}")
        assert float(score.split("level for")[1].split(":")[1].split()[0]) <= 2.0, score
    text = f"three words {uuid.uuid4().hex[:8]}"
    uploads = {name: attachments(name) for name in WEB}
    post(client, front(client), text)
    # The upload went to the bucket every host reads (tests/test_media.py), not to the web host that took it.
    assert {name: attachments(name) for name in WEB} == uploads
    ((text, words, host, attempts),) = counted(f"text = '{text}'")
    assert host in hostnames, host
    # Whichever host's worker counted, it read the attachment from the bucket: the note's three words and its
    # attachment's five ("attachment of three words <id>").
    assert (words, attempts) == (8, 1), (text, words, host, attempts)
    print(f"counted {words} words on {hostnames[host]}, the attachment read from the bucket")


def test_the_timer_runs_on_the_worker_host_only() -> None:
    worker = webstack_test.host(DB)
    assert worker.service("shop-tally.timer").is_running and worker.service("shop-tally.timer").is_enabled
    score = worker.check_output("systemd-analyze security shop-tally.service | tail -n 1")
    print(f"{DB}: shop-tally.service {score}")
    assert float(score.split("level for")[1].split(":")[1].split()[0]) <= 2.0, score
    deadline = time.monotonic() + 60
    while not worker.run("journalctl -u shop-tally.service -o cat | grep -q '^tally on'").succeeded:
        assert time.monotonic() < deadline, worker.check_output("journalctl -u shop-tally.service -o cat | tail")
        time.sleep(5)
    for name in WEB:
        web = webstack_test.host(name)
        assert web.run("systemctl cat shop-tally.timer shop-tally.service").rc != 0, name
        assert web.check_output("journalctl -u shop-tally.service -o cat -q | wc -l") == "0", name
    runners = set(sql("SELECT DISTINCT host FROM notes_tally").splitlines())
    assert runners == {worker.check_output("hostname")}, runners
    print(f"the timer ran {sql('SELECT count(*) FROM notes_tally')} times, on {DB} only")


def test_the_worker_host_runs_the_release_without_a_web_process() -> None:
    """The database host is in the workers group only: the release is there (the same revision as the web hosts',
    its settings, its virtualenv), with no app server and no web server."""
    worker, web = webstack_test.host(DB), webstack_test.host(WEB[0])
    assert worker.check_output("cat /srv/shop/current/REVISION") == web.check_output("cat /srv/shop/current/REVISION")
    # One secret key for every app host (none given: made on the first run), so that what one signs another reads.
    keys = {webstack_test.host(name).check_output("sha256sum /srv/shop/shared/secret_key") for name in [*WEB, DB]}
    assert len(keys) == 1, keys
    assert worker.file("/srv/shop/current/venv/bin/python").exists
    assert worker.run("systemctl cat gunicorn-shop.service gunicorn-shop.socket").rc != 0
    assert not worker.package("nginx").is_installed
    assert worker.run("ss -ltn | grep -E ':(80|443) '").rc != 0
    # The scheduled job's management command runs on the release there, with the app's environment.
    said = worker.check_output("shop-manage tally_notes")
    assert said.startswith(f"tally on {worker.check_output('hostname')}:"), said


# The worker's code is the same on both releases (Redis 7.0 on Debian 12, Valkey 8.1 on Debian 13 carry it alike):
# the deploy with jobs in flight and the killed worker run on Debian 12, the worker that does not start on 13
# (docs/testing.md). The deploy with jobs in flight is Debian 12's rolling deploy: it brings the migration, and is
# checked as Debian 13's (tests/test_cluster.py) is, draining and all.
@webstack_test.only_on("bookworm")
def test_a_rolling_deploy_with_jobs_in_flight_loses_none(client: Host,
                                                        tmp_path: Path) -> None:
    jobs = [f"slow 2 in flight {index}" for index in range(24)]
    before = {name: backend_revision(name) for name in WEB}
    taken = requests_by_host()
    fresh = not migrated()
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        enqueue(jobs)
        # With the password the hosts serve with (the rotation tests before may have changed it).
        run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml",
                                     "-e", f"@{secrets_file(tmp_path, served_password(WEB[0]))}",
                                     webstack_source_path=str(webstack_test.app_with_migration(tmp_path, "jobs")))
    assert_a_rolling_deploy(run, counts, before, taken, migration=fresh)
    done = counted("text LIKE 'slow 2 in flight %'")
    redone = [row for row in done if row[3] > 1]
    print(f"deploy with jobs in flight: enqueued {len(jobs)}, done {len(done)}, redone {len(redone)}, "
          f"lost {len(jobs) - len(done)}; web requests {counts}")
    assert sorted(row[0] for row in done) == sorted(jobs)
    assert all(row[1] == 5 for row in done), done
    # Each web host's worker restarted on the new release, one host at a time; the worker host, last, has no
    # process to restart (its scheduled job runs the new release's code at its next start).
    restarts = [part for part in run.stdout.split("TASK [")
                if part.startswith("webstack.django.release : Switch | Restart the app's other processes on the release]")]
    assert [re.findall(r"changed: \[([^\]]+)\]", part) for part in restarts if "changed: [" in part] == \
        [[webstack_test.container(name)] for name in WEB], restarts
    served = {webstack_test.host(name).check_output("cat /srv/shop/current/REVISION") for name in [*WEB, DB]}
    assert len(served) == 1, served


@webstack_test.only_on("bookworm")
def test_a_worker_killed_mid_job_leaves_the_job_to_be_redone() -> None:
    enqueue(["slow 15 killed mid-job"])
    deadline = time.monotonic() + 60
    while sql("SELECT count_attempts FROM notes_note WHERE text = 'slow 15 killed mid-job'") != "1":
        assert time.monotonic() < deadline, "the job was not started"
        time.sleep(1)
    for name in WEB:
        webstack_test.host(name).check_output(f"systemctl kill --signal=SIGKILL {WORKER}")
    ((_, words, _, attempts),) = counted("text = 'slow 15 killed mid-job'", timeout=150)
    assert (words, attempts) == (4, 2), (words, attempts)
    for name in WEB:
        host = webstack_test.host(name)
        # systemd started it again (Restart=always).
        assert int(host.check_output(f"systemctl show -p NRestarts --value {WORKER}")) >= 1
        assert host.service(WORKER).is_running
    print("a worker killed mid-job: the job was redone once (2 attempts), not lost")


@webstack_test.only_on("trixie")
def test_a_release_whose_worker_does_not_stay_up_is_switched_back(tmp_path: Path) -> None:
    first = webstack_test.host(WEB[0])
    serving = first.check_output("readlink -f /srv/shop/current")
    broken = webstack_test.app_variant(tmp_path, "worker-fails", (
        "webstack_example/celery.py", 'app = Celery("webstack_example")',
        'if os.environ.get("WEBSTACK_PROCESS") == "worker":\n    raise SystemExit("the worker refuses to start")\n'
        'app = Celery("webstack_example")'))
    run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml",
                                 "-e", f"@{secrets_file(tmp_path, served_password(WEB[0]))}",
                                 webstack_source_path=str(broken))
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert f"{WORKER} did not stay up" in output and "Switched back" in output, output[-3000:]
    assert first.check_output("readlink -f /srv/shop/current") == serving
    # Restarted on the release that served before, it stays up: running, and not started again by systemd.
    time.sleep(8)
    assert first.service(WORKER).is_running, first.check_output(f"journalctl -u {WORKER} -n 20 -o cat")
    assert first.check_output(f"systemctl show -p NRestarts --value {WORKER}") == "0"
    # The second web host was never touched (serial: the play stopped at the first).
    assert webstack_test.host(WEB[1]).check_output("readlink -f /srv/shop/current") == serving
    print(f"a worker that does not start: {webstack_test.refusal(run)[:300]}")
