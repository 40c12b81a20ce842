#!/usr/bin/env python3
"""What promtool and amtool cannot check in deploy/monitoring/ (run by .ci/monitoring):

- every metric an alert rule or a dashboard panel names is one cliqserve registers (read from
  prometheus_client's registry after Django and every metrics module loaded) or one of the
  exporters the stack runs (EXPORTER_METRICS);
- every dashboard is JSON with a unique uid, a title and panels, and every panel's data source
  is one Grafana is provisioned with;
- every alert has a runbook heading in docs/OPERATIONS.md, and a promtool test where it fires
  and one where it does not;
- every file the compose monitoring services mount exists.
"""

# ruff: noqa: T201  (a command-line script: printing is its output)
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "prometheus" / "rules"
RULE_TESTS = MONITORING / "prometheus" / "tests"
DASHBOARDS = MONITORING / "grafana" / "dashboards"
DATASOURCES = MONITORING / "grafana" / "provisioning" / "datasources"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"

# Metrics of the stack's own exporters and of Prometheus itself that the rules or dashboards use.
EXPORTER_METRICS = frozenset(
    {
        "up",  # Prometheus, per scrape target
        "probe_success",  # blackbox_exporter
        "pg_up",  # postgres_exporter, below too
        "pg_settings_max_connections",
        "pg_stat_database_numbackends",
        "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback",
        "pg_stat_database_blks_hit",
        "pg_stat_database_blks_read",
        "pg_stat_database_deadlocks",
    }
)
# Modules that register metrics only when imported; the web's URLconf pulls in the rest.
METRIC_MODULES = (
    "config.urls",
    "cliqserve.core.celery_metrics",
    "cliqserve.core.outbox.delivery",
    "cliqserve.core.security",
    "cliqserve.sales.metrics",
    "django_prometheus.db.metrics",
    "django_prometheus.cache.metrics",
)
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}
PROMQL_WORDS = frozenset(
    [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
    ]
)


def exported_metrics() -> set[str]:
    """The sample names cliqserve's processes expose, from the registry's metric families."""
    import importlib

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from prometheus_client import REGISTRY

    WSGIHandler()  # loads the middleware, which registers django-prometheus's request metrics
    for module in METRIC_MODULES:
        importlib.import_module(module)
    from cliqserve.core.celery_metrics import QueueLengthCollector
    from config.celery import app

    # The worker serves the queue gauges besides the registry (asked of the in-memory broker here).
    families = [*REGISTRY.collect(), *QueueLengthCollector(app=app).collect()]
    names = set()
    for family in families:
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords,
    label names (inside {} or by/without/on/ignoring lists), durations or Grafana variables."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "{}", expr)
    expr = re.sub(r"\[[^\]]*\]", "[]", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\boffset\s+\w+", " ", expr)
    expr = re.sub(r"\$\w+", " ", expr)
    found = re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?", expr)
    return {m.group(1) for m in found if not m.group(2) and m.group(1) not in PROMQL_WORDS}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alert_rules() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(RULES.glob("*.yml")):
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                yield path, rule


def check_rules(known: set[str]) -> list[str]:
    problems = []
    headings = OPERATIONS.read_text(encoding="utf-8").splitlines()
    anchors = {_anchor(line) for line in headings if line.startswith("#")}
    tested = _tested_alerts()
    for path, rule in alert_rules():
        name = rule.get("alert") or rule.get("record")
        for metric in sorted(metric_names(rule["expr"]) - known):
            problems.append(f"{path.name}: {name} reads {metric}, which nothing exports")
        if "alert" not in rule:
            continue
        runbook = rule.get("annotations", {}).get("runbook", "")
        if runbook != f"docs/OPERATIONS.md#{name.lower()}" or name.lower() not in anchors:
            problems.append(f"{path.name}: {name} has no runbook heading '{name}' in docs/OPERATIONS.md")
        for outcome in ("fires", "quiet"):
            if (name, outcome) not in tested:
                problems.append(f"{path.name}: {name} has no promtool test where it {outcome}")
    return problems


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower()).replace(" ", "-")


def _tested_alerts() -> set[tuple[str, str]]:
    tested = set()
    for path in RULE_TESTS.glob("*.yml"):
        for test in load_yaml(path)["tests"]:
            for case in test.get("alert_rule_test", []):
                tested.add((case["alertname"], "fires" if case.get("exp_alerts") else "quiet"))
    return tested


def provisioned_datasources() -> set[str]:
    uids = set()
    for path in DATASOURCES.glob("*.yml"):
        uids.update(source["uid"] for source in load_yaml(path)["datasources"])
    return uids


def check_dashboards(known: set[str]) -> list[str]:
    problems: list[str] = []
    sources, uids = provisioned_datasources(), set()
    paths = sorted(DASHBOARDS.glob("*.json"))
    if not paths:
        return [f"no dashboards in {DASHBOARDS}"]
    for path in paths:
        try:
            board = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            problems.append(f"{path.name}: not JSON ({error})")
            continue
        missing = {"uid", "title", "panels", "schemaVersion"} - board.keys()
        if missing:
            problems.append(f"{path.name}: missing {sorted(missing)}")
            continue
        if board["uid"] in uids:
            problems.append(f"{path.name}: uid {board['uid']} used twice")
        uids.add(board["uid"])
        for panel in board["panels"]:
            problems += [f"{path.name}: {p}" for p in _panel_problems(panel, sources, known)]
    return problems


def _panel_problems(panel: dict[str, Any], sources: set[str], known: set[str]) -> Iterator[str]:
    title = panel.get("title", "?")
    if not panel.get("title") or "gridPos" not in panel or not panel.get("targets"):
        yield f"panel {title!r} needs a title, a gridPos and targets"
    for target in panel.get("targets", []):
        source = target.get("datasource") or panel.get("datasource") or {}
        if source.get("uid") not in sources:
            yield f"panel {title!r}: data source {source.get('uid')!r} is not provisioned"
        if source.get("type") == "prometheus":
            for metric in sorted(metric_names(target.get("expr", "")) - known):
                yield f"panel {title!r} reads {metric}, which nothing exports"


def check_compose_mounts() -> list[str]:
    compose = load_yaml(ROOT / "docker-compose.yml")
    problems = []
    for name, service in compose["services"].items():
        if "monitoring" not in service.get("profiles", []):
            continue
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and not (ROOT / source).exists():
                problems.append(f"docker-compose.yml: {name} mounts {source}, which does not exist")
    if not any("monitoring" in s.get("profiles", []) for s in compose["services"].values()):
        problems.append("docker-compose.yml: no service in the monitoring profile")
    return problems


def main() -> int:
    known = exported_metrics() | EXPORTER_METRICS
    problems = check_rules(known) + check_dashboards(known) + check_compose_mounts()
    for problem in problems:
        print(f"monitoring: {problem}", file=sys.stderr)
    if not problems:
        rules = sum(1 for _ in alert_rules())
        boards = len(list(DASHBOARDS.glob("*.json")))
        print(
            f"monitoring: {rules} rules, {boards} dashboards: metrics exported, runbooks and tests complete"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
