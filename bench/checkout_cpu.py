"""Benchmark: the CPU one checkout costs the app, in-process, one sale at a time.

    .venv/bin/python bench/checkout_cpu.py [--sales 400] [--database-url ...]

bench/checkout.py measures throughput, which moves ±25 % between identical runs on a shared
machine. This measures what the app's own code costs per sale: the same 3-line cash sale as
checkout.py, through the whole stack (middleware, JWT, throttles, idempotency, DRF, services)
with Django's test client and the production settings, on the same seeded database, one
after the other in this process. It reports wall time, this process's CPU time (the app's
Python) and the CPU time of its PostgreSQL backend (read from /proc: the server must run on
this machine) per sale. Compare two commits by running it on each, side by
side; for where the time goes, run it under a sampling profiler, e.g.
`py-spy record -o profile.svg -- .venv/bin/python bench/checkout_cpu.py`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkout  # the seeding, settings and request body of the throughput bench

WARMUP_SALES = 30


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=400, help="measured sales (default 400)")
    parser.add_argument("--database-url", default=checkout.DEFAULT_DATABASE_URL)
    args = parser.parse_args(argv)
    env = checkout.app_environment(checkout.parse_args(["--database-url", args.database_url]))
    checkout.ensure_database(args.database_url)
    checkout.migrate(env)
    checkout.setup_django(env)
    seeded = checkout.seed(1)
    sell = _seller(seeded)
    total = Decimal(sell(Decimal("1000"))["total"])  # overpay once to learn the total
    for _ in range(WARMUP_SALES):
        sell(total)
    backend = _backend_pid()
    wall, cpu, database = time.perf_counter(), time.process_time(), checkout._cpu_seconds(backend)
    for _ in range(args.sales):
        sell(total)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    database = checkout._cpu_seconds(backend) - database
    print(
        f"{args.sales} sales, one at a time, in-process, per sale: {wall / args.sales * 1000:.2f} ms "
        f"wall, {cpu / args.sales * 1000:.2f} ms CPU in this process (the app), "
        f"{database / args.sales * 1000:.2f} ms CPU in its PostgreSQL backend"
    )
    return 0


def _backend_pid() -> int:
    """The server process of this process's database connection (PostgreSQL on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return int(pid)


def _seller(seeded: Any) -> Any:
    from django.test import Client

    till = seeded.tills[0]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    login = client.post(
        checkout.LOGIN_PATH,
        {"email": till.email, "password": checkout.PASSWORD, "device": str(till.device_id)},
        content_type="application/json",
    )
    if login.status_code != 200:
        raise checkout.BenchError(f"login: {login.status_code} {login.content[:500]!r}")
    headers = {"Authorization": f"Bearer {login.json()['access']}"}

    def sell(total: Decimal) -> Any:
        response = client.post(
            checkout.SALES_PATH,
            checkout.sale_body(till, seeded.product_ids, total),
            content_type="application/json",
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code != 201:
            raise checkout.BenchError(f"sale: {response.status_code} {response.content[:500]!r}")
        return response.json()

    return sell


if __name__ == "__main__":
    sys.exit(main())
