"""The balancers in front of the cluster: their floating address, which of them holds
it, and what HAProxy's statistics say about the web hosts."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import webstack_test
from cluster_database import DB, sql
from testinfra.host import Host
from webstack_test import assert_no_failures

LB = ["webstack-cluster-lb1", "webstack-cluster-lb2"]
WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
DOMAIN = "shop.example.test"
ROOT_CA = "/var/tmp/pebble-root.pem"
BACKEND = "web_shop"


def front(client: Host) -> str:
    """The floating address: .250 of the test network (molecule.yml), which the site's names resolve to."""
    route = client.check_output("ip -4 -o route show scope link | head -n 1").split()[0]
    return ".".join(route.split("/")[0].split(".")[:3] + ["250"])


def holder(address: str) -> list[str]:
    """The balancers that hold the floating address now."""
    return [name for name in LB
            if webstack_test.host(name).check_output(f"ip -o addr show to {address}/32").strip()]


def https(client: Host, address: str, path: str, *, extra: str = "") -> dict:
    """A GET over HTTPS to address, with the site's name and pebble's root."""
    answer = client.check_output(
        f"{extra} WEBSTACK_TLS={address} WEBSTACK_CA={ROOT_CA} python3 {webstack_test.HTTP_HELPER} get {path}")
    return json.loads(answer)


def version(client: Host, address: str) -> dict:
    answer = https(client, address, "/version")
    assert answer["status"] == 200, answer
    return json.loads(answer["body"])


def stats(balancer: str) -> dict[str, dict[str, str]]:
    """HAProxy's statistics for the web hosts' backend on one balancer, by server name."""
    text = webstack_test.host(balancer).check_output("curl -sf 'http://127.0.0.1:8404/;csv'")
    rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
    return {row["svname"]: row for row in rows if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")}


def requests_by_host() -> dict[str, int]:
    """Requests each web host took, through every balancer (a web host's -open twin counts as the host)."""
    taken = {name: 0 for name in WEB}
    for balancer in LB:
        for server, row in stats(balancer).items():
            for name in WEB:
                if server.startswith(webstack_test.container(name)):
                    taken[name] += int(row["stot"] or 0)
    return taken


def took_requests(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """The web hosts whose request count grew between two readings."""
    return [name for name in WEB if after[name] > before[name]]


def backend_get(name: str, path: str, balancer: str = LB[0], host: str = DOMAIN) -> dict:
    """A GET to one web host's nginx as a balancer sends it (plain HTTP on its backend port, with the site's name and
    X-Forwarded-Proto), from that balancer: {status, body}."""
    out = webstack_test.host(balancer).check_output(
        f"curl -sS --max-time 20 -w '\\n%{{http_code}}' -H 'Host: {host}' -H 'X-Forwarded-Proto: https' "
        f"'http://{name}:8080{path}'")
    body, _, status = out.rpartition("\n")
    return {"status": int(status), "body": body}


def backend_revision(name: str) -> str:
    answer = backend_get(name, "/version")
    assert answer["status"] == 200, (name, answer)
    return json.loads(answer["body"])["revision"]


def task_results(stdout: str, task: str) -> list[str]:
    """The output of each run of a release role task (one per serial batch)."""
    return [part for part in stdout.split("TASK [") if part.startswith(f"webstack.django.release : {task}]")]


def migrated() -> bool:
    """Whether the database has the migration of webstack_test.app_with_migration."""
    return sql("SELECT count(*) FROM django_migrations WHERE app = 'notes' AND name = '0003_note_pinned'") == "1"


def assert_a_rolling_deploy(run: subprocess.CompletedProcess, counts: dict, before: dict[str, str],
                            taken: dict[str, int], *, migration: bool) -> None:
    """What a rolling deploy of a new release through the balancers must show, under load (the deploy playbook's
    one host at a time): every answer the old release's or the new one's, both web hosts taking requests, a switch
    per batch (the web hosts, then the worker host), each web host drained on both balancers before its switch and
    readied after its gate, the migration applied once (when the release brings it), and each nginx and balancer
    serving the first page and its hashed stylesheet at the end."""
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert len(set(before.values())) == 1, before
    after = {name: backend_revision(name) for name in WEB}
    print(f"rolling deploy (with drain) {before[WEB[0]]} -> {after[WEB[0]]}: {counts}")
    assert len(set(after.values())) == 1 and after[WEB[0]] != before[WEB[0]], after
    assert_no_failures(counts)
    assert took_requests(taken, requests_by_host()) == WEB, counts
    assert (counts["first"], counts["last"]) == (before[WEB[0]], after[WEB[0]]), counts
    switches = task_results(run.stdout, "Switch | Point previous at the release being replaced, and current at the release")
    assert [re.findall(r"changed: \[([^\]]+)\]", part) for part in switches] == \
        [[webstack_test.container(name)] for name in [*WEB, DB]], switches
    if migration:
        migrations = task_results(run.stdout, "Prepare | Apply migrations")
        assert sum(part.count("changed: [") for part in migrations) == 1, migrations
    assert migrated()
    for task in ("drain", "ready"):
        title = f"webstack.django.common : Balancers | Drain or ready the web host on each balancer ({task})]"
        runs = [part for part in run.stdout.split("TASK [") if part.startswith(title)]
        hosts = [re.findall(r"(?:ok|changed): \[([^\]\s]+) -> ([A-Za-z0-9_.-]+)", part) for part in runs]
        assert [sorted(pairs) for pairs in hosts] == [
            sorted((webstack_test.container(name), webstack_test.container(lb)) for lb in LB) for name in WEB], hosts
    for name in [*WEB, *LB]:
        served = re.search(rf"{re.escape(webstack_test.container(name))}: \S+/ answered 200, and "
                           r"(/static/notes/site\.[0-9a-f]{12}\.css) 200\.", webstack_test.output(run))
        assert served, webstack_test.output(run)[-3000:]
    print(f"deploy check: {served.group(0)}")
