#!/usr/bin/env bash
# Start a Debian test image as a host with systemd in a container, with the same
# settings as the Molecule platforms (molecule/*/molecule.yml), and wait until
# systemd has booted. Options after the image name go to `docker run`
# (--hostname, --network, -p ...). An old container of that name is removed.
#   scripts/systemd-host.sh NAME IMAGE [docker run options...]
set -euo pipefail

name=${1:?container name}
image=${2:?image}
shift 2
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp --stop-signal SIGRTMIN+3 \
  "$@" "$image" /sbin/init >/dev/null
for _ in $(seq 1 60); do
  case $(docker exec "$name" systemctl is-system-running --wait 2>/dev/null) in
    running | degraded) exit 0 ;;
  esac
  sleep 1
done
echo "$name: systemd did not finish booting in 60 s" >&2
exit 1
