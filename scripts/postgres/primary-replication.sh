#!/usr/bin/env bash
# Run once by the postgres image when it initialises an empty data volume (/docker-entrypoint-initdb.d):
# lets the streaming replica of docker-compose's "replica" profile connect for replication with the same
# password-checked account. wal_level=replica and max_wal_senders=10 are PostgreSQL 15's defaults.
set -euo pipefail
echo "host replication ${POSTGRES_USER} samenet scram-sha-256" >> "${PGDATA}/pg_hba.conf"
