#!/usr/bin/env bash
# Start a Debian test image as a host with systemd in a container, with the same
# settings as the test scenarios' hosts (tests/images/systemd-host.json), and wait until
# systemd has booted. Options after the image name go to `docker run`
# (--hostname, --network, -p ...). An old container of that name is removed.
#   scripts/systemd-host.sh NAME IMAGE [docker run options...]
set -euo pipefail

name=${1:?container name}
image=${2:?image}
shift 2
docker rm -f "$name" >/dev/null 2>&1 || true
# The settings systemd needs, shared with the test scenarios (molecule/shared/create.yml).
mapfile -t settings < <(python3 - "$(dirname "$0")/../tests/images/systemd-host.json" <<'PY'
import json, sys
host = json.load(open(sys.argv[1]))
for flag, key in (("--cap-add", "capabilities"), ("--security-opt", "security_opts"), ("-v", "volumes"), ("--tmpfs", "tmpfs")):
    for value in host[key]:
        print(flag)
        print(value)
print(f"--cgroupns={host['cgroupns_mode']}")
print(f"--stop-signal={host['stop_signal']}")
print(host["command"])
PY
)
[ "${#settings[@]}" -gt 1 ] || { echo "tests/images/systemd-host.json could not be read" >&2; exit 1; }
command=${settings[-1]}
unset 'settings[-1]'
docker run -d --name "$name" "${settings[@]}" "$@" "$image" "$command" >/dev/null
for _ in $(seq 1 60); do
  case $(docker exec "$name" systemctl is-system-running --wait 2>/dev/null) in
    running | degraded) exit 0 ;;
  esac
  sleep 1
done
echo "$name: systemd did not finish booting in 60 s" >&2
exit 1
