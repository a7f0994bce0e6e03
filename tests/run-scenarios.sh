#!/usr/bin/env bash
# Run Molecule scenarios on Debian releases, keep each log under .cache/logs,
# and close with one line that counts the testinfra results of every run.
#   tests/run-scenarios.sh "bookworm trixie" "base base_invalid"
set -euo pipefail

distros=${1:?distros}
scenarios=${2:?scenarios}
logs=.cache/logs
mkdir -p "$logs"

passed=0
failed=0
status=0
start=$(date +%s)
for distro in $distros; do
  for scenario in $scenarios; do
    log="$logs/$distro-$scenario.log"
    echo "=== scenario $scenario on Debian $distro (log: $log)"
    t0=$(date +%s)
    if WEBSTACK_DISTRO=$distro molecule test --scenario-name "$scenario" 2>&1 | tee "$log"; then
      result=ok
    else
      result=FAILED
      status=1
    fi
    # pytest's closing line, e.g. "==== 19 passed in 48.84s ====" or "1 failed, 18 passed".
    summary=$(grep -E '=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 || true)
    p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ (failed|error)' <<<"$summary" | awk '{s += $1} END {print s + 0}')
    [ "$result" = ok ] || [ "${f:-0}" -gt 0 ] || f=$((${f:-0} + 1))
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    echo "=== scenario $scenario on Debian $distro: $result in $(($(date +%s) - t0)) s (${p:-0} passed, ${f:-0} failed)"
  done
done
echo "scenarios on $distros took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
exit "$status"
