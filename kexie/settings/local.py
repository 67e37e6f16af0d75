"""Development: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL say otherwise."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Serve static files straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A webhook receiver on this machine (http://127.0.0.1:…) may be registered while developing.
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=True)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=True)
