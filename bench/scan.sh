#!/usr/bin/env bash
# The security report, from real scanners in one run: converges the `cluster`
# Molecule scenario (two web hosts behind nginx with certificates from pebble, a
# database host, the ACME host) and starts a bare host from the same image on
# the same network. Then:
#   - from the ACME host, a stranger on the network: nmap (every TCP port) against
#     a web host, the database host and the bare host; ssh-audit against the web
#     and database hosts; testssl.sh against the site;
#   - on the web host: systemd-analyze security for the app server's unit and
#     `manage.py check --deploy` as the app runs it;
#   - Lynis on the bare host, the web host and the database host.
# Raw outputs stay in .cache/scan-<release>/; the figures go to
# docs/security-<release>.json and between the scan markers in docs/security.md.
#   WEBSTACK_DISTRO=bookworm bench/scan.sh     (make bench-scan: both releases)
set -euo pipefail
cd "$(dirname "$0")/.."

distro=${WEBSTACK_DISTRO:-bookworm}
# The scan's hosts and network have names of their own (the release plus
# "-scan"), so that a scan can run beside the test suite's cluster scenario.
export WEBSTACK_DISTRO=$distro-scan
docker tag "webstack-test:$distro" "webstack-test:$WEBSTACK_DISTRO"
acme=webstack-cluster-acme-$WEBSTACK_DISTRO
web=webstack-cluster-web1-$WEBSTACK_DISTRO
db=webstack-cluster-db-$WEBSTACK_DISTRO
bare=webstack-scan-bare-$WEBSTACK_DISTRO
out=.cache/scan-$distro
rm -rf "$out"
mkdir -p "$out"

molecule converge --scenario-name cluster >"$out/converge.log" 2>&1 ||
  { tail -n 60 "$out/converge.log"; exit 1; }
cleanup() {
  docker rm -f "$bare" >/dev/null 2>&1 || true
  molecule destroy --scenario-name cluster >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The bare host: the test image as it boots, nothing of the collection on it.
scripts/systemd-host.sh "$bare" "webstack-test:$distro" --hostname webstack-scan-bare \
  --network "webstack-cluster-$WEBSTACK_DISTRO" --network-alias webstack-scan-bare

apt_install() {
  local host=$1
  shift
  docker exec "$host" sh -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $* >/dev/null"
}
apt_install "$acme" nmap ssh-audit testssl.sh
docker exec "$acme" dpkg-query -W nmap ssh-audit testssl.sh >"$out/versions.txt"

# Every TCP port of each host role, from another host on the same network.
for target in webstack-cluster-web1 webstack-cluster-db webstack-scan-bare; do
  docker exec "$acme" nmap -Pn -n -p 1-65535 -T4 --max-retries 1 --min-rate 5000 --host-timeout 300s \
    -oX - "$(docker exec "$acme" getent hosts "$target" | cut -d' ' -f1)" >"$out/nmap-$target.xml"
done

for target in webstack-cluster-web1 webstack-cluster-db; do
  docker exec "$acme" ssh-audit -n "$target" >"$out/ssh-audit-$target.txt" || true
done

# TLS: the site's name resolves to the first web host; pebble's root is trusted.
address=$(docker exec "$acme" getent hosts webstack-cluster-web1 | cut -d' ' -f1)
docker exec "$acme" sh -c 'curl -sfk https://localhost:15000/roots/0 -o /var/tmp/pebble-root.pem'
docker exec "$acme" rm -f /var/tmp/testssl.json
docker exec "$acme" testssl --quiet --color 0 --warnings off --ip "$address" \
  --add-ca /var/tmp/pebble-root.pem --jsonfile /var/tmp/testssl.json \
  -p -e -f -S -h -U https://shop.example.test/ >"$out/testssl.txt" 2>&1 || true
docker exec "$acme" cat /var/tmp/testssl.json >"$out/testssl.json"

# The app server's sandbox, and Django's deployment checklist as the app runs it.
docker exec "$web" systemd-analyze security --no-pager gunicorn-shop.service >"$out/systemd-analyze.txt" 2>&1 || true
docker exec "$web" systemd-analyze --version | head -n 1 >>"$out/versions.txt"
docker exec "$web" systemd-run --quiet --wait --pipe --collect --uid=shop --gid=shop \
  --working-directory=/srv/shop/current --property=EnvironmentFile=/srv/shop/shared/env \
  /srv/shop/current/venv/bin/python /srv/shop/current/manage.py check --deploy >"$out/check-deploy.txt" 2>&1 ||
  echo "exit $?" >>"$out/check-deploy.txt"

# Lynis on the three hosts, side by side.
for host in "$bare" "$web" "$db"; do
  (apt_install "$host" lynis &&
    docker exec "$host" lynis audit system --quick --no-colors >/dev/null &&
    docker exec "$host" cat /var/log/lynis-report.dat >"$out/lynis-${host%-"$WEBSTACK_DISTRO"}.dat" &&
    docker exec "$host" cat /var/log/lynis.log >"$out/lynis-${host%-"$WEBSTACK_DISTRO"}.log") &
done
wait

python3 bench/scan_report.py "$distro" "$out"
