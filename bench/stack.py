"""The whole stack, measured in one run on the demo's disposable Debian 12 hosts, reached
over SSH on 127.0.0.1 the way a VPS is: the install floor, first converges with plain
SSH, SSH pipelining and Mitogen, no-op re-runs, code-only deploys and rollbacks, serving
(nginx -> gunicorn vs gunicorn alone vs runserver; static files through nginx vs Django),
memory after converge, and a load through nginx during each change that could drop a
request. Writes docs/benchmarks.json and the tables between the stack markers in
docs/benchmarks.md.

    make bench-stack          (part of `make bench`)

It starts from `scripts/demo.sh clean` and leaves a converged demo behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "molecule" / "shared"))
import webstack_test  # noqa: E402 - the release builders the scenarios use
from docblock import write_block  # noqa: E402

DISTRO = os.environ.get("WEBSTACK_DISTRO", "bookworm")
WEB = "webstack-demo"
ACME = "webstack-demo-acme"
INVENTORY = ROOT / "inventories" / "demo" / "hosts.yml"
PLAYBOOKS = ROOT / "playbooks"
SITE = "https://shop.demo.test/"
WRK_SCRIPT = "/var/tmp/wrk_count.lua"
APP = "shop"
RESULTS: dict = {"distro": DISTRO, "machine": {}}
RELEASES = {"bookworm": "12 (bookworm)", "trixie": "13 (trixie)"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*command: str, check: bool = True, env: dict | None = None, timeout: int = 1800) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(command)[:300]} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def on_web(script: str, check: bool = True) -> str:
    return run("docker", "exec", WEB, "sh", "-c", script, check=check).stdout


# --- Ansible runs ------------------------------------------------------------------

def mitogen_env() -> dict:
    import ansible_mitogen  # the pinned dev toolchain carries it

    strategy = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    # Mitogen opens SSH itself and does not read ansible_ssh_common_args' host key options.
    return {"ANSIBLE_STRATEGY_PLUGINS": str(strategy), "ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_HOST_KEY_CHECKING": "False"}


MODES = {
    # What ansible-core does unless told otherwise: a few SSH round trips per task.
    "ssh": ({}, ["-e", "ansible_pipelining=false"]),
    # The module goes down the same SSH session as the command (the inventories' setting).
    "pipelining": ({}, ["-e", "ansible_pipelining=true"]),
    "mitogen": (None, []),
}


def playbook(name: str, mode: str, *args: str, root: bool = False, may_fail: bool = False) -> dict:
    """One ansible-playbook run over SSH; its wall time and recap. Fails loudly unless told it may fail."""
    env, extra = MODES[mode]
    env = mitogen_env() if env is None else env
    command = ["ansible-playbook", "-i", str(INVENTORY), str(PLAYBOOKS / name), *extra, *args]
    if root:
        # A fresh server: root's key, as a VPS provider hands it over; base turns root login off.
        command += ["-e", "ansible_user=root"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", **env))
    seconds = round(time.monotonic() - start, 1)
    recap = re.search(r"^demo\s*:\s*ok=(\d+)\s+changed=(\d+).*?failed=(\d+)", done.stdout, re.M)
    result = {"seconds": seconds, "rc": done.returncode,
              "ok": int(recap.group(1)) if recap else None,
              "changed": int(recap.group(2)) if recap else None}
    log(f"{name} ({mode}{', as root' if root else ''}): {result}")
    if done.returncode != 0 and not may_fail:
        sys.exit(f"{name} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return result


def fresh_web_host() -> None:
    run("docker", "rm", "-f", WEB, check=False)
    run("scripts/demo.sh", "hosts")


# --- Install floor ---------------------------------------------------------------

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


# --- Load -----------------------------------------------------------------------

def parse_wrk(out: str) -> dict:
    """The JSON line bench/wrk_count.lua prints, plus the socket errors summed."""
    figures = json.loads(out.split("WEBSTACK ", 1)[1])
    figures["socket_errors"] = sum(figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return figures


def wrk(url: str, seconds: int, connections: int, pause_ms: int = 0, headers: tuple[str, ...] = ()) -> dict:
    options = [f"-H '{header}'" for header in headers]
    return parse_wrk(on_web(f"wrk -t2 -c{connections} -d{seconds}s {' '.join(options)} -s {WRK_SCRIPT} {url} "
                            f"-- {pause_ms}"))


def parse_hey(out: str) -> dict:
    """hey's summary: answers per status, errors, latency percentiles."""
    statuses = {int(code): int(count) for code, count in re.findall(r"^\s*\[(\d{3})\]\s+(\d+) responses", out, re.M)}
    errors = {text.strip(): int(count) for count, text in
              re.findall(r"^\s*\[(\d+)\]\s+(.+)$", out.split("Error distribution:", 1)[1], re.M)} \
        if "Error distribution:" in out else {}
    latency = dict(re.findall(r"^\s*(\d+)% in ([\d.]+) secs", out, re.M))
    total = re.search(r"Total:\s+([\d.]+) secs", out)
    assert statuses and total, out
    return {"requests": sum(statuses.values()) + sum(errors.values()), "statuses": statuses,
            "non_2xx": sum(n for code, n in statuses.items() if not 200 <= code < 300),
            "socket_errors": sum(errors.values()), "errors": errors, "seconds": float(total.group(1)),
            "p50_ms": round(float(latency["50"]) * 1000, 1), "p99_ms": round(float(latency["99"]) * 1000, 1)}


# Each load tool: its command line, the text that shows it printed its figures, their parser.
# hey (the default): 8 workers, each at most 50 requests/s, HTTP/1.1 keep-alive; like a
# browser, it sends a request again when a kept-alive connection turns out closed before
# any answer. wrk: 8 connections, 20 ms between each one's requests, no such retry.
LOAD_TOOLS = {
    "hey": (f"hey -z 3600s -c 8 -q 50 {SITE}", "Status code distribution:", parse_hey),
    "wrk": (f"wrk -t2 -c8 -d3600s -s {WRK_SCRIPT} {SITE} -- 20", "WEBSTACK ", parse_wrk),
}


class Load:
    """A bounded load through nginx until the block ends, from 3 s before the change to 3 s after it."""

    def __init__(self, tool: str = "hey") -> None:
        self.tool = tool
        self.command, self.marker, self.parse = LOAD_TOOLS[tool]
        self.counts: dict = {}

    def __enter__(self) -> dict:
        on_web("rm -f /var/tmp/load.out")
        run("docker", "exec", "-d", WEB, "sh", "-c", f"{self.command} >/var/tmp/load.out 2>&1")
        time.sleep(3)
        return self.counts

    def __exit__(self, *exc: object) -> None:
        time.sleep(3)
        on_web(f"pkill -INT -x {self.tool}")
        for _ in range(30):
            out = on_web("cat /var/tmp/load.out", check=False)
            if self.marker in out:
                self.counts.update(self.parse(out))
                return
            time.sleep(1)
        raise RuntimeError(f"{self.tool} printed no figures: {out}")


def serial() -> str:
    return on_web(f"openssl x509 -noout -serial -in /etc/letsencrypt/live/{APP}/cert.pem", check=False).strip()


def revision() -> str:
    return json.loads(on_web(f"curl -sk {SITE}healthz"))["revision"]


# --- The run --------------------------------------------------------------------

def converges() -> None:
    image = manual_packages(None)
    first: dict = {}
    noop: dict = {}
    packages: list[str] = []
    for mode in MODES:
        fresh_web_host()
        first[mode] = playbook("site.yml", mode, root=True)
        if not packages:
            packages = sorted(manual_packages(WEB) - image)
        noop[mode] = playbook("site.yml", mode)
        assert noop[mode]["changed"] == 0, noop[mode]
    RESULTS["floor"] = floor(packages)
    RESULTS["first_converge"] = first
    RESULTS["noop"] = noop


def deploys(tmp: Path) -> None:
    deploy: dict = {}
    rollback: dict = {}
    for mode in MODES:
        before = revision()
        variant = webstack_test.app_variant(tmp, f"code-{mode}")
        deploy[mode] = playbook("deploy.yml", mode, "-e", f"webstack_source_path={variant}")
        deploy[mode]["revision"] = [before, revision()]
        rollback[mode] = playbook("rollback.yml", mode)
        rollback[mode]["revision"] = revision()
        assert rollback[mode]["revision"] == before, (rollback[mode], before)
    RESULTS["deploy"] = deploy
    RESULTS["rollback"] = rollback


def prepare_load() -> None:
    on_web("DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk hey curl >/dev/null")
    # wrk runs on the web host and reaches nginx by the site's name over loopback.
    on_web("grep -q ' shop.demo.test$' /etc/hosts || echo '127.0.0.1 shop.demo.test' >>/etc/hosts")
    run("docker", "cp", str(ROOT / "bench" / "wrk_count.lua"), f"{WEB}:{WRK_SCRIPT}")


def memory() -> None:
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
    RESULTS["memory"] = json.loads(run("docker", "exec", WEB, "python3", "-c", script).stdout)
    log(f"memory: {RESULTS['memory']}")


def serving() -> None:
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
    RESULTS["serving"] = {}
    for label, (url, headers) in cases.items():
        wrk(url, 3, 16, headers=headers)  # warm up
        figures = wrk(url, 20, 16, headers=headers)
        figures["rps"] = round(figures["requests"] / figures["seconds"], 1)
        assert figures["non_2xx"] == 0 and figures["requests"] > 0, (label, figures)
        RESULTS["serving"][label] = figures
        log(f"serving, {label}: {figures['rps']} req/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    on_web("systemctl stop webstack-bench-gunicorn webstack-bench-runserver")


def zero_downtime(tmp: Path) -> None:
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
    RESULTS["zero_downtime"] = table


# --- Report -----------------------------------------------------------------------

def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def met(figure: float, target: float, unit: str) -> str:
    shown = f"{figure:.2f}" if unit == "x" else f"{figure:.1f}"
    return f"{shown}{unit} {'met' if figure <= target else 'missed'}"


def report() -> str:
    r = RESULTS
    floor_s = r["floor"]["seconds"]
    ssh = r["first_converge"]["ssh"]["seconds"]
    lines = [
        f"Debian {RELEASES[r['distro']]} hosts, {r['machine']['cores']} cores, measured {r['machine']['date']} "
        f"with ansible-core {r['machine']['ansible_core']}.",
        "",
        "### Converge, re-run, deploy, rollback (seconds, wall clock)",
        "",
        "| run | plain SSH | SSH pipelining | Mitogen " + r["machine"]["mitogen"] + " |",
        "|---|---:|---:|---:|",
    ]
    for key, label in [("first_converge", "first converge of the site playbook (fresh host)"),
                       ("noop", "no-op re-run"), ("deploy", "deploy.yml, code-only change"),
                       ("rollback", "rollback.yml")]:
        lines.append(f"| {label} | " + " | ".join(f"{r[key][m]['seconds']}" for m in MODES) + " |")
    lines += [
        "",
        f"Install floor (fresh container, no Ansible): **{floor_s} s** = "
        + " + ".join(f"{k} {v} s" for k, v in r["floor"]["steps"].items())
        + f", for the {len(r['floor']['packages'])} packages the converge installed: "
        + ", ".join(r["floor"]["packages"]) + ".",
        "",
        "| target | plain SSH | SSH pipelining | Mitogen |",
        "|---|---:|---:|---:|",
        "| first converge <= 2.5x the floor | "
        + " | ".join(met(r["first_converge"][m]["seconds"] / floor_s, 2.5, "x") for m in MODES) + " |",
        "| no-op re-run <= 20 s | " + " | ".join(met(r["noop"][m]["seconds"], 20, " s") for m in MODES) + " |",
        "| code-only deploy <= 20 s | " + " | ".join(met(r["deploy"][m]["seconds"], 20, " s") for m in MODES) + " |",
        "",
        f"No-op re-run vs first converge (plain SSH): {ratio(r['noop']['ssh']['seconds'], ssh)}. Tasks in a no-op run: "
        f"{r['noop']['ssh']['ok']} ok, {r['noop']['ssh']['changed']} changed.",
        "",
        "### Serving (wrk on the web host over loopback, 16 connections, 20 s)",
        "",
        "| what | requests/s | p50 (ms) | p99 (ms) | non-2xx | socket errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, f in r["serving"].items():
        errors = f["connect_errors"] + f["read_errors"] + f["write_errors"] + f["timeouts"]
        lines.append(f"| {label} | {f['rps']} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['non_2xx']} | {errors} |")
    lines += ["", "### Memory after converge (idle; main process and its children)", "",
              "| service | processes | RSS (MiB) | PSS (MiB) |", "|---|---:|---:|---:|"]
    for unit, m in r["memory"].items():
        lines.append(f"| {unit} | {m['processes']} | {m['rss_mib']} | {m['pss_mib']} |")
    lines += ["", "### Zero downtime: a bounded load through nginx during each change", "",
              "hey on the web host: 8 workers, each at most 50 requests/s, to the database page over HTTPS, "
              "from 3 s before the change to 3 s after it; every answer but a 2xx counts as failed.", "",
              "| change | what happened | requests | non-2xx | socket errors | p50 (ms) | p99 (ms) |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for label, c in r["zero_downtime"].items():
        errors = f"{c['socket_errors']}" + (f" ({'; '.join(c['errors'])})" if c.get("errors") else "")
        lines.append(f"| {label} | {c['what']} | {c['requests']} | {c['non_2xx']} | {errors} | "
                     f"{c['p50_ms']:.1f} | {c['p99_ms']:.1f} |")
    hey = [c for label, c in r["zero_downtime"].items() if "wrk" not in label]
    total_bad = sum(c["non_2xx"] + c["socket_errors"] for c in hey)
    lines += ["", f"Failed requests over all changes (hey): **{total_bad}** (target 0)."]
    return "\n".join(lines)


def write_docs() -> None:
    (ROOT / "docs" / "benchmarks.json").write_text(json.dumps(RESULTS, indent=2) + "\n")
    write_block(ROOT / "docs" / "benchmarks.md", "stack", "bench/stack.py", report())
    print(report())


def main() -> None:
    if sys.argv[1:] == ["report"]:  # the documents again from docs/benchmarks.json, without measuring
        RESULTS.update(json.loads((ROOT / "docs" / "benchmarks.json").read_text()))
        write_docs()
        return
    import ansible
    import mitogen

    RESULTS["machine"] = {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
                          "ansible_core": ansible.__version__, "mitogen": mitogen.__version__
                          if isinstance(mitogen.__version__, str) else ".".join(map(str, mitogen.__version__))}
    start = time.monotonic()
    # `bench/stack.py load` measures only serving, memory and the changes under load, on the demo as it is.
    whole = not sys.argv[1:]
    if whole:
        run("scripts/demo.sh", "clean")
        converges()
    prepare_load()
    with tempfile.TemporaryDirectory() as tmp:
        if whole:
            deploys(Path(tmp))
        if sys.argv[1:] != ["changes"]:
            memory()
            serving()
        zero_downtime(Path(tmp))
    RESULTS["bench_seconds"] = round(time.monotonic() - start)
    if whole:
        write_docs()
    else:
        print(json.dumps(RESULTS, indent=2))


if __name__ == "__main__":
    main()
