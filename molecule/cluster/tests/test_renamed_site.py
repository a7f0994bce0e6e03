"""The site's name changes through the site playbook, under load on the old name through
the balancers, its redirects followed, so that the new name is loaded from the moment a
host sends there: the balancers' certificate covers both names before any web host
redirects to the new one, ALLOWED_HOSTS carries both, the balancers' checks follow the
name the web hosts serve, and no request fails.

Runs last (file order): the cluster keeps the new name. One release runs it
(docs/testing.md): the code is the same on both.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import webstack_test
from cluster_database import secrets_file, served_password
from cluster_front import LB, backend_get, front
from testinfra.host import Host
from webstack_test import assert_no_failures

WEB = ["webstack-cluster-web1", "webstack-cluster-web2"]
ACME = "webstack-cluster-acme"
ROOT_CA = "/var/tmp/pebble-root.pem"
ROOT = "/srv/shop"
OLD = ["shop.example.test", "www.shop.example.test"]
NEW = "store.example.test"

testinfra_hosts = [webstack_test.container(name) for name in WEB]


def https(client: Host, address: str, path: str, name: str) -> dict:
    return json.loads(client.check_output(
        f"WEBSTACK_TLS={address} WEBSTACK_HOST={name} WEBSTACK_CA={ROOT_CA} python3 {webstack_test.HTTP_HELPER} get {path}"))


def certificate_names(client: Host, address: str, name: str) -> list[str]:
    """The names of the certificate a host serves for a name, checked against pebble's root."""
    text = client.check_output(
        f"echo | openssl s_client -connect {address}:443 -servername {name} -CAfile {ROOT_CA} "
        "-verify_return_error 2>/dev/null | openssl x509 -noout -ext subjectAltName")
    return sorted(part.strip().removeprefix("DNS:") for part in text.splitlines()[1].split(","))


@webstack_test.only_on("trixie")
def test_a_domain_change_under_load_fails_no_request(client: Host, tmp_path: Path) -> None:
    balancers = {name: client.check_output(f"getent hosts {name} | cut -d' ' -f1") for name in LB}
    assert all(certificate_names(client, address, OLD[0]) == sorted(OLD) for address in balancers.values())
    with webstack_test.load(webstack_test.container(ACME),
                            {"WEBSTACK_TLS": front(client), "WEBSTACK_HOST": OLD[0], "WEBSTACK_CA": ROOT_CA,
                             "WEBSTACK_FOLLOW": "1"}) as counts:
        # With the password the hosts serve with (WEBSTACK_CASES=all rotates it before): only the names change.
        run = webstack_test.playbook(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml",
                                     "-e", f"@{secrets_file(tmp_path, served_password(WEB[0]))}",
                                     webstack_domains=[NEW], webstack_redirect_domains=OLD)
    print(f"domain change: {counts}")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert_no_failures(counts, least=20)
    # The old name answered until nginx redirected it, then the new one, through both web hosts.
    assert set(counts["redirected"]) == {NEW}, counts
    assert 0 < counts["redirected"][NEW] < counts["requests"], counts
    # HAProxy's counters start again at each reload (the new names): the app says which host answered.
    assert sorted(counts["served_by"]) == WEB, counts
    # Both web hosts served the new name beside the old ones before either redirected to it.
    interim = webstack_test.plain(run.stdout).split("Site | Serve the new name on every web host before any redirects to it]", 1)
    assert len(interim) == 2, run.stdout[-3000:]
    included = re.search(r"^included: \S+/load\.yml for (.+)$", interim[1].split("TASK [", 1)[0], re.MULTILINE)
    web_hosts = sorted(webstack_test.container(name) for name in WEB)
    assert included and sorted(included.group(1).split(", ")) == web_hosts, interim[1][:1500]
    for name, address in balancers.items():
        assert certificate_names(client, address, NEW) == sorted([NEW, *OLD]), name
        config = webstack_test.host(name).file("/etc/haproxy/haproxy.cfg").content_string
        assert f"hdr Host {NEW} " in config, "the checks ask for the new name once the web hosts serve it"
    answer = https(client, front(client), "/healthz", NEW)
    assert answer["status"] == 200 and json.loads(answer["body"])["database"] == "ok", answer
    for old in OLD:
        answer = https(client, front(client), "/notes/?page=2", old)
        assert (answer["status"], answer["headers"].get("Location")) == (301, f"https://{NEW}/notes/?page=2"), answer
        assert "max-age=" in answer["headers"].get("Strict-Transport-Security", ""), answer
        plain = client.check_output("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "
                                    f"--resolve {old}:80:{front(client)} http://{old}/version")
        assert plain == f"301 https://{old}/version", (old, plain)
    for name in WEB:
        answer = backend_get(name, "/healthz", host=NEW)
        assert answer["status"] == 200, (name, answer)
        allowed = webstack_test.host(name).check_output(
            f"sh -c '. {ROOT}/shared/env; printf %s \"$DJANGO_ALLOWED_HOSTS\"'")
        assert sorted(allowed.split(",")) == sorted([NEW, *OLD]), (name, allowed)
