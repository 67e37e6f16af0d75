"""Test runs: fast hashing, in-memory email, files under a temporary folder."""

import tempfile

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="kexie-test-media-")
AUDIT_ARCHIVE_DIR = tempfile.mkdtemp(prefix="kexie-test-audit-archive-")
STORAGES = {
    "default": {"BACKEND": "kexie.storage.UploadStorage"},
    # The manifest storage needs collectstatic; tests serve static files straight from STATICFILES_DIRS.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ID_NUMBER_ENCRYPTION_KEYS = ["fM0bQ6vK7m8J2l0l2mR0iY3Lr4wQwq3o0Gg6oY7m2fE="]
ID_NUMBER_INDEX_KEY = "test-blind-index-key"
WEBHOOK_SECRET_KEYS = ["Jt7k3vXh0n9Q1kR2fW8yZpL4sVbM6cD5eA0uT3iO9gE="]
# The webhook tests run their receiver on 127.0.0.1 over plain HTTP (tests/orgs/test_webhooks.py).
WEBHOOK_ALLOW_HTTP_LOOPBACK = True
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
# Axes is exercised by its own tests; elsewhere failed logins must not lock test users out.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests run tasks in-process even when REDIS_URL is set; the worker tests switch eager mode off themselves
# so that only they depend on the real worker.
CELERY_TASK_ALWAYS_EAGER = True
# No background thread in tests: a change recounts progress at once, in the committing thread.
KEXIE_INPROCESS_SCHEDULER = "off"
# Text messages stay in kexie.sms.outbox, where tests read the codes.
SMS_BACKEND = "kexie.sms.LocmemBackend"
# Tests sign administrators in with force_login; tests/orgs/test_two_factor.py switches two factors on.
TWO_FACTOR_REQUIRED = False
