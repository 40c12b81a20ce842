"""Benchmark: the sales report over a year of a 20-branch chain, timed over HTTP.

    .venv/bin/python bench/reports.py [--reuse] [--runs 20] [--warmup 2] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/cliqserve_bench_reports]

1. Data (bench/reports_data.sql, set-based SQL in the migrated schema, one transaction per
   tenant): the chain — 20 branches with a till, a cashier and a shift a day (today's open),
   2,000 products in 20 categories with stock levels, 400,000 sales of 1 to 4 lines (1,000,000
   lines; cash, card or split; some discounted, some tax-inclusive), 1 % voided, 2 % with a
   refund — and 20 small tenants (a branch and 3,000 sale lines each). Without --reuse the
   database is dropped and created afresh; with --reuse an existing data set is kept.
2. Rollups: `rollups_rebuild` for every tenant, in-process (timed). Then a raw tail as in
   production: journal rows (BusinessDayChange) for today in every branch and for a few late
   days scattered over the year, so reports compute those days from the sales rows.
3. HTTP: gunicorn with deploy/gunicorn.conf.py, config.settings.prod and --workers workers on
   127.0.0.1; the chain's tenant_admin logs in (POST /api/v1/auth/login/) and each report is
   requested --warmup times, then --runs times, sequentially, on one keep-alive connection.
   p50 and p95 per report. "dashboard" is the back office's dashboard page, signed in through
   its form (session and CSRF), with the scripts and styles it links to: a browser's first
   visit. "dashboard-api" is the set of API calls a dashboard built on the API would make.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cliqserve_bench_reports"
REDIS_URL = "redis://127.0.0.1:6379/15"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
DATA_SQL = Path(__file__).with_name("reports_data.sql")
PASSWORD = "reports-bench-password"  # noqa: S105  # a throwaway account on the bench database
CHAIN = {"slug": "bench-chain", "name": "Bench chain", "branches": 20, "products": 2000, "categories": 20}
CHAIN_SALES = 400_000  # 1 to 4 lines each, in turn: 1,000,000 lines
NOISE_TENANTS = 20
NOISE = {"branches": 1, "products": 60, "categories": 4}
NOISE_SALES = 1_200  # 3,000 lines
DAYS = 365
LATE_DAYS = 12  # scattered branch-days with a late change (an offline sale, a refund) in the journal
TARGETS_MS = {"dashboard": 1000.0, "dashboard-api": 1000.0}
DEFAULT_TARGET_MS = 300.0


class BenchError(RuntimeError):
    pass


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the data (and rollups) already there")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--sales", type=int, default=CHAIN_SALES, help="the chain's sales (a multiple of 80)")
    return parser.parse_args(argv)


def app_environment(database_url: str) -> dict[str, str]:
    """What the production settings need, for this process and for gunicorn alike."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "THROTTLE_RATE_USER": "1000000/minute",
        "THROTTLE_RATE_LOGIN": "1000/minute",
        "THROTTLE_RATE_LOGIN_ACCOUNT": "1000/minute",
        "LOG_LEVEL": "WARNING",
        "SENTRY_DSN": "",
    }


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)


# --- Database and data ----------------------------------------------------------------------------


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _database_exists(url: str) -> bool:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def recreate_database(url: str) -> None:
    name = sql.Identifier(urlsplit(url).path.lstrip("/"))
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603  # our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def data_present(url: str, sales: int) -> bool:
    if not _database_exists(url):
        return False
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('sales_saleline')").fetchone() in (None, (None,)):
            return False
        row = conn.execute(
            "SELECT count(*) FROM sales_saleline l JOIN tenants_tenant t ON t.id = l.tenant_id"
            " WHERE t.slug = %s",
            [CHAIN["slug"]],
        ).fetchone()
    return row is not None and row[0] == sales * 5 // 2


def _data_steps() -> list[tuple[str, str]]:
    """(name, SQL) of each step of reports_data.sql, comment lines left out."""
    steps: list[tuple[str, str]] = []
    for chunk in re.split(r"^-- step: ", DATA_SQL.read_text(), flags=re.MULTILINE)[1:]:
        name, _, body = chunk.partition("\n")
        kept = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--"))
        steps.append((name.strip(), kept))
    return steps


def generate_tenant(conn: psycopg.Connection[Any], params: dict[str, Any], *, verbose: bool) -> None:
    """One tenant, in one transaction (the temporary tables go with it)."""
    cursor = psycopg.ClientCursor(conn)  # client-side binding: several statements per execute
    with conn.transaction():
        for name, body in _data_steps():
            if verbose:
                with step(name):
                    cursor.execute(body, params)
            else:
                cursor.execute(body, params)


def generate(url: str, password_hash: str, last_day: date, sales: int) -> None:
    common = {"days": DAYS, "last_day": last_day, "password": password_hash}
    with psycopg.connect(url, autocommit=True) as conn:  # each tenant's transaction is its own
        conn.execute("SET work_mem = '256MB'")
        print(f"chain {CHAIN['slug']}: {sales:,} sales, {sales * 5 // 2:,} lines", flush=True)
        with step("chain, total"):
            generate_tenant(
                conn, {**common, **CHAIN, "tenant": uuid.uuid4(), "sales": sales, "seed": 0.42}, verbose=True
            )
        with step(f"{NOISE_TENANTS} noise tenants"):
            for number in range(1, NOISE_TENANTS + 1):
                noise = {
                    **common,
                    **NOISE,
                    "slug": f"bench-noise-{number:02d}",
                    "name": f"Noise {number}",
                    "tenant": uuid.uuid4(),
                    "sales": NOISE_SALES,
                    "seed": number / 100,
                }
                generate_tenant(conn, noise, verbose=False)
    with psycopg.connect(url, autocommit=True) as conn, step("vacuum analyze"):
        conn.execute("VACUUM ANALYZE")


def shape(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for table in (
            "tenants_tenant",
            "tenants_branch",
            "catalog_product",
            "inventory_stocklevel",
            "sales_shift",
            "sales_sale",
            "sales_saleline",
            "sales_payment",
            "sales_refund",
            "reports_salesrollup",
            "reports_monthlysalesrollup",
            "sales_businessdaychange",
        ):
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
            counts[table] = row[0] if row else 0
        voided = conn.execute("SELECT count(*) FROM sales_sale WHERE status = 'voided'").fetchone()
        counts["voided sales"] = voided[0] if voided else 0
    return counts


# --- Rollups and the raw tail --------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    return str(make_password(PASSWORD))


def rebuild_rollups() -> None:
    from cliqserve.reports.services import rollups_rebuild
    from cliqserve.tenants.models import Tenant

    chain = Tenant.objects.get(slug=CHAIN["slug"])
    with step(f"rollups_rebuild {chain.slug}"):
        rows = rollups_rebuild(tenant=chain)
    print(f"    {rows:,} rollup rows", flush=True)
    with step(f"rollups_rebuild of the {NOISE_TENANTS} noise tenants"):
        for tenant in Tenant.objects.exclude(pk=chain.pk).order_by("slug"):
            rollups_rebuild(tenant=tenant)


def leave_raw_tail(url: str, last_day: date) -> int:
    """Journal rows as production leaves them between two refreshes: today in every branch of
    the chain, plus a few late changes to older days (at least one in the last full month)."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "DELETE FROM sales_businessdaychange"
            " WHERE tenant_id = (SELECT id FROM tenants_tenant WHERE slug = %s)",
            [CHAIN["slug"]],
        )
        conn.execute(
            """
            INSERT INTO sales_businessdaychange
                (id, created_at, updated_at, business_day, branch_id, tenant_id)
            SELECT gen_random_uuid(), now(), now(), %(today)s, b.id, b.tenant_id
            FROM tenants_branch b JOIN tenants_tenant t ON t.id = b.tenant_id WHERE t.slug = %(slug)s
            UNION ALL
            SELECT gen_random_uuid(), now(), now(), %(today)s - (i * 29 + 3), b.id, b.tenant_id
            FROM generate_series(1, %(late)s) AS i
            JOIN tenants_branch b ON b.code = 'BR' || lpad((1 + mod(i * 7, 20))::text, 2, '0')
            JOIN tenants_tenant t ON t.id = b.tenant_id AND t.slug = %(slug)s
            """,
            {"today": last_day, "slug": CHAIN["slug"], "late": LATE_DAYS},
        )
        row = conn.execute("SELECT count(*) FROM sales_businessdaychange").fetchone()
    return row[0] if row else 0


# --- HTTP ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, port: int, workers: int) -> Iterator[int]:
    """gunicorn as deployed, bound to loopback; stopped with SIGTERM whatever happens."""
    workdir = Path(tempfile.mkdtemp(prefix="cliqserve-bench-reports-"))
    metrics = workdir / "prometheus"
    metrics.mkdir()
    server_env = {
        **os.environ,
        **env,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "WEB_CONCURRENCY": str(workers),
    }
    log = workdir / "gunicorn.log"
    # The production storage serves hashed file names from a manifest, as the image builds it.
    subprocess.run(  # our own interpreter and arguments
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=server_env, check=True,
    )  # fmt: skip
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
        "--bind", f"127.0.0.1:{port}", "config.wsgi:application",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
            command, cwd=ROOT, env=server_env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_healthy(process, port, log)
        yield process.pid
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"gunicorn exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
            )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Client:
    """One keep-alive connection, as the TLS-terminating proxy would forward it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = self.send(method, path, body, headers)
        return response.status, response.read()

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        """The response, on a new connection if the server closed the idle one (as browsers do)."""
        try:
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()

    def login(self, email: str) -> None:
        status, body = self.request(
            "POST", "/api/v1/auth/login/", json.dumps({"email": email, "password": PASSWORD}).encode()
        )
        if status != 200:
            raise BenchError(f"login: {status} {body[:300]!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(body)['access']}"

    def get_ok(self, path: str) -> bytes:
        status, body = self.request("GET", path)
        if status != 200:
            raise BenchError(f"GET {path}: {status} {body[:300]!r}")
        return body


class BrowserClient(Client):
    """The back office as a browser uses it: a session cookie from its sign-in form (CSRF)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.headers["Accept"] = "text/html"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"  # Django's CSRF check on HTTPS
        response = self.send(method, path, body, headers)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.read()

    def login(self, email: str) -> None:
        status, page = self.request("GET", "/backoffice/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchError(f"back office sign-in page: {status}")
        form = {"csrfmiddlewaretoken": token.group(1).decode(), "email": email, "password": PASSWORD}
        status, body = self.request("POST", "/backoffice/login/", urlencode(form).encode())
        if status != 302:
            raise BenchError(f"back office sign-in: {status} {body[:300]!r}")


def sales_path(first: date, last: date, group_by: str) -> str:
    query = urlencode({"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by})
    return f"/api/v1/reports/sales/?{query}"


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    paths: list[str]
    browser: bool = False  # through the back office's session, not the API's JWT


def cases(client: Client, browser: BrowserClient, today: date) -> list[Case]:
    month_last = today.replace(day=1) - timedelta(days=1)
    month_first = month_last.replace(day=1)
    year_first = today - timedelta(days=DAYS - 1)
    thirty = today - timedelta(days=29)
    dashboard = [
        sales_path(today, today, "day"),
        sales_path(today - timedelta(days=7), today - timedelta(days=7), "day"),
        sales_path(thirty, today, "day"),
        sales_path(thirty, today, "product"),
        sales_path(thirty, today, "category"),
    ]
    stock = "/api/v1/reports/stock/"
    if client.request("GET", stock)[0] == 200:
        dashboard.append(stock)
    month = f"{month_first:%Y-%m}"
    return [
        Case("a", f"month by day ({month})", [sales_path(month_first, month_last, "day")]),
        Case("b", f"month by product ({month})", [sales_path(month_first, month_last, "product")]),
        Case("c", f"year by month ({year_first} to {today})", [sales_path(year_first, today, "month")]),
        Case("d", f"year by category ({year_first} to {today})", [sales_path(year_first, today, "category")]),
        Case(
            "dashboard",
            "back office dashboard page, with its scripts and styles",
            page_load(browser, "/backoffice/"),
            browser=True,
        ),
        Case("dashboard-api", f"a dashboard's {len(dashboard)} API calls in sequence", dashboard),
    ]


def page_load(browser: BrowserClient, path: str) -> list[str]:
    """A page and the static files it links to: what a browser's first visit fetches."""
    page = browser.get_ok(path)
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', page)
    return [path, *sorted({asset.decode() for asset in assets})]


@dataclass(frozen=True)
class Timing:
    case: Case
    p50_ms: float
    p95_ms: float
    max_ms: float
    size: int


def percentile(ordered: list[float], percent: int) -> float:
    """Nearest-rank percentile."""
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]


def measure(client: Client, case: Case, *, runs: int, warmup: int) -> Timing:
    def once() -> int:
        return sum(len(client.get_ok(path)) for path in case.paths)

    for _ in range(warmup):
        once()
    samples: list[float] = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        size = once()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return Timing(case, statistics.median(samples), percentile(samples, 95), samples[-1], size)


def table(timings: list[Timing]) -> str:
    lines = [
        "| case | what | p50 | p95 | max | target (p95) | response |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for timing in timings:
        target = TARGETS_MS.get(timing.case.name, DEFAULT_TARGET_MS)
        verdict = "met" if timing.p95_ms < target else "MISSED"
        lines.append(
            f"| {timing.case.name} | {timing.case.what} | {timing.p50_ms:.0f} ms | {timing.p95_ms:.0f} ms "
            f"| {timing.max_ms:.0f} ms | < {target:.0f} ms: {verdict} | {timing.size / 1024:.0f} KiB |"
        )
    return "\n".join(lines)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def run_http(env: dict[str, str], args: argparse.Namespace, today: date) -> list[Timing]:
    port = args.port or free_port()
    with gunicorn(env, port=port, workers=args.workers):
        client, browser = Client(port), BrowserClient(port)
        for each in (client, browser):
            each.login(f"admin@{CHAIN['slug']}.bench.test")
        timings = []
        for case in cases(client, browser, today):
            timing = measure(browser if case.browser else client, case, runs=args.runs, warmup=args.warmup)
            timings.append(timing)
            print(f"  {case.name}: p95 {timings[-1].p95_ms:.0f} ms ({load()})", flush=True)
        return timings


def chain_today(url: str) -> date:
    """The chain's last business day: the day of the open shifts."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT max(opened_at AT TIME ZONE 'Europe/Madrid')::date FROM sales_shift s "
            "JOIN tenants_tenant t ON t.id = s.tenant_id WHERE t.slug = %s AND s.status = 'open'",
            [CHAIN["slug"]],
        ).fetchone()
    if row is None or row[0] is None:
        raise BenchError("no open shift in the chain: generate the data again (without --reuse)")
    return date.fromisoformat(str(row[0]))


def prepare(args: argparse.Namespace, env: dict[str, str]) -> Callable[[], None]:
    """Data and rollups; returns what rebuilds the rollups (skipped when reused)."""
    reuse = args.reuse and data_present(args.database_url, args.sales)
    if not reuse:
        with step("create and migrate the database"):
            recreate_database(args.database_url)
            migrate(env)
    setup_django(env)
    if reuse:
        print("data present: generation skipped (--reuse)", flush=True)
        return lambda: None
    generate(args.database_url, password_hash(), date.today(), args.sales)
    return rebuild_rollups


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = app_environment(args.database_url)
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {load()}", flush=True)
    try:
        rebuild = prepare(args, env)
        rebuild()
        with psycopg.connect(args.database_url, autocommit=True) as conn, step("analyze the rollups"):
            conn.execute("ANALYZE reports_salesrollup, reports_monthlysalesrollup")  # as autovacuum would
        today = chain_today(args.database_url)
        with step("raw tail"):
            journal = leave_raw_tail(args.database_url, today)
        print(f"  {journal} journal rows (today in 20 branches + {LATE_DAYS} late days)", flush=True)
        for name, count in shape(args.database_url).items():
            print(f"  {name}: {count:,}")
        print(
            f"HTTP: gunicorn, config.settings.prod, {args.workers} workers;"
            f" {args.warmup} warm-up + {args.runs} runs"
        )
        timings = run_http(env, args, today)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 1
    print(table(timings))
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
