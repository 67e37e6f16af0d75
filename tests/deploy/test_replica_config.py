"""docker-compose's optional streaming replica: off unless its profile is chosen, made from the primary with
pg_basebackup -R, reachable on the internal network only, and named to the application by DATABASE_REPLICA_URL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_replica_runs_only_with_its_profile_and_publishes_no_port(compose):
    replica = compose["services"]["postgres-replica"]
    assert replica["profiles"] == ["replica"]
    assert "ports" not in replica
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert replica["image"] == compose["services"]["postgres"]["image"], "a physical replica needs the same major version"


def test_the_replica_is_a_base_backup_of_the_primary_that_follows_its_wal(compose):
    replica = compose["services"]["postgres-replica"]
    mounted = {v.split(":")[1]: ROOT / v.split(":")[0] for v in replica["volumes"] if v.startswith("./")}
    script = mounted[replica["command"][-1]].read_text()
    assert "pg_basebackup -h postgres" in script and " -R " in script and "-X stream" in script
    primary_init = [v for v in compose["services"]["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert primary_init, "the primary lets the replica connect for replication"
    assert "host replication" in (ROOT / primary_init[0].split(":")[0]).read_text()


def test_every_application_service_names_the_replica_only_when_it_is_set(compose):
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["environment"]["DATABASE_REPLICA_URL"] == "${DATABASE_REPLICA_URL:-}", name


def _databases_with(replica_url: str) -> dict:
    code = "import json; from kexie.settings import production as s; print(json.dumps(s.DATABASES, default=str))"
    env = {**os.environ, "DATABASE_URL": "postgres://kexie:pw@postgres:5432/kexie", "DATABASE_REPLICA_URL": replica_url,
           "DJANGO_SECRET_KEY": "x" * 50, "ID_NUMBER_ENCRYPTION_KEYS": "fM0bQ6vK7m8J2l0l2mR0iY3Lr4wQwq3o0Gg6oY7m2fE=",
           "ID_NUMBER_INDEX_KEY": "k"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_replica_url_adds_a_read_only_alias_that_tests_never_create():
    """Empty (what compose passes without the profile): no replica alias. Set: a second alias on the replica host,
    a test mirror of the primary, so pytest-django neither creates nor flushes it."""
    assert set(_databases_with("")) == {"default"}
    databases = _databases_with("postgres://kexie:pw@postgres-replica:5432/kexie")
    assert databases["replica"]["HOST"] == "postgres-replica" and databases["default"]["HOST"] == "postgres"
    assert databases["replica"]["TEST"]["MIRROR"] == "default"
