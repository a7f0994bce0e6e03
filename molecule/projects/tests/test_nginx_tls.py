"""nginx's own certificate on a web host with no balancers in front (the first-VPS
layout): issued by pebble through nginx's webroot, HTTP to HTTPS, renewal under load,
and the other certificate modes and back.

Runs in twelve_factor, whose scenario has the ACME server; wagtail's nginx serves a
self-signed certificate, which test_projects.py uses."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import assert_no_failures

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
# The nginx role alone, after the topology, as the cluster's tests apply it.
NGINX = SCENARIO.parent / "cluster" / "nginx.yml"
WEB = "webstack-twelve-factor"
ACME = "webstack-twelve-factor-acme"
DOMAIN = "blog.example.test"
ROOT_CA = webstack_test.PEBBLE_ROOT

pytestmark = pytest.mark.skipif(os.environ["MOLECULE_SCENARIO_NAME"] != "twelve_factor",
                                reason="this scenario's nginx serves a self-signed certificate (test_projects.py)")
testinfra_hosts = [webstack_test.container(WEB)]


@pytest.fixture(scope="module")
def client() -> Host:
    """The ACME host is the HTTPS client: it trusts pebble's root and nothing else."""
    return webstack_test.acme_client(ACME)


@pytest.fixture(scope="module")
def web(client: Host) -> str:
    return client.check_output(f"getent hosts {WEB} | cut -d' ' -f1")


def curl(client: Host, web: str, url: str, *options: str) -> str:
    resolve = " ".join(f"--resolve {DOMAIN}:{port}:{web}" for port in (80, 443))
    return client.check_output(f"curl -sS -D - --cacert {ROOT_CA} {resolve} {' '.join(options)} '{url}'")


def certificate(client: Host, web: str, fields: str = "-issuer -serial") -> str:
    return client.check_output(
        f"echo | openssl s_client -connect {web}:443 -servername {DOMAIN} 2>/dev/null | openssl x509 -noout {fields}")


def test_the_certificate_comes_from_pebble(client: Host, web: str) -> None:
    run = client.run(f"echo | openssl s_client -connect {web}:443 -servername {DOMAIN} -CAfile {ROOT_CA} "
                     "-verify_return_error 2>&1")
    assert "Verify return code: 0 (ok)" in run.stdout, run.stdout[-800:]
    text = certificate(client, web, "-issuer -ext subjectAltName")
    assert "Pebble Intermediate CA" in text and f"DNS:{DOMAIN}" in text, text


def test_http_redirects_to_https_and_serves_challenges_from_the_webroot(host: Host, client: Host, web: str) -> None:
    answer = curl(client, web, f"http://{DOMAIN}/admin/login/?next=/")
    assert answer.startswith("HTTP/1.1 301"), answer
    assert re.search(rf"(?im)^location: https://{re.escape(DOMAIN)}/admin/login/\?next=/\r?$", answer), answer
    host.check_output("mkdir -p /var/www/acme/.well-known/acme-challenge && "
                      "echo probe-token > /var/www/acme/.well-known/acme-challenge/probe")
    answer = curl(client, web, f"http://{DOMAIN}/.well-known/acme-challenge/probe")
    assert answer.startswith("HTTP/1.1 200") and answer.rstrip().endswith("probe-token"), answer


def test_renewal_timer_and_hook(host: Host) -> None:
    assert host.service("certbot.timer").is_enabled
    hook = host.file("/etc/letsencrypt/renewal-hooks/deploy/50-webstack-nginx")
    assert hook.mode == 0o755 and "nginx -t" in hook.content_string


def test_forced_renewal_under_load(host: Host, client: Host, web: str) -> None:
    before = certificate(client, web, "-serial")
    env = {"WEBSTACK_TLS": web, "WEBSTACK_HOST": DOMAIN, "WEBSTACK_CA": ROOT_CA, "WEBSTACK_LOAD_PATH": "/"}
    with webstack_test.load(webstack_test.container(ACME), env) as counts:
        host.check_output("REQUESTS_CA_BUNDLE=/usr/local/share/webstack-acme/ca.pem "
                          "certbot renew --force-renewal --cert-name blog --no-random-sleep-on-renew")
        for _ in range(100):
            if certificate(client, web, "-serial") != before:
                break
            time.sleep(0.2)
    after = certificate(client, web, "-serial")
    print(f"renewal: {before} -> {after}; {counts}")
    assert after != before, "nginx serves the renewed certificate (the deploy hook reloaded it)"
    assert_no_failures(counts, least=10)


def test_self_signed_and_own_files_then_back_to_acme(host: Host, client: Host, web: str) -> None:
    run = webstack_test.playbook(NGINX, nginx_tls_mode="selfsigned")
    assert run.returncode == 0, webstack_test.output(run)[-2000:]
    # OpenSSL 3.0 prints "issuer=CN = name", 3.5 "issuer=CN=name".
    assert certificate(client, web, "-issuer").replace(" ", "") == f"issuer=CN={DOMAIN}"
    # Own files: the live ACME certificate, copied elsewhere, stands in for a bought one.
    host.check_output("install -d -m 0750 /etc/ssl/blog && cp -L /etc/letsencrypt/live/blog/fullchain.pem "
                      "/etc/letsencrypt/live/blog/privkey.pem /etc/ssl/blog/")
    own = host.check_output("openssl x509 -noout -serial -in /etc/ssl/blog/fullchain.pem")
    run = webstack_test.playbook(NGINX, nginx_tls_mode="files", nginx_tls_certificate_file="/etc/ssl/blog/fullchain.pem",
                                 nginx_tls_key_file="/etc/ssl/blog/privkey.pem")
    assert run.returncode == 0, webstack_test.output(run)[-2000:]
    assert certificate(client, web, "-serial") == own
    run = webstack_test.playbook(NGINX)
    assert run.returncode == 0, webstack_test.output(run)[-2000:]
    assert "Pebble Intermediate CA" in certificate(client, web, "-issuer")
