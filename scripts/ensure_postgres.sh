#!/usr/bin/env bash
# Starts this machine's PostgreSQL 15 and makes sure the CI role exists (it may create the
# test database), idempotently. Prints the DATABASE_URL to use on success; exits 3 when no
# PostgreSQL server is installed, so callers can run without it.
set -euo pipefail

ROLE="${PG_CI_ROLE:-titanic_ci}"
PASSWORD="${PG_CI_PASSWORD:-titanic_ci}"
PORT="${PG_CI_PORT:-5432}"

if ! command -v pg_ctlcluster >/dev/null || [ ! -d /etc/postgresql/15/main ]; then
  echo "PostgreSQL 15 is not installed on this machine." >&2
  exit 3
fi
if [ "$(id -u)" != 0 ]; then
  echo "Starting PostgreSQL and creating its role needs root." >&2
  exit 3
fi
# "start" fails when the cluster already runs; status tells the two apart.
pg_ctlcluster 15 main status >/dev/null 2>&1 || pg_ctlcluster 15 main start >&2
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { echo "PostgreSQL did not start." >&2; exit 1; }

# The role logs in with a password over TCP (the cluster's pg_hba asks for scram-sha-256 on
# 127.0.0.1); CREATEDB lets Django create and drop its test database. The role's own
# database is the one DATABASE_URL names; the tests never write to it.
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$PORT" >&2 <<SQL
SELECT 'CREATE ROLE $ROLE LOGIN CREATEDB'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $ROLE OWNER $ROLE'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$ROLE') \gexec
SQL
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$ROLE"
