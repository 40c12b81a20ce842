"""The files operators ship with: environment template, compose file, gunicorn config."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Secrets are read through config/settings/base.py's secret() and secret_list().
_READ_ENV = re.compile(
    r"""(?:env(?:\.\w+)?|secret(?:_list)?|os\.environ\.get|os\.environ\.setdefault|_env_int)"""
    r"""\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Set by the platform or test runner, never by an operator.
_NOT_CONFIGURATION = {"PYTEST_XDIST_WORKER"}


def _variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for folder in ("config", "cliqserve", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" not in path.parts:
                names.update(_READ_ENV.findall(path.read_text()))
    return names - _NOT_CONFIGURATION


def _variables_in_env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented: dict[str, str] = {}
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            documented[line.split("=", 1)[0]] = lines[index - 1]
    return documented


def test_env_example_documents_every_variable_the_code_reads():
    read = _variables_read_by_the_code()
    documented = _variables_in_env_example()

    assert "SECRET_KEY" in read
    assert read - set(documented) == set(), "add these to .env.example"
    assert all(comment.startswith("# ") for comment in documented.values()), "one comment each"


def test_compose_file_parses_and_every_service_is_health_checked_or_one_shot():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    services = compose["services"]
    default = {name for name, service in services.items() if "profiles" not in service}
    monitoring = {name for name, service in services.items() if "monitoring" in service.get("profiles", [])}
    assert default == {"db", "redis", "migrate", "web", "worker", "beat"}
    # docs/OPERATIONS.md: `docker compose --profile monitoring up` adds the stack.
    assert {"prometheus", "alertmanager", "grafana", "loki", "alloy"} <= monitoring
    assert default | monitoring == set(services)
    assert "gunicorn" in str(services["web"].get("command", "")) or "build" in services["web"]
    for name in ("db", "redis", "web", "worker"):
        assert "test" in services[name]["healthcheck"], name


def test_gunicorn_config_takes_its_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")

    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    assert config["bind"] == "0.0.0.0:9123"
    assert config["workers"] == 3
    assert config["accesslog"] is None
