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
    p=$(sed -nE 's/.*[ =]([0-9]+) passed.*/\1/p' <<<"$summary")
    f=$(sed -nE 's/.*[ ,]([0-9]+) failed.*/\1/p' <<<"$summary")
    e=$(sed -nE 's/.*[ ,]([0-9]+) errors?.*/\1/p' <<<"$summary")
    p=${p:-0}
    f=$((${f:-0} + ${e:-0}))
    # A scenario that failed outside pytest (converge, idempotence, check mode) counts once.
    if [ "$result" != ok ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    echo "=== scenario $scenario on Debian $distro: $result in $(($(date +%s) - t0)) s ($p passed, $f failed)"
  done
done
echo "scenarios on $distros took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
exit "$status"
