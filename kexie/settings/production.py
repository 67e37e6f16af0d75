"""Production: PostgreSQL, Redis, workers and beat; every secret from the environment."""

from .base import *  # noqa: F401,F403
from .base import DATABASES, env

DEBUG = False
# Each gunicorn worker keeps its PostgreSQL connection between requests instead of opening one per request
# (a new backend process and authentication cost more than most pages' queries). CONN_HEALTH_CHECKS (base.py)
# tests a reused connection first, so a restarted PostgreSQL costs no failed request. 0 opens one per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ID_NUMBER_ENCRYPTION_KEYS = env.list("ID_NUMBER_ENCRYPTION_KEYS")
ID_NUMBER_INDEX_KEY = env("ID_NUMBER_INDEX_KEY")
WEBHOOK_SECRET_KEYS = env.list("WEBHOOK_SECRET_KEYS", default=ID_NUMBER_ENCRYPTION_KEYS)

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health probes come over the internal network in plain HTTP; a redirect would make them fail.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# TLS terminates at the reverse proxy (scripts/nginx), which sets this header. It is believed only from the
# addresses in KEXIE_TRUSTED_PROXIES: kexie.middleware.ProxyHeadersMiddleware drops it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "kexie.storage.UploadStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
