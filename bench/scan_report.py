"""Reads what bench/scan.sh collected in .cache/scan-<release>/ and writes
docs/security-<release>.json and the summary between the scan markers in docs/security.md.

    python3 bench/scan_report.py bookworm .cache/scan-bookworm
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from docblock import write_block

ROOT = Path(__file__).resolve().parent.parent
RELEASES = {"bookworm": "Debian 12", "trixie": "Debian 13"}
HOSTS = {"webstack-scan-bare": "bare test image", "webstack-cluster-web1": "web host (site playbook)",
         "webstack-cluster-db": "database host (site playbook)"}


def lynis(path: Path) -> dict:
    text = path.read_text()

    def value(key: str) -> str:
        match = re.search(rf"^{key}=(.*)$", text, re.M)
        assert match, f"{key} missing from {path}"
        return match.group(1)

    return {"version": value("lynis_version"), "index": int(value("hardening_index")),
            "tests": int(value("lynis_tests_done")),
            "warnings": re.findall(r"^warning\[\]=([^|]+)", text, re.M),
            "suggestions": re.findall(r"^suggestion\[\]=([^|]+)", text, re.M)}


def nmap(path: Path) -> dict:
    root = ET.parse(path).getroot()
    ports = root.findall(".//port")
    states: dict[str, int] = {}
    for extra in root.findall(".//extraports"):
        states[extra.get("state")] = states.get(extra.get("state"), 0) + int(extra.get("count"))
    for port in ports:
        state = port.find("state").get("state")
        states[state] = states.get(state, 0) + 1
    return {"version": root.get("version"),
            "open": [int(p.get("portid")) for p in ports if p.find("state").get("state") == "open"],
            "states": states}


def ssh_audit(path: Path) -> dict:
    findings = re.findall(r"^\((\w+)\) (\S+)\s+-- \[(fail|warn)\] (.+)$", path.read_text(), re.M)
    return {"fail": [f"{kind} {name}: {why}" for kind, name, level, why in findings if level == "fail"],
            "warn": [f"{kind} {name}: {why}" for kind, name, level, why in findings if level == "warn"]}


def testssl(path: Path) -> dict:
    findings = json.loads(path.read_text())
    by_id = {f["id"]: f for f in findings}

    def finding(*keys: str) -> str:
        """The first of these ids that the scan reported (testssl 3.0 says PFS where 3.2 says FS)."""
        return next((by_id[k]["finding"] for k in keys if k in by_id), "-")

    protocols = {name: "not offered" not in finding(key) and finding(key) != "-"
                 for key, name in [("SSLv2", "SSLv2"), ("SSLv3", "SSLv3"), ("TLS1", "TLS 1.0"),
                                   ("TLS1_1", "TLS 1.1"), ("TLS1_2", "TLS 1.2"), ("TLS1_3", "TLS 1.3")]}
    severities: dict[str, int] = {}
    for f in findings:
        severities[f["severity"]] = severities.get(f["severity"], 0) + 1
    return {
        "protocols": protocols,
        "ciphers": len([f for f in findings if re.match(r"cipher(-tls|_x)", f["id"])]),
        "forward_secrecy": finding("FS", "PFS"),
        "groups": finding("FS_ECDHE_curves", "PFS_ECDHE_curves"),
        "hsts": finding("HSTS_time"), "alpn": f"{finding('ALPN_HTTP2')} {finding('ALPN')}".strip(),
        "session_tickets": finding("TLS_session_ticket"),
        "certificate": f"{finding('cert_keySize')}, issuer {finding('cert_caIssuers')}",
        "severities": severities,
        "low_or_worse": [f"{f['id']} ({f['severity']}): {f['finding']}" for f in findings
                         if f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")],
    }


def systemd_analyze(path: Path) -> dict:
    text = path.read_text()
    match = re.search(r"Overall exposure level for (\S+): ([\d.]+) (\w+)", text)
    assert match, text[-2000:]
    open_items = re.findall(r"^✗ (\S+)", text, re.M)
    return {"unit": match.group(1), "exposure": float(match.group(2)), "level": match.group(3), "open": open_items}


def main() -> None:
    distro, out = sys.argv[1], Path(sys.argv[2])
    versions = (out / "versions.txt").read_text()
    result = {
        "distro": distro,
        "versions": dict(line.split(maxsplit=1) for line in versions.splitlines() if line.strip()),
        "lynis": {host: lynis(out / f"lynis-{host}.dat") for host in HOSTS},
        "nmap": {host: nmap(out / f"nmap-{host}.xml") for host in HOSTS},
        "ssh_audit": {host: ssh_audit(out / f"ssh-audit-{host}.txt") for host in list(HOSTS)[1:]},
        "testssl": testssl(out / "testssl.json"),
        "systemd_analyze": systemd_analyze(out / "systemd-analyze.txt"),
        "check_deploy": (out / "check-deploy.txt").read_text().strip(),
    }
    (ROOT / "docs" / f"security-{distro}.json").write_text(json.dumps(result, indent=2) + "\n")

    release = RELEASES[distro]
    lyn = result["lynis"]
    lines = [
        f"#### {release} ({distro})",
        "",
        "Scanners: " + ", ".join(f"{name} {version}" for name, version in result["versions"].items())
        + f", Lynis {lyn['webstack-cluster-web1']['version']}.",
        "",
        "| host | Lynis hardening index | tests | warnings | suggestions | open TCP ports seen from another host |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for host, label in HOSTS.items():
        ports = result["nmap"][host]
        others = ", ".join(f"{n} {state}" for state, n in sorted(ports["states"].items()) if state != "open")
        lines.append(f"| {label} | **{lyn[host]['index']}** | {lyn[host]['tests']} | {len(lyn[host]['warnings'])} | "
                     f"{len(lyn[host]['suggestions'])} | {', '.join(map(str, ports['open'])) or 'none'} ({others}) |")
    lines += [""]
    for host in list(HOSTS)[1:]:
        lines.append(f"Lynis on the {HOSTS[host]}: warnings {', '.join(sorted(set(lyn[host]['warnings']))) or 'none'}; "
                     f"suggestions {', '.join(sorted(set(lyn[host]['suggestions'])))}.")
        lines.append("")
    for host in list(HOSTS)[1:]:
        audit = result["ssh_audit"][host]
        lines.append(f"- ssh-audit, {HOSTS[host]}: {len(audit['fail'])} failures, {len(audit['warn'])} warnings"
                     + (f" ({'; '.join(audit['warn'] + audit['fail'])})" if audit["warn"] or audit["fail"] else ""))
    tls = result["testssl"]
    offered = [name for name, on in tls["protocols"].items() if on]
    lines += [
        f"- testssl.sh, https://shop.example.test/: protocols offered {', '.join(offered)} (no other); "
        f"{tls['ciphers']} ciphers; forward secrecy {tls['forward_secrecy']}; groups {tls['groups']}; "
        f"HSTS {tls['hsts']}; ALPN {tls['alpn']}; session tickets: {tls['session_tickets']}; "
        f"certificate {tls['certificate']}",
        "  - findings by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(tls["severities"].items())),
        "  - rated LOW or worse: " + ("; ".join(tls["low_or_worse"]) or "none"),
    ]
    sd = result["systemd_analyze"]
    lines += [
        f"- `systemd-analyze security {sd['unit']}`: exposure **{sd['exposure']} {sd['level']}**; "
        f"{len(sd['open'])} settings left open: {', '.join(sd['open'])}",
        f"- `manage.py check --deploy` on the web host, as the app runs it: \"{result['check_deploy']}\"",
    ]
    block = "\n".join(lines)
    write_block(ROOT / "docs" / "security.md", f"scan {distro}", "bench/scan.sh", block)
    print(block)


if __name__ == "__main__":
    main()
