#!/usr/bin/env bash
# The test hosts' package cache: Debian's apt-cacher-ng on this machine, shared by
# every test host of the run, so that each .deb is fetched from the mirror once.
# The hosts still install their packages with apt as a user's host does; only the
# download goes through the cache (molecule/shared/create.yml points each host's
# apt at it, through the gateway of the host's Docker network). PyPI's wheels are
# shared the same way: root's ~/.cache on every test host (pip's and uv's caches)
# is one directory of this machine (WEBSTACK_TEST_HOST_CACHE).
#
#   tests/package-cache.sh start   install it if missing, start it, print the settings
#   tests/package-cache.sh stop
#
# `start` prints shell assignments for the test run (`eval "$(tests/package-cache.sh start)"`):
# WEBSTACK_APT_CACHE_PORT and WEBSTACK_TEST_HOST_CACHE. Without root or apt-get it
# prints nothing and the hosts use the mirror directly: the cache only saves time.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$PWD/.cache/apt-cacher-ng
port=${WEBSTACK_APT_CACHE_PORT:-3142}
host_cache=$PWD/.cache/test-host-cache

stop() {
  if [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null; then
    echo "package cache stopped" >&2
  fi
  rm -f "$dir/pid"
}

answers() {
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/acng-report.html"
}

case ${1:-} in
  stop)
    stop
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: tests/package-cache.sh start|stop" >&2
    exit 2
    ;;
esac

if ! command -v apt-cacher-ng >/dev/null && [ ! -x /usr/sbin/apt-cacher-ng ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "package cache: apt-cacher-ng is not installed (apt-get install apt-cacher-ng); the test hosts use the mirror" >&2
    exit 0
  fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends apt-cacher-ng >/dev/null
fi

if ! answers; then
  stop
  mkdir -p "$dir/cache" "$dir/log" "$dir/conf"
  # A configuration of its own: a plain caching proxy for whatever mirror the
  # hosts name (tests/images/build.sh takes the machine's), no mirror lists to
  # remap to, no daemon of the package's (there may be no init system here).
  cat >"$dir/conf/acng.conf" <<CONF
CacheDir: $dir/cache
LogDir: $dir/log
SupportDir: /usr/lib/apt-cacher-ng
Port: $port
ExThreshold: 4
CONF
  /usr/sbin/apt-cacher-ng -c "$dir/conf" "PidFile=$dir/pid" ForeGround=0
  for _ in $(seq 1 20); do answers && break; sleep 0.5; done
  answers || {
    echo "package cache: apt-cacher-ng did not answer on port $port; the test hosts use the mirror" >&2
    exit 0
  }
fi
mkdir -p "$host_cache"
echo "package cache: apt-cacher-ng on port $port ($dir), PyPI caches in $host_cache" >&2
echo "export WEBSTACK_APT_CACHE_PORT=$port WEBSTACK_TEST_HOST_CACHE=$host_cache"
