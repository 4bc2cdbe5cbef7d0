#!/usr/bin/env bash
# Checks deploy/prometheus/ with Debian's promtool (package prometheus):
#   prometheus_rules_check.sh REPO_ROOT
# * `promtool check config` accepts prometheus.yml (and the rule file it names);
# * `promtool check rules` accepts alerts.yml;
# * `promtool test rules alerts_test.yml` passes;
# * every alert of alerts.yml has a test where it fires and one where it must not.
# Exit 0 when all holds, 1 otherwise, 77 (ctest SKIP) when promtool is not installed.
set -euo pipefail
dir="$1/deploy/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: promtool is not installed (Debian package prometheus; tools/install-deps.sh)"
  exit 77
fi
cd "$dir"
promtool check config prometheus.yml
promtool check rules alerts.yml
promtool test rules alerts_test.yml
status=0
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' alerts.yml); do
  # Each alert_rule_test entry: "alertname: X" followed by its exp_alerts.
  fires=$(awk -v a="$alert" '$1 == "alertname:" { cur = $2 } \
    $1 == "exp_alerts:" && cur == a && $2 != "[]" { n++ } END { print n + 0 }' alerts_test.yml)
  quiet=$(awk -v a="$alert" '$1 == "alertname:" { cur = $2 } \
    $1 == "exp_alerts:" && cur == a && $2 == "[]" { n++ } END { print n + 0 }' alerts_test.yml)
  if [ "$fires" -eq 0 ] || [ "$quiet" -eq 0 ]; then
    echo "FAIL: $alert needs a test where it fires ($fires) and one where it does not ($quiet)"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "OK: every alert is tested firing and not firing"
exit "$status"
