"""The balancers in front of the cluster: their floating address, which of them holds
it, and what HAProxy's statistics say about the web hosts."""

from __future__ import annotations

import csv
import io
import json

import webstack_test
from testinfra.host import Host

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
