#!/usr/bin/env bash
# TLS scan of the converged nginx host: converges the `cluster` Molecule scenario
# (two web hosts, a database host and pebble), runs Debian's testssl.sh from the
# ACME host against the first web host's
# site, and writes docs/security-testssl-<release>.json and a summary between
# the testssl markers in docs/security.md.
#   WEBSTACK_DISTRO=bookworm bench/tls.sh
set -euo pipefail

distro=${WEBSTACK_DISTRO:-bookworm}
export WEBSTACK_DISTRO=$distro
web=webstack-cluster-web1-$distro
acme=webstack-cluster-acme-$distro
json=docs/security-testssl-$distro.json

molecule converge --scenario-name cluster
trap 'molecule destroy --scenario-name cluster >/dev/null' EXIT

address=$(docker exec "$acme" getent hosts webstack-cluster-web1 | cut -d" " -f1)
docker exec "$acme" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q testssl.sh >/dev/null'
# Debian installs it as /usr/bin/testssl.
docker exec "$acme" sh -c 'curl -sfk https://localhost:15000/roots/0 -o /var/tmp/pebble-root.pem'
version=$(docker exec "$acme" sh -c "dpkg-query -W -f '\${Version}' testssl.sh")
# Protocols, cipher categories, forward secrecy, server defaults, headers, vulnerabilities.
docker exec "$acme" testssl --quiet --color 0 --warnings off --ip "$address" \
  --add-ca /var/tmp/pebble-root.pem --jsonfile /var/tmp/testssl.json \
  -p -e -f -S -h -U https://shop.example.test/ | tail -n 40 || true
docker exec "$acme" cat /var/tmp/testssl.json >"$json"

# Releases may be scanned side by side; one at a time writes docs/security.md.
mkdir -p .cache
exec 9>.cache/bench-tls.lock
flock 9
python3 - "$json" "$distro" "$version" <<'PY'
import json
import re
import sys
from pathlib import Path

path, distro, version = sys.argv[1:]
findings = json.loads(Path(path).read_text())
by_id = {f["id"]: f for f in findings}
release = {"bookworm": "Debian 12", "trixie": "Debian 13"}[distro]

def finding(*keys: str) -> str:
    """The first of these ids that the scan reported (testssl 3.0 says PFS where 3.2 says FS)."""
    for key in keys:
        if key in by_id:
            return by_id[key]["finding"]
    return "-"

protocols = ", ".join(
    f"{name} {'offered' if 'not offered' not in finding(key) and finding(key) != '-' else 'not offered'}"
    for key, name in [("SSLv2", "SSLv2"), ("SSLv3", "SSLv3"), ("TLS1", "TLS 1.0"), ("TLS1_1", "TLS 1.1"),
                      ("TLS1_2", "TLS 1.2"), ("TLS1_3", "TLS 1.3")])
ciphers = sorted({f["finding"].split()[-1] for f in findings if f["id"].startswith("cipher-tls1_") or
                  f["id"].startswith("cipher_x")})
severities = {}
for f in findings:
    severities.setdefault(f["severity"], []).append(f["id"])
bad = [f"{f['id']} ({f['severity']}): {f['finding']}" for f in findings
       if f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")]
lines = [
    f"{release}, testssl.sh {version}, against https://shop.example.test/ on the converged web host "
    f"(certificate from pebble):",
    "",
    f"- protocols: {protocols}",
    f"- forward secrecy: {finding('FS', 'PFS')}; key exchange groups: {finding('FS_ECDHE_curves', 'PFS_ECDHE_curves')}",
    f"- ciphers offered: {len([f for f in findings if re.match(r'cipher(-tls|_x)', f['id'])])}",
    f"- HSTS: {finding('HSTS_time')}; ALPN: {finding('ALPN_HTTP2')} {finding('ALPN')}; "
    f"session tickets: {finding('TLS_session_ticket')}",
    f"- certificate: {finding('cert_commonName')}, {finding('cert_keySize')}, issuer {finding('cert_caIssuers')}",
    f"- findings by severity: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(severities.items())),
]
lines += ["- findings rated LOW or worse:"] + [f"  - {b}" for b in bad] if bad else ["- findings rated LOW or worse: none"]
block = "\n".join(lines)
doc = Path("docs/security.md")
text = doc.read_text()
begin = f"<!-- BEGIN testssl {distro} (written by bench/tls.sh) -->"
end = f"<!-- END testssl {distro} (written by bench/tls.sh) -->"
new = f"{begin}\n{block}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: new, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + new + "\n"
doc.write_text(text)
print(block)
PY
