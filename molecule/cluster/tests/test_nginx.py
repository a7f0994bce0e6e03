"""nginx in front of the app, on the cluster's first web host: a real ACME certificate
from pebble, renewal under load, the TLS profile, redirects, headers, unknown names,
static files and media, the other certificate modes, bad configuration and bad input.

Runs after test_cluster.py (file order), on the converged cluster."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import assert_no_failures, assert_refused

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
# Container (inventory) names carry the Debian release; inside the test network the
# hosts are webstack-cluster-web1 and webstack-cluster-acme on every release.
WEB = "webstack-cluster-web1"
WEBSERVERS = [WEB, "webstack-cluster-web2"]
ACME = "webstack-cluster-acme"
WEB_HOST = webstack_test.container(WEB)
ACME_HOST = webstack_test.container(ACME)
DOMAINS = ["shop.example.test", "www.shop.example.test"]
ROOT_CA = "/var/tmp/pebble-root.pem"

testinfra_hosts = [WEB_HOST]


def curl(client: Host, url: str, *options: str) -> str:
    """Headers and body of a request to the web host, with the test names resolved to it."""
    address = client.check_output(f"getent hosts {WEB} | cut -d' ' -f1")
    resolve = " ".join(f"--resolve {name}:{port}:{address}" for name in DOMAINS for port in (80, 443))
    return client.check_output(f"curl -sS -D - --cacert {ROOT_CA} {resolve} {' '.join(options)} '{url}'")


def s_client(client: Host, name: str, *options: str):
    return client.run(f"echo | openssl s_client -connect {WEB}:443 -servername {name} {' '.join(options)} 2>&1")


def serial(client: Host) -> str:
    return client.check_output(
        f"echo | openssl s_client -connect {WEB}:443 -servername {DOMAINS[0]} 2>/dev/null | openssl x509 -noout -serial")


def test_certificate_comes_from_pebble_and_covers_every_name(client: Host) -> None:
    for name in DOMAINS:
        run = s_client(client, name, f"-CAfile {ROOT_CA}", "-verify_return_error")
        assert "Verify return code: 0 (ok)" in run.stdout, run.stdout
    cert = client.check_output(
        f"echo | openssl s_client -connect {WEB}:443 -servername {DOMAINS[0]} 2>/dev/null "
        "| openssl x509 -noout -issuer -ext subjectAltName")
    print(cert)
    assert "Pebble Intermediate CA" in cert
    for name in DOMAINS:
        assert f"DNS:{name}" in cert


def test_http_redirects_to_https_and_serves_challenges(host: Host, client: Host) -> None:
    answer = curl(client, f"http://{DOMAINS[0]}/notes?page=2")
    assert answer.startswith("HTTP/1.1 301"), answer
    assert re.search(rf"(?im)^location: https://{re.escape(DOMAINS[0])}/notes\?page=2\r?$", answer), answer
    host.check_output("echo probe-token > /var/www/acme/.well-known/acme-challenge/probe "
                      "|| (mkdir -p /var/www/acme/.well-known/acme-challenge && "
                      "echo probe-token > /var/www/acme/.well-known/acme-challenge/probe)")
    answer = curl(client, f"http://{DOMAINS[1]}/.well-known/acme-challenge/probe")
    assert answer.startswith("HTTP/1.1 200") and answer.rstrip().endswith("probe-token"), answer


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
    assert run.rc != 0 and "unrecognized name" in run.stdout, run.stdout
    plain = client.run(f"curl -sS -o /dev/null -H 'Host: other.example.test' http://{WEB}/")
    assert plain.rc == 52, plain.stderr  # empty reply: nginx closed the connection (444)


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


def test_media_is_served_without_listing(host: Host, client: Host) -> None:
    host.check_output("runuser -u shop -- sh -c 'umask 027; echo uploaded > /srv/shop/shared/media/probe.txt'")
    answer = curl(client, f"https://{DOMAINS[0]}/media/probe.txt")
    assert answer.startswith("HTTP/2 200") and answer.rstrip().endswith("uploaded"), answer
    assert "x-content-type-options: nosniff" in answer.lower()
    listing = curl(client, f"https://{DOMAINS[0]}/media/")
    assert listing.split()[1] in ("403", "404"), listing
    assert "probe.txt" not in listing


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
                assert answer.split()[1] in ("301", "400", "403", "404"), f"{url}: {answer[:200]}"
    assert len(answers) == 2 * 2 * len(variants)


def test_renewal_timer_and_hook(host: Host) -> None:
    assert host.service("certbot.timer").is_enabled
    hook = host.file("/etc/letsencrypt/renewal-hooks/deploy/50-webstack-nginx")
    assert hook.mode == 0o755 and "nginx -t" in hook.content_string


def test_forced_renewal_under_load(host: Host, client: Host) -> None:
    before = serial(client)
    address = client.check_output(f"getent hosts {WEB} | cut -d' ' -f1")
    with webstack_test.load(ACME_HOST, {"WEBSTACK_TLS": address, "WEBSTACK_CA": ROOT_CA}) as counts:
        host.check_output("REQUESTS_CA_BUNDLE=/usr/local/share/webstack-acme/ca.pem "
                          "certbot renew --force-renewal --cert-name shop --no-random-sleep-on-renew")
        for _ in range(300):
            if serial(client) != before:
                break
            host.run("sleep 0.2")
    after = serial(client)
    print(f"renewal: {before} -> {after}; {counts}")
    assert after != before, "nginx serves the renewed certificate (the deploy hook reloaded it)"
    assert_no_failures(counts, least=10)


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


def apply_nginx(**extra_vars: object) -> subprocess.CompletedProcess[str]:
    return webstack_test.playbook(SCENARIO / "nginx.yml", **extra_vars)


def issuer(client: Host) -> str:
    return client.check_output(
        f"echo | openssl s_client -connect {WEB}:443 -servername {DOMAINS[0]} 2>/dev/null | openssl x509 -noout -issuer")


def test_self_signed_and_own_files_then_back_to_acme(host: Host, client: Host) -> None:
    run = apply_nginx(nginx_tls_mode="selfsigned")
    assert run.returncode == 0, run.stdout[-2000:]
    # OpenSSL 3.0 prints "issuer=CN = name", 3.5 "issuer=CN=name".
    assert issuer(client).replace(" ", "") == f"issuer=CN={DOMAINS[0]}", "self-signed: the issuer is the site itself"
    # Own files: each web host's live ACME certificate, copied elsewhere, stands in for a bought one.
    for name in WEBSERVERS:
        web = webstack_test.host(name)
        web.check_output("install -d -m 0750 /etc/ssl/shop && cp -L /etc/letsencrypt/live/shop/fullchain.pem "
                         "/etc/letsencrypt/live/shop/privkey.pem /etc/ssl/shop/")
    own = host.check_output("openssl x509 -noout -serial -in /etc/ssl/shop/fullchain.pem")
    run = apply_nginx(nginx_tls_mode="files", nginx_tls_certificate_file="/etc/ssl/shop/fullchain.pem",
                      nginx_tls_key_file="/etc/ssl/shop/privkey.pem")
    assert run.returncode == 0, run.stdout[-2000:]
    assert serial(client) == own
    run = apply_nginx()
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Pebble Intermediate CA" in issuer(client)


BAD_INPUT: dict[str, tuple[dict, list[str]]] = {
    "domain that is not a host name": ({"webstack_domains": ["shop_example"]}, ["nginx_domains", "shop_example"]),
    "e-mail that is not one": ({"webstack_acme_email": "ops.example.test"}, ["nginx_acme_email", "ops.example.test"]),
    "HSTS preload without subdomains": ({"nginx_hsts_preload": True, "nginx_hsts_include_subdomains": False},
                                        ["nginx_hsts_preload needs nginx_hsts_include_subdomains"]),
    "unknown TLS mode": ({"nginx_tls_mode": "manual"}, ["nginx_tls_mode", "manual"]),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_fails_before_any_change(host: Host, case: str) -> None:
    extra_vars, expected = BAD_INPUT[case]
    before = host.check_output("sha256sum /etc/nginx/sites-available/shop.conf /etc/nginx/snippets/shop-headers.conf")
    assert_refused(apply_nginx(**extra_vars), WEB_HOST, expected)
    assert host.check_output("sha256sum /etc/nginx/sites-available/shop.conf /etc/nginx/snippets/shop-headers.conf") == before
