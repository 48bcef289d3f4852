#!/usr/bin/env bash
# After the build: every module ran at least the number of tests .ci/min-tests gives it (and at least one), so
# that tests lost to a rename, a filter or a skipped module fail CI instead of passing vacuously.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
total=0
while read -r module minimum; do
  [ -z "$module" ] || [ "${module#\#}" != "$module" ] && continue
  ran=0
  for report in "$module"/target/surefire-reports/TEST-*.xml; do
    [ -f "$report" ] || continue
    # the testcase elements, less the skipped ones: the testsuite element's tests="n" says 0 for a class
    # parameterised with @ParameterizedClass, whose invocations report their test cases under it
    tests=$({ grep -o '<testcase ' "$report" || true; } | wc -l)
    skipped=$({ grep -o '<skipped' "$report" || true; } | wc -l)
    ran=$((ran + tests - skipped))
  done
  total=$((total + ran))
  if [ "$ran" -lt "$minimum" ] || [ "$ran" -lt 1 ]; then
    echo "[ci] $module ran $ran tests, fewer than its minimum of $minimum (.ci/min-tests)" >&2
    status=1
  else
    echo "[ci] $module: $ran tests (minimum $minimum)"
  fi
done < .ci/min-tests
echo "[ci] $total tests ran"
exit $status
