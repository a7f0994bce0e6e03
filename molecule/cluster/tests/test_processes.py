"""The app's other processes in the cluster: a Celery worker on each web host (webstack_processes), its broker on
the database host's Redis, and a scheduled job (webstack_timers) on one web host only. A note posted through nginx
is counted by a worker; the timer runs on one host; a deploy under load with jobs in flight loses none; a worker
killed mid-job leaves the job to be redone; a release whose worker does not stay up is switched back.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import webstack_test
from cluster_database import secrets_file, served_password
from testinfra.host import Host
from webstack_test import assert_no_failures

PROJECT = Path(__file__).resolve().parents[3]
WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
DB = "webstack-cluster-db"
ACME = "webstack-cluster-acme"
ROOT_CA = "/var/tmp/pebble-root.pem"
WORKER = "shop-worker@1.service"

testinfra_hosts = [webstack_test.container(name) for name in WEB]


def sql(query: str) -> str:
    return webstack_test.host(DB).check_output(f"runuser -u postgres -- psql -XAtq -d shop -c \"{query}\"")


@pytest.fixture(scope="module")
def addresses(client: Host) -> dict[str, str]:
    return {name: client.check_output(f"getent hosts {name} | cut -d' ' -f1") for name in WEB}


@pytest.fixture(scope="module")
def hostnames() -> dict[str, str]:
    return {webstack_test.host(name).check_output("hostname"): name for name in WEB}


def post(client: Host, address: str, text: str) -> None:
    """A note with an attachment through nginx and the page's form, as a browser posts it."""
    answer = json.loads(client.check_output(
        f"WEBSTACK_TLS={address} WEBSTACK_CA={ROOT_CA} python3 {webstack_test.HTTP_HELPER} upload '{text}' words.txt"))
    assert answer["status"] == 302, answer


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


def test_a_note_posted_through_nginx_is_counted_by_a_worker(client: Host, addresses: dict[str, str],
                                                           hostnames: dict[str, str]) -> None:
    for name in WEB:
        host = webstack_test.host(name)
        assert host.service(WORKER).is_running and host.service(WORKER).is_enabled
        assert host.check_output(f"systemctl show -p User --value {WORKER}") == "shop"
        score = host.check_output(f"systemd-analyze security {WORKER} | tail -n 1")
        print(f"{name}: {score}")
        assert float(score.split("level for")[1].split(":")[1].split()[0]) <= 2.0, score
    text = f"three words {uuid.uuid4().hex[:8]}"
    post(client, addresses[WEB[1]], text)
    ((text, words, host, attempts),) = counted(f"text = '{text}'")
    assert host in hostnames, host
    # The note's three words, and where the worker's host has the upload (the host that took it: media is not
    # shared), its attachment's five: "attachment of three words <id>".
    assert (words, attempts) == (8 if hostnames[host] == WEB[1] else 3, 1), (text, words, host, attempts)
    print(f"counted {words} words on {hostnames[host]}")


def test_the_timer_runs_on_one_web_host_only(hostnames: dict[str, str]) -> None:
    first, second = (webstack_test.host(name) for name in WEB)
    assert first.service("shop-tally.timer").is_running and first.service("shop-tally.timer").is_enabled
    assert second.run("systemctl cat shop-tally.timer shop-tally.service").rc != 0
    deadline = time.monotonic() + 60
    while not first.run("journalctl -u shop-tally.service -o cat | grep -q '^tally on'").succeeded:
        assert time.monotonic() < deadline, first.check_output("journalctl -u shop-tally.service -o cat | tail")
        time.sleep(5)
    assert second.check_output("journalctl -u shop-tally.service -o cat -q | wc -l") == "0"
    runners = set(sql("SELECT DISTINCT host FROM notes_tally").splitlines())
    assert {hostnames[runner] for runner in runners} == {WEB[0]}, runners
    print(f"the timer ran {sql('SELECT count(*) FROM notes_tally')} times, on {WEB[0]} only")


# The worker's code is the same on both releases (Redis 7.0 on Debian 12, Valkey 8.1 on Debian 13 carry it alike):
# the deploy with jobs in flight runs on Debian 12, the killed worker and the worker that does not start on 13
# (docs/testing.md).
@webstack_test.only_on("bookworm")
def test_a_rolling_deploy_with_jobs_in_flight_loses_none(client: Host, addresses: dict[str, str],
                                                        tmp_path: Path) -> None:
    jobs = [f"slow 2 in flight {index}" for index in range(24)]
    both = ",".join(addresses[name] for name in WEB)
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": both, "WEBSTACK_CA": ROOT_CA}) as counts:
        enqueue(jobs)
        # With the password the hosts serve with (the rotation tests before may have changed it).
        run = webstack_test.playbook(PROJECT / "playbooks" / "deploy.yml",
                                     "-e", f"@{secrets_file(tmp_path, served_password(WEB[0]))}",
                                     webstack_source_path=str(webstack_test.app_variant(tmp_path, "jobs")))
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert_no_failures(counts)
    done = counted("text LIKE 'slow 2 in flight %'")
    redone = [row for row in done if row[3] > 1]
    print(f"deploy with jobs in flight: enqueued {len(jobs)}, done {len(done)}, redone {len(redone)}, "
          f"lost {len(jobs) - len(done)}; web requests {counts}")
    assert sorted(row[0] for row in done) == sorted(jobs)
    assert all(row[1] == 5 for row in done), done
    # Each web host's worker restarted on the new release, one host at a time.
    restarts = [part for part in run.stdout.split("TASK [")
                if part.startswith("webstack.django.release : Switch | Restart the app's other processes on the release]")]
    assert [part.count("changed: [") for part in restarts] == [1, 1], restarts


@webstack_test.only_on("trixie")
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
