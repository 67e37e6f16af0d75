"""/healthz fails whenever pages would (static manifest, database); the broker is reported, never fatal."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory, django_db_blocker):
    """One collectstatic through the production storage for the module: it hashes and compresses every file."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=PRODUCTION_STATIC, STATIC_ROOT=str(root)):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.mark.django_db
def test_healthz_renders_a_page_and_asks_the_database(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["pages"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_passes_with_the_production_storage_after_collectstatic(client, collected_static):
    with override_settings(STORAGES=PRODUCTION_STATIC, STATIC_ROOT=str(collected_static), WHITENOISE_USE_FINDERS=False):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_healthz_fails_when_the_static_manifest_is_missing(client, collected_static, tmp_path):
    """The deployment that answers 500 on every page must not look healthy."""
    empty = tmp_path / "static"
    empty.mkdir()
    with override_settings(STORAGES=PRODUCTION_STATIC, STATIC_ROOT=str(empty), WHITENOISE_USE_FINDERS=False):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            client.get(reverse("home"))  # what every page does: a 500
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["pages"].startswith("fail")
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_healthz_fails_when_a_linked_static_file_is_missing(client, collected_static, tmp_path):
    """A manifest whose files were not copied (a half-finished deploy) fails too."""
    partial = tmp_path / "static"
    partial.mkdir()
    (partial / "staticfiles.json").write_text((collected_static / "staticfiles.json").read_text())
    with override_settings(STORAGES=PRODUCTION_STATIC, STATIC_ROOT=str(partial), WHITENOISE_USE_FINDERS=False):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["pages"] == "fail: FileNotFoundError"


@pytest.mark.django_db
def test_healthz_and_readyz_fail_when_the_database_does_not_answer(client):
    with mock.patch("kexie.health.connection.cursor", side_effect=OperationalError("connection refused")):
        health = client.get(reverse("healthz"))
        ready = client.get(reverse("readyz"))
    assert health.status_code == 503 and health.json()["database"] == "fail: OperationalError"
    assert ready.status_code == 503 and ready.json()["database"] == "fail: OperationalError"
    # The exception's text (which may name hosts) stays in the log.
    assert "connection refused" not in health.content.decode()


@pytest.mark.django_db
def test_a_dead_broker_is_reported_but_does_not_fail_healthz(client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"].startswith("fail")


@pytest.mark.django_db
def test_readyz_answers_when_the_database_does(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_endpoints_answer_only_get_and_head(client):
    for name in ("healthz", "readyz"):
        assert client.head(reverse(name)).status_code == 200
        assert client.post(reverse(name)).status_code == 405
