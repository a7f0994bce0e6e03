"""The site through the balancers, nginx behind them on the cluster's first web host: a
real ACME certificate from pebble on the balancers, the TLS profile, redirects, headers,
unknown names, static files and media, bad configuration and bad input.

Runs after test_cluster.py (file order), on the converged cluster."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import webstack_test
from cluster_front import front
from testinfra.host import Host
from webstack_test import assert_refused

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
# Container (inventory) names carry the Debian release; inside the test network the
# hosts are webstack-cluster-web1 and webstack-cluster-acme on every release.
WEB = "webstack-cluster-web1"
ACME = "webstack-cluster-acme"
WEB_HOST = webstack_test.container(WEB)
DOMAINS = ["shop.example.test", "www.shop.example.test"]
ROOT_CA = "/var/tmp/pebble-root.pem"

testinfra_hosts = [WEB_HOST]


@cache
def _front() -> str:
    return front(webstack_test.host(ACME))


def curl(client: Host, url: str, *options: str) -> str:
    """Headers and body of a request to the site, with the test names resolved to the balancers' address."""
    resolve = " ".join(f"--resolve {name}:{port}:{_front()}" for name in DOMAINS for port in (80, 443))
    return client.check_output(f"curl -sS -D - --cacert {ROOT_CA} {resolve} {' '.join(options)} '{url}'")


def s_client(client: Host, name: str, *options: str):
    return client.run(f"echo | openssl s_client -connect {_front()}:443 -servername {name} {' '.join(options)} 2>&1")


def test_certificate_comes_from_pebble_and_covers_every_name(client: Host) -> None:
    for name in DOMAINS:
        run = s_client(client, name, f"-CAfile {ROOT_CA}", "-verify_return_error")
        assert "Verify return code: 0 (ok)" in run.stdout, run.stdout
    cert = client.check_output(
        f"echo | openssl s_client -connect {_front()}:443 -servername {DOMAINS[0]} 2>/dev/null "
        "| openssl x509 -noout -issuer -ext subjectAltName")
    print(cert)
    assert "Pebble Intermediate CA" in cert
    for name in DOMAINS:
        assert f"DNS:{name}" in cert


def test_http_redirects_to_https(client: Host) -> None:
    answer = curl(client, f"http://{DOMAINS[0]}/notes?page=2")
    assert answer.startswith("HTTP/1.1 301"), answer
    assert re.search(rf"(?im)^location: https://{re.escape(DOMAINS[0])}/notes\?page=2\r?$", answer), answer


@pytest.mark.parametrize("version", ["tls1", "tls1_1"])
def test_old_tls_is_refused(client: Host, version: str) -> None:
    # SECLEVEL=0 lets the client offer the old protocol; the server must refuse it.
    run = s_client(client, DOMAINS[0], f"-{version}", "-cipher 'DEFAULT@SECLEVEL=0'")
    assert run.rc != 0, run.stdout
    assert "Cipher is (NONE)" in run.stdout or "alert" in run.stdout, run.stdout


def test_no_server_on_the_host_offers_old_tls(host: Host) -> None:
    # Debian's nginx.conf offers TLS 1.0 and 1.1 to any server without protocols of its own.
    protocols = set(re.findall(r"^\s*ssl_protocols\s+([^;]*);", host.check_output("nginx -T 2>/dev/null"), re.M))
    assert protocols == {"TLSv1.2 TLSv1.3"}, protocols


@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_modern_tls_is_accepted(client: Host, version: str) -> None:
    run = s_client(client, DOMAINS[0], f"-{version}", f"-CAfile {ROOT_CA}", "-verify_return_error")
    assert run.rc == 0, run.stdout
    expected = {"tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}[version]
    assert re.search(rf"Protocol\s*:\s*{expected}", run.stdout) or f"New, {expected}" in run.stdout, run.stdout
    assert "Cipher is (NONE)" not in run.stdout


def test_security_headers_once_each(client: Host) -> None:
    answer = curl(client, f"https://{DOMAINS[0]}/", "-o /dev/null", "--http2")
    headers = [line.split(":", 1)[0].lower() for line in answer.splitlines() if ":" in line]
    lower = answer.lower()
    assert "strict-transport-security: max-age=63072000; includesubdomains" in lower
    assert "x-content-type-options: nosniff" in lower
    assert "x-frame-options: deny" in lower
    assert "referrer-policy: same-origin" in lower
    assert "permissions-policy:" in lower and "content-security-policy:" in lower
    for name in ("strict-transport-security", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert headers.count(name) == 1, (name, answer)
    assert re.search(r"(?im)^server: nginx\r?$", answer), "server_tokens off: no version"
    assert answer.startswith("HTTP/2 200"), answer


def test_unknown_names_get_no_site(client: Host) -> None:
    run = s_client(client, "other.example.test")
    assert run.rc != 0 and "alert" in run.stdout, run.stdout
    plain = client.run(f"curl -sS -o /dev/null -H 'Host: other.example.test' http://{_front()}/")
    assert plain.rc == 52, plain.stderr  # empty reply: the balancer closed the connection


def test_hashed_static_files_are_immutable_and_compressed(client: Host) -> None:
    page = curl(client, f"https://{DOMAINS[0]}/")
    css = re.search(r'href="(/static/notes/site\.[0-9a-f]{12}\.css)"', page)
    assert css, page
    answer = curl(client, f"https://{DOMAINS[0]}{css.group(1)}", "-o /dev/null", "-H 'Accept-Encoding: gzip'")
    assert re.search(r"(?im)^cache-control: .*immutable", answer), answer
    assert re.search(r"(?im)^content-encoding: gzip", answer), answer
    answer = curl(client, f"https://{DOMAINS[0]}{css.group(1)}", "-o /dev/null", "-H 'Accept-Encoding: br'")
    assert re.search(r"(?im)^content-encoding: br", answer), answer
    plain = curl(client, f"https://{DOMAINS[0]}/static/notes/site.css", "-o /dev/null")
    assert "immutable" not in plain.lower(), "unhashed names are not cached for good"
    # The app's own pages (CSRF token beside reflected input) are not compressed: no BREACH.
    page = curl(client, f"https://{DOMAINS[0]}/", "-o /dev/null", "-H 'Accept-Encoding: gzip, br'")
    assert not re.search(r"(?im)^content-encoding:", page), page


# Files just outside each prefix's directory, and a line each of them holds.
OUTSIDE = {
    "/static/": ("../webstack_example/settings.py", "INSTALLED_APPS"),
    "/media/": ("../env", "DATABASE_URL"),
    "/.well-known/acme-challenge/": ("../../../../etc/passwd", "root:x:0:0"),
}


@pytest.mark.parametrize("prefix", sorted(OUTSIDE))
def test_no_prefix_can_be_walked_out_of(client: Host, prefix: str) -> None:
    """'..' in every spelling, sent as is, after each prefix and after it less its slash."""
    target, marker = OUTSIDE[prefix]
    variants = {target, target.replace("../", "..%2f"), target.replace("../", "%2e%2e/"),
                target.replace("../", "%2e%2e%2f"), target.replace("../", "..;/"), target.replace("../", "..\\")}
    answers = []
    for scheme in ("http", "https"):
        for base in (prefix, prefix.rstrip("/")):
            for variant in sorted(variants):
                url = f"{scheme}://{DOMAINS[0]}{base}{variant}"
                answer = curl(client, url, "--path-as-is")
                answers.append(url)
                assert marker not in answer, f"{url} answered with the file outside {prefix}:\n{answer[:400]}"
                # Over HTTP the balancer passes /.well-known/acme-challenge/ to certbot's own server, which runs
                # only during an issuance or a renewal (503 between them).
                allowed = ("301", "400", "403", "404") + (("503",) if scheme == "http" and "acme" in prefix else ())
                assert answer.split()[1] in allowed, f"{url}: {answer[:200]}"
    assert len(answers) == 2 * 2 * len(variants)


def test_bad_config_never_reaches_nginx(host: Host, client: Host) -> None:
    """A value of the right form that nginx itself refuses (a size it cannot hold): the
    validators let it through, nginx -t stops it, and the files that served come back."""
    site = host.check_output("sha256sum /etc/nginx/sites-available/shop.conf")
    run = apply_nginx(nginx_client_max_body_size="99999999999999999999999m")
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert "nginx -t rejected the new configuration" in output, output[-2000:]
    assert host.check_output("sha256sum /etc/nginx/sites-available/shop.conf") == site
    assert host.run("nginx -t -q").rc == 0
    assert curl(client, f"https://{DOMAINS[0]}/healthz", "-o /dev/null").startswith("HTTP/2 200")
    assert host.check_output("sha256sum /etc/nginx/sites-available/shop.conf") == site


def apply_nginx(**extra_vars: object) -> subprocess.CompletedProcess[str]:
    return webstack_test.playbook(SCENARIO / "nginx.yml", **extra_vars)


BAD_INPUT: dict[str, tuple[dict, list[str]]] = {
    "domain that is not a host name": ({"webstack_domains": ["shop_example"]}, ["nginx_domains", "shop_example"]),
    "e-mail that is not one": ({"webstack_acme_email": "ops.example.test"}, ["nginx_acme_email", "ops.example.test"]),
    "HSTS preload without subdomains": ({"nginx_hsts_preload": True, "nginx_hsts_include_subdomains": False},
                                        ["nginx_hsts_preload needs nginx_hsts_include_subdomains"]),
    "unknown TLS mode": ({"nginx_tls_mode": "manual"}, ["nginx_tls_mode", "manual"]),
}


# Refused by the preflight, the same code on both releases: split between them (docs/testing.md).
@pytest.mark.parametrize("case", webstack_test.split(list(BAD_INPUT)))
def test_bad_input_fails_before_any_change(host: Host, case: str) -> None:
    extra_vars, expected = BAD_INPUT[case]
    before = host.check_output("sha256sum /etc/nginx/sites-available/shop.conf /etc/nginx/snippets/shop-headers.conf")
    assert_refused(apply_nginx(**extra_vars), WEB_HOST, expected)
    assert host.check_output("sha256sum /etc/nginx/sites-available/shop.conf /etc/nginx/snippets/shop-headers.conf") == before
