"""Secret tokens in paths never reach a log.

The re-registration link (/rereg/<token>/) is the only proof of an invitation besides the ID number, and the
certificate verification link (/verify/<token>/) is printed on certificates. Access logs (Django's
development server, gunicorn), Django's own "Not Found: /rereg/..." warnings and referrer fields would all
write them out; here the token is replaced wherever a log record carries a path.

Django's loggers get `RedactSecretPaths` through settings.LOGGING (kexie/settings/base.py); gunicorn's access
log through `GunicornLogger`, which gunicorn.conf.py at the repository root selects (`logger_class`); nginx's
through the `kexie_redacted` log format (scripts/nginx/kexie.conf). The pages themselves send only their origin as Referer
(`referrer_hidden`).
"""

import logging
import re
from functools import wraps

REDACTED = "[redacted]"

# The path segment after /rereg/ or /verify/, also inside a percent-encoded URL (?next=%2Frereg%2F...).
SECRET_PATH_RE = re.compile(r"(?P<prefix>(?:/|%2F)(?:rereg|verify)(?:/|%2F))(?P<token>[^/?#&\s\"']+)", re.IGNORECASE)


def redact_secret_paths(text: str) -> str:
    return SECRET_PATH_RE.sub(lambda m: m["prefix"] + REDACTED, text)


def _redact(value):
    return redact_secret_paths(value) if isinstance(value, str) else value


class RedactSecretPaths(logging.Filter):
    """Rewrites the message and its arguments (tuple or mapping) of every record it sees; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            for key, value in list(record.args.items()):
                record.args[key] = _redact(value)
        return True


def referrer_hidden(view):
    """Pages reached by a secret link send only the site's origin as Referer (static files, links, the form's
    own post): otherwise the token would be written into every log that records referrers, here and at other
    sites. Not "no-referrer": with it browsers post forms with `Origin: null`, which Django's CSRF check refuses."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "strict-origin"
        return response

    return wrapper


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only installed where it serves
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """Gunicorn's logger with every access-log atom redacted: request line, path, query, referrer and
        the request headers and environ values a custom access_log_format may name."""

        def atoms(self, resp, req, environ, request_time):
            return {key: _redact(value) for key, value in super().atoms(resp, req, environ, request_time).items()}
