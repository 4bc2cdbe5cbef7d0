#!/bin/sh
# Entry point of the Lianfang image: runs the command given (lf-gate, lf-survey, lf-dispatch,
# lf-report, lf-gateway, lfctl, lf-backup ...) in place of this shell, so signals (SIGTERM for
# the graceful drain) reach it directly.
#
# The PostgreSQL password never travels in LF_DB or the environment of the compose file: it is
# read here from a secret file into PGPASSWORD, which libpq (and pg_dump/pg_restore) use for
# postgresql:// URLs without a password. The file is PGPASSWORD_FILE, by default
# /run/secrets/db_password; nothing happens when it is absent (SQLite deployments).
set -eu

password_file=${PGPASSWORD_FILE:-/run/secrets/db_password}
if [ -z "${PGPASSWORD:-}" ] && [ -f "$password_file" ]; then
  if [ ! -r "$password_file" ]; then
    echo "lf-entrypoint: PGPASSWORD_FILE ($password_file) is not readable by uid $(id -u)" >&2
    exit 2
  fi
  # The first line, without its newline: `echo secret > file` is the usual way to write it.
  PGPASSWORD=$(head -n 1 "$password_file" | tr -d '\r\n')
  export PGPASSWORD
fi
unset PGPASSWORD_FILE

if [ "$#" -eq 0 ]; then
  set -- lfctl --help
fi
exec "$@"
