"""Security headers, cookie flags and health under kexie.settings.production itself, in a separate process
(the settings module is chosen at start-up), with the static files collected by the production storage."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROXY = "10.0.0.1"

# Runs under the production settings: fetches through Django's test client and prints what came back.
CLIENT = r"""
import json, sys
import django
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory

PROXY = sys.argv[1]
out = {}

def record(name, response):
    out[name] = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {k: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
                    for k, m in response.cookies.items()},
    }

behind_proxy = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https")
record("home", behind_proxy.get("/"))
record("login", behind_proxy.get("/accounts/login/"))
record("static", behind_proxy.get("/static/js/login-check.js"))
record("forged_proto", Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https").get("/"))
record("healthz_plain", Client(REMOTE_ADDR=PROXY).get("/healthz"))

def view(request):
    request.session["visited"] = True
    return HttpResponse()

record("session", SessionMiddleware(view)(RequestFactory().get("/", secure=True)))

from django.conf import settings
from django.template import engines

out["settings"] = {
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "session_engine": settings.SESSION_ENGINE,
    "session_cache": settings.SESSION_CACHE_ALIAS,
    "loaders": [f"{type(l).__module__}.{type(l).__name__}" for l in engines["django"].engine.template_loaders],
}
print(json.dumps(out))
"""


def _environment(tmp_path: Path, static_root: Path) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEXIE_"))},
        "DJANGO_SETTINGS_MODULE": "kexie.settings.production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "DJANGO_SECRET_KEY": "production-settings-test-" + "x" * 40,
        "ID_NUMBER_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"k" * 32).decode(),
        "ID_NUMBER_INDEX_KEY": "production-settings-test",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_STATIC_ROOT": str(static_root),
        "KEXIE_TRUSTED_PROXIES": PROXY,
    }


def _run(args: list, env: dict) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    tmp_path = tmp_path_factory.mktemp("production")
    env = _environment(tmp_path, tmp_path / "static")
    _run(["manage.py", "migrate", "sessions", "--noinput", "-v", "0"], env)
    _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    return json.loads(_run(["-c", CLIENT, PROXY], env).splitlines()[-1])


def test_pages_carry_every_security_header(production):
    for name in ("home", "login"):
        response = production[name]
        assert response["status"] == 200, name
        headers = response["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]


def test_cookies_are_secure_httponly_for_the_session_and_samesite(production):
    csrf = production["login"]["cookies"]["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    session = production["session"]["cookies"]["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_static_files_come_from_the_collected_build(production):
    assert production["static"]["status"] == 200
    assert production["static"]["headers"]["X-Content-Type-Options"] == "nosniff"


def test_https_claimed_by_an_untrusted_peer_is_not_believed(production):
    """X-Forwarded-Proto from anyone but the proxy is dropped, so the request is redirected to HTTPS."""
    response = production["forged_proto"]
    assert response["status"] == 301 and response["headers"]["Location"].startswith("https://")


def test_health_probes_over_plain_http_are_not_redirected(production):
    assert production["healthz_plain"]["status"] == 200


def test_healthz_fails_under_production_settings_before_collectstatic(tmp_path):
    empty = tmp_path / "static"
    empty.mkdir()
    env = _environment(tmp_path, empty)
    script = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))"
    )
    status, body = json.loads(_run(["-c", script], env).splitlines()[-1])
    assert status == 503 and body["pages"].startswith("fail")


def test_requests_reuse_connections_sessions_and_compiled_templates(production):
    """Per-request set-up a page would otherwise pay for: a database connection (kept, checked before reuse),
    a session query (read from the cache, written through to the database) and template parsing (cached)."""
    chosen = production["settings"]
    assert chosen["conn_max_age"] > 0 and chosen["health_checks"] is True
    assert chosen["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert chosen["session_cache"] == "sessions"
    assert chosen["loaders"] == ["django.template.loaders.cached.Loader"]
