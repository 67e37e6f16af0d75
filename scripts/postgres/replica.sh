#!/usr/bin/env bash
# The streaming read replica of docker-compose's "replica" profile. On an empty volume it copies the primary
# with pg_basebackup -R (which writes standby.signal and primary_conninfo), then runs as a hot standby that
# follows the primary's WAL and answers read-only queries (kexie/db_routing.py sends it the dashboards, the public
# progress page, reports and exports).
set -euo pipefail
DATA=/var/lib/postgresql/data/pgdata
if [ ! -s "${DATA}/PG_VERSION" ]; then
  until pg_isready -h postgres -U "${POSTGRES_USER}" -q; do sleep 2; done
  rm -rf "${DATA}"
  PGPASSWORD="${POSTGRES_PASSWORD}" pg_basebackup -h postgres -U "${POSTGRES_USER}" -D "${DATA}" \
    -R -X stream --checkpoint=fast
  chmod 700 "${DATA}"
fi
# hot_standby_feedback: a long export on the replica is not cancelled when the primary vacuums the rows it reads.
exec postgres -D "${DATA}" -c hot_standby=on -c hot_standby_feedback=on
