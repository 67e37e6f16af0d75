"""Gunicorn settings read from the working directory (gunicorn loads ./gunicorn.conf.py by default).

The access log goes through kexie.log_filters.GunicornLogger, which replaces the secret token of
re-registration and verification links (/rereg/<token>/, /verify/<token>/) in the request line, path, query
and referrer before anything is written.
"""

import os

# Same default as kexie/wsgi.py: importing the logger loads the kexie package, which would otherwise pick
# the development settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kexie.settings.production")

logger_class = "kexie.log_filters.GunicornLogger"
