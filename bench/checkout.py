"""Benchmark: completed 3-line cash sales over HTTP, against the database's own floor.

    .venv/bin/python bench/checkout.py [--clients 8] [--seconds 20 | --sales N] [--workers N]
        [--worker-class gthread|sync] [--threads 4] [--port 8765] [--json] [--show-queries]
        [--database-url postgres://postgres@127.0.0.1:5432/cliqserve_bench]

One run, on one database:

1. creates (if missing), migrates and seeds it: a tenant, a branch, one device per client with
   its own assigned cashier and a fresh open shift, and three products (tax exclusive, tax
   inclusive, untaxed) with a very large stock. Re-runs reuse these rows, and first delete the
   sales earlier runs made (with their ledger lines and keys), so every run starts alike.
2. counts the queries of one sale through the whole stack, in-process (CaptureQueriesContext),
   and keeps that sale's rows as the template of the floor's rows.
3. HTTP phase: gunicorn with deploy/gunicorn.conf.py and config.settings.prod; each client
   thread signs its cashier in on its own device, then POSTs sales (fresh Idempotency-Key, the
   three products once each, one cash payment of the total) on a keep-alive connection.
4. floor phase: as many threads, each on its own psycopg connection, write what a sale writes —
   the same statements on the same tables, one transaction per sale, prepared, with no
   application in between. No application can beat it on this machine.

Before each phase the tables a sale writes are vacuumed and a checkpoint is taken; gunicorn's
workers have all loaded the app before the first client connects. It reports sales/s, p50 and
p99 latency for both phases, HTTP sales/s ÷ floor sales/s, and the CPU the phases used next to
what other processes used meanwhile (the machine is shared).
The client reaches gunicorn on loopback as the TLS-terminating proxy of the real deployment
would: with `X-Forwarded-Proto: https`, which prod trusts from 127.0.0.1 (FORWARDED_ALLOW_IPS,
USE_X_FORWARDED_PROTO), so the production settings run unchanged, SSL redirect included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cliqserve_bench"
REDIS_URL = "redis://127.0.0.1:6379/15"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
TENANT_SLUG = "bench-checkout"
EMAIL_DOMAIN = "checkout.bench.test"
PASSWORD = "checkout-bench-password"  # noqa: S105  # a throwaway account on the bench database
# (sku, name, price, tax rate name or None). One tax-exclusive, one tax-inclusive, one untaxed.
PRODUCTS = (
    ("CHK-EXCL", "Coffee beans 1 kg", Decimal("12.50"), "VAT 21% excl."),
    ("CHK-INCL", "Croissant", Decimal("2.95"), "VAT 10% incl."),
    ("CHK-NOTAX", "Newspaper", Decimal("3.20"), None),
)
TAX_RATES = {"VAT 21% excl.": (Decimal("21.00"), False), "VAT 10% incl.": (Decimal("10.00"), True)}
# Each sale takes one unit of each product: top up long before a level could run dry.
STOCK_LOW, STOCK_TARGET = Decimal(10) ** 8, Decimal(10) ** 9
WARMUP_SALES = 5
# The tables a sale writes; it updates rows of the first four, and only inserts into the rest.
SALE_TABLES = (
    "inventory_stocklevel",
    "sales_receiptsequence",
    "sales_shift",
    "core_idempotencykey",
    "inventory_stockmovement",
    "sales_sale",
    "sales_saleline",
    "sales_payment",
)
# A gunicorn worker that used less CPU than this over the interval has finished loading the app.
WORKER_IDLE_CPU, WORKER_IDLE_INTERVAL = 0.05, 1.0
SALES_PATH = "/api/v1/sales/"
LOGIN_PATH = "/api/v1/auth/login/"
QUERIES_COUNTED_BY = "CaptureQueriesContext around one POST /api/v1/sales/, in-process, same settings"


class BenchError(RuntimeError):
    pass


# --- Options and environment ----------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in both phases")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--seconds", type=float, help="measured seconds per phase (default 20)")
    amount.add_argument("--sales", type=int, help="measured sales per phase, shared by the clients")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's own)")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one sale")
    args = parser.parse_args(argv)
    if args.seconds is None and args.sales is None:
        args.seconds = 20.0
    if args.clients < 1 or (args.sales is not None and args.sales < args.clients):
        parser.error("need at least one client, and at least one sale per client")
    return args


def app_environment(args: argparse.Namespace) -> dict[str, str]:
    """What the production settings need, for this process and for gunicorn alike."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),  # per run: tokens need not outlive it
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        # As deployed: cache, throttle counters and lockouts in Redis (a database of its own).
        "REDIS_URL": REDIS_URL,
        # The limits are lifted, not the throttles: their Redis round trips are still paid, but
        # 8 tills selling flat out (and back-to-back runs) must not meet 429s.
        "THROTTLE_RATE_USER": "1000000/minute",
        "THROTTLE_RATE_LOGIN": "1000/minute",
        "THROTTLE_RATE_LOGIN_ACCOUNT": "1000/minute",
        "LOG_LEVEL": "INFO",
        "SENTRY_DSN": "",
    }


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603  # our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def setup_django(env: dict[str, str]) -> None:
    # This process only seeds and counts: its log lines would bury the report (gunicorn logs
    # at INFO, as deployed), and it serves no static files.
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    import django

    django.setup()


def settle_database(url: str) -> None:
    """Give each phase the same start. Every sale rewrites the same three stock rows, the
    device's receipt counter, its shift (row lock) and its idempotency key: without vacuum
    (autovacuum may be off, and is slow to react) their dead versions pile up across phases
    and runs, and the later phase would walk past more of them; vacuum also makes the space of
    the earlier runs' deleted sales reusable. A checkpoint keeps one from falling inside a
    phase, and makes both phases pay the same first-touch page writes."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(SALE_TABLES)}")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")


# --- Seeding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Till:
    """One client: a device, the cashier assigned to it, and its open shift."""

    email: str
    cashier_id: uuid.UUID
    device_id: uuid.UUID
    shift_id: uuid.UUID


@dataclass(frozen=True)
class Seeded:
    tenant_id: uuid.UUID
    branch_id: uuid.UUID
    product_ids: list[uuid.UUID]
    tills: list[Till]


def seed(clients: int) -> Seeded:
    from django.db import transaction

    from cliqserve.core.roles import Role
    from cliqserve.core.tenancy import tenant_scope
    from cliqserve.tenants.models import Branch, Tenant

    tenant, _ = Tenant.objects.get_or_create(
        slug=TENANT_SLUG, defaults={"name": "Checkout bench", "currency": "EUR"}
    )
    with tenant_scope(tenant.pk), transaction.atomic():
        branch, _ = Branch.objects.get_or_create(tenant=tenant, code="BR1", defaults={"name": "Main"})
        admin = _user(f"admin@{EMAIL_DOMAIN}", role=Role.TENANT_ADMIN, tenant=tenant, branch=None)
        products = [_product(tenant, admin, *spec) for spec in PRODUCTS]
        _forget_earlier_sales(tenant)
        _top_up_stock(tenant, admin, branch, products)
        tills = [_till(tenant, branch, number) for number in range(1, clients + 1)]
    return Seeded(
        tenant_id=tenant.pk,
        branch_id=branch.pk,
        product_ids=[product.pk for product in products],
        tills=tills,
    )


def _user(email: str, *, role: str, tenant: Any, branch: Any) -> Any:
    from cliqserve.accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, PASSWORD, role=role, tenant=tenant, branch=branch)
    return user


def _product(tenant: Any, admin: Any, sku: str, name: str, price: Decimal, rate_name: str | None) -> Any:
    from cliqserve.catalog import services
    from cliqserve.catalog.models import Product, TaxRate

    existing = Product.objects.filter(tenant=tenant, sku=sku).first()
    if existing is not None:
        return existing
    tax_rate = None
    if rate_name is not None:
        rate, inclusive = TAX_RATES[rate_name]
        tax_rate = TaxRate.objects.filter(tenant=tenant, name=rate_name).first() or services.tax_rate_create(
            tenant=tenant, actor=admin, name=rate_name, rate=rate, inclusive=inclusive
        )
    return services.product_create(
        tenant=tenant,
        actor=admin,
        translations={"en": {"name": name}},
        sku=sku,
        price=price,
        tax_rate=tax_rate,
    )


def _forget_earlier_sales(tenant: Any) -> None:
    """Every run starts from the same rows, not from the tables earlier runs have grown (by
    ~10,000 sales a run): their sales, lines, payments, keys, sales-journal rows (which the
    rollup writer would have folded within seconds) and sale movements go, and each
    stock level is set back to the sum of the ledger that remains (the receipts), so the
    ledger still adds up. Only the bench tenant's rows are touched."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = (
            "core_idempotencykey",
            "sales_payment",
            "sales_saleline",
            "sales_sale",
            "sales_businessdaychange",
        )
        for table in tables:
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
        cursor.execute(
            "DELETE FROM inventory_stockmovement WHERE tenant_id = %s AND kind = 'sale'", [tenant.pk]
        )
        cursor.execute(
            """
            UPDATE inventory_stocklevel AS l SET quantity = COALESCE(
                (SELECT sum(m.quantity) FROM inventory_stockmovement m
                 WHERE m.tenant_id = l.tenant_id AND m.branch_id = l.branch_id
                   AND m.product_id = l.product_id),
                0)
            WHERE l.tenant_id = %s
            """,
            [tenant.pk],
        )
        cursor.execute("DELETE FROM sales_shift WHERE tenant_id = %s AND status = 'closed'", [tenant.pk])


def _top_up_stock(tenant: Any, admin: Any, branch: Any, products: list[Any]) -> None:
    from cliqserve.inventory import services
    from cliqserve.inventory.models import StockLevel

    on_hand = dict(
        StockLevel.objects.filter(tenant=tenant, branch=branch).values_list("product_id", "quantity")
    )
    lines = [
        services.ReceiptLine(
            product=product, quantity=STOCK_TARGET - on_hand.get(product.pk, 0), unit_cost=Decimal("4.00")
        )
        for product in products
        if on_hand.get(product.pk, Decimal(0)) < STOCK_LOW
    ]
    if lines:
        services.stock_receipt_create(
            tenant=tenant, actor=admin, branch=branch, lines=lines, reference="bench"
        )


def _till(tenant: Any, branch: Any, number: int) -> Till:
    """Device POS<n> with cashier<n> assigned, and a fresh open shift (the last run's is closed)."""
    from django.utils import timezone

    from cliqserve.core.roles import Role
    from cliqserve.sales.models import Shift
    from cliqserve.tenants.models import Device, DeviceAssignment

    cashier = _user(f"cashier{number}@{EMAIL_DOMAIN}", role=Role.CASHIER, tenant=tenant, branch=branch)
    device, _ = Device.objects.get_or_create(
        tenant=tenant, code=f"POS{number}", defaults={"branch": branch, "name": f"Till {number}"}
    )
    DeviceAssignment.objects.get_or_create(tenant=tenant, device=device, user=cashier)
    # Written directly: the bench needs an open drawer, not the shift service's rules.
    Shift.objects.filter(tenant=tenant, device=device, status=Shift.Status.OPEN).update(
        status=Shift.Status.CLOSED, closed_at=timezone.now(), closed_by=cashier
    )
    shift = Shift.objects.create(
        tenant=tenant, branch=branch, device=device, cashier=cashier, opening_cash=Decimal("100.00")
    )
    return Till(email=cashier.email, cashier_id=cashier.pk, device_id=device.pk, shift_id=shift.pk)


# --- One sale in-process: its queries, and the rows the floor copies -----------------------------


@dataclass(frozen=True)
class Row:
    """A row as the app wrote it: its table, and its values by column ready for psycopg."""

    table: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Template:
    """What one app sale wrote, which the floor writes again with fresh ids."""

    total: Decimal
    queries: list[str]
    key: Row
    response_body: str
    sale: Row
    lines: list[Row]
    payments: list[Row]
    movements: list[Row]
    day_changes: list[Row]  # the sales journal's row (docs/adr/0007-report-rollups.md)


def sale_body(till: Till, product_ids: Sequence[uuid.UUID], total: Decimal) -> bytes:
    return json.dumps(
        {
            "shift": str(till.shift_id),
            "lines": [{"product": str(product_id), "quantity": "1"} for product_id in product_ids],
            "payments": [{"method": "cash", "amount": str(total)}],
        }
    ).encode()


def capture_one_sale(seeded: Seeded) -> Template:
    """Sell twice through the whole stack in-process (Django's test client: middleware, JWT,
    throttles, idempotency, DRF); the second sale's queries are counted, its rows kept."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    till = seeded.tills[0]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    login = client.post(
        LOGIN_PATH,
        {"email": till.email, "password": PASSWORD, "device": str(till.device_id)},
        content_type="application/json",
    )
    if login.status_code != 200:
        raise BenchError(f"in-process login: {login.status_code} {login.content[:500]!r}")
    authorization = f"Bearer {login.json()['access']}"

    def post(total: Decimal, key: str) -> Any:
        response = client.post(
            SALES_PATH,
            sale_body(till, seeded.product_ids, total),
            content_type="application/json",
            headers={"Authorization": authorization, "Idempotency-Key": key},
        )
        if response.status_code != 201:
            raise BenchError(f"in-process sale: {response.status_code} {response.content[:500]!r}")
        return response

    # Overpay the first (cash gives change) to learn the total; pay it exactly from then on.
    total = Decimal(post(Decimal("1000"), uuid.uuid4().hex).json()["total"])
    key = uuid.uuid4().hex
    with CaptureQueriesContext(connection) as captured:
        response = post(total, key)
    return _template(
        sale_id=uuid.UUID(response.json()["id"]),
        key=key,
        total=total,
        queries=[query["sql"] for query in captured.captured_queries],
        response_body=response.content.decode(),
    )


def _template(
    *, sale_id: uuid.UUID, key: str, total: Decimal, queries: list[str], response_body: str
) -> Template:
    from cliqserve.core.models import IdempotencyKey
    from cliqserve.inventory.models import StockMovement
    from cliqserve.sales.models import BusinessDayChange, Payment, Sale, SaleLine

    # unscoped(): the bench reads back the rows of the sale it has just made, by their keys.
    sale = Sale.objects.unscoped().get(pk=sale_id)
    mine = {"tenant_id": sale.tenant_id}
    return Template(
        total=total,
        queries=queries,
        key=_row(IdempotencyKey.objects.unscoped().get(**mine, actor_id=sale.cashier_id, key=key)),
        response_body=response_body,
        sale=_row(sale),
        lines=[
            _row(line) for line in SaleLine.objects.unscoped().filter(**mine, sale=sale).order_by("position")
        ],
        payments=[_row(payment) for payment in Payment.objects.unscoped().filter(**mine, sale=sale)],
        movements=[
            _row(movement)
            for movement in StockMovement.objects.unscoped()
            .filter(**mine, reference=f"sale:{sale_id}")
            .order_by("id")
        ],
        # The sale's journal row: the newest of its tenant, written in the same transaction.
        day_changes=[_row(BusinessDayChange.objects.unscoped().filter(**mine).latest("created_at"))],
    )


def _row(instance: Any) -> Row:
    """Every column, converted for the database the way Django converts it when saving."""
    from django.db import connection

    meta = instance._meta
    return Row(
        table=meta.db_table,
        values={
            f.column: f.get_db_prep_save(getattr(instance, f.attname), connection)
            for f in meta.concrete_fields
        },
    )


# --- Running a phase ------------------------------------------------------------------------------


class Seller(Protocol):
    """One client of a phase, used by one thread."""

    def open(self) -> None: ...

    def sell(self) -> str | None:
        """Make one sale; None when it completed, else what went wrong."""
        ...

    def close(self) -> None: ...


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(frozen=True)
class PhaseResult:
    name: str
    sales: int
    failures: int
    seconds: float
    sales_per_second: float
    p50_ms: float
    p99_ms: float
    # Busy CPU over the phase, in cores: ours (this process, gunicorn, our PostgreSQL backends)
    # and everyone else's on this shared machine.
    our_cores: float
    other_cores: float
    failure_samples: list[str]


def run_phase(name: str, sellers: Sequence[Seller], args: argparse.Namespace, meter: CpuMeter) -> PhaseResult:
    """Every seller opens and warms up; then all sell at once for --seconds (or --sales)."""
    barrier = threading.Barrier(len(sellers) + 1)
    stop = threading.Event()
    outcomes = [Outcome() for _ in sellers]
    quotas = _quotas(args.sales, len(sellers))
    threads = [
        threading.Thread(
            target=_client, args=(seller, outcome, quota, args.seconds, barrier, stop), daemon=True
        )
        for seller, outcome, quota in zip(sellers, outcomes, quotas, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
        started = time.perf_counter()
        meter.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        # Before the sellers close: their database backends must still be there to be read.
        our_cores, other_cores = meter.stop(elapsed)
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        errors = [outcome.error for outcome in outcomes if outcome.error is not None]
        raise BenchError(f"{name}: a client could not start: {errors[0]!r}") from errors[0]
    except BaseException:  # Ctrl-C: the clients stop after their current sale
        stop.set()
        barrier.abort()
        raise
    finally:
        for seller in sellers:
            seller.close()
    latencies = sorted(latency for outcome in outcomes for latency in outcome.latencies)
    failures = [failure for outcome in outcomes for failure in outcome.failures]
    sales = len(latencies) - len(failures)
    return PhaseResult(
        name=name,
        sales=sales,
        failures=len(failures),
        seconds=round(elapsed, 3),
        sales_per_second=round(sales / elapsed, 1),
        p50_ms=_percentile_ms(latencies, 50),
        p99_ms=_percentile_ms(latencies, 99),
        our_cores=our_cores,
        other_cores=other_cores,
        failure_samples=failures[:5],
    )


class CpuMeter:
    """Busy CPU of the whole machine over a phase, and of the processes the phase runs on:
    this one, gunicorn's (`pids`), and the PostgreSQL backends connected to the bench
    database. The rest is someone else's work on the same cores, slowing the phase down."""

    def __init__(self, dsn: str, pids: Callable[[], list[int]] = list) -> None:
        self.dsn = dsn
        self.pids = pids
        self.ours: list[int] = []
        self.before = (0.0, 0.0)

    def start(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            backends = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        self.ours = [os.getpid(), *self.pids(), *(pid for (pid,) in backends)]
        self.before = self._sample()

    def stop(self, elapsed: float) -> tuple[float, float]:
        machine, ours = (after - before for after, before in zip(self._sample(), self.before, strict=True))
        return round(ours / elapsed, 2), round(max(machine - ours, 0.0) / elapsed, 2)

    def _sample(self) -> tuple[float, float]:
        # /proc/stat: user nice system idle iowait irq softirq steal ..., in clock ticks.
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        return busy, sum(_cpu_seconds(pid) for pid in self.ours)


def _quotas(sales: int | None, clients: int) -> list[float]:
    if sales is None:
        return [math.inf] * clients
    return [sales // clients + (1 if index < sales % clients else 0) for index in range(clients)]


def _client(
    seller: Seller,
    outcome: Outcome,
    quota: float,
    seconds: float | None,
    barrier: threading.Barrier,
    stop: threading.Event,
) -> None:
    try:
        seller.open()
        for _ in range(WARMUP_SALES):
            if (failure := seller.sell()) is not None:
                raise BenchError(f"warm-up sale failed: {failure}")
    except BaseException as exc:  # noqa: BLE001  # handed to the main thread, which raises it
        outcome.error = exc
        barrier.abort()
        return
    try:
        barrier.wait()
        deadline = time.perf_counter() + seconds if seconds else math.inf
        while len(outcome.latencies) < quota and not stop.is_set():
            started = time.perf_counter()
            if started >= deadline:
                break
            failure = seller.sell()
            outcome.latencies.append(time.perf_counter() - started)
            if failure is not None:
                outcome.failures.append(failure)
    except threading.BrokenBarrierError:
        pass


def _percentile_ms(ordered: list[float], percent: int) -> float:
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)
    return round(ordered[index] * 1000, 2)


# --- HTTP phase -----------------------------------------------------------------------------------


class HttpSeller:
    """A till: signs in on its device, then POSTs sales over one keep-alive connection."""

    def __init__(self, *, port: int, till: Till, product_ids: Sequence[uuid.UUID], total: Decimal) -> None:
        self.port = port
        self.till = till
        self.body = sale_body(till, product_ids, total)
        self.conn: http.client.HTTPConnection | None = None
        # The TLS-terminating proxy's header; prod trusts it from 127.0.0.1 only.
        self.headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https"}

    def open(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        login = {"email": self.till.email, "password": PASSWORD, "device": str(self.till.device_id)}
        status, body = self._post(LOGIN_PATH, json.dumps(login).encode(), self.headers)
        if status != 200:
            raise BenchError(f"login of {self.till.email}: {status} {body[:300]!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(body)['access']}"

    def sell(self) -> str | None:
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        try:
            status, body = self._post(SALES_PATH, self.body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self._reset()
            return f"{type(exc).__name__}: {exc}"
        return None if status == 201 else f"{status} {body[:300]!r}"

    def close(self) -> None:
        self._reset()

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self.conn is not None
        # http.client reconnects by itself after a response that closed the connection (sync
        # workers do not keep connections alive).
        self.conn.request("POST", path, body, headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def _reset(self) -> None:
        if self.conn is not None:
            self.conn.close()


@dataclass(frozen=True)
class Server:
    pid: int
    workers: int
    worker_class: str
    threads: int
    log: Path


@contextlib.contextmanager
def gunicorn(args: argparse.Namespace, env: dict[str, str]) -> Iterator[Server]:
    """gunicorn with the deployment's config, bound to loopback; stopped (SIGTERM, as an
    orchestrator does) whatever happens."""
    workdir = Path(tempfile.mkdtemp(prefix="cliqserve-bench-"))
    metrics_dir = workdir / "prometheus"
    metrics_dir.mkdir()
    threads = args.threads if args.worker_class == "gthread" else 1  # sync with threads > 1 is gthread
    server_env = {
        **os.environ,
        **env,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "GUNICORN_THREADS": str(threads),
    }
    if args.workers:
        server_env["WEB_CONCURRENCY"] = str(args.workers)
    else:
        server_env.pop("WEB_CONCURRENCY", None)
    workers = args.workers or _config_default_workers()
    log = workdir / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "-c", str(GUNICORN_CONF),
        "--bind", f"127.0.0.1:{args.port}",
        "--worker-class", args.worker_class,
        "config.wsgi:application",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
            command, cwd=ROOT, env=server_env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_healthy(process, args.port, log)
        _wait_workers_loaded(process, workers, log)
        yield Server(
            pid=process.pid, workers=workers, worker_class=args.worker_class, threads=threads, log=log
        )
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _config_default_workers() -> int:
    """The worker count deploy/gunicorn.conf.py picks on this machine when not told."""
    saved = os.environ.pop("WEB_CONCURRENCY", None)
    try:
        return int(runpy.run_path(str(GUNICORN_CONF))["workers"])
    finally:
        if saved is not None:
            os.environ["WEB_CONCURRENCY"] = saved


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
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
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{_tail(log)}")


def _wait_workers_loaded(
    process: subprocess.Popen[bytes], workers: int, log: Path, timeout: float = 120
) -> None:
    """/healthz answers as soon as one worker has loaded the app; the others may still be
    importing it. A keep-alive client connects to a worker that accepts at that moment and
    stays there, so starting early would pile every client onto the first worker. Each worker
    burns CPU while it loads and none once idle: wait until every one of them has gone quiet."""
    deadline = time.monotonic() + timeout
    previous: dict[int, float] = {}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
        current = {pid: _cpu_seconds(pid) for pid in _children(process.pid)}
        busy = [pid for pid, cpu in current.items() if cpu - previous.get(pid, -1.0) > WORKER_IDLE_CPU]
        if len(current) == workers and not busy:
            return
        previous = current
        time.sleep(WORKER_IDLE_INTERVAL)
    raise BenchError(f"gunicorn's {workers} workers did not all load within {timeout:.0f} s:\n{_tail(log)}")


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # Fields after the command name (which may hold spaces): state, ppid, ...
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)  # graceful_timeout is 30 s
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 30, *, quiet: bool = False) -> str:
    """The log's last lines; with `quiet`, only those that are not INFO access or sale lines."""
    with contextlib.suppress(OSError):
        kept = log.read_text(errors="replace").splitlines()
        if quiet:
            kept = [line for line in kept if '"level": "INFO"' not in line]
        return "\n".join(kept[-lines:])
    return ""


# --- Floor phase ----------------------------------------------------------------------------------


def _insert_sql(rows: Sequence[Row]) -> str:
    """One INSERT of `rows` (one table), every column a parameter."""
    columns = list(rows[0].values)
    values = ", ".join([_placeholders(len(columns))] * len(rows))
    return f'INSERT INTO "{rows[0].table}" ({_names(columns)}) VALUES {values}'  # noqa: S608  # model names


def _claim_key_sql(key: Row) -> str:
    """The app's claim: set_config() runs as the row is produced, before the INSERT can wait on
    the unique index for a running duplicate, so that wait is bounded with no extra round trip;
    RETURNING puts the session's setting (read once per connection) back once the row is in."""
    columns = list(key.values)
    return (
        f'INSERT INTO "{key.table}" ({_names(columns)}) SELECT {_placeholders(len(columns))[1:-1]} '  # noqa: S608
        "FROM (SELECT set_config('lock_timeout', %s, true)) AS wait ON CONFLICT DO NOTHING "
        "RETURNING set_config('lock_timeout', %s, true)"
    )


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def _placeholders(count: int) -> str:
    return "(" + ", ".join(["%s"] * count) + ")"


# The app's reads and locks, written by hand: only the columns a sale uses.
LOCK_SHIFT = """
    SELECT s.status, d.code, b.code, d.is_active AND b.is_active,
           EXISTS(SELECT 1 FROM tenants_deviceassignment a
                  WHERE a.tenant_id = s.tenant_id AND a.device_id = s.device_id AND a.user_id = %(cashier)s)
    FROM sales_shift s
    JOIN tenants_device d ON d.id = s.device_id
    JOIN tenants_branch b ON b.id = s.branch_id
    WHERE s.tenant_id = %(tenant)s AND s.id = %(shift)s
    FOR NO KEY UPDATE OF s
"""
READ_PRODUCTS = """
    SELECT p.id, p.sku, p.price, p.track_stock, p.is_active, t.rate, t.inclusive,
           (SELECT n.name FROM catalog_producttranslation n WHERE n.master_id = p.id
            ORDER BY n.language_code <> %(language)s, n.language_code LIMIT 1)
    FROM catalog_product p LEFT JOIN catalog_taxrate t ON t.id = p.tax_rate_id
    WHERE p.tenant_id = %(tenant)s AND p.id = ANY(%(products)s)
"""
NEXT_RECEIPT = """
    INSERT INTO sales_receiptsequence (id, tenant_id, device_id, last_number, created_at, updated_at)
    VALUES (%(id)s, %(tenant)s, %(device)s, 1, %(now)s, %(now)s)
    ON CONFLICT (tenant_id, device_id)
    DO UPDATE SET last_number = sales_receiptsequence.last_number + 1, updated_at = excluded.updated_at
    RETURNING last_number
"""
# The stock in two statements, lock then update: the app does it in one (a locking CTE and the
# UPDATE, ADR 0003), but alternating runs measured the two-statement form as fast or faster
# here (bench/README.md), so the floor keeps the faster form of the same writes.
LOCK_LEVELS = """
    SELECT id, product_id, quantity, average_cost FROM inventory_stocklevel
    WHERE tenant_id = %(tenant)s AND branch_id = %(branch)s AND product_id = ANY(%(products)s)
    ORDER BY product_id
    FOR UPDATE
"""
UPDATE_LEVELS = """
    UPDATE inventory_stocklevel AS level
    SET quantity = level.quantity - taken.quantity, updated_at = %(now)s
    FROM UNNEST(%(ids)s::uuid[], %(quantities)s::numeric[]) AS taken(id, quantity)
    WHERE level.tenant_id = %(tenant)s AND level.id = taken.id
"""
COMPLETE_KEY = """
    UPDATE core_idempotencykey
    SET status = 'completed', response_status = 201, response_body = %(body)s, updated_at = %(now)s
    WHERE id = %(id)s
"""


class FloorSeller:
    """The same writes as one app sale, by hand: same tables, rows, constraints and indexes.

    Per sale, one transaction, in the app's order: claim the idempotency key (bounding its wait
    with lock_timeout, reset in the same statement), lock the shift (with its device, branch
    and the cashier's assignment), read the products (tax rate, name), take the receipt number,
    take the stock (lock the levels in key order, then decrement them), append the
    ledger, insert the sale, its lines and its payment, complete the key, commit. The amounts
    are the template sale's; ids, times, receipt numbers and captured costs are the sale's own.
    """

    def __init__(self, *, dsn: str, till: Till, seeded: Seeded, template: Template) -> None:
        self.dsn = dsn
        self.till = till
        self.seeded = seeded
        self.template = template
        self.conn: psycopg.Connection[Any] | None = None
        self.lock_timeout = "0"  # the session's own, read on open()
        self.statements = 0  # of the last sale, BEGIN and COMMIT included
        self.claim_key = _claim_key_sql(template.key)
        self.insert_sale = _insert_sql([template.sale])
        self.insert_lines = _insert_sql(template.lines)
        self.insert_payments = _insert_sql(template.payments)
        self.insert_day_changes = _insert_sql(template.day_changes)
        self.insert_movements = _insert_sql(template.movements)
        self.sold = {line.values["product_id"]: line.values["quantity"] for line in template.lines}

    def open(self) -> None:
        # prepare_threshold=0: every statement is prepared on first use, as a tuned app would.
        self.conn = psycopg.connect(self.dsn, autocommit=True, prepare_threshold=0)
        (self.lock_timeout,) = self.conn.execute(
            "SELECT reset_val FROM pg_settings WHERE name = 'lock_timeout'"
        ).fetchone() or ("0",)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def sell(self) -> str | None:
        assert self.conn is not None
        try:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                self._sale(cursor)
        except (psycopg.Error, BenchError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def _sale(self, cursor: psycopg.Cursor[Any]) -> None:
        till, seeded, template = self.till, self.seeded, self.template
        now = datetime.now(UTC)
        ids = {"tenant": seeded.tenant_id, "branch": seeded.branch_id, "products": seeded.product_ids}
        self.statements = 2  # BEGIN and COMMIT
        key_id, sale_id = uuid.uuid4(), uuid.uuid4()
        key = {
            **template.key.values,
            "id": key_id,
            "key": uuid.uuid4().hex,
            "actor_id": till.cashier_id,
            "status": "in_progress",
            "response_status": None,
            "response_body": None,
            "created_at": now,
            "updated_at": now,
        }
        if self._run(cursor, self.claim_key, [*key.values(), "3s", self.lock_timeout]).rowcount != 1:
            raise BenchError("idempotency key already taken")
        shift = self._run(
            cursor, LOCK_SHIFT, {**ids, "cashier": till.cashier_id, "shift": till.shift_id}
        ).fetchone()
        if shift is None or shift[0] != "open" or not (shift[3] and shift[4]):
            raise BenchError(f"cannot sell on this shift: {shift}")
        if len(self._run(cursor, READ_PRODUCTS, {**ids, "language": "en"}).fetchall()) != len(
            seeded.product_ids
        ):
            raise BenchError("a product is missing")
        (number,) = self._run(
            cursor, NEXT_RECEIPT, {**ids, "id": uuid.uuid4(), "device": till.device_id, "now": now}
        ).fetchone() or (0,)
        levels = self._run(cursor, LOCK_LEVELS, ids).fetchall()
        if len(levels) != len(self.sold) or any(quantity < self.sold[p] for _, p, quantity, _ in levels):
            raise BenchError("out of stock")
        taken = {"ids": [level_id for level_id, *_ in levels], "now": now}
        taken["quantities"] = [self.sold[product_id] for _, product_id, _, _ in levels]
        self._run(cursor, UPDATE_LEVELS, {**ids, **taken})
        cost = {product_id: average_cost for _, product_id, _, average_cost in levels}
        self._insert(
            cursor,
            self.insert_movements,
            template.movements,
            now,
            lambda row: {
                "reference": f"sale:{sale_id}",
                "actor_id": till.cashier_id,
                "unit_cost": cost[row["product_id"]],
            },
        )
        sale = {
            **template.sale.values,
            "id": sale_id,
            "shift_id": till.shift_id,
            "device_id": till.device_id,
            "cashier_id": till.cashier_id,
            "receipt_number": f"{shift[2]}-{shift[1]}-{number:06d}".upper(),
            "sold_at": now,
            "cost_total": sum(
                (cost[line.values["product_id"]] * line.values["quantity"] for line in template.lines),
                Decimal(0),
            ),
            "created_at": now,
            "updated_at": now,
        }
        self._run(cursor, self.insert_sale, list(sale.values()))
        self._insert(
            cursor,
            self.insert_lines,
            template.lines,
            now,
            lambda row: {"sale_id": sale_id, "unit_cost": cost[row["product_id"]]},
        )
        self._insert(cursor, self.insert_payments, template.payments, now, lambda row: {"sale_id": sale_id})
        self._insert(cursor, self.insert_day_changes, template.day_changes, now, lambda row: {})
        self._run(cursor, COMPLETE_KEY, {"body": template.response_body, "now": now, "id": key_id})

    def _run(self, cursor: psycopg.Cursor[Any], sql: str, params: Any = None) -> psycopg.Cursor[Any]:
        self.statements += 1
        return cursor.execute(sql, params)

    def _insert(
        self,
        cursor: psycopg.Cursor[Any],
        sql: str,
        rows: Sequence[Row],
        now: datetime,
        changes: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        """One multi-row INSERT of the template's rows, with fresh ids and times."""
        params: list[Any] = []
        for row in rows:
            fresh = {"id": uuid.uuid4(), "created_at": now, "updated_at": now, **changes(row.values)}
            params.extend({**row.values, **fresh}.values())
        self._run(cursor, sql, params)


# --- Report ---------------------------------------------------------------------------------------


def report(results: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(results, indent=2))
        return
    server = results["gunicorn"]
    print(
        f"checkout bench: {results['clients']} clients, gunicorn {server['workers']} x "
        f"{server['worker_class']} ({server['threads']} threads), database {results['database']}"
    )
    header = ("phase", "sales", "failed", "seconds", "sales/s", "p50 ms", "p99 ms", "our cores", "others")
    print(f"{header[0]:<6}" + "".join(f"{title:>10}" for title in header[1:]))
    for name in ("http", "floor"):
        phase = results[name]
        print(
            f"{name:<6}{phase['sales']:>10}{phase['failures']:>10}{phase['seconds']:>10.1f}"
            f"{phase['sales_per_second']:>10.1f}{phase['p50_ms']:>10.2f}{phase['p99_ms']:>10.2f}"
            f"{phase['our_cores']:>10.2f}{phase['other_cores']:>10.2f}"
        )
    print(
        f"queries per sale (HTTP): {results['queries_per_sale']}, counted by {results['queries_counted_by']}"
    )
    print(f"statements per sale (floor): {results['floor_statements_per_sale']}")
    print(f"ratio HTTP / floor: {results['ratio']:.3f} (goal 0.25)")
    print(
        f"cores: {os.cpu_count()}; 'our cores' is the CPU of this process, gunicorn and the bench database's "
        f"backends, 'others' everything else; load average before the run: {results['load_average_before']}"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    env = app_environment(args)
    load = os.getloadavg()[0]
    ensure_database(args.database_url)
    migrate(env)
    setup_django(env)
    seeded = seed(args.clients)
    template = capture_one_sale(seeded)
    if args.show_queries:
        for number, sql in enumerate(template.queries, 1):
            print(f"-- {number}\n{sql}\n", file=sys.stderr)
    with gunicorn(args, env) as server:
        sellers = [
            HttpSeller(port=args.port, till=till, product_ids=seeded.product_ids, total=template.total)
            for till in seeded.tills
        ]
        settle_database(args.database_url)
        meter = CpuMeter(args.database_url, lambda: [server.pid, *_children(server.pid)])
        http_result = run_phase("http", sellers, args, meter)
        if http_result.failures:
            print(f"gunicorn's last warnings and errors:\n{_tail(server.log, quiet=True)}", file=sys.stderr)
    floor_sellers = [
        FloorSeller(dsn=args.database_url, till=till, seeded=seeded, template=template)
        for till in seeded.tills
    ]
    settle_database(args.database_url)
    floor_result = run_phase("floor", floor_sellers, args, CpuMeter(args.database_url))
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "database": urlsplit(args.database_url).path.lstrip("/"),
        "load_average_before": round(load, 2),
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "sales_per_phase": args.sales,
        "gunicorn": {
            "workers": server.workers,
            "worker_class": server.worker_class,
            "threads": server.threads,
        },
        "http": asdict(http_result),
        "floor": asdict(floor_result),
        "queries_per_sale": len(template.queries),
        "queries_counted_by": QUERIES_COUNTED_BY,
        "floor_statements_per_sale": floor_sellers[0].statements,
        "ratio": round(http_result.sales_per_second / floor_result.sales_per_second, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = run(args)
    except BenchError as exc:
        print(f"checkout bench failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; gunicorn stopped", file=sys.stderr)
        return 130
    report(results, as_json=args.json)
    failures = [*results["http"]["failure_samples"], *results["floor"]["failure_samples"]]
    if failures:
        failed = results["http"]["failures"] + results["floor"]["failures"]
        print(f"FAILED: {failed} sales did not complete, e.g.:", file=sys.stderr)
        for sample in failures:
            print(f"  {sample}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
