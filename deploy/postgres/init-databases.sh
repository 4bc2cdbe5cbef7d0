#!/bin/bash
# First-start initialisation of the PostgreSQL container (docker-entrypoint-initdb.d): one
# database per Lianfang service, owned by the service role (POSTGRES_USER). Runs once, when
# the data volume is empty; re-running it is harmless (existing databases are kept).
#
# LIANFANG_DATABASES lists the databases (space-separated); the default names the seven.
set -euo pipefail

databases=${LIANFANG_DATABASES:-lianfang_gate lianfang_survey lianfang_dispatch lianfang_report lianfang_gateway lianfang_accounts lianfang_supplies}
owner=${POSTGRES_USER:-postgres}

for db in $databases; do
  if [[ ! $db =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
    echo "init-databases: \"$db\" is not a plain lower-case database name" >&2
    exit 1
  fi
  exists=$(psql -v ON_ERROR_STOP=1 --username "$owner" --dbname postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" = "1" ]; then
    echo "init-databases: $db exists"
    continue
  fi
  psql -v ON_ERROR_STOP=1 --username "$owner" --dbname postgres <<SQL
CREATE DATABASE "$db" OWNER "$owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE "$db" FROM PUBLIC;
SQL
  echo "init-databases: created $db"
done
