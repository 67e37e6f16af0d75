"""Production: PostgreSQL, Redis, workers and beat; every secret from the environment."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
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
