#!/usr/bin/env bash
# PostgreSQL and Redis on 127.0.0.1 for `make bench-submit`, the way .ci/run starts them
# (Debian packages postgresql and redis-server already installed). Idempotent.
# Then:  make bench-submit BENCH_DATABASE_URL=postgres://qms:qms@127.0.0.1:5432/qms_bench \
#                          BENCH_REDIS_URL=redis://127.0.0.1:6379/1
set -euo pipefail

SUDO=""
AS_POSTGRES="runuser -u postgres --"
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; AS_POSTGRES="sudo -u postgres"; fi

PG_VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
PG_CONF=/etc/postgresql/$PG_VERSION/main/postgresql.conf
$SUDO sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$PG_CONF"
pg_isready -h 127.0.0.1 -q || $SUDO pg_ctlcluster "$PG_VERSION" main start
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
# The role only: the benchmark drops and re-creates its own database (qms_bench).
$AS_POSTGRES psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qms') THEN
    CREATE ROLE qms LOGIN CREATEDB PASSWORD 'qms';
  END IF;
END $$;
SQL
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
  || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no
for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
echo "PostgreSQL $PG_VERSION and Redis are up on 127.0.0.1"
