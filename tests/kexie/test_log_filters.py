"""Tokens of re-registration and verification links never reach a log line."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from kexie.log_filters import REDACTED, RedactSecretPaths, redact_secret_paths

TOKEN = "hRmJQNIILUcSwe_Zwn2VutNKmbOzbOd0"


@pytest.mark.parametrize(
    "text",
    [
        f"GET /rereg/{TOKEN}/ HTTP/1.1",
        f"Not Found: /rereg/{TOKEN}/",
        f"https://kexie.example.org/rereg/{TOKEN}/?a=1",
        f"/accounts/login/?next=%2Frereg%2F{TOKEN}%2F",
        f"GET /verify/1:{TOKEN} HTTP/1.1",
        f"/REREG/{TOKEN}",
    ],
)
def test_the_token_is_replaced(text):
    redacted = redact_secret_paths(text)
    assert TOKEN not in redacted
    assert REDACTED in redacted


def test_other_paths_are_left_alone():
    assert redact_secret_paths("GET /me/profile/?next=/console/ HTTP/1.1") == "GET /me/profile/?next=/console/ HTTP/1.1"


def test_the_filter_rewrites_message_and_arguments_and_drops_nothing():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, '"%s" %s %s', (f"GET /rereg/{TOKEN}/ HTTP/1.1", 404, "10"), None)
    assert RedactSecretPaths().filter(record) is True
    assert TOKEN not in record.getMessage()
    atoms = {"r": f"GET /rereg/{TOKEN}/ HTTP/1.1", "s": 200}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", (atoms,), None)
    RedactSecretPaths().filter(record)
    assert TOKEN not in record.getMessage()


@pytest.fixture
def log_output():
    """What the handlers configured by settings.LOGGING write, captured."""
    buffer = io.StringIO()
    handlers = {h for h in logging.getLogger().handlers + logging.getLogger("django.server").handlers
                if any(isinstance(f, RedactSecretPaths) for f in h.filters)}
    assert handlers, "settings.LOGGING attaches the redaction filter to no handler"
    previous = {h: h.setStream(buffer) for h in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)


def test_django_request_warnings_are_redacted(client, db, log_output):
    response = client.get(f"/rereg/{TOKEN}/")
    assert response.status_code == 404
    written = log_output.getvalue()
    assert "Not Found: /rereg/" in written and TOKEN not in written


def test_development_server_access_lines_are_redacted(log_output):
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /rereg/{TOKEN}/ HTTP/1.1", "200", "512", extra={"request": None, "server_time": "now", "status_code": 200}
    )
    written = log_output.getvalue()
    assert "GET /rereg/" in written and TOKEN not in written


def test_every_configured_handler_redacts(settings):
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_secret_paths" in handler.get("filters", []), f"handler {name} writes unredacted records"


def test_gunicorn_access_log_is_redacted(capsys):
    from gunicorn.config import Config

    from kexie.log_filters import GunicornLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"/rereg/{TOKEN}/", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": f"/rereg/{TOKEN}/", "QUERY_STRING": f"next=%2Frereg%2F{TOKEN}", "HTTP_REFERER": f"https://x/rereg/{TOKEN}/",
        "REMOTE_ADDR": "10.0.0.1",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    req = SimpleNamespace(headers=[("REFERER", f"https://x/rereg/{TOKEN}/")])
    logger.access(resp, req, environ, timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = capsys.readouterr().out
    assert "GET /rereg/" in written and TOKEN not in written


def test_gunicorn_reads_the_redacting_logger_from_its_config_file(settings):
    namespace = {}
    exec((settings.BASE_DIR / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["logger_class"] == "kexie.log_filters.GunicornLogger"


@pytest.mark.django_db
def test_pages_reached_by_a_secret_link_send_only_the_origin_as_referrer(client, request):
    from tests.fuzz.world import build_world

    world = build_world(request)
    claim = client.get(f"/rereg/{world.tokens['rereg']}/")
    verify = client.get(f"/verify/{world.tokens['verify']}/")
    assert claim.status_code == verify.status_code == 200
    assert claim["Referrer-Policy"] == verify["Referrer-Policy"] == "strict-origin"
