#!/bin/sh
# Creates Temporal's persistence and visibility databases on PostgreSQL and
# brings their schemas to the version of the temporal-sql-tool that runs
# it (the schemas are built into the tool). Idempotent: run on every
# `docker compose up`, it changes nothing on an up-to-date database and
# upgrades an older one. docker-compose.yml runs it in the Temporal admin
# tools image; the settings are the Temporal server image's.
set -eu

export SQL_PLUGIN="${DB:-postgres12}"
export SQL_HOST="${POSTGRES_SEEDS:?}"
export SQL_PORT="${DB_PORT:-5432}"
export SQL_USER="${POSTGRES_USER:?}"
export SQL_PASSWORD="${POSTGRES_PWD:?}"

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  export SQL_DATABASE="${pair%%:*}"
  schema="postgresql/v12/${pair#*:}"
  echo "temporal-schema: $SQL_DATABASE ($schema)"
  temporal-sql-tool create-database
  temporal-sql-tool setup-schema --version 0.0
  temporal-sql-tool update-schema --schema-name "$schema"
done
echo "temporal-schema: done"
