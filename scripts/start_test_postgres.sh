#!/usr/bin/env bash
# Start Debian's PostgreSQL on loopback and create the test role and database.
# Prints the SQLAlchemy URL to use as HUMAN_TOUCH_TEST_PG_URL. Idempotent.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^${version} *main"; then
  pg_createcluster "$version" main >/dev/null 2>&1
fi
# Only the URL goes to stdout: callers capture it. ("Cluster is already running." is fine.)
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -q -h /var/run/postgresql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='human_touch'\"" | grep -q 1 \
  || su postgres -c "psql -q -h /var/run/postgresql -c \"CREATE ROLE human_touch LOGIN SUPERUSER PASSWORD 'human_touch'\"" >/dev/null
su postgres -c "psql -q -h /var/run/postgresql -tAc \"SELECT 1 FROM pg_database WHERE datname='human_touch_test'\"" | grep -q 1 \
  || su postgres -c "createdb -h /var/run/postgresql -O human_touch human_touch_test" >/dev/null
echo "postgresql+psycopg://human_touch:human_touch@127.0.0.1:5432/human_touch_test"
