"""Production settings: refuse to start half-configured, and pass Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

SAMPLE_PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "k7!p2#x9@q4$w8%e1^r6&t3*y5(u0)i-o=p+a_s]d[f}g{h|j;l:z,x.c/v<b>n?m",
    "ALLOWED_HOSTS": "pos.example.com",
    "DATABASE_URL": "postgres://cliqserve@127.0.0.1:5432/cliqserve",
    "CORS_ALLOWED_ORIGINS": "https://backoffice.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://backoffice.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean_env = {
        k: v for k, v in os.environ.items() if k not in SAMPLE_PROD_ENV and k != "DB_PREPARED_STATEMENTS"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_checks_pass_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=SAMPLE_PROD_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_checks_warn_when_production_has_no_shared_redis():
    env = {k: v for k, v in SAMPLE_PROD_ENV.items() if k != "REDIS_URL"}

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "cliqserve.W001" in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in SAMPLE_PROD_ENV.items() if k != missing}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"cliqserve: missing required environment variable(s): {missing}"
    ]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        # .env.example's own placeholder, which prod used to accept.
        ("SECRET_KEY", "change-me-to-50-or-more-random-characters-in-production-please", "a placeholder"),
        ("SECRET_KEY", "django-insecure-" + "x7Gq2" * 10, "a placeholder"),
        ("SECRET_KEY", "short-but-random-Q8f3", "shorter than 50 characters"),
        ("SECRET_KEY", "ab" * 40, "made of fewer than 5 distinct characters"),
        ("JWT_SIGNING_KEY", "only-thirty-characters-long-00", "shorter than 50 characters"),
    ],
)
def test_production_refuses_to_start_with_a_guessable_key(name, value, reason):
    result = run_manage("check", "--deploy", env={**SAMPLE_PROD_ENV, name: value})

    assert result.returncode != 0
    assert result.stderr.strip().startswith(f"cliqserve: {name} is {reason}")
    assert value not in result.stderr  # the key itself is never printed


def test_an_empty_jwt_signing_key_means_the_secret_key():
    """.env.example ships `JWT_SIGNING_KEY=`: that used to sign with an empty key (every login a
    500); it means "use SECRET_KEY", as documented."""
    probe = "from django.conf import settings as s; print(s.SIMPLE_JWT['SIGNING_KEY'] == s.SECRET_KEY)"

    result = run_manage("shell", "--no-imports", "-c", probe, env={**SAMPLE_PROD_ENV, "JWT_SIGNING_KEY": ""})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_settings_are_hardened():
    probe = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.X_FRAME_OPTIONS, s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_PROXY_SSL_HEADER,"
        " s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'], s.CORS_ALLOWED_ORIGINS, s.ALLOWED_HOSTS)"
    )

    result = run_manage("shell", "--no-imports", "-c", probe, env=SAMPLE_PROD_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False True 31536000 True True True True True DENY True "
        "('HTTP_X_FORWARDED_PROTO', 'https') ['rest_framework.renderers.JSONRenderer'] "
        "['https://backoffice.example.com'] ['pos.example.com']"
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, "True 5"), ("true", "True 5"), ("false", "None None")],
)
def test_postgresql_statements_are_prepared_unless_turned_off(setting, expected):
    probe = (
        "from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS'];"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    env = dict(SAMPLE_PROD_ENV)
    if setting is not None:
        env["DB_PREPARED_STATEMENTS"] = setting

    result = run_manage("shell", "--no-imports", "-c", probe, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_production_takes_its_secrets_from_files_when_told_to(tmp_path):
    """Docker/Kubernetes secrets: SECRET_KEY and DATABASE_URL only in files, not the environment."""
    for name in ("SECRET_KEY", "DATABASE_URL"):
        (tmp_path / name).write_text(SAMPLE_PROD_ENV[name] + "\n")
    env = {k: v for k, v in SAMPLE_PROD_ENV.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    probe = (
        "from django.conf import settings as s;"
        "print(s.SECRET_KEY == s.SIMPLE_JWT['SIGNING_KEY'], s.DATABASES['default']['NAME'])"
    )

    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        probe,
        env={**env, "SECRETS_BACKEND": "file", "SECRETS_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True cliqserve"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("SECRET_KEY", "SECRET_KEY is shorter than 50 characters"),
        ("SECRET_KEY_FALLBACKS", "a key in SECRET_KEY_FALLBACKS is a placeholder"),
    ],
)
def test_production_refuses_a_guessable_key_whatever_backend_it_came_from(tmp_path, name, reason):
    value = (
        "short-but-random-Q8f3"
        if name == "SECRET_KEY"
        else "change-me-to-50-or-more-random-characters-in-production-please"
    )
    (tmp_path / name).write_text(value)

    result = run_manage(
        "check", env={**SAMPLE_PROD_ENV, "SECRETS_BACKEND": "file", "SECRETS_DIR": str(tmp_path)}
    )

    assert result.returncode != 0
    assert result.stderr.strip().startswith(f"cliqserve: {reason}")
    assert value not in result.stderr


def test_production_stops_with_one_line_when_aws_secrets_manager_is_unreachable():
    env = {
        **SAMPLE_PROD_ENV,
        "SECRETS_BACKEND": "aws",
        "SECRETS_ENV": "prod",
        "SECRETS_AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9",  # discard port: nothing listens
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "cliqserve: cannot reach AWS secret cliqserve/prod/SECRET_KEY (EndpointConnectionError): check the"
        " region, the credentials (instance or pod role) and that they allow"
        " secretsmanager:GetSecretValue on it"
    ]


def test_production_refuses_an_unknown_secrets_backend():
    result = run_manage("check", env={**SAMPLE_PROD_ENV, "SECRETS_BACKEND": "vault"})

    assert result.stderr.strip().splitlines() == [
        "cliqserve: SECRETS_BACKEND must be one of env, file, aws, not 'vault'"
    ]


@pytest.mark.parametrize(
    ("report_uri", "expected"), [(None, "None"), ("https://r.example/csp", "['https://r.example/csp']")]
)
def test_csp_reports_go_where_csp_report_uri_says(report_uri, expected):
    probe = (
        "from django.conf import settings as s;"
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES'].get('report-uri'))"
    )
    env = dict(SAMPLE_PROD_ENV)
    if report_uri is not None:
        env["CSP_REPORT_URI"] = report_uri

    result = run_manage("shell", "--no-imports", "-c", probe, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
