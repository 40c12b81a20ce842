"""Production: secure by default, and refuses to start without its required environment."""

import os
import sys

from .base import *  # noqa: F403
from .base import JWT_SIGNING_KEY_FALLBACKS, SECRET_KEY_FALLBACKS, env, secret

# Secrets may come from the environment or the secrets backend (SECRETS_BACKEND); the rest of
# the required configuration is plain environment.
_missing = [
    name
    for name, value in (
        ("SECRET_KEY", secret("SECRET_KEY")),
        ("ALLOWED_HOSTS", os.environ.get("ALLOWED_HOSTS")),
        ("DATABASE_URL", secret("DATABASE_URL")),
    )
    if not value
]
if _missing:
    # One line an operator can act on, not a traceback.
    sys.exit(f"cliqserve: missing required environment variable(s): {', '.join(_missing)}")

DEBUG = False
# The platform owner and tenant admins hold the keys to every till: a second factor, by default.
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["platform_owner", "tenant_admin"])
METRICS_REQUIRE_TOKEN = True

# --- Signing keys: refuse to start with one an attacker could guess ------------------------
MIN_KEY_LENGTH = 50  # Django's own deploy check asks for 50 characters, 5 of them distinct
# Words that mark a key copied from documentation or a sample file, not generated.
PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "insecure",
    "dev-only",
    "not-a-secret",
    "placeholder",
    "example",
)


def weak_key_reason(key: str) -> str | None:
    """Why `key` cannot sign anything in production, or None when it can."""
    if len(key) < MIN_KEY_LENGTH:
        return f"shorter than {MIN_KEY_LENGTH} characters"
    if len(set(key)) < 5:
        return "made of fewer than 5 distinct characters"
    if any(marker in key.lower() for marker in PLACEHOLDER_MARKERS):
        return "a placeholder from the documentation"
    return None


# Whatever backend a key came from; a previous key still verifies, so it is held to the same rules.
_signing_keys: list[tuple[str, str]] = [
    ("SECRET_KEY", SECRET_KEY),  # noqa: F405
    ("JWT_SIGNING_KEY", str(SIMPLE_JWT["SIGNING_KEY"])),  # noqa: F405
    *(("a key in SECRET_KEY_FALLBACKS", key) for key in SECRET_KEY_FALLBACKS),
    *(("a key in JWT_SIGNING_KEY_FALLBACKS", key) for key in JWT_SIGNING_KEY_FALLBACKS),
]
for _name, _key in _signing_keys:
    _reason = weak_key_reason(_key)
    if _reason:
        sys.exit(
            f"cliqserve: {_name} is {_reason}; generate one with"
            " python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

# --- HTTPS and browser hardening ---------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and scrapers talk plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Trust X-Forwarded-Proto only when a proxy we control sets it (the default deployment).
if env.bool("USE_X_FORWARDED_PROTO", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# nosniff, Referrer-Policy, frame denial, CSP and Permissions-Policy: base.py, every environment.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "exports": EXPORT_STORAGE,  # noqa: F405  # base.py: local folder or S3-compatible bucket
}
