"""docs/benchmarks.md's stack tables, from the figures of bench/stack.py (docs/benchmarks.json)."""

from __future__ import annotations

import json

from docblock import write_block
from runs import MODES
from shell import ROOT

RELEASES = {"bookworm": "12 (bookworm)", "trixie": "13 (trixie)"}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def met(figure: float, target: float, unit: str) -> str:
    shown = f"{figure:.2f}x" if unit.startswith("x") else f"{figure:.1f}{unit}"
    return f"{shown} {'met' if figure <= target else 'missed'}"


# The targets of the speed work, with SSH pipelining or plain SSH (no strategy plugin).
TARGETS = {"first_converge": (2.0, "x the floor"), "noop": (15.0, " s"), "deploy": (15.0, " s")}


def runs(result: dict) -> str:
    """The median, then every run's seconds when there were several."""
    each = result.get("runs", [])
    return f"{result['seconds']}" + (f" ({', '.join(str(s) for s in each)})" if len(each) > 1 else "")


def report(r: dict) -> str:
    floor_s = r["floor"]["seconds"]
    rounds = r.get("rounds", 1)
    lines = [
        f"Debian {RELEASES[r['distro']]} hosts, {r['machine']['cores']} cores, measured {r['machine']['date']} "
        f"with ansible-core {r['machine']['ansible_core']}; "
        + (f"each figure is the median of {rounds} runs (every run in brackets)." if rounds > 1 else "one run of each."),
        "",
        "### Converge, re-run, deploy, rollback (seconds, wall clock)",
        "",
        "| run | plain SSH | SSH pipelining | Mitogen " + r["machine"]["mitogen"] + " |",
        "|---|---:|---:|---:|",
    ]
    for key, label in [("first_converge", "first converge of the site playbook (fresh host)"),
                       ("noop", "no-op re-run"), ("deploy", "deploy.yml, code-only change"),
                       ("rollback", "rollback.yml")]:
        lines.append(f"| {label} | " + " | ".join(runs(r[key][m]) for m in MODES) + " |")
    lines += [
        "",
        f"Install floor (fresh container, no Ansible): **{runs(r['floor'])} s**; its median run = "
        + " + ".join(f"{k} {v} s" for k, v in r["floor"]["steps"].items())
        + f", for the {len(r['floor']['packages'])} packages the converge installed: "
        + ", ".join(r["floor"]["packages"]) + ".",
        "",
        "Each run as a ratio: the first converge to the floor, the others to the first converge.",
        "",
        "| run | plain SSH | SSH pipelining | Mitogen |",
        "|---|---:|---:|---:|",
        "| first converge / floor | " + " | ".join(ratio(r["first_converge"][m]["seconds"], floor_s) for m in MODES) + " |",
    ]
    for key, label in [("noop", "no-op re-run"), ("deploy", "code-only deploy"), ("rollback", "rollback")]:
        lines.append(f"| {label} / first converge | "
                     + " | ".join(ratio(r[key][m]["seconds"], r["first_converge"][m]["seconds"]) for m in MODES) + " |")
    target_of = {"first_converge": "first converge <= 2.0x the floor", "noop": "no-op re-run <= 15 s",
                 "deploy": "code-only deploy <= 15 s"}
    lines += [
        "",
        "The targets are for plain SSH and pipelining; Mitogen's column is there to compare.",
        "",
        "| target | plain SSH | SSH pipelining | Mitogen |",
        "|---|---:|---:|---:|",
    ]
    for key, (target, unit) in TARGETS.items():
        figure = {m: r[key][m]["seconds"] / (floor_s if key == "first_converge" else 1) for m in MODES}
        lines.append(f"| {target_of[key]} | " + " | ".join(met(figure[m], target, unit) for m in MODES) + " |")
    lines += [
        "",
        f"Tasks in a no-op run: {r['noop']['ssh']['ok']} ok, {r['noop']['ssh']['changed']} changed.",
        "",
        "### Serving (wrk on the web host over loopback, 16 connections, 20 s)",
        "",
        "The cases take turns; each row is the run with the median requests/s, every run's requests/s beside it.",
        "",
        "| what | requests/s | runs | p50 (ms) | p99 (ms) | non-2xx | socket errors |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    serving = dict(r["serving"])
    proxied = serving.pop("nginx -> gunicorn / gunicorn alone", None)
    for label, f in serving.items():
        errors = f["connect_errors"] + f["read_errors"] + f["write_errors"] + f["timeouts"]
        each = ", ".join(str(x) for x in f.get("runs_rps", [f["rps"]]))
        lines.append(f"| {label} | {f['rps']} | {each} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['non_2xx']} "
                     f"| {errors} |")
    if proxied:
        verdict = "met" if proxied["ratio"] >= 0.9 else "missed"
        lines += ["", f"nginx -> gunicorn against gunicorn alone, the median of each round's ratio: "
                      f"**{proxied['ratio']:.0%}** (rounds: {', '.join(f'{x:.0%}' for x in proxied['runs'])}); "
                      f"target >= 90%: {verdict}."]
    lines += ["", "### Memory after converge (idle; main process and its children)", "",
              "| service | processes | RSS (MiB) | PSS (MiB) |", "|---|---:|---:|---:|"]
    for unit, m in r["memory"].items():
        lines.append(f"| {unit} | {m['processes']} | {m['rss_mib']} | {m['pss_mib']} |")
    small = r.get("small_host")
    if small:
        lines += ["", "### The smallest VPS: the whole site on a host of 1 GiB and 1 CPU", "",
                  f"A fresh web host started with `{small['limits']}`, converged by the site playbook with the sizing "
                  "rules (gunicorn_workers 0), then 20 s of wrk at 8 connections through nginx, then 30 s at rest. "
                  "Charged memory is what the kernel counts against the limit (page cache included, which it "
                  "reclaims before it kills); anonymous memory is the processes' own (RSS and shared memory).", "",
                  "| figure | value |", "|---|---:|",
                  f"| first converge (s) | {small['converge_seconds']} |",
                  f"| peak during the converge: charged / anonymous (MiB) | {small['peak_charged_mib']} / "
                  f"{small['peak_anon_mib']} |",
                  f"| at rest after the load: charged / anonymous (MiB) | {small['rest_charged_mib']} / "
                  f"{small['rest_anon_mib']} |",
                  f"| OOM kills (the control group's count) / journal lines about one | {small['oom_kills']} / "
                  f"{small['journal_oom_lines']} |",
                  f"| PostgreSQL sized from (MiB) / shared_buffers (MB) | {small['postgresql_sized_from_mib']} / "
                  f"{small['shared_buffers_mb']} |",
                  f"| gunicorn workers (two per CPU plus one) | {small['gunicorn_workers']} |",
                  f"| database page through nginx: requests/s, p99 (ms) | {small['rps_under_load']}, "
                  f"{small['p99_ms']:.1f} |"]
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


def write_docs(results: dict) -> None:
    (ROOT / "docs" / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n")
    write_block(ROOT / "docs" / "benchmarks.md", "stack", "bench/stack.py", report(results))
    print(report(results))
