"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is optional; production injects real environment variables instead.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with kexie's AdminSite: its login goes through the same checks as the site's.
    "kexie.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mptt",
    "guardian",
    "axes",
    # Two-factor sign-in for administrators and staff: TOTP authenticators and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc as static files: the API docs load nothing from a CDN.
    "drf_spectacular_sidecar",
    # Its ready() starts the in-process scheduler when no broker is configured (kexie/scheduler.py).
    "kexie.apps.KexieConfig",
    "members",
    "orgs",
    "approvals",
    # Only for its `generate_load` management command (bench/loadgen.py); it has no models or project URLs.
    "bench",
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but the trusted proxy are dropped before anything reads them.
    "kexie.middleware.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: whoever sends a write reads from the primary for a while (only with a replica).
    "kexie.db_routing.PrimaryPinMiddleware",
    # request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    "kexie.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the message middleware: the idle logout tells the user why they must sign in again.
    "orgs.middleware.AdminIdleTimeoutMiddleware",
    # After the idle timeout: a console user signed out for inactivity is not first sent to the second factor.
    "orgs.middleware.TwoFactorMiddleware",
    # After the second factor: an expired or initial password is changed before any console page.
    "orgs.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes must be last so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kexie.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.roles",
            ],
            # Project-wide template tags that belong to no app (kexie/ is not an installed app).
            "libraries": {"form_errors": "kexie.templatetags.form_errors"},
        },
    },
]

WSGI_APPLICATION = "kexie.wsgi.application"

# SQLite by default so a fresh clone runs with nothing but python3; DATABASE_URL selects PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection kept across requests (CONN_MAX_AGE) is checked first, so a restarted PostgreSQL costs no error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Background threads and the dev server share the file; wait instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost. On large tables the review
# queue's first page crosses it and spent ~9 ms compiling a query that runs in ~40 (measured on 5,000,000
# applications, docs/SCALING.md), so connections run without it; the progress recounts, which scan whole
# tables, turn it on for their own transaction (approvals.progress).
POSTGRES_CONNECTION_OPTIONS = "-c jit=off"
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", POSTGRES_CONNECTION_OPTIONS)
# A streaming replica (optional): dashboards, the public progress page, reports and exports read from it when
# the person has not just written; the review queue, decisions and every write use the primary
# (kexie/db_routing.py). Without it the router answers nothing and every query goes to "default".
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # A replica that does not answer is given up quickly: its pages then read the primary.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["OPTIONS"].setdefault("options", POSTGRES_CONNECTION_OPTIONS)
    # Tests never create or flush the replica: it mirrors the primary's test database through replication.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kexie.db_routing.ReplicaRouter"]
# How long someone who sent a write (POST, PUT, PATCH, DELETE) keeps reading from the primary: replication on
# a local network lags by milliseconds; this covers a replica catching up after a burst of writes.
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
# A replica further behind than this, or not answering, is skipped: its pages read the primary. Checked at most
# every DATABASE_REPLICA_CHECK_SECONDS in each process.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=5)
# Who may see what is always read from the primary, so a revoked grant or a new sign-in is never late:
# sessions, accounts, permission grants, two-factor devices and lockouts (app labels or app_label.model).
DATABASE_REPLICA_PRIMARY_ONLY = [
    "sessions", "auth", "contenttypes", "guardian", "axes", "otp_totp", "otp_static", "django_otp",
    "members.user", "orgs.orguserobjectpermission", "orgs.orggroupobjectpermission", "orgs.servicetoken",
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The password policy, with Chinese messages (kexie/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "kexie.passwords.NotBlankValidator"},
    {"NAME": "kexie.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "kexie.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "kexie.passwords.NotOnlyDigitsValidator"},
    {"NAME": "kexie.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 2}},
    {"NAME": "kexie.passwords.NotMobileNumberValidator"},
    {"NAME": "kexie.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "kexie.passwords.CommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Evidence files hold personal data: they are never served from MEDIA_URL, only through scoped views.
MEDIA_URL = "/media-not-served/"

STORAGES = {
    # Removes a partly written upload when the disk is full, so no fragment of a census list stays behind.
    "default": {"BACKEND": "kexie.storage.UploadStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded evidence is capped at 5 MB by the validator; this keeps larger bodies out of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: page code is in static/js, styles in static/css (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features the system never uses are switched off for every page (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid", "magnetometer",
        "microphone", "midi", "payment", "serial", "usb", "xr-spatial-tracking",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
# Administrators are logged out after this much inactivity (orgs.middleware.AdminIdleTimeoutMiddleware).
ADMIN_IDLE_TIMEOUT = timedelta(minutes=30)

# --- Two-factor sign-in (orgs/services/two_factor.py, orgs.middleware.TwoFactorMiddleware) ----------------
# Every administrator, staff account and superuser needs a TOTP authenticator. Only a demo may switch it off.
TWO_FACTOR_REQUIRED = env.bool("KEXIE_TWO_FACTOR_REQUIRED", default=True)
# "Remember this browser" after a second factor; the code never allows more than 12 hours.
TWO_FACTOR_REMEMBER = timedelta(hours=env.int("KEXIE_TWO_FACTOR_REMEMBER_HOURS", default=12))
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "科协会员系统"
# Django admin never shows authenticator secrets or recovery code digests.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Administrators' and staff passwords expire after this many days (0: never); initial passwords at once.
PASSWORD_EXPIRY_DAYS = env.int("KEXIE_PASSWORD_EXPIRY_DAYS", default=90)

# --- ID numbers at rest ----------------------------------------------------------------------------------
# Fernet keys (first encrypts, all decrypt, so keys can rotate) and the HMAC key of the blind index.
ID_NUMBER_ENCRYPTION_KEYS = env.list(
    "ID_NUMBER_ENCRYPTION_KEYS", default=["3q2lYtZ1cQeVZKrTg8YwWmWnO4H7oV0wH0y8b0A9x2M="]
)
ID_NUMBER_INDEX_KEY = env("ID_NUMBER_INDEX_KEY", default="dev-blind-index-key")

# --- Caches ---------------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis is optional at run time: when it is unreachable every cache call answers as a miss and
            # logs (kexie/cache.py), so rate limits, debounces and page caches allow instead of failing.
            "BACKEND": "kexie.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Short socket timeouts: a hung Redis may cost a request half a second, never a worker's timeout.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 2},
        },
        # The sessions' copy in Redis (SESSION_ENGINE below). An entry lives at most SESSION_CACHE_SECONDS: a
        # sign-out while Redis was down deletes the database row but cannot delete the cached copy, which must
        # not keep the session alive for its whole 8 hours once Redis is back.
        "sessions": {
            "BACKEND": "kexie.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "session",
            "OPTIONS": {
                "socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 2,
                "MAX_TIMEOUT": env.int("SESSION_CACHE_SECONDS", default=300),
            },
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kexie"},
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kexie-sessions"},
    }
# Sessions are read from the cache and written through to the database: a console request reads its session
# without a query, and a cache miss, an eviction or Redis being down reads the database row instead.
SESSION_ENGINE = env("KEXIE_SESSION_ENGINE", default="django.contrib.sessions.backends.cached_db")
SESSION_CACHE_ALIAS = "sessions"

# --- Celery ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process so the system works on a bare machine.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A dead broker must not hang a web request: fail fast and let the outbox sweep deliver later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# The longest job (a census commit of MAX_ROWS rows) is capped by the hard time limit; Redis redelivers an
# unacknowledged message only after the visibility timeout, which is longer, so a live job never runs twice.
# A job lost with a dead worker is re-sent sooner by the database sweep (CENSUS_JOB_STALL_SECONDS).
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TIME_LIMIT = 30 * 60
# Python keeps the memory a large job freed (a census list, a big export) for reuse instead of giving it back:
# a pool process left above 200 MB resident after a task is replaced, so an idle worker returns to its base
# size and the next job starts from there (kilobytes, Celery's unit).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 200_000
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 45 * 60,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if REDIS_URL:
    # kombu's Redis transport with the fix that keeps a worker alive through a broker outage (kexie/broker.py).
    CELERY_BROKER_TRANSPORT = "kexie.broker:Transport"
# Workers wait for the broker for ever, at startup and after losing it, instead of exiting.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A late-acknowledged task whose message can no longer be acknowledged is stopped (prefork) rather than
# finished and then run again; every job is idempotent and its status row lets the sweep resume it.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "deliver-pending-notices": {"task": "members.tasks.notices_deliver_pending", "schedule": 60.0},
    # Progress: recount orgs marked by decisions since the last run; a nightly full recount is the safety net.
    "progress-recompute-dirty": {"task": "approvals.tasks.progress_recompute_dirty", "schedule": 300.0},
    "progress-recompute-all": {"task": "approvals.tasks.progress_recompute_all", "schedule": crontab(hour=2, minute=30)},
    # 办理时限 reminders: hourly is enough for a count of working days, and a re-run sends nothing twice.
    "deadlines-remind": {"task": "approvals.tasks.deadlines_remind", "schedule": crontab(minute=10)},
    # 会籍年度: renewal reminders, 待续期 after the grace period, lapse after N years; nightly, idempotent.
    "membership-year-sweep": {"task": "members.tasks.membership_year_sweep", "schedule": crontab(hour=1, minute=30)},
    # Census jobs: re-send validations and commits whose message or worker was lost; delete old uploads.
    "census-jobs-resend": {"task": "members.tasks.census_jobs_resend", "schedule": 60.0},
    "census-uploads-purge": {"task": "members.tasks.census_uploads_purge", "schedule": crontab(hour=3, minute=10)},
    # Webhooks: send deliveries that are due (retries with backoff, and first attempts whose message was lost).
    "webhook-deliveries-resend": {"task": "orgs.tasks.webhook_deliveries_resend", "schedule": 60.0},
    # Retention of personal data: de-identify deleted accounts, remove evidence of ended applications.
    "persons-deidentify": {"task": "members.tasks.persons_deidentify_due", "schedule": crontab(hour=3, minute=30)},
    "evidence-purge": {"task": "approvals.tasks.evidence_purge_due", "schedule": crontab(hour=3, minute=50)},
    # The audit trail: rows past AUDIT_RETENTION_DAYS go to a compressed archive once a month.
    "audit-archive": {"task": "orgs.tasks.audit_archive", "schedule": crontab(day_of_month=1, hour=4, minute=0)},
}

CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Without a broker there is no `celery beat`: auto runs CELERY_BEAT_SCHEDULE in the runserver process itself,
# on runs it in any process without a broker, off never (kexie/scheduler.py).
KEXIE_INPROCESS_SCHEDULER = env("KEXIE_INPROCESS_SCHEDULER", default="auto")

# --- Progress figures -------------------------------------------------------------------------------------
# With a worker, a burst of decisions within this many seconds is recounted by one job.
KEXIE_PROGRESS_DEBOUNCE_SECONDS = env.int("KEXIE_PROGRESS_DEBOUNCE_SECONDS", default=30)
# In-process (no broker), the recount runs this many seconds after a change, off the request that made it.
KEXIE_PROGRESS_INPROCESS_DELAY_SECONDS = env.float("KEXIE_PROGRESS_INPROCESS_DELAY_SECONDS", default=2.0)
# New notices are mailed by one sweep job this many seconds after the first of a burst commits.
KEXIE_NOTICE_EMAIL_DELAY_SECONDS = env.float("KEXIE_NOTICE_EMAIL_DELAY_SECONDS", default=5.0)

# A rendered progress dashboard is kept this many seconds, keyed on the snapshots, targets and pending recounts
# it shows (orgs.selectors.progress.dashboard_cache_key): any of them changing renders it again at once. 0: off.
DASHBOARD_CACHE_SECONDS = env.int("KEXIE_DASHBOARD_CACHE_SECONDS", default=300)

# The review queue, the member directory, the workbench, the progress dashboard and the applicant's home page are
# kept as rendered while nothing is written to the database and the person's session is unchanged
# (kexie.page_cache), at most this many seconds. 0: off.
PAGE_CACHE_SECONDS = env.int("KEXIE_PAGE_CACHE_SECONDS", default=60)

# The review queue counts a list exactly below this many rows; a longer list's count is kept this many seconds
# and shown as approximate (约), while its rows are always read fresh (approvals.selectors.review.ReviewQueue).
QUEUE_COUNT_EXACT_BELOW = env.int("KEXIE_QUEUE_COUNT_EXACT_BELOW", default=5000)
QUEUE_COUNT_CACHE_SECONDS = env.int("KEXIE_QUEUE_COUNT_CACHE_SECONDS", default=60)

# --- Census jobs and uploads -------------------------------------------------------------------------------
# A census validation or commit with no sign of life for this long counts as stuck: the page offers 重新处理
# and the sweep sends it again (a 60,000-row commit reports progress every 500 rows, well within this).
CENSUS_JOB_STALL_SECONDS = env.int("CENSUS_JOB_STALL_SECONDS", default=300)
# Automatic re-sends of one job before only 重新处理 sends it (a job that kills its worker must not loop).
CENSUS_JOB_MAX_ATTEMPTS = env.int("CENSUS_JOB_MAX_ATTEMPTS", default=5)
# Uploaded lists hold full ID numbers: deleted right after the commit, or this many days after an upload
# that was never committed.
CENSUS_UPLOAD_RETENTION_DAYS = env.int("CENSUS_UPLOAD_RETENTION_DAYS", default=7)

# --- Audit trail and personal-data retention -----------------------------------------------------------------
# Audit rows younger than this are never deleted; older ones are archived to a compressed file, then removed
# (等保 2.0 level 3 asks for six months: values below 180 are raised to 180, and the database trigger holds it).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
# Where the archive files go: keep it on storage that is backed up and not writable by the web process alone.
AUDIT_ARCHIVE_DIR = env("AUDIT_ARCHIVE_DIR", default=str(BASE_DIR / "var" / "audit-archive"))

# A deleted account's profile kept for its memberships (Person.restricted_at) is de-identified this long after the
# deletion: only the masked name stays on the membership records (PIPL: keep no longer than needed).
PERSON_RETENTION_DAYS = env.int("PERSON_RETENTION_DAYS", default=365)
# Evidence files of people whose applications all ended withdrawn or rejected are removed this long after the
# last of those ended (time to resubmit or contest the decision).
EVIDENCE_RETENTION_DAYS = env.int("EVIDENCE_RETENTION_DAYS", default=180)

# --- Webhooks (orgs.services.webhooks) --------------------------------------------------------------------
# Fernet keys of the endpoints' signing secrets at rest (first encrypts, all decrypt). By default the ID number
# keys; a ring of its own lets the two rotate separately.
WEBHOOK_SECRET_KEYS = env.list("WEBHOOK_SECRET_KEYS", default=ID_NUMBER_ENCRYPTION_KEYS)
# Failed deliveries are retried with exponential backoff (base doubling up to the cap) for this long after the
# event, the last attempt at the end of the window; then the delivery is marked failed.
WEBHOOK_RETRY_WINDOW = timedelta(hours=24)
WEBHOOK_BACKOFF_BASE = timedelta(seconds=30)
WEBHOOK_BACKOFF_MAX = timedelta(hours=1)
# A worker owns a delivery it claimed for this long; longer than the connect and read timeouts together
# (kexie/outbound.py), so a live attempt is never sent twice and one lost with its worker is retried after it.
WEBHOOK_CLAIM_SECONDS = 120
# SSRF guard: endpoints must be https:// and resolve to public addresses. Development and tests allow a
# receiver on this machine: plain http:// to a loopback address, and private or loopback targets.
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# --- REST API (/api/v1/) -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer and service tokens use no cookies; the browser's session keeps DRF's CSRF checks. The token
    # classes come first so that a missing or expired token answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.api.authentication.BearerTokenAuthentication",
        "orgs.api.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "orgs.api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["kexie.api.throttling.UserRateThrottle", "kexie.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_RATE_ANON", default="60/min"),
        "user": env("API_RATE_USER", default="600/min"),
        "token": env("API_RATE_TOKEN", default="300/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "kexie.api.pagination.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies are one object of text, numbers and lists (kexie/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "kexie.api.parsers.StrictJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "kexie.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kexie.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "科协个人会员系统 API",
    "DESCRIPTION": (
        "申请人（小程序）与管理员接口。认证：浏览器使用会话（需 CSRF 令牌）；小程序用手机号码和密码换取短期访问令牌"
        "（Authorization: Bearer kxa_…），过期后用刷新令牌换新；报表等外部系统使用管理员为本辖区创建的服务令牌"
        "（Authorization: Bearer kxs_…），只能访问该组织及其下级，且只能调用其权限范围内的接口。"
        "所有错误均为 {code, message, fields} 结构，身份证号码只以脱敏形式出现。"
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "approvals.models.Application.Status",
        "MembershipStatusEnum": "members.models.Membership.Status",
        "OrgLevelEnum": "orgs.models.Org.Level",
        "AwardLevelEnum": "members.models.AwardLevel",
        "WebhookEventEnum": "orgs.models.WebhookEndpoint.Event",
        "FeePaymentKindEnum": "members.models.FeePayment.Kind",
    },
}
# Lifetimes of the mini-program's bearer tokens (members.services.api_sessions).
API_ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("API_ACCESS_TOKEN_MINUTES", default=15))
API_REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("API_REFRESH_TOKEN_DAYS", default=30))

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="kexie@localhost")

# --- django-guardian --------------------------------------------------------------------------------------
# No anonymous user row: the public pages never consult object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# --- django-axes ----------------------------------------------------------------------------------------
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The lockout keys on the address kexie.client_address decides, the same one rate limits and audit rows use.
AXES_CLIENT_IP_CALLABLE = "kexie.client_address.client_address"

# --- Client address and the reverse proxy ---------------------------------------------------------------
# Addresses or networks of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. Empty:
# no proxy, the socket peer is the client and forwarded headers are ignored (see kexie/client_address.py).
TRUSTED_PROXIES = env.list("KEXIE_TRUSTED_PROXIES", default=[])

# --- Failed logins per username, across addresses (kexie/login_challenge.py) -----------------------------
# After this many failures for one username within the window, every further attempt for it needs the
# browser's proof of work; the work doubles every LOGIN_CHALLENGE_DOUBLING further failures, up to the cap.
LOGIN_CHALLENGE_AFTER = env.int("KEXIE_LOGIN_CHALLENGE_AFTER", default=10)
LOGIN_CHALLENGE_WINDOW = 60 * 60
LOGIN_CHALLENGE_DOUBLING = 5
# Numbers the browser may have to hash: headless Chromium measured about 64,000 SHA-256 a second here, so
# at most 0.3 s at the start and 5 s at the cap (half that on average; an older phone takes longer).
LOGIN_CHALLENGE_BASE_WORK = 20_000
LOGIN_CHALLENGE_MAX_WORK = 320_000

# --- Verification codes and text messages (members/services/verification.py, kexie/sms.py) ---------------
VERIFICATION_CODE_LIFETIME = timedelta(minutes=5)
VERIFICATION_CODE_MAX_ATTEMPTS = 5
VERIFICATION_CODE_RESEND_SECONDS = 60
# Codes to one mobile or email address, all purposes together: a person needs a few, a flood is stopped.
VERIFICATION_CODES_PER_ADDRESS = {"hour": 5, "day": 10}
# Codes requested from one client address: a work unit of 200 behind one office connection registers in an
# hour; a script sending to made-up numbers stops here (each code is a paid message).
VERIFICATION_CODES_PER_IP = {
    "hour": env.int("KEXIE_CODES_PER_IP_HOUR", default=300),
    "day": env.int("KEXIE_CODES_PER_IP_DAY", default=1000),
}
# Wrong codes entered from one client address per hour, across numbers: stops guessing, not typos.
VERIFICATION_FAILURES_PER_IP_HOUR = 100
# Where text messages go: kexie.sms.ConsoleBackend prints them (the demo shows the code there),
# kexie.sms.FileBackend appends them to SMS_FILE_PATH, kexie.sms.TencentCloudBackend sends them.
SMS_BACKEND = env("KEXIE_SMS_BACKEND", default="kexie.sms.ConsoleBackend")
SMS_FILE_PATH = env("KEXIE_SMS_FILE_PATH", default=str(BASE_DIR / "sms.log"))
SMS_TENCENT = {
    "SECRET_ID": env("TENCENTCLOUD_SECRET_ID", default=""),
    "SECRET_KEY": env("TENCENTCLOUD_SECRET_KEY", default=""),
    "REGION": env("KEXIE_SMS_TENCENT_REGION", default="ap-guangzhou"),
    "SDK_APP_ID": env("KEXIE_SMS_TENCENT_SDK_APP_ID", default=""),
    "SIGN_NAME": env("KEXIE_SMS_TENCENT_SIGN_NAME", default=""),
    # One approved template per purpose; each takes two parameters: the code and its lifetime in minutes.
    "TEMPLATES": {
        "register": env("KEXIE_SMS_TENCENT_TEMPLATE_REGISTER", default=""),
        "password_reset": env("KEXIE_SMS_TENCENT_TEMPLATE_PASSWORD_RESET", default=""),
        "mobile_change": env("KEXIE_SMS_TENCENT_TEMPLATE_MOBILE_CHANGE", default=""),
    },
    # Empty: Tencent Cloud's public endpoint. Tests point it at a local fake server.
    "ENDPOINT": env("KEXIE_SMS_TENCENT_ENDPOINT", default=""),
    "SCHEME": "https",
    "TIMEOUT": 5,
}

# --- Membership rules -----------------------------------------------------------------------------------
# 办理时限: working days an organisation has to decide an application unless the level above sets another.
KEXIE_HANDLING_DAYS_DEFAULT = env.int("KEXIE_HANDLING_DAYS_DEFAULT", default=15)
# Overdue by more than this many working days, the organisation above is told (督办).
KEXIE_ESCALATION_WORKDAYS = env.int("KEXIE_ESCALATION_WORKDAYS", default=5)

# 会籍年度: the renewal window for year Y, (month, day) it opens in Y-1 and (month, day) it closes in Y,
# unless an organisation sets its own.
KEXIE_RENEWAL_WINDOW = ((11, 1), (3, 31))
# Reminder this many days before the window closes; 待续期 this many days after it closed.
KEXIE_RENEWAL_REMINDER_DAYS = env.int("KEXIE_RENEWAL_REMINDER_DAYS", default=30)
KEXIE_RENEWAL_GRACE_DAYS = env.int("KEXIE_RENEWAL_GRACE_DAYS", default=30)
# A membership not renewed for this many consecutive years lapses (已失效).
KEXIE_LAPSE_AFTER_YEARS = env.int("KEXIE_LAPSE_AFTER_YEARS", default=2)

# --- Site -----------------------------------------------------------------------------------------------
# Public base address for certificate QR codes and invitation texts (kexie.site.site_url). Unset, certificates
# use the address the request came to; background jobs (census invitations) need it set.
SITE_URL = env("KEXIE_SITE_URL", default="")

# Every handler redacts the tokens of re-registration and verification links (kexie/log_filters.py). Django's
# own loggers (django.request's "Not Found: /rereg/<token>/", the development server's access log) are routed
# to these handlers instead of Django's defaults; gunicorn's access log is redacted by gunicorn.conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secret_paths": {"()": "kexie.log_filters.RedactSecretPaths"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secret_paths"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secret_paths"],
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
