#!/usr/bin/env bash
# The demo: start a disposable Debian host (a systemd container published on
# 127.0.0.1:2222), run the site playbook against it over SSH, print where it is.
#   scripts/demo.sh          make or reuse the host and converge it (quick the 2nd time)
#   scripts/demo.sh clean    remove everything the demo made
set -euo pipefail
cd "$(dirname "$0")/.."

name=webstack-demo
distro=${WEBSTACK_DISTRO:-bookworm}
port=${WEBSTACK_DEMO_SSH_PORT:-2222}
state=.cache/demo

if [ "${1:-}" = clean ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$state"
  echo "demo removed"
  exit 0
fi

start=$(date +%s)
mkdir -p "$state"
[ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C webstack-demo -f "$state/id_ed25519"

if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$name" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -p "127.0.0.1:$port:22" "webstack-test:$distro" >/dev/null
  docker exec "$name" systemctl is-system-running --wait >/dev/null || true
  # What a VPS provider does: root's authorized_keys holds your key.
  docker exec -i "$name" sh -c 'install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys' <"$state/id_ed25519.pub"
fi

ssh_ok() {
  ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 -i "$state/id_ed25519" -p "$port" "$1@127.0.0.1" true
}
for _ in $(seq 1 30); do ssh_ok admin || ssh_ok root && break; sleep 1; done

# The first run on a fresh server connects as root; the base role then creates
# the admin user and turns root login off, so later runs connect as admin.
user_args=()
if ! ssh_ok admin; then
  user_args=(-e ansible_user=root)
fi
ansible-playbook -i inventories/demo/hosts.yml "${user_args[@]}" playbooks/site.yml

cat <<MSG

Demo host converged in $(($(date +%s) - start)) s: Debian $distro, hardened by webstack.django.base.
  ssh -i $state/id_ed25519 -p $port admin@127.0.0.1       # your admin login (root login is off)
  ssh -i $state/id_ed25519 -p $port root@127.0.0.1        # refused
Run 'make demo' again: it changes nothing. Remove it all with: make demo-clean
MSG
