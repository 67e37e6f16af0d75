"""Run tests against a real streaming read replica: a throwaway primary cluster and a replica made from it with
pg_basebackup -R (ports 5440-5449, temporary folders), both removed afterwards. The shared PostgreSQL server is
never touched.

    .venv/bin/python scripts/replica_tests.py [pytest options] [test paths]     # default path: tests/replica

pytest runs with DATABASE_URL on the primary, DATABASE_REPLICA_URL on the replica and KEXIE_REPLICA_TEST=1;
pytest-django creates its test database on the primary and replication brings it to the replica.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.throwaway import ThrowawayPostgres, ThrowawayReplica, wait_until  # noqa: E402

DATABASE = "kexie_replica"


def _stop(signum, frame):
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so the clusters below are removed.
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
    if not any((ROOT / arg.split("::")[0]).exists() for arg in argv if not arg.startswith("-")):
        argv = [*argv, "tests/replica"]  # options only: they apply to the replica tests
    primary = ThrowawayPostgres().init()
    replica = None
    try:
        primary.start()
        replica = ThrowawayReplica(primary).init()
        replica.start()
        wait_until(replica.is_streaming, 30, message="the replica streaming from the primary")
        print(f"primary on {primary.port}, streaming replica on {replica.port} (pg_basebackup -R)", flush=True)
        env = dict(
            os.environ,
            DATABASE_URL=primary.url(DATABASE),
            DATABASE_REPLICA_URL=replica.url(DATABASE),
            KEXIE_REPLICA_TEST="1",
            DJANGO_SETTINGS_MODULE="kexie.settings.test",
        )
        # The tests need no broker; the cache is per process, as the pin window's cache key expects.
        env.pop("REDIS_URL", None)
        command = [sys.executable, "-m", "pytest", "--create-db", "-p", "no:cacheprovider", *argv]
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    finally:
        if replica is not None:
            replica.remove()
        primary.remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
