#!/usr/bin/env bash
# Backups of Lianfang's databases (one per service), for both kinds of LF_DB URL.
#
#   tools/backup.sh backup  DIR SERVICE=URL [SERVICE=URL ...]
#   tools/backup.sh verify  DIR
#   tools/backup.sh restore DIR SERVICE=URL [SERVICE=URL ...]
#
# SERVICE is a name (gate, survey, dispatch, report, gateway); URL is that service's LF_DB:
#   sqlite:PATH              an online-safe copy taken while the service runs
#                            (VACUUM INTO: one read transaction, a consistent snapshot that
#                            never blocks the service's writer), checked with
#                            PRAGMA integrity_check;
#   postgresql://USER@HOST[:PORT]/DB   pg_dump --format=custom (a consistent snapshot while
#                            the service runs); restored with pg_restore --clean --if-exists.
#                            The password comes from libpq's PGPASSWORD or PGPASSFILE, never
#                            from the URL on a command line (the image's entry point sets
#                            PGPASSWORD from /run/secrets/db_password).
#
# backup   writes DIR/<service>.sqlite3 or DIR/<service>.pgdump for each pair, then
#          DIR/MANIFEST (format, time, and per file: service, kind, name, SHA-256, bytes).
#          DIR must not exist or be empty. The MANIFEST is written last: a backup without
#          one is incomplete. Files are created readable by the owner only (umask 077):
#          they hold personal data (masks, and names and phones of residents).
# verify   checks every file of the MANIFEST: present, size and SHA-256 as recorded, and
#          readable as a database (SQLite: integrity_check on a scratch copy; PostgreSQL:
#          pg_restore --list reads the whole archive table of contents).
# restore  verifies DIR, then puts each named service's database back. STOP THE SERVICE
#          FIRST (docs/deployment.md): a running service keeps its own view of the data.
#          SQLite: the current file and its -wal/-shm are moved aside to
#          PATH.pre-restore-<time>[-wal|-shm] (never deleted), and the backup copied in place.
#          PostgreSQL: pg_restore --clean --if-exists --single-transaction into DB (which must
#          exist; an empty, newly created one is fine).
#
# Redis is never backed up: it holds only live counts that the services rebuild from SQL.
# Exit codes: 0 success, 1 a backup/verify/restore failed, 2 bad arguments.
# Output never contains URLs (they may carry a password) or data.
set -euo pipefail

readonly kFormat=1
prog=$(basename "$0")

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
usage() {
  [ $# -gt 0 ] && printf '%s: %s\n' "$prog" "$*" >&2
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
say() { printf '%s: %s\n' "$prog" "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (needed for $2)"
}

# kind_of URL -> sqlite | postgresql (exit 2 otherwise).
kind_of() {
  case "$1" in
    sqlite:*) echo sqlite ;;
    postgresql://* | postgres://*) echo postgresql ;;
    *) usage "a database URL must be sqlite:PATH or postgresql://... (as LF_DB)" ;;
  esac
}

# sqlite_path URL -> PATH (sqlite:///abs and sqlite://rel are accepted as the services do).
sqlite_path() {
  local p=${1#sqlite:}
  case "$p" in //*) p=${p#//} ;; esac
  [ -n "$p" ] || usage "sqlite URL without a path"
  printf '%s' "$p"
}

# sql_quote TEXT -> TEXT as an SQL string literal.
sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
bytes_of() { stat -c %s "$1"; }

check_service_name() {
  [[ $1 =~ ^[a-z][a-z0-9_-]{0,31}$ ]] || usage "bad service name \"$1\" (e.g. gate)"
}

# sqlite_check FILE: "ok" from PRAGMA integrity_check, on a scratch copy so the checked file
# is never modified (opening a database may create -wal/-shm files next to it).
sqlite_check() {
  local scratch result
  scratch=$(mktemp -d)
  cp "$1" "$scratch/check.db"
  result=$(sqlite3 -bail "$scratch/check.db" "PRAGMA integrity_check;" 2>&1) || true
  local tables
  tables=$(sqlite3 -bail "$scratch/check.db" \
    "SELECT count(*) FROM sqlite_master WHERE type = 'table';" 2>/dev/null) || tables=0
  rm -rf "$scratch"
  if [ "$result" != "ok" ]; then
    printf 'integrity_check failed: %s' "$(printf '%s' "$result" | head -n 3 | tr '\n' ' ')"
    return 1
  fi
  if [ "${tables:-0}" -eq 0 ]; then
    printf 'no tables (not a Lianfang database)'
    return 1
  fi
  return 0
}

cmd_backup() {
  [ $# -ge 2 ] || usage "backup needs DIR and at least one SERVICE=URL"
  local dir=$1
  shift
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir is not empty: each backup goes to a new folder"
  fi
  umask 077
  mkdir -p "$dir"
  local entries=() seen=" "
  for pair in "$@"; do
    [[ $pair == *=* ]] || usage "\"$pair\" is not SERVICE=URL"
    local service=${pair%%=*} url=${pair#*=} kind file
    check_service_name "$service"
    [[ $seen == *" $service "* ]] && usage "service $service named twice"
    seen+="$service "
    kind=$(kind_of "$url")
    case "$kind" in
      sqlite)
        need sqlite3 "SQLite backups"
        local path
        path=$(sqlite_path "$url")
        # sqlite3 would create an empty database where none is: check first.
        [ -f "$path" ] || die "$service: no database file at the sqlite: path given"
        file="$service.sqlite3"
        sqlite3 -bail "$path" ".timeout 30000" "VACUUM INTO $(sql_quote "$dir/$file");" \
          >/dev/null || die "$service: the SQLite copy failed"
        local why
        why=$(sqlite_check "$dir/$file") || die "$service: the copy is unusable: $why"
        ;;
      postgresql)
        need pg_dump "PostgreSQL backups"
        file="$service.pgdump"
        pg_dump --format=custom --no-owner --no-privileges --dbname="$url" \
          --file="$dir/$file" || die "$service: pg_dump failed"
        ;;
    esac
    entries+=("$(printf 'file\t%s\t%s\t%s\t%s\t%s' "$service" "$kind" "$file" \
      "$(sha256_of "$dir/$file")" "$(bytes_of "$dir/$file")")")
    say "$service: $kind backup $dir/$file ($(bytes_of "$dir/$file") bytes)"
  done
  {
    printf '# Lianfang backup manifest: tools/backup.sh verify %s\n' "$dir"
    printf 'format\t%s\n' "$kFormat"
    printf 'created\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '%s\n' "${entries[@]}"
  } >"$dir/MANIFEST.tmp"
  mv "$dir/MANIFEST.tmp" "$dir/MANIFEST"
  say "manifest $dir/MANIFEST (${#entries[@]} databases)"
}

# manifest_lines DIR: the "file" lines of DIR/MANIFEST (fails when the manifest is bad).
manifest_lines() {
  local manifest="$1/MANIFEST"
  [ -f "$manifest" ] || die "$1 has no MANIFEST: the backup is missing or incomplete"
  local format
  format=$(awk -F'\t' '$1 == "format" { print $2 }' "$manifest")
  [ "$format" = "$kFormat" ] || die "$manifest: unknown format \"$format\" (expected $kFormat)"
  awk -F'\t' '$1 == "file"' "$manifest"
}

cmd_verify() {
  [ $# -eq 1 ] || usage "verify needs DIR"
  local dir=$1 failures=0 count=0 lines
  lines=$(manifest_lines "$dir") || exit 1
  [ -n "$lines" ] || die "$dir/MANIFEST lists no databases"
  while IFS=$'\t' read -r _ service kind file sha bytes; do
    count=$((count + 1))
    local path="$dir/$file" problem=""
    if [[ $file == */* || ! -f $path ]]; then
      problem="file $file is missing"
    elif [ "$(bytes_of "$path")" != "$bytes" ]; then
      problem="size differs from the manifest"
    elif [ "$(sha256_of "$path")" != "$sha" ]; then
      problem="SHA-256 differs from the manifest"
    else
      case "$kind" in
        sqlite)
          need sqlite3 "checking SQLite backups"
          problem=$(sqlite_check "$path") && problem=""
          ;;
        postgresql)
          need pg_restore "checking PostgreSQL backups"
          pg_restore --list "$path" >/dev/null 2>&1 || problem="pg_restore cannot read the archive"
          ;;
        *) problem="unknown kind $kind" ;;
      esac
    fi
    if [ -n "$problem" ]; then
      printf '%s: %s: FAILED: %s\n' "$prog" "$service" "$problem" >&2
      failures=$((failures + 1))
    else
      say "$service: $kind $file OK"
    fi
  done <<<"$lines"
  [ "$failures" -eq 0 ] || die "$failures of $count backups failed verification"
  say "verified $count databases in $dir"
}

cmd_restore() {
  [ $# -ge 2 ] || usage "restore needs DIR and at least one SERVICE=URL"
  local dir=$1
  shift
  # Every argument checked, and the whole backup verified, before anything is touched.
  for pair in "$@"; do
    [[ $pair == *=* ]] || usage "\"$pair\" is not SERVICE=URL"
    check_service_name "${pair%%=*}"
    kind_of "${pair#*=}" >/dev/null
  done
  cmd_verify "$dir"
  local lines stamp
  lines=$(manifest_lines "$dir")
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  for pair in "$@"; do
    local service=${pair%%=*} url=${pair#*=} kind entry file backup_kind
    kind=$(kind_of "$url")
    entry=$(awk -F'\t' -v s="$service" '$2 == s' <<<"$lines")
    [ -n "$entry" ] || die "$service: not in this backup"
    backup_kind=$(cut -f3 <<<"$entry")
    file=$(cut -f4 <<<"$entry")
    [ "$backup_kind" = "$kind" ] ||
      die "$service: the backup is $backup_kind but the target is $kind (use a dump/load migration)"
    case "$kind" in
      sqlite)
        local path
        path=$(sqlite_path "$url")
        mkdir -p "$(dirname "$path")"
        # Aside, never deleted: the old file with its WAL (which would otherwise be replayed
        # onto the restored file) and shared-memory index.
        local suffix moved=0
        for suffix in "" -wal -shm -journal; do
          if [ -e "$path$suffix" ]; then
            mv "$path$suffix" "$path.pre-restore-$stamp$suffix"
            moved=1
          fi
        done
        [ "$moved" -eq 1 ] && say "$service: previous database kept as $path.pre-restore-$stamp"
        umask 077
        cp "$dir/$file" "$path.restore-tmp"
        sync "$path.restore-tmp" 2>/dev/null || true
        mv "$path.restore-tmp" "$path"
        ;;
      postgresql)
        need pg_restore "PostgreSQL restores"
        pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
          --exit-on-error --dbname="$url" "$dir/$file" || die "$service: pg_restore failed"
        ;;
    esac
    say "$service: restored from $dir/$file"
  done
}

case "${1:-}" in
  backup) shift; cmd_backup "$@" ;;
  verify) shift; cmd_verify "$@" ;;
  restore) shift; cmd_restore "$@" ;;
  -h | --help | help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) usage ;;
esac
