#!/usr/bin/env bash
# The demo: two disposable Debian hosts on a Docker network of their own, a web
# and database host reached over SSH on 127.0.0.1:2222 the way a VPS is, and a
# local ACME server (pebble). The site playbook provisions the web host and
# deploys examples/app over HTTPS with a certificate from pebble, published
# on 127.0.0.1:8443.
#   scripts/demo.sh          make or reuse the hosts and converge them (quick the 2nd time)
#   scripts/demo.sh hosts    only make or reuse the hosts and the ACME server (bench/stack.py)
#   scripts/demo.sh clean    remove everything the demo made
set -euo pipefail
cd "$(dirname "$0")/.."

distro=${WEBSTACK_DISTRO:-bookworm}
ssh_port=${WEBSTACK_DEMO_SSH_PORT:-2222}
https_port=${WEBSTACK_DEMO_HTTPS_PORT:-8443}
web=webstack-demo
acme=webstack-demo-acme
network=webstack-demo
domain=shop.demo.test
state=.cache/demo

if [ "${1:-}" = clean ]; then
  docker rm -f "$web" "$acme" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
  rm -rf "$state"
  echo "demo removed"
  exit 0
fi

start=$(date +%s)
mkdir -p "$state"
[ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C webstack-demo -f "$state/id_ed25519"
docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null

# A systemd host, as the test scenarios run them (scripts/systemd-host.sh),
# unless it runs already; true when it was started now.
run_host() {
  local name=$1
  shift
  if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
    scripts/systemd-host.sh "$name" "webstack-test:$distro" --hostname "$name" --network "$network" "$@"
    return 0
  fi
  return 1
}

run_host "$acme" || true
# WEBSTACK_DEMO_HOST_ARGS: more `docker run` options for the web host, such as the
# smallest VPS's limits (bench/stack.py: --memory 1g --memory-swap 1g --cpus 1).
read -r -a host_args <<<"${WEBSTACK_DEMO_HOST_ARGS:-}"
if run_host "$web" -p "127.0.0.1:$ssh_port:22" -p "127.0.0.1:$https_port:443" "${host_args[@]}"; then
  # What a VPS provider does: root's authorized_keys holds your key.
  docker exec -i "$web" sh -c 'install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys' <"$state/id_ed25519.pub"
fi

ssh_ok() {
  ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 -i "$state/id_ed25519" -p "$ssh_port" "$1@127.0.0.1" true
}
for _ in $(seq 1 30); do ssh_ok admin || ssh_ok root && break; sleep 1; done

# The first run on a fresh server connects as root; the base role then creates
# the admin user and turns root login off, so later runs connect as admin.
user_args=()
if ! ssh_ok admin; then
  user_args=(-e ansible_user=root)
fi
# The local ACME server (as in the test scenarios), then the site playbook.
ansible-playbook -i inventories/demo/hosts.yml "${user_args[@]}" molecule/shared/acme_server.yml \
  -e acme_pki_dir="$PWD/$state/acme-pki" >"$state/acme.log" ||
  { tail -n 40 "$state/acme.log"; exit 1; }
[ "${1:-}" = hosts ] && exit 0
ansible-playbook -i inventories/demo/hosts.yml "${user_args[@]}" playbooks/site.yml

# pebble makes a new root CA each time it starts: fetch the one in use.
docker exec "$acme" curl -sfk https://localhost:15000/roots/0 >"$state/pebble-root.pem"
curl_cmd="curl --cacert $state/pebble-root.pem --resolve $domain:$https_port:127.0.0.1 https://$domain:$https_port/"
status=$($curl_cmd -s -o /dev/null -w '%{http_code}' || true)

cat <<MSG

Demo converged in $(($(date +%s) - start)) s: Debian $distro, hardened, PostgreSQL, gunicorn, nginx,
examples/app deployed over HTTPS with a certificate from the local ACME server (pebble).

  https://$domain:$https_port/      (answered $status just now)

Try it (the name resolves to 127.0.0.1 and the certificate chains to pebble's root):
  $curl_cmd
In a browser: add "127.0.0.1 $domain" to /etc/hosts and trust $state/pebble-root.pem.
  ssh -i $state/id_ed25519 -p $ssh_port admin@127.0.0.1       # your admin login (root login is off)
Run 'make demo' again: it changes nothing. Remove it all with: make demo-clean
MSG
