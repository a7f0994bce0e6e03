"""The measurements of the stack benchmark; each returns its figures."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from load import Load, revision, serial, wrk
from runs import MODES, fresh_web_host, playbook
from shell import APP, DISTRO, ROOT, SITE, WEB, WRK_SCRIPT, log, on_web, run

sys.path.insert(0, str(ROOT / "molecule" / "shared"))
import webstack_test  # noqa: E402 - the release builders the scenarios use


def manual_packages(container: str | None) -> set[str]:
    script = "apt-mark showmanual"
    if container:
        return set(run("docker", "exec", container, "sh", "-c", script).stdout.split())
    return set(run("docker", "run", "--rm", f"webstack-test:{DISTRO}", "sh", "-c", script).stdout.split())


def floor(packages: list[str]) -> dict:
    """The least any tool could take: one apt-get install of what the site installed, and the app's pip install."""
    name = "webstack-bench-floor"
    run(str(ROOT / "scripts" / "systemd-host.sh"), name, f"webstack-test:{DISTRO}")
    # Debian's daily apt run would hold the package lock at boot; no tool should have to wait for it.
    run("docker", "exec", name, "systemctl", "stop", "apt-daily.timer", "apt-daily-upgrade.timer",
        "apt-daily.service", "apt-daily-upgrade.service", check=False)
    run("docker", "cp", str(ROOT / "examples" / "app" / "requirements.txt"), f"{name}:/var/tmp/requirements.txt")
    steps = {
        "apt-get update + install": "apt-get update -q && DEBIAN_FRONTEND=noninteractive "
                                    "apt-get install -y -q -o DPkg::Lock::Timeout=120 "
                                    + " ".join(packages),
        "venv + pip install": "python3 -m venv /var/tmp/venv && /var/tmp/venv/bin/pip install -q -r /var/tmp/requirements.txt",
    }
    result: dict = {"packages": packages, "steps": {}}
    for label, script in steps.items():
        start = time.monotonic()
        run("docker", "exec", name, "sh", "-c", script)
        result["steps"][label] = round(time.monotonic() - start, 1)
    result["seconds"] = round(sum(result["steps"].values()), 1)
    run("docker", "rm", "-f", name)
    log(f"floor: {result['steps']}")
    return result


def median(runs: list[dict]) -> dict:
    """The run of median wall time, with every run's seconds beside it (runs)."""
    ordered = sorted(runs, key=lambda result: result["seconds"])
    return {**ordered[(len(ordered) - 1) // 2], "runs": [result["seconds"] for result in runs]}


def floors(packages: list[str], rounds: int) -> dict:
    """The floor, measured `rounds` times in fresh containers: the median, and each round's seconds."""
    return median([floor(packages) for _ in range(rounds)])


def converges(rounds: int, modes: list[str] | None = None) -> dict:
    """For each connection mode, `rounds` times: a fresh host, the site playbook on it, then again (a no-op)."""
    modes = modes or list(MODES)
    image = manual_packages(None)
    first: dict = {mode: [] for mode in modes}
    noop: dict = {mode: [] for mode in modes}
    packages: list[str] = []
    for _ in range(rounds):
        for mode in modes:
            fresh_web_host()
            first[mode].append(playbook("site.yml", mode, root=True))
            if not packages:
                packages = sorted(manual_packages(WEB) - image)
            noop[mode].append(playbook("site.yml", mode))
            assert noop[mode][-1]["changed"] == 0, noop[mode][-1]
    return {"floor": floors(packages, rounds),
            "first_converge": {mode: median(first[mode]) for mode in modes},
            "noop": {mode: median(noop[mode]) for mode in modes}}


def deploys(tmp: Path, rounds: int, modes: list[str] | None = None) -> dict:
    """For each connection mode, `rounds` times: a code-only deploy, then a rollback to the release before it."""
    modes = modes or list(MODES)
    deploy: dict = {mode: [] for mode in modes}
    rollback: dict = {mode: [] for mode in modes}
    for round_ in range(rounds):
        for mode in modes:
            before = revision()
            variant = webstack_test.app_variant(tmp, f"code-{mode}-{round_}")
            deploy[mode].append(playbook("deploy.yml", mode, "-e", f"webstack_source_path={variant}"))
            deploy[mode][-1]["revision"] = [before, revision()]
            assert deploy[mode][-1]["revision"][1] != before, deploy[mode][-1]
            rollback[mode].append(playbook("rollback.yml", mode))
            rollback[mode][-1]["revision"] = revision()
            assert rollback[mode][-1]["revision"] == before, (rollback[mode][-1], before)
    return {"deploy": {mode: median(deploy[mode]) for mode in modes},
            "rollback": {mode: median(rollback[mode]) for mode in modes}}


def prepare_load() -> None:
    on_web("DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk hey curl >/dev/null")
    # wrk runs on the web host and reaches nginx by the site's name over loopback.
    on_web("grep -q ' shop.demo.test$' /etc/hosts || echo '127.0.0.1 shop.demo.test' >>/etc/hosts")
    run("docker", "cp", str(ROOT / "bench" / "wrk_count.lua"), f"{WEB}:{WRK_SCRIPT}")


def memory() -> dict:
    """Resident and proportional set size of each service's processes (main process and its children), idle."""
    script = r"""
import json, subprocess
out = {}
for unit in ("gunicorn-shop.service", "postgresql@%s-main.service", "nginx.service"):
    if "%s" in unit:
        version = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()[0]
        unit = unit % version
    main = subprocess.run(["systemctl", "show", "-P", "MainPID", unit], capture_output=True, text=True).stdout.strip()
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", main], capture_output=True, text=True).stdout.split()
    rss = pss = 0
    for pid in [main, *children]:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    out[unit] = {"processes": 1 + len(children), "rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)}
print(json.dumps(out))
"""
    figures = json.loads(run("docker", "exec", WEB, "python3", "-c", script).stdout)
    log(f"memory: {figures}")
    return figures


def serving() -> dict:
    """Requests/s and latency of the database page and a static file, 20 s each at 16 connections."""
    current = f"/srv/{APP}/current"
    units = {
        # Another gunicorn with the service's settings, bound to a TCP port instead of systemd's socket.
        "webstack-bench-gunicorn": f"{current}/venv/bin/gunicorn --config /etc/gunicorn/{APP}.conf.py "
                                   "--bind 127.0.0.1:8001",
        # Django's development server on the same release and database (--insecure: it serves static files).
        "webstack-bench-runserver": f"{current}/venv/bin/python {current}/manage.py runserver --noreload "
                                    "--insecure 127.0.0.1:8002",
    }
    for unit, command in units.items():
        on_web(f"systemctl stop {unit} 2>/dev/null; systemctl reset-failed {unit} 2>/dev/null; "
               f"systemd-run --unit {unit} --uid {APP} --gid {APP} -p EnvironmentFile=/srv/{APP}/shared/env "
               f"-p WorkingDirectory={current} {command}", check=False)
    for port in (8001, 8002):
        on_web(f"for i in $(seq 60); do curl -s -o /dev/null http://127.0.0.1:{port}/ && break; sleep 1; done")
    page = on_web(f"curl -sk {SITE}")
    static = re.search(r'/static/notes/site\.[0-9a-f]{12}\.css', page)
    assert static, page[:2000]
    # The site trusts X-Forwarded-Proto from its proxy; behind no proxy the header says the same.
    direct = ("Host: shop.demo.test", "X-Forwarded-Proto: https")
    cases = {
        "database page, nginx -> gunicorn": (SITE, ()),
        "database page, gunicorn alone": ("http://127.0.0.1:8001/", direct),
        "database page, manage.py runserver": ("http://127.0.0.1:8002/", direct),
        "hashed static file, nginx": (f"https://shop.demo.test{static.group(0)}", ()),
        "same file, Django (runserver --insecure)": ("http://127.0.0.1:8002/static/notes/site.css", direct),
    }
    results: dict = {}
    for label, (url, headers) in cases.items():
        wrk(url, 3, 16, headers=headers)  # warm up
        figures = wrk(url, 20, 16, headers=headers)
        figures["rps"] = round(figures["requests"] / figures["seconds"], 1)
        assert figures["non_2xx"] == 0 and figures["requests"] > 0, (label, figures)
        results[label] = figures
        log(f"serving, {label}: {figures['rps']} req/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    on_web("systemctl stop webstack-bench-gunicorn webstack-bench-runserver")
    return results


def zero_downtime(tmp: Path) -> dict:
    """A bounded load through nginx (8 connections, 20 ms between each connection's requests) during each change."""
    table: dict = {}

    def measure(label: str, change, tool: str = "hey", note: str = "") -> None:
        with Load(tool) as counts:
            detail = change()
        counts["what"] = detail or note
        table[label] = counts
        log(f"under load, {label}: {counts}")

    def deploy() -> str:
        before = revision()
        playbook("deploy.yml", "pipelining", "-e", f"webstack_source_path={webstack_test.app_variant(tmp, 'load')}")
        return f"release {before} -> {revision()}"

    def rollback() -> str:
        before = revision()
        playbook("rollback.yml", "pipelining")
        return f"release {before} -> {revision()}"

    def systemctl(action: str, unit: str) -> str:
        on_web(f"systemctl {action} {unit}")
        time.sleep(2)
        return f"systemctl {action} {unit}"

    def renew() -> str:
        before = serial()
        # As certbot's timer runs it, with the trust store of the ACME server in use.
        on_web("REQUESTS_CA_BUNDLE=/usr/local/share/webstack-acme/ca.pem "
               "certbot renew --force-renewal --no-random-sleep-on-renew --quiet")
        return f"certificate {before.split('=')[-1]} -> {serial().split('=')[-1]}"

    def broken() -> str:
        healthy = 'return JsonResponse({"status": "ok", "database": "ok", "revision": revision()})'
        failing = 'return JsonResponse({"status": "broken", "revision": revision()}, status=500)'
        before = revision()
        variant = webstack_test.app_variant(tmp, "broken-health", ("notes/views.py", healthy, failing))
        result = playbook("deploy.yml", "pipelining", "-e", f"webstack_source_path={variant}",
                          "-e", "release_health_retries=3", may_fail=True)
        assert result["rc"] != 0 and revision() == before, (result, revision(), before)
        return f"deploy failed its health check (rc {result['rc']}); still serving {revision()}"

    measure("deploy (deploy.yml, code-only change)", deploy)
    measure("rollback (rollback.yml)", rollback)
    measure("gunicorn reload (SIGHUP)", lambda: systemctl("reload", f"gunicorn-{APP}.service"))
    measure("gunicorn restart", lambda: systemctl("restart", f"gunicorn-{APP}.service"))
    measure("nginx reload", lambda: systemctl("reload", "nginx.service"))
    measure("nginx reload, wrk (no retry on a closed keep-alive connection)",
            lambda: systemctl("reload", "nginx.service"), tool="wrk")
    measure("certificate renewal (certbot renew --force-renewal)", renew)
    measure("broken release, switched back", broken)
    return table
