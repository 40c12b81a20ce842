"""Settings shared by every environment.

Every value an operator may change comes from the environment through django-environ and is
listed, with a comment, in `.env.example`. With no environment at all this module gives the
embedded default: SQLite, an in-process cache and eager Celery tasks, so `make run` works on
a bare laptop.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF

from cliqserve.core.secrets import SecretsError, open_secrets

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Secrets (cliqserve/core/secrets.py, docs/SECRETS.md) ---------------------------------
# Every secret below is read through this layer: from the environment, a directory of secret
# files, or AWS Secrets Manager; a secret the chosen backend lacks falls back to the variable.
try:
    _secrets = open_secrets(
        backend=env.str("SECRETS_BACKEND", default="env"),
        environ=os.environ,
        directory=env.str("SECRETS_DIR", default="/run/secrets"),
        aws_prefix=env.str("SECRETS_AWS_PREFIX", default="cliqserve"),
        aws_environment=env.str("SECRETS_ENV", default=""),
        aws_region=env.str("SECRETS_AWS_REGION", default=""),
        cache_seconds=env.int("SECRETS_CACHE_SECONDS", default=300),
    )
except SecretsError as exc:
    sys.exit(f"cliqserve: {exc}")
# Where `manage.py rotate_signing_key --write` stores a new key: the aws backend; None otherwise.
SECRETS_STORE = _secrets.store()


def secret(name: str, *, default: str = "") -> str:
    """The secret `name`; a backend that fails stops the process with one line, no traceback."""
    try:
        return _secrets.get(name, default=default)
    except SecretsError as exc:
        sys.exit(f"cliqserve: {exc}")


def secret_list(name: str) -> list[str]:
    """A comma-separated secret, such as a list of previous keys."""
    return [item.strip() for item in secret(name).split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# A development-only fallback; prod.py refuses to start without a real SECRET_KEY.
SECRET_KEY = secret("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789")
# Previous keys, still accepted on signed data (sessions, cookies, password-reset links) so
# rotating SECRET_KEY signs nobody out; retire them after SESSION_COOKIE_AGE.
SECRET_KEY_FALLBACKS = secret_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django_prometheus",
    # Django's admin with our site: its sign-in under the API's throttles and lockout.
    "cliqserve.accounts.admin_apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_filters",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Only for its configuration checks (`manage.py check`); the middleware does the work.
    "csp",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # django-flags: its FlagState rows hold the flags' conditions. Before cliqserve.core, whose
    # admin module replaces the FlagState admin that django-flags registers.
    "flags",
    "cliqserve.core",
    "cliqserve.tenants",
    "cliqserve.accounts",
    "cliqserve.catalog",
    "cliqserve.inventory",
    "cliqserve.sales",
    "cliqserve.reports",
    "cliqserve.backoffice",
    "cliqserve.demo",
    "parler",
]

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # Prometheus "before" must be first and "after" last so the timings cover everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "cliqserve.core.middleware.RequestContextMiddleware",
    # Probes answer before host validation: orchestrators call them by pod IP.
    "cliqserve.core.health.OperationalEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files answer before them and need neither header.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a session user's language preference comes first (API callers are
    # known only in the DRF view, whose authentication classes choose again; ADR 0016).
    "cliqserve.core.i18n.LocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url_config(secret("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")),
}
_db = DATABASES["default"]
# The password alone may be the secret, with the rest of the URL in plain configuration.
_db["PASSWORD"] = secret("DATABASE_PASSWORD") or _db.get("PASSWORD", "")
# django-prometheus wraps the real backends to export query counts and latencies.
_db["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(_db["ENGINE"], _db["ENGINE"])
_db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# Persistent connections are checked before reuse, so the app recovers by itself after a
# database restart instead of failing the first request on a dead socket.
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"].endswith("postgresql"):
    _db.setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=5),
            "application_name": "cliqserve",
        }
    )
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and each statement prepared on its 5th use on a
        # connection: PostgreSQL stops parsing and planning the checkout's statements on every
        # sale (about 40 % of its CPU per sale, bench/checkout_cpu.py). Turn off behind a pooler
        # in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or
        # without max_prepared_statements).
        _db["OPTIONS"].update({"server_side_binding": True, "prepare_threshold": 5})
else:
    # SQLite is the embedded single-machine default: WAL lets readers run beside the writer
    # and IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, throttling and Celery broker ----------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    _REDIS_OPTIONS: dict[str, Any] = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
        "SOCKET_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
    }
    CACHES: dict[str, dict[str, Any]] = {
        # A cache: when Redis fails, a read is a miss and a write is dropped (ADR 0015), so a
        # Redis outage makes the API slower, never unavailable.
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cliqserve",
            "OPTIONS": {**_REDIS_OPTIONS, "IGNORE_EXCEPTIONS": True},
        },
        # The same keys, raising: security counters (login lockout) must know Redis failed, to
        # count in the process instead of silently not counting (core/cache.py).
        "counters": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cliqserve",
            "OPTIONS": _REDIS_OPTIONS,
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cliqserve",
        },
        # The same in-process store as "default" (one LOCATION).
        "counters": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cliqserve",
        },
    }

# Seconds a rendered catalog answer stays cached. Keys carry the catalog version, so a write
# never waits for this; it only bounds the memory old versions hold.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=600)

# --- Celery (config/celery.py reads every CELERY_* setting) -------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Without a broker the embedded default runs tasks in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# A task is acknowledged after it ran, so a worker that dies mid-task leaves it to another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
# Minutes between two low-stock checks (each level notifies its tenant's admins once per dip).
LOW_STOCK_CHECK_MINUTES = env.int("LOW_STOCK_CHECK_MINUTES", default=15)
# Days an Idempotency-Key (and the answer it replays) is kept; the API contract promises 7.
IDEMPOTENCY_KEY_RETENTION_DAYS = max(7, env.int("IDEMPOTENCY_KEY_RETENTION_DAYS", default=7))
# The audit trail: events are kept two years by default, and never less than one (the
# database's purge function has the same floor); client addresses and agents 90 days (30 at least).
AUDIT_RETENTION_DAYS = max(365, env.int("AUDIT_RETENTION_DAYS", default=730))
AUDIT_CLIENT_RETENTION_DAYS = max(30, env.int("AUDIT_CLIENT_RETENTION_DAYS", default=90))
# The transactional outbox (cliqserve/core/outbox/, docs/adr/0004): tries before a message is
# dead; the first retry's wait, doubled each time up to the cap; how long a claimed message is
# left to its worker (longer than a task may run); how long sent and dead messages are kept.
OUTBOX_MAX_ATTEMPTS = max(1, env.int("OUTBOX_MAX_ATTEMPTS", default=8))
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_LEASE_SECONDS = CELERY_TASK_TIME_LIMIT + 60
OUTBOX_SENT_RETENTION_DAYS = env.int("OUTBOX_SENT_RETENTION_DAYS", default=7)
OUTBOX_DEAD_RETENTION_DAYS = env.int("OUTBOX_DEAD_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "inventory-notify-low-stock": {
        "task": "cliqserve.inventory.tasks.notify_low_stock",
        "schedule": timedelta(minutes=LOW_STOCK_CHECK_MINUTES),
    },
    "core-purge-idempotency-keys": {
        "task": "cliqserve.core.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "reports-refresh-rollups": {
        "task": "cliqserve.reports.tasks.refresh_rollups",
        "schedule": timedelta(seconds=env.int("ROLLUP_REFRESH_SECONDS", default=30)),
    },
    "reports-sweep-exports": {
        "task": "cliqserve.reports.tasks.sweep_report_exports",
        "schedule": timedelta(hours=1),
    },
    "core-purge-audit-events": {
        "task": "cliqserve.core.tasks.purge_audit_events",
        "schedule": timedelta(hours=6),
    },
    "core-sweep-outbox": {
        "task": "cliqserve.core.tasks.sweep_outbox",
        "schedule": timedelta(minutes=1),
    },
}
# Outgoing email (low-stock notices): django-environ URL, e.g. smtp+tls://user:pass@host:587.
# The default is Django's own (an SMTP server on localhost).
_email = env.email_url_config(secret("EMAIL_URL", default="smtp://localhost:25"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
# As for the database, the password alone may be the secret.
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD") or _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Seconds before a silent mail server is given up on: it must not hold a worker for long.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cliqserve <noreply@localhost>")

# --- Auth ---------------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The sign-in lockout (docs/adr/0010-login-lockout.md). After LOGIN_LOCKOUT_THRESHOLD failed
# logins for one email from one client within the window, that client waits before its next
# try at that email (429 with Retry-After, the password unchecked): LOGIN_LOCKOUT_FIRST_SECONDS,
# doubling with each lock up to LOGIN_LOCKOUT_SECONDS. After LOGIN_ACCOUNT_LOCKOUT_THRESHOLD
# failures from all clients, every client the account does not know waits the same way. A
# known client (a till or browser that signed in to it within LOGIN_KNOWN_CLIENT_DAYS) is held
# to its own failures only.
# Roles that must sign in with a second factor (TOTP). Empty: nobody (prod.py defaults it to the
# platform owner and tenant admins). A tenant may require it of its branch managers too.
MFA_REQUIRED_ROLES: list[str] = env.list("MFA_REQUIRED_ROLES", default=[])
# The name authenticator apps show for cliqserve accounts.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="cliqserve")
LOGIN_LOCKOUT_THRESHOLD = env.int("LOGIN_LOCKOUT_THRESHOLD", default=5)
LOGIN_ACCOUNT_LOCKOUT_THRESHOLD = env.int("LOGIN_ACCOUNT_LOCKOUT_THRESHOLD", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
LOGIN_LOCKOUT_FIRST_SECONDS = env.int("LOGIN_LOCKOUT_FIRST_SECONDS", default=60)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
LOGIN_KNOWN_CLIENT_DAYS = env.int("LOGIN_KNOWN_CLIENT_DAYS", default=180)
# The Django admin (platform staff): its path, and whether it is served at all (contract).
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=True)
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
# Email addresses refused as already in use, per admin and hour, before that admin's user
# writes are refused for the rest of the hour (429): bounds listing the platform's addresses.
USER_EMAIL_REFUSALS_PER_HOUR = env.int("USER_EMAIL_REFUSALS_PER_HOUR", default=10)
# A spent refresh token presented again within this many seconds is a client retry (refused);
# later it is a replay, and every session of that user is ended.
REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", default=30)

# The back office (/backoffice/) signs in with a session; it ends after a working day.
LOGIN_URL = "backoffice:login"
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Browser hardening: the HTML pages (admin, API docs, back office) ---------------------
# In every environment, so tests and `make run` see the headers production sends.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp 4: every page loads its scripts and styles from our own static files; an inline
# <script> or <style> runs only with the request's nonce (`request.csp_nonce` in a template, which
# also puts the nonce in this header; a page that never reads it gets no nonce at all). The same
# header on JSON answers is harmless and cheap (one short string built per answer).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Where browsers report a refused script or style (e.g. Sentry's security endpoint); empty: nowhere.
# Kept out of a CSP_* setting name: django-csp's check takes those for its 3.x settings.
_csp_report_uri = env.str("CSP_REPORT_URI", default="")
if _csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]
# No page uses any of these browser features: deny them to the pages and to anything they embed.
PERMISSIONS_POLICY: dict[str, tuple[str, ...]] = dict.fromkeys(
    [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ],
    (),
)

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
# The catalogues (locale/<lang>/LC_MESSAGES/django.po, compiled to .mo by `make install`).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# django-parler: the languages products are translated into; a missing translation falls back
# to English here, and to the tenant's default language in the catalog selectors.
PARLER_DEFAULT_LANGUAGE_CODE = "en"
PARLER_LANGUAGES = {
    None: tuple({"code": code} for code, _name in LANGUAGES),
    "default": {"fallbacks": ["en"], "hide_untranslated": False},
}
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise serves them from the app server) ----------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Reports (cliqserve/reports/) -----------------------------------------------------------
# Seconds the cache keeps a stale business day's report cells, keyed by the journal rows that
# made it stale (reports/tail.py): a new sale changes the key, so this bounds memory, not
# freshness. 0 computes them from the sales rows for every report.
REPORT_TAIL_CACHE_SECONDS = env.int("REPORT_TAIL_CACHE_SECONDS", default=600)

# --- Feature flags (cliqserve/core/feature_flags.py, docs/FLAGS.md) ------------------------
# Every flag is declared here, named module.feature.action; its conditions are FlagState rows the
# platform owner edits in the admin. A flag declared with no condition is off until a row turns
# it on. A condition declared here is on for everyone the database's required conditions allow:
# `backoffice.dashboard.view` shipped before flags did, so it stays on unless switched off.
FLAGS: dict[str, list[dict[str, Any]]] = {
    "backoffice.dashboard.view": [{"condition": "boolean", "value": True}],
    "reports.exports.localized": [],
}
# The database rows come through the cache (one cache read per request instead of a query).
FLAG_SOURCES = (
    "flags.sources.SettingsFlagsSource",
    "cliqserve.core.feature_flags.CachedDatabaseFlagsSource",
)
# Seconds a cached copy of the flag conditions lives. Every change through the ORM (the admin
# included) clears it at once; this bounds how long a change made around the ORM stays unseen.
FLAGS_CACHE_SECONDS = env.int("FLAGS_CACHE_SECONDS", default=300)
# Log every evaluation of a flag (name, state, conditions) at INFO: for chasing a rollout, not
# for everyday use (a line per flag per request).
FLAGS_STATE_LOGGING = env.bool("FLAGS_STATE_LOGGING", default=False)

# --- Report exports (cliqserve/reports/exports.py) -----------------------------------------
# A download link works EXPORT_LINK_TTL seconds after the job handed it out; the file itself is
# deleted EXPORT_FILE_TTL seconds after it was written (beat task reports-sweep-exports).
EXPORT_LINK_TTL = env.int("EXPORT_LINK_TTL", default=3600)
EXPORT_FILE_TTL = env.int("EXPORT_FILE_TTL", default=24 * 3600)
# Files go to a local folder, or to an S3-compatible bucket when EXPORT_STORAGE_BUCKET is set
# (then the download link is the bucket's own presigned URL).
EXPORT_ROOT = env.str("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports"))
EXPORT_STORAGE_BUCKET = env.str("EXPORT_STORAGE_BUCKET", default="")
EXPORT_STORAGE: dict[str, Any] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": EXPORT_ROOT, "base_url": None},
}
if EXPORT_STORAGE_BUCKET:
    EXPORT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EXPORT_STORAGE_BUCKET,
            # Empty: AWS itself; otherwise MinIO, Ceph, R2 ... e.g. https://minio.internal:9000
            "endpoint_url": env.str("EXPORT_STORAGE_ENDPOINT_URL", default="") or None,
            "region_name": env.str("EXPORT_STORAGE_REGION", default="") or None,
            # Empty keys: boto3's own chain (instance role, AWS_* variables).
            "access_key": env.str("EXPORT_STORAGE_ACCESS_KEY_ID", default="") or None,
            "secret_key": secret("EXPORT_STORAGE_SECRET_ACCESS_KEY") or None,
            "addressing_style": env.str("EXPORT_STORAGE_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "default_acl": None,  # private: read only through presigned URLs
            "querystring_auth": True,
            "querystring_expire": EXPORT_LINK_TTL,
            "file_overwrite": False,
        },
    }

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": EXPORT_STORAGE,
}

# --- HTTP API -----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cliqserve.accounts.authentication.JWTAuthentication",
        "cliqserve.accounts.authentication.ApiKeyAuthentication",
    ],
    # Deny by default: every view that is open to anonymous callers says so itself.
    "DEFAULT_PERMISSION_CLASSES": ["cliqserve.core.api.permissions.PersonOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cliqserve.core.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "cliqserve.core.api.negotiation.JSONFallbackNegotiation",
    "DEFAULT_PAGINATION_CLASS": "cliqserve.core.api.pagination.CursorPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "cliqserve.accounts.api.throttles.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_RATE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_RATE_USER", default="1200/minute"),
        "api_key": env.str("THROTTLE_RATE_API_KEY", default="600/minute"),
        # Login attempts per client address, and per account (email) from any address.
        "login": env.str("THROTTLE_RATE_LOGIN", default="20/minute"),
        "login_account": env.str("THROTTLE_RATE_LOGIN_ACCOUNT", default="10/minute"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "cliqserve.core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "cliqserve.core.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

SIMPLE_JWT = {
    # Capped at 15 minutes: an access token cannot be revoked before it expires except through
    # the per-request user/tenant checks, so it must stay short.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=min(env.int("JWT_ACCESS_MINUTES", default=15), 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password hash: changing the password revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Unset or empty (as .env.example ships it): SECRET_KEY. An empty key made every login a 500.
    "SIGNING_KEY": secret("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens name their key (kid) and are verified against it or a previous key: rotation
    # signs nobody out (cliqserve/accounts/tokens.py).
    "AUTH_TOKEN_CLASSES": ("cliqserve.accounts.tokens.AccessToken",),
}
# Previous JWT keys, still accepted: retire one once JWT_REFRESH_DAYS have passed since it
# stopped signing. With no JWT_SIGNING_KEY, JWTs are signed with SECRET_KEY and so verified
# against its fallbacks too.
JWT_SIGNING_KEY_FALLBACKS = (
    secret_list("JWT_SIGNING_KEY_FALLBACKS") if secret("JWT_SIGNING_KEY") else SECRET_KEY_FALLBACKS
)

SPECTACULAR_SETTINGS = {
    "TITLE": "cliqserve API",
    "DESCRIPTION": "Multi-tenant point-of-sale backend. Every error has the shape of `Error`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- CORS ---------------------------------------------------------------------------------

CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
)
CORS_EXPOSE_HEADERS = ["x-request-id", "retry-after", "idempotent-replayed"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A CSRF refusal under /api/ answers in the contract's error format (ADR 0005).
CSRF_FAILURE_VIEW = "cliqserve.core.errors.csrf_failure"

# --- Bulk import -----------------------------------------------------------------------------

IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024

# --- Operations ---------------------------------------------------------------------------

# /metrics answers only a caller that presents this bearer token when it is set.
METRICS_TOKEN = secret("METRICS_TOKEN")
# Without a token, /metrics is open in dev and test and absent in production (prod.py).
METRICS_REQUIRE_TOKEN = False
# A Celery worker serves its task and queue metrics on this port (0: not at all); Prometheus
# scrapes it directly, so it listens on WORKER_METRICS_ADDR, loopback unless a deployment opens it.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="127.0.0.1")
# Celery's broker is probed by /readyz only when tasks really go through one.
READYZ_CHECK_BROKER = not CELERY_TASK_ALWAYS_EAGER

# --- Logging: JSON lines on stdout, secrets scrubbed ---------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "cliqserve.core.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "cliqserve.core.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # The access log line of cliqserve.request replaces Django's own per-request lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Error reporting ----------------------------------------------------------------------

SENTRY_DSN = secret("SENTRY_DSN")
if SENTRY_DSN:
    from cliqserve.core.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
