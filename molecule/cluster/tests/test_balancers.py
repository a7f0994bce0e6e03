"""The balancers in front of the cluster: each with its own certificate from pebble,
the floating address on one of them, the web hosts reachable through them only, the
client's address and HTTPS as Django sees them, statistics kept private, a bad
configuration refused, draining by hand, a renewal, a web host stopped and the active
balancer stopped, each under load through the floating address.

Runs first (file order), on the converged cluster."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import webstack_test
from cluster_front import LB, WEB, front, holder, https, requests_by_host, stats, took_requests, version
from testinfra.host import Host
from webstack_test import assert_no_failures, assert_refused

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
PROJECT = SCENARIO.parent.parent
ACME = "webstack-cluster-acme"
DOMAINS = ["shop.example.test", "www.shop.example.test"]
ROOT_CA = "/var/tmp/pebble-root.pem"
CONFIG = "/etc/haproxy/haproxy.cfg"

testinfra_hosts = [webstack_test.container(name) for name in LB]


def address(client: Host, name: str) -> str:
    return client.check_output(f"getent hosts {name} | cut -d' ' -f1")


def serial(client: Host, target: str) -> str:
    return client.check_output(
        f"echo | openssl s_client -connect {target}:443 -servername {DOMAINS[0]} 2>/dev/null | openssl x509 -noout -serial")


def state(balancer: str, name: str) -> str:
    """A web host's status on one balancer (UP, DRAIN, MAINT, DOWN...)."""
    return stats(balancer)[webstack_test.container(name)]["status"]


def test_each_balancer_has_its_own_pebble_certificate_for_every_name(client: Host) -> None:
    serials = {}
    for name in LB:
        target = address(client, name)
        for domain in DOMAINS:
            run = client.run(f"echo | openssl s_client -connect {target}:443 -servername {domain} "
                             f"-CAfile {ROOT_CA} -verify_return_error 2>&1")
            assert "Verify return code: 0 (ok)" in run.stdout, (name, domain, run.stdout[-800:])
        text = client.check_output(f"echo | openssl s_client -connect {target}:443 -servername {DOMAINS[0]} "
                                   "2>/dev/null | openssl x509 -noout -issuer -serial")
        assert "Pebble Intermediate CA" in text, text
        serials[name] = serial(client, target)
    # The names resolve to the floating address, which one balancer holds: the other's challenges were answered
    # by its own certbot through the holder's HAProxy.
    assert len(set(serials.values())) == 2, serials


def test_one_balancer_holds_the_floating_address(client: Host) -> None:
    holders = holder(front(client))
    assert len(holders) == 1, holders
    for name in LB:
        host = webstack_test.host(name)
        assert host.service("keepalived").is_running and host.service("haproxy").is_running
    answer = https(client, front(client), "/healthz")
    assert answer["status"] == 200, answer


def test_web_hosts_admit_the_balancers_only(client: Host) -> None:
    for name in WEB:
        target = address(client, name)
        for port in (80, 443, 8080):
            probe = client.run(f"timeout 3 bash -c '</dev/tcp/{target}/{port}'")
            assert probe.rc != 0, f"{name}:{port} answered a host that is not a balancer"
        for balancer in LB:
            probe = webstack_test.host(balancer).run(f"timeout 3 bash -c '</dev/tcp/{target}/8080'")
            assert probe.rc == 0, (balancer, name)
        rules = webstack_test.host(name).check_output("nft list table inet webstack_filter")
        assert "dport 8080" in rules and "dport 443" not in rules, rules


def test_django_sees_the_client_and_https_whatever_the_client_claims(client: Host) -> None:
    own = client.check_output("ip -4 -o route get 1.1.1.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'")
    seen = version(client, front(client))
    assert (seen["client"], seen["secure"]) == (own, True), seen
    # Forwarding headers a client sends are replaced by the balancer's.
    spoofed = json.loads(client.check_output(
        f"curl -sS --cacert {ROOT_CA} --resolve {DOMAINS[0]}:443:{front(client)} "
        f"-H 'X-Forwarded-For: 203.0.113.9' -H 'X-Forwarded-Proto: http' https://{DOMAINS[0]}/version"))
    assert (spoofed["client"], spoofed["secure"]) == (own, True), spoofed


def test_statistics_and_metrics_stay_on_loopback(client: Host) -> None:
    for name in LB:
        host = webstack_test.host(name)
        assert "web_shop" in host.check_output("curl -sf 'http://127.0.0.1:8404/;csv'")
        metrics = host.check_output("curl -sf http://127.0.0.1:8405/metrics")
        assert "haproxy_server_check_status" in metrics or "haproxy_server_status" in metrics, metrics[:500]
        target = address(client, name)
        for port in (8404, 8405):
            assert client.run(f"timeout 3 bash -c '</dev/tcp/{target}/{port}'").rc != 0, (name, port)


def test_renewal_timer_and_hook(host: Host) -> None:
    assert host.service("certbot.timer").is_enabled
    hook = host.file("/etc/letsencrypt/renewal-hooks/deploy/50-webstack-haproxy-shop")
    assert hook.mode == 0o755 and "webstack-haproxy-cert-shop" in hook.content_string
    renewal = host.file("/etc/letsencrypt/renewal/shop.conf").content_string
    assert "authenticator = standalone" in renewal and "http01_port = 8888" in renewal, renewal


def test_forced_renewal_under_load_on_the_active_balancer(client: Host) -> None:
    (active,) = holder(front(client))
    before = serial(client, front(client))
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        webstack_test.host(active).check_output(
            "REQUESTS_CA_BUNDLE=/usr/local/share/webstack-acme/ca.pem "
            "certbot renew --force-renewal --cert-name shop --no-random-sleep-on-renew")
        for _ in range(100):
            if serial(client, front(client)) != before:
                break
            time.sleep(0.2)
    after = serial(client, front(client))
    print(f"renewal on {active}: {before} -> {after}; {counts}")
    assert after != before, "HAProxy serves the renewed certificate (the deploy hook reloaded it)"
    assert_no_failures(counts, least=10)


def test_bad_config_never_reaches_haproxy(client: Host) -> None:
    """A value of the right form that HAProxy itself refuses (a timeout past its 24.8 days): the validators let
    it through, haproxy -c stops it, and the file that served stays."""
    before = {name: webstack_test.host(name).check_output(f"sha256sum {CONFIG}") for name in LB}
    run = webstack_test.playbook(SCENARIO / "haproxy.yml", haproxy_timeout_client="99999d")
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert "haproxy -c" in output or "validat" in output.lower(), output[-2000:]
    for name in LB:
        assert webstack_test.host(name).check_output(f"sha256sum {CONFIG}") == before[name], name
    assert https(client, front(client), "/healthz")["status"] == 200


BAD_INPUT: dict[str, tuple[dict, list[str]]] = {
    "statistics on a public address": ({"haproxy_stats_address": "8.8.8.8"}, ["haproxy_stats_address", "public address"]),
    "a check path with a space": ({"haproxy_check_path": "/health z"}, ["haproxy_check_path"]),
    "a check interval in words": ({"haproxy_check_interval": "one second"}, ["haproxy_check_interval", "time"]),
}


# Refused by the preflight, the same code on both releases: split between them (docs/testing.md).
@pytest.mark.parametrize("case", webstack_test.split(list(BAD_INPUT)))
def test_bad_input_fails_before_any_change(case: str) -> None:
    extra_vars, expected = BAD_INPUT[case]
    before = {name: webstack_test.host(name).check_output(f"sha256sum {CONFIG}") for name in LB}
    assert_refused(webstack_test.playbook(SCENARIO / "haproxy.yml", **extra_vars), webstack_test.container(LB[0]), expected)
    for name in LB:
        assert webstack_test.host(name).check_output(f"sha256sum {CONFIG}") == before[name], name


def host_state(target: str, wanted: str) -> subprocess.CompletedProcess[str]:
    return webstack_test.playbook(PROJECT / "playbooks" / "host_state.yml", target=webstack_test.container(target),
                                  state=wanted)


def test_a_drained_web_host_takes_no_request_until_it_is_ready(client: Host) -> None:
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        run = host_state(WEB[0], "drain")
        assert run.returncode == 0, webstack_test.output(run)[-2000:]
        assert [state(balancer, WEB[0]) for balancer in LB] == ["DRAIN", "DRAIN"]
        drained = requests_by_host()
        time.sleep(3)
        during = requests_by_host()
        run = host_state(WEB[0], "ready")
        assert run.returncode == 0, webstack_test.output(run)[-2000:]
        time.sleep(2)
    print(f"drain and ready: {counts}")
    assert during[WEB[0]] == drained[WEB[0]] and during[WEB[1]] > drained[WEB[1]], (drained, during)
    assert [state(balancer, WEB[0]) for balancer in LB] == ["UP", "UP"]
    assert_no_failures(counts, least=10)


def test_a_web_host_stopped_under_load_fails_no_request(client: Host) -> None:
    """docker stop of web2 (its systemd stops nginx and gunicorn), then start: the balancers retry on web1,
    take web2 out within their checks, and back once it answers."""
    name = webstack_test.container(WEB[1])
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        time.sleep(1)
        subprocess.run(["docker", "stop", name], check=True, capture_output=True)
        t0 = time.monotonic()
        while any(state(balancer, WEB[1]) == "UP" for balancer in LB):
            assert time.monotonic() - t0 < 30, "web2 still up on a balancer"
            time.sleep(0.1)
        out = time.monotonic() - t0
        time.sleep(2)
        subprocess.run(["docker", "start", name], check=True, capture_output=True)
        t1 = time.monotonic()
        while not all(state(balancer, WEB[1]) == "UP" for balancer in LB):
            assert time.monotonic() - t1 < 120, "web2 not back up on the balancers"
            time.sleep(0.2)
        back = time.monotonic() - t1
        taken = requests_by_host()
        time.sleep(2)
    print(f"docker stop of web2: out of rotation {out:.1f} s after the stop, back {back:.1f} s after the start; {counts}")
    assert took_requests(taken, requests_by_host()) == WEB, "both web hosts take requests again"
    assert_no_failures(counts, least=20)


def kill_and_wait(host: Host, unit: str, timeout: float = 30) -> float:
    """SIGKILL to every process of unit; the seconds until systemd has restarted it and it is active."""
    restarts = int(host.check_output(f"systemctl show -p NRestarts --value {unit}"))
    host.check_output(f"systemctl kill --signal=SIGKILL {unit}")
    t0 = time.monotonic()
    while (int(host.check_output(f"systemctl show -p NRestarts --value {unit}")) == restarts
           or host.run(f"systemctl is-active --quiet {unit}").rc != 0):
        assert time.monotonic() - t0 < timeout, f"{unit} not restarted"
        time.sleep(0.1)
    return time.monotonic() - t0


def test_sigkill_of_nginx_then_of_gunicorn_on_a_web_host_fails_no_request(client: Host) -> None:
    """Every process of each unit killed at once, as a crash or the OOM killer does: systemd restarts it, and the
    balancers retry what the dead process held on the other web host."""
    web = webstack_test.host(WEB[1])
    with webstack_test.load(webstack_test.container(ACME), {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
        time.sleep(1)
        nginx = kill_and_wait(web, "nginx.service")
        time.sleep(2)
        gunicorn = kill_and_wait(web, "gunicorn-shop.service")
        time.sleep(3)
    print(f"SIGKILL on web2: nginx back in {nginx:.1f} s, gunicorn in {gunicorn:.1f} s; {counts}")
    assert_no_failures(counts, least=20)


def test_stopping_the_active_balancer_moves_the_address(client: Host) -> None:
    """The takeover: the figures are reported (connections open on the stopped balancer are cut)."""
    (active,) = holder(front(client))
    (other,) = [name for name in LB if name != active]
    container = webstack_test.container(active)
    try:
        with webstack_test.load(webstack_test.container(ACME),
                                {"WEBSTACK_TLS": front(client), "WEBSTACK_CA": ROOT_CA}) as counts:
            time.sleep(1)
            t0 = time.monotonic()
            subprocess.run(["docker", "stop", container], check=True, capture_output=True)
            stopped = time.monotonic() - t0
            while holder_of(other, front(client)) is False:
                assert time.monotonic() - t0 < 30, "no balancer took the address"
                time.sleep(0.1)
            took = time.monotonic() - t0
            time.sleep(3)
        print(f"active balancer stopped: {other} held the address {took - stopped:.1f} s after docker stop "
              f"({stopped:.1f} s) ended; {counts}")
        assert counts["requests"] >= 20, counts
        after = https(client, front(client), "/healthz")
        assert after["status"] == 200, after
        # Maintenance goes on through the balancer that is left, naming the one it could not reach.
        for wanted in ("drain", "ready"):
            run = host_state(WEB[0], wanted)
            assert run.returncode == 0, webstack_test.output(run)[-2000:]
            assert f"WARNING: {container} could not be reached" in run.stdout, run.stdout[-2000:]
            expected = "DRAIN" if wanted == "drain" else "UP"
            assert state(other, WEB[0]) == expected, (wanted, stats(other))
    finally:
        subprocess.run(["docker", "start", container], check=True, capture_output=True)
        subprocess.run(["docker", "exec", container, "systemctl", "is-system-running", "--wait"],
                       check=False, capture_output=True, timeout=120)
    # nopreempt: the balancer that comes back stays a backup.
    time.sleep(3)
    assert holder(front(client)) == [other]


def holder_of(name: str, floating: str) -> bool:
    return bool(webstack_test.host(name).check_output(f"ip -o addr show to {floating}/32").strip())
