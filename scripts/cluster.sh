#!/usr/bin/env bash
# `make cluster`: two hosts of the app on this machine, as they would run on two machines
# behind a load balancer. They share only this machine's PostgreSQL (a database of their own,
# CLUSTER_DB) and a Redis of their own (CLUSTER_REDIS_PORT, data in CLUSTER_DIR/redis, never
# saved); each web server keeps its own ARTIFACTS_DIR (CLUSTER_DIR/host-a, host-b), and one
# job worker serves both. The same steps, by hand, are in the README's "Several hosts".
# Ctrl-C or SIGTERM stops every process (honcho), Redis included, and frees the ports.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER_DIR="${CLUSTER_DIR:-$PWD/.cluster}"
CLUSTER_PORTS="${CLUSTER_PORTS:-8001,8002}"
CLUSTER_REDIS_PORT="${CLUSTER_REDIS_PORT:-26379}"
CLUSTER_DB="${CLUSTER_DB:-titanic_cluster}"
IFS=, read -r CLUSTER_PORT_A CLUSTER_PORT_B <<<"$CLUSTER_PORTS"
if [ -z "${CLUSTER_PORT_B:-}" ]; then
  echo "CLUSTER_PORTS must name two ports, e.g. 8001,8002." >&2
  exit 1
fi
for port in "$CLUSTER_PORT_A" "$CLUSTER_PORT_B" "$CLUSTER_REDIS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use: stop what listens there, or choose others" >&2
    echo "(CLUSTER_PORTS=8001,8002, CLUSTER_REDIS_PORT=26379)." >&2
    exit 1
  fi
done

./scripts/ensure_redis.sh
server_url="$(./scripts/ensure_postgres.sh)"
role="${PG_CI_ROLE:-titanic_ci}"
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "${PG_CI_PORT:-5432}" >&2 <<SQL
SELECT 'CREATE DATABASE $CLUSTER_DB OWNER $role'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$CLUSTER_DB') \gexec
SQL
# A secret key in .env, shared by both hosts (as every host of one site must share it).
./scripts/ensure_env_file.sh .venv/bin/python

export DATABASE_URL="${server_url%/*}/$CLUSTER_DB"
export REDIS_URL="redis://127.0.0.1:$CLUSTER_REDIS_PORT/0"
export DJANGO_STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export HOST="${HOST:-127.0.0.1}" WORKERS="${WORKERS:-2}"
export CLUSTER_DIR CLUSTER_PORT_A CLUSTER_PORT_B CLUSTER_REDIS_PORT
mkdir -p "$CLUSTER_DIR"/{redis,host-a,host-b,worker,metrics-a,metrics-b}

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
ARTIFACTS_DIR="$CLUSTER_DIR/host-a" .venv/bin/python manage.py train --activate --skip-if-active
echo "Host A: http://$HOST:$CLUSTER_PORT_A/  host B: http://$HOST:$CLUSTER_PORT_B/  (Ctrl-C stops all)"
echo "manage.py commands for these hosts: DATABASE_URL=$DATABASE_URL .venv/bin/python manage.py …"
exec .venv/bin/honcho --no-colour --env /dev/null --procfile Procfile.cluster start
