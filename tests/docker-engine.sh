#!/usr/bin/env bash
# Make sure a Docker engine answers. On Debian as root, install Debian's
# docker.io when it is missing and start dockerd in the background (these
# machines have no systemd of their own); otherwise say what to install.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  cat >&2 <<'MSG'
No Docker engine answers. Install and start one, then run this again:
  Debian/Ubuntu:  sudo apt-get install docker.io && sudo systemctl start docker
  elsewhere:      https://docs.docker.com/engine/install/
MSG
  exit 1
fi

if ! command -v dockerd >/dev/null; then
  echo "installing Docker engine (docker.io) from Debian"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
fi

if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl start docker
else
  echo "starting dockerd in the background (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
