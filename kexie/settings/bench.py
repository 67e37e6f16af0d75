"""Benchmarks: production settings on one machine over plain HTTP on 127.0.0.1.

Secrets fall back to the development values so data made by `generate_load` under local settings stays
readable; a real deployment never uses this module.
"""

import os

for _name, _value in {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production",
    "ID_NUMBER_ENCRYPTION_KEYS": "3q2lYtZ1cQeVZKrTg8YwWmWnO4H7oV0wH0y8b0A9x2M=",
    "ID_NUMBER_INDEX_KEY": "dev-blind-index-key",
}.items():
    os.environ.setdefault(_name, _value)

from .production import *  # noqa: E402,F401,F403

# The load client talks plain HTTP to gunicorn on the loopback interface: no TLS in between.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The project's URLs plus the bare reference view the submit benchmark compares against.
ROOT_URLCONF = "bench.urls"
# No collectstatic on a bench machine: serve from STATICFILES_DIRS without a manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Outgoing mail would only add SMTP latency to a benchmark of the web tier; the dummy backend also keeps no
# copy (locmem's outbox would grow in a long-lived worker and distort the memory benchmark).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

import warnings  # noqa: E402

# Whitenoise warns once per worker that STATIC_ROOT was never collected; files come from the finders here.
warnings.filterwarnings("ignore", message="No directory at")
