#!/usr/bin/env bash
# Seeds a gate database with many passages quickly, straight through its schema (SQLite), to
# measure the services with a big history:
#
#   tools/lf-load/seed-gate.sh DB PASSAGES [DAYS] [LAST_DAY] [SITES_FILE]
#
#   DB          the gate's SQLite file (var/gate.db); the gate must have run once on it (it
#               creates the schema), and must be stopped while seeding
#   PASSAGES    how many passage rows to add
#   DAYS        spread over this many days (default 1)
#   LAST_DAY    the last of them, YYYY-MM-DD in Asia/Shanghai (default: today there)
#   SITES_FILE  the SiteDirectory whose site and gate ids to use (default deploy/sites.textproto)
#
# Rows cycle through every gate of every site; every 10th is refused (no valid pass), the
# others are admitted entries and exits in turn; times are evenly spread over each day. The
# per-day counters (gate_daily) are added so that GetDailyStats and the live counts agree
# with the rows. person_key, masks and passage ids are synthetic. The secondary indexes of
# gate_passages are dropped for the insert and built again after it (as the gate's migration
# defined them, read back from sqlite_master), all in one transaction: sorting once is far
# faster than inserting millions of rows into four B-trees.
set -euo pipefail
db=${1:?usage: seed-gate.sh DB PASSAGES [DAYS] [LAST_DAY] [SITES_FILE]}
n=${2:?PASSAGES}
days=${3:-1}
last=${4:-}
[ -n "$last" ] || last=$(TZ=Asia/Shanghai date +%F)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sites=${5:-$root/deploy/sites.textproto}
[ -f "$db" ] || { echo "seed-gate: $db does not exist (run lf-gate on it once)" >&2; exit 2; }

# "site gate" pairs from the text-format SiteDirectory: a site's own `id:` is indented by two
# spaces; gates are `gates { id: "..." ... }`.
pairs=$(awk '
  /^  id: "/ { match($0, /"[^"]+"/); site = substr($0, RSTART + 1, RLENGTH - 2) }
  /gates *\{ *id: *"/ { s = $0; sub(/.*gates *\{ *id: *"/, "", s); sub(/".*/, "", s);
                        print "(\x27" site "\x27,\x27" s "\x27)" }' "$sites" | paste -sd, -)
[ -n "$pairs" ] || { echo "seed-gate: no gates found in $sites" >&2; exit 2; }

per_day=$(( (n + days - 1) / days ))
# Start of LAST_DAY in Asia/Shanghai, in microseconds since the epoch.
last_start_us=$(( $(TZ=Asia/Shanghai date -d "$last 00:00:00" +%s) * 1000000 ))
prefix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
indexes=$(sqlite3 "$db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index'
                          AND tbl_name = 'gate_passages' AND sql IS NOT NULL")
drops=$(sqlite3 "$db" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master
                        WHERE type = 'index' AND tbl_name = 'gate_passages' AND sql IS NOT NULL")

sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-262144;
CREATE TEMP TABLE seed_gates(idx INTEGER PRIMARY KEY, site_id TEXT, gate_id TEXT);
INSERT INTO seed_gates(site_id, gate_id) SELECT column1, column2 FROM (VALUES $pairs);
CREATE TEMP TABLE seed_rows AS
  WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $n - 1)
  SELECT i,
         $days - 1 - i / $per_day AS day_back,
         (SELECT site_id FROM seed_gates WHERE idx = 1 + i % (SELECT count(*) FROM seed_gates)) AS site_id,
         (SELECT gate_id FROM seed_gates WHERE idx = 1 + i % (SELECT count(*) FROM seed_gates)) AS gate_id,
         CASE WHEN i % 10 = 9 THEN 2 ELSE 1 END AS decision,
         CASE WHEN i % 10 = 9 THEN 1 ELSE 1 + (i / 10) % 2 END AS direction
  FROM seq;
BEGIN;
$drops
INSERT INTO gate_passages (passage_id, site_id, gate_id, direction, decision, deny_reason,
    person_key, id_masked, name_masked, temperature_c, vehicle_plate, pass_code, captured_at,
    recorded_at, guard)
  SELECT printf('seed%s%010d', '$prefix', i), site_id, gate_id, direction, decision,
         CASE WHEN decision = 2 THEN 2 ELSE 0 END,
         printf('%064x', (i * 2654435761) % 1000003), '320102********1234', '张*', 36.5, '', '',
         $last_start_us - day_back * 86400000000 + (i % $per_day) * (86400000000 / $per_day),
         $last_start_us - day_back * 86400000000 + (i % $per_day) * (86400000000 / $per_day),
         'seed'
  FROM seed_rows;
INSERT INTO gate_daily (site_id, day, entries, exits, denied, fevers, denied_no_pass,
    denied_observation, denied_vehicle, denied_full, peak_onsite, onsite_end)
  SELECT site_id, date('$last', '-' || day_back || ' days'),
         sum(decision = 1 AND direction = 1), sum(decision = 1 AND direction = 2),
         sum(decision = 2), 0, sum(decision = 2), 0, 0, 0, 0, 0
  FROM seed_rows GROUP BY site_id, day_back
  ON CONFLICT (site_id, day) DO UPDATE SET
    entries = gate_daily.entries + excluded.entries, exits = gate_daily.exits + excluded.exits,
    denied = gate_daily.denied + excluded.denied,
    denied_no_pass = gate_daily.denied_no_pass + excluded.denied_no_pass;
$indexes
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
sqlite3 "$db" "SELECT 'seed-gate: ' || count(*) || ' passages now stored' FROM gate_passages"
