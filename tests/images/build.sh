#!/usr/bin/env bash
# Build (or reuse) a Debian systemd test image from Debian's mirror.
#
#   tests/images/build.sh bookworm|trixie      build when missing or out of date
#   FORCE=1 tests/images/build.sh bookworm     rebuild unconditionally
#
# The image is tagged webstack-test:<distro> and labelled with a hash of this
# script, so a change to the recipe triggers a rebuild and nothing else does.
# The mirror is read from the machine's own apt sources; extra CA files the
# machine trusts (e.g. a proxy's) are copied in so pip works inside the hosts.
set -euo pipefail

distro=${1:?usage: build.sh bookworm|trixie}
case "$distro" in
  bookworm | trixie) ;;
  *) echo "build.sh: unknown distro '$distro' (expected bookworm or trixie)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
image="webstack-test:${distro}"
recipe_hash=$(sha256sum "$here/build.sh" | cut -c1-16)

if [ "${FORCE:-0}" != 1 ] &&
  [ "$(docker image inspect -f '{{ index .Config.Labels "webstack.recipe" }}' "$image" 2>/dev/null)" = "$recipe_hash" ]; then
  echo "image $image is up to date (recipe $recipe_hash)"
  exit 0
fi

command -v debootstrap >/dev/null || {
  echo "build.sh: debootstrap is missing; install it with: apt-get install debootstrap" >&2
  exit 1
}

# The machine's Debian mirror: first URIs line of a deb822 source, else sources.list.
mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '{print $2}' | grep -v -- '-security' | grep -m1 -E '/debian/?$' || true)
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -m1 -E '/debian/?$' || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${mirror%/debian}/debian-security
echo "building $image from $mirror"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

# What a freshly provisioned VPS has: systemd, sshd, python3 for Ansible, sudo.
include=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,ca-certificates,openssh-server,procps,less,gnupg
debootstrap --variant=minbase --include="$include" "$distro" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" >&2
  exit 1
}

cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror $distro main
deb $mirror $distro-updates main
deb $security $distro-security main
SOURCES

# Trust the same extra CAs as this machine (test images only, never the roles).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

# Units that make no sense in a container.
for unit in getty@tty1.service console-getty.service systemd-firstboot.service \
  sys-kernel-config.mount sys-kernel-debug.mount systemd-remount-fs.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# Host keys are made at first boot so every container gets its own.
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/systemd/system/ssh-keygen-firstboot.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
ln -sf ../ssh-keygen-firstboot.service "$root/etc/systemd/system/multi-user.target.wants/ssh-keygen-firstboot.service"
: >"$root/etc/machine-id"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/log/*.log

tar -C "$root" -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=docker' \
  --change "LABEL webstack.recipe=$recipe_hash" \
  - "$image" >/dev/null
echo "built $image (recipe $recipe_hash)"
