#!/usr/bin/env bash
# Prints the resident memory (VmRSS and its peak VmHWM, from /proc) and the start-up time of
# each service of a suite started by tools/dev.sh (VAR = var) or tools/lf-load/suite.sh:
#
#   tools/lf-load/rss.sh VAR
#
# Start-up time = the time of the service's "ready" log line minus the process' start time
# (/proc/PID/stat field 22); it covers flag parsing, opening and migrating the database, the
# first live-count snapshot when it is taken before "ready", and binding the port.
set -euo pipefail
var=${1:?usage: rss.sh VAR}
tick=$(getconf CLK_TCK)
boot=$(awk '/^btime/ {print $2}' /proc/stat)
printf '%-9s %8s %8s %10s\n' service VmRSS VmHWM startup
for s in gate survey dispatch report gateway; do
  f="$var/run/$s.pid"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null || { printf '%-9s stopped\n' "$s"; continue; }
  pid=$(cat "$f")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  start_ticks=$(awk '{print $22}' "/proc/$pid/stat")
  start=$(echo "$boot + $start_ticks / $tick" | bc -l)
  ready_iso=$(grep '"message":"ready"' "$var/log/$s.log" | tail -n 1 | sed 's/.*"time":"\([^"]*\)".*/\1/')
  startup=-
  if [ -n "$ready_iso" ]; then
    ready=$(date -d "$ready_iso" +%s.%N)
    startup=$(printf '%.0f ms' "$(echo "($ready - $start) * 1000" | bc -l)")
  fi
  printf '%-9s %5d MB %5d MB %10s\n' "$s" $((rss / 1024)) $((hwm / 1024)) "$startup"
done
