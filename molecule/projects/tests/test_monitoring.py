"""Metrics and alerts (the monitoring role): the scenario's second host is the site's monitoring host, on which
Prometheus reads the exporters of both hosts and probes the site over HTTPS, and Alertmanager receives what fires.

Runs in both projects scenarios: wagtail on Debian 13 (Prometheus 2.53), twelve_factor on Debian 12 (2.42). The
alerts fire after 15 s here (the inventory's monitoring_alert_for), not the defaults' minutes.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from urllib.parse import quote

import pytest
import webstack_test
from testinfra.host import Host

SCENARIO = os.environ["MOLECULE_SCENARIO_NAME"]
KEY, MONITOR, DOMAIN = {
    "wagtail": ("webstack-wagtail", "webstack-wagtail-offsite", "wagtail.example.test"),
    "twelve_factor": ("webstack-twelve-factor", "webstack-twelve-factor-acme", "blog.example.test"),
}[SCENARIO]
SITE = webstack_test.container(KEY)
MONITORING = webstack_test.container(MONITOR)
ALERTS = ["HostDown", "DiskFull", "CertificateExpiring", "Http5xx", "BackupStale", "ReplicationLag", "UnitFailed",
          "HealthFailing"]
PORTS = {"node": 9100, "postgres": 9187, "nginx": 9113, "mtail": 3903}


@pytest.fixture(scope="module")
def site() -> Host:
    return webstack_test.host(KEY)


@pytest.fixture(scope="module")
def monitor() -> Host:
    return webstack_test.host(MONITOR)


def get(host: Host, url: str) -> str:
    """What a URL answers, asked from the host (with its own Python: the monitoring host has no curl)."""
    script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
    return host.check_output(f"python3 -c '{script}' '{url}'")


def prometheus(monitor: Host, path: str) -> dict:
    answer = json.loads(get(monitor, f"http://127.0.0.1:9090/api/v1/{path}"))
    assert answer["status"] == "success", answer
    return answer["data"]


def firing(monitor: Host) -> dict[str, set[str]]:
    """The alerts Alertmanager has now, active or silenced by another: alert name -> instances."""
    found: dict[str, set[str]] = {}
    for alert in json.loads(get(monitor, "http://127.0.0.1:9093/api/v2/alerts")):
        found.setdefault(alert["labels"]["alertname"], set()).add(alert["labels"].get("instance", ""))
    return found


def wait(what: str, check: Callable[[], object], seconds: int = 120) -> object:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(2)


def site_address(site: Host) -> str:
    return site.ansible("setup", "gather_subset=network", check=False)["ansible_facts"]["ansible_default_ipv4"]["address"]


def test_prometheus_reads_every_exporter_of_both_hosts_and_probes_the_site(monitor: Host) -> None:
    def targets() -> dict[tuple[str, str], str]:
        return {(t["labels"]["job"], t["labels"]["instance"]): t["health"]
                for t in prometheus(monitor, "targets?state=active")["activeTargets"]}

    expected = {("node", SITE), ("node", MONITORING), ("postgres", SITE), ("nginx", SITE), ("mtail", SITE),
                ("blackbox_https", f"https://{DOMAIN}/"), ("prometheus", MONITORING)}
    found = wait("every target up", lambda: (t := targets()) and all(t.get(k) == "up" for k in expected) and t)
    assert set(found) == expected, found
    # What each exporter reads: the systemd units, the database, nginx's connections and answers, the probe.
    for query, labels in [
        (f'node_systemd_unit_state{{instance="{SITE}",name="nginx.service",state="active"}}', None),
        (f'pg_up{{instance="{SITE}"}}', None),
        (f'nginx_connections_accepted{{instance="{SITE}"}}', None),
        (f'probe_http_status_code{{instance="https://{DOMAIN}/"}}', "200"),
        (f'probe_ssl_earliest_cert_expiry{{instance="https://{DOMAIN}/"}} - time() > 86400', None),
    ]:
        result = wait(query, lambda q=query: prometheus(monitor, f"query?query={quote(q)}")["result"])
        if labels is not None:
            assert result[0]["value"][1] == labels, result
    counted = quote(f'nginx_http_responses_total{{instance="{SITE}",status="200"}}')
    answers = wait("nginx's answers counted by mtail", lambda: prometheus(monitor, f"query?query={counted}")["result"])
    assert float(answers[0]["value"][1]) > 0, answers


def test_the_exporters_listen_on_the_private_address_and_answer_the_monitoring_host_alone(site: Host, monitor: Host) -> None:
    address = site_address(site)
    listening = site.check_output("ss -Htln")
    for name, port in PORTS.items():
        assert f"{address}:{port} " in listening, (name, listening)
        assert f"0.0.0.0:{port} " not in listening and f"*:{port} " not in listening, (name, listening)
        assert "# HELP" in get(monitor, f"http://{address}:{port}/metrics"), name
        # From anywhere else (this controller, on the test network's bridge) the firewall drops it.
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=1).close()
    # Prometheus, Alertmanager and the blackbox exporter: loopback only.
    listening = monitor.check_output("ss -Htln")
    for port in (9090, 9093, 9115):
        assert f"127.0.0.1:{port} " in listening, listening
    assert ":9094 " not in listening, listening  # no Alertmanager cluster port


def test_the_alerts_are_loaded_and_pass_their_tests_on_the_host(monitor: Host) -> None:
    loaded = [rule["name"] for group in prometheus(monitor, "rules?type=alert")["groups"] for rule in group["rules"]]
    assert loaded == ALERTS
    run = monitor.run("promtool test rules /etc/prometheus/webstack-alerts-test/alerts_test.yml")
    assert run.rc == 0 and "SUCCESS" in run.stdout, run.stdout + run.stderr
    assert monitor.file("/etc/prometheus/webstack-alerts-test/alerts.yml").content_string == \
        monitor.file("/etc/prometheus/webstack-alerts.yml").content_string
    # The inventory's durations are the rules'.
    rules = monitor.file("/etc/prometheus/webstack-alerts.yml").content_string
    assert "alert: HealthFailing" in rules and "for: 15s" in rules and "for: 15m" in rules


def test_the_newest_backup_of_each_kind_is_a_metric(site: Host, monitor: Host) -> None:
    site.check_output("systemctl start webstack-pg-backup.service webstack-backup@media.service")
    for kind in ("database", "media"):
        query = f'time() - webstack_backup_last_success_timestamp_seconds{{instance="{SITE}",kind="{kind}"}}'
        result = wait(f"the {kind} backup's time", lambda q=query: prometheus(monitor, f"query?query={quote(q)}")["result"])
        assert 0 <= float(result[0]["value"][1]) < 600, result
    assert "BackupStale" not in firing(monitor)


@pytest.mark.skipif(SCENARIO != "wagtail", reason="the scenario with a mail relay and a recipient")
def test_alertmanager_mails_through_the_sites_relay(monitor: Host) -> None:
    config = monitor.file("/etc/prometheus/alertmanager.yml")
    assert (config.user, config.group, config.mode) == ("root", "prometheus", 0o640)
    status = json.loads(get(monitor, "http://127.0.0.1:9093/api/v2/status"))["config"]["original"]
    assert "smtp_smarthost: smtp.example.test:2587" in status, status
    assert "smtp_auth_username: mysite@example.test" in status, status
    assert "ops@example.test" in status and "smtp_require_tls: true" in status, status


def test_a_stopped_service_fires_its_alert_in_alertmanager_and_it_clears(site: Host, monitor: Host) -> None:
    """nginx stopped: HealthFailing for the site's name; the node exporter stopped: HostDown for the host."""
    probe = f"https://{DOMAIN}/"
    assert not {"HealthFailing", "HostDown"} & set(firing(monitor))
    site.check_output("systemctl stop nginx.service prometheus-node-exporter.service")
    try:
        started = time.monotonic()

        def both() -> dict[str, set[str]]:
            now = firing(monitor)
            return now if probe in now.get("HealthFailing", set()) and SITE in now.get("HostDown", set()) else {}

        found = wait("HealthFailing and HostDown firing", both)
        print(f"HealthFailing ({probe}) and HostDown ({SITE}) in Alertmanager {time.monotonic() - started:.0f} s after")
        assert found["HealthFailing"] == {probe} and found["HostDown"] == {SITE}, found
    finally:
        site.check_output("systemctl start nginx.service prometheus-node-exporter.service")
    started = time.monotonic()
    wait("both alerts cleared", lambda: not {"HealthFailing", "HostDown"} & set(firing(monitor)), seconds=180)
    print(f"cleared {time.monotonic() - started:.0f} s after the start")
