#!/usr/bin/env bash
# Run Molecule scenarios on Debian releases, one release per process side by
# side (each with its own HOME, so Molecule's state and installed collection are
# its own; container names carry the release). Each scenario's log goes to
# .cache/logs/<release>-<scenario>.log; a failed scenario's log tail is printed.
# The last line counts the testinfra results of every run.
#   tests/run-scenarios.sh "bookworm trixie" "site_invalid base"
set -euo pipefail

distros=${1:?distros}
scenarios=${2:?scenarios}
logs=$PWD/.cache/logs
mkdir -p "$logs"

# Scenarios that run on one release only, and which (docs/testing.md says why).
declare -A only_on=([wagtail]=trixie [twelve_factor]=bookworm)

run_release() {
  local distro=$1 passed=0 failed=0 status=0 log t0 result summary p f e
  export WEBSTACK_DISTRO=$distro
  export HOME=$PWD/.cache/home-$distro
  mkdir -p "$HOME"
  for scenario in $scenarios; do
    if [ -n "${only_on[$scenario]:-}" ] && [ "${only_on[$scenario]}" != "$distro" ]; then
      echo "=== scenario $scenario runs on Debian ${only_on[$scenario]} only, not on $distro"
      continue
    fi
    log="$logs/$distro-$scenario.log"
    echo "=== scenario $scenario on Debian $distro (log: ${log#"$PWD"/})"
    t0=$(date +%s)
    if molecule test --scenario-name "$scenario" >"$log" 2>&1; then
      result=ok
    else
      result=FAILED
      status=1
    fi
    # pytest's closing line, e.g. "==== 19 passed in 48.84s ====" or "1 failed, 18 passed".
    summary=$(grep -E '=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 || true)
    p=$(sed -nE 's/.*[ =]([0-9]+) passed.*/\1/p' <<<"$summary")
    f=$(sed -nE 's/.*[ ,]([0-9]+) failed.*/\1/p' <<<"$summary")
    e=$(sed -nE 's/.*[ ,]([0-9]+) errors?.*/\1/p' <<<"$summary")
    p=${p:-0}
    f=$((${f:-0} + ${e:-0}))
    # A scenario that failed outside pytest (converge, idempotence, check mode) counts once.
    if [ "$result" != ok ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    # The test lines worth reading in CI: figures the tests print, and failures.
    grep -E '^(load|deploy|rolling|rollback|gunicorn|broken|failing|renewal|systemd-analyze|issuer|ssh-audit|open ports|refused|wsgi|put back|wagtail:|twelve-factor:|check-mode|restore drill)' "$log" || true
    if [ "$result" != ok ]; then
      echo "--- last 150 lines of $log"
      tail -n 150 "$log"
    fi
    echo "=== scenario $scenario on Debian $distro: $result in $(($(date +%s) - t0)) s ($p passed, $f failed)"
  done
  echo "$passed $failed" >"$logs/$distro.counts"
  return "$status"
}

start=$(date +%s)
pids=()
for distro in $distros; do
  rm -f "$logs/$distro.counts"
  run_release "$distro" 2>&1 | sed -u "s/^/[$distro] /" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done

passed=0
failed=0
for distro in $distros; do
  if [ -f "$logs/$distro.counts" ]; then
    read -r p f <"$logs/$distro.counts"
  else
    p=0 f=1 status=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
if [ "$failed" -gt 0 ]; then status=1; fi
echo "scenarios on $distros took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
exit "$status"
