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


def serving(rounds: int = 3) -> dict:
    """Requests/s and latency of the database page and a static file, 20 s each at 16 connections.

    The cases take turns, `rounds` times, and each figure is the run with the median requests/s: the machine's
    speed moves by more than the difference between nginx -> gunicorn and gunicorn alone from one minute to the
    next, so the two are measured side by side, round after round, and their ratio is taken within each round.
    """
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
    runs: dict = {label: [] for label in cases}
    for turn in range(1, rounds + 1):
        for label, (url, headers) in cases.items():
            wrk(url, 3, 16, headers=headers)  # warm up
            figures = wrk(url, 20, 16, headers=headers)
            figures["rps"] = round(figures["requests"] / figures["seconds"], 1)
            assert figures["non_2xx"] == 0 and figures["requests"] > 0, (label, figures)
            runs[label].append(figures)
            log(f"serving {turn}/{rounds}, {label}: {figures['rps']} req/s, p50 {figures['p50_ms']} ms, "
                f"p99 {figures['p99_ms']} ms")
    on_web("systemctl stop webstack-bench-gunicorn webstack-bench-runserver")
    results: dict = {}
    for label, figures in runs.items():
        chosen = sorted(figures, key=lambda f: f["rps"])[len(figures) // 2]
        results[label] = {**chosen, "runs_rps": [f["rps"] for f in figures]}
    proxied, alone = runs["database page, nginx -> gunicorn"], runs["database page, gunicorn alone"]
    ratios = sorted(round(a["rps"] / b["rps"], 3) for a, b in zip(proxied, alone, strict=True))
    results["nginx -> gunicorn / gunicorn alone"] = {"ratio": ratios[len(ratios) // 2], "runs": ratios}
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


SMALL_HOST = ("--memory", "1g", "--memory-swap", "1g", "--cpus", "1")


def _container_group(container: str) -> dict:
    """The container's memory control group files on this machine: cgroup v2 or v1, whichever holds it."""
    ident = run("docker", "inspect", "-f", "{{.Id}}", container).stdout.strip()
    for pattern, version in ((f"**/docker-{ident}.scope", 2), (f"**/{ident}", 2)):
        for path in Path("/sys/fs/cgroup").glob(pattern):
            if (path / "memory.current").exists():
                return {"version": version, "path": path}
    for path in Path("/sys/fs/cgroup/memory").glob(f"**/{ident}"):
        return {"version": 1, "path": path}
    sys.exit(f"no memory control group found for {container} ({ident})")


def _group_memory(group: dict) -> dict:
    """Charged memory (page cache included, what the limit counts), anonymous memory, and OOM kills so far."""
    path, v1 = group["path"], group["version"] == 1
    stat = dict(line.split() for line in (path / "memory.stat").read_text().splitlines())
    anon = (int(stat["total_rss"]) + int(stat["total_shmem"])) if v1 else int(stat["anon"]) + int(stat["shmem"])
    events = (path / ("memory.oom_control" if v1 else "memory.events")).read_text()
    kills = re.search(r"^oom_kill (\d+)", events, re.M)
    return {"charged": int((path / ("memory.usage_in_bytes" if v1 else "memory.current")).read_text()),
            "anon": anon, "oom_kills": int(kills.group(1)) if kills else 0}


def small_host() -> dict:
    """The whole site on the smallest VPS: a fresh web host limited to 1 GiB (no swap) and 1 CPU.

    Samples the container's memory every half second through the first converge, reads it again at rest, counts
    the kernel's OOM kills and the journal's mentions of them, and reads the sizes PostgreSQL and gunicorn got.
    """
    import threading

    run("scripts/demo.sh", "clean")
    run("scripts/demo.sh", "hosts", env={"WEBSTACK_DEMO_HOST_ARGS": " ".join(SMALL_HOST)})
    group = _container_group(WEB)
    peak = {"charged": 0, "anon": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            now = _group_memory(group)
            for key in peak:
                peak[key] = max(peak[key], now[key])
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # The sizing rules, not the demo's fixed worker count: gunicorn_workers 0 means two per core plus one.
    converge = playbook("site.yml", "pipelining", "-e", "gunicorn_workers=0", root=True)
    done.set()
    sampler.join()
    prepare_load()
    wrk(SITE, 3, 8)
    load = wrk(SITE, 20, 8)
    assert load["non_2xx"] == 0 and load["requests"] > 0, load
    time.sleep(30)
    rest = _group_memory(group)
    mib = 1024 * 1024
    settings = on_web("cat /etc/postgresql/*/main/conf.d/*webstack.conf /etc/gunicorn/shop.conf.py")
    sized_from = re.search(r"Memory computed from (\d+) MiB", settings)
    shared_buffers = re.search(r"^shared_buffers = (\d+)MB", settings, re.M)
    workers = re.search(r"^workers = (\d+)", settings, re.M)
    journal = on_web("journalctl --no-pager -o cat | grep -ciE 'oom[- ]kill|out of memory' || true").strip()
    result = {
        "limits": " ".join(SMALL_HOST),
        "converge_seconds": converge["seconds"],
        "peak_charged_mib": round(peak["charged"] / mib), "peak_anon_mib": round(peak["anon"] / mib),
        "rest_charged_mib": round(rest["charged"] / mib), "rest_anon_mib": round(rest["anon"] / mib),
        "oom_kills": rest["oom_kills"], "journal_oom_lines": int(journal or 0),
        "postgresql_sized_from_mib": int(sized_from.group(1)) if sized_from else None,
        "shared_buffers_mb": int(shared_buffers.group(1)) if shared_buffers else None,
        "gunicorn_workers": int(workers.group(1)) if workers else None,
        "rps_under_load": round(load["requests"] / load["seconds"], 1), "p99_ms": load["p99_ms"],
    }
    log(f"small host: {result}")
    # The sizing rules held: PostgreSQL from the 1 GiB limit (a quarter for shared_buffers), three workers for
    # one CPU, and no process killed for memory.
    assert result["postgresql_sized_from_mib"] == 1024 and result["shared_buffers_mb"] == 256, result
    assert result["gunicorn_workers"] == 3 and result["oom_kills"] == 0 and result["journal_oom_lines"] == 0, result
    run("scripts/demo.sh", "clean")
    return result
