"""Tests: the same wiring as production, tuned for speed; PostgreSQL/Redis when configured."""

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REST_FRAMEWORK, env

DEBUG = False
# Argon2 is deliberately slow; tests only need a hasher that works.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
READYZ_CHECK_BROKER = False
# High enough that ordinary tests never meet them; throttling tests set their own.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/minute"
)
# Static files are served from the finders; there is no collectstatic in tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Parallel test workers (pytest-xdist) share one Redis: each keeps to its own key prefix.
# "counters" shares the prefix: the same keys, read by the login lockout (core/cache.py).
for _alias in ("default", "counters"):
    CACHES[_alias]["KEY_PREFIX"] = f"cliqserve-test-{env.str('PYTEST_XDIST_WORKER', default='main')}"
# pytest-django keeps SQLite test databases in memory, per worker, only for the stock engine.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"
