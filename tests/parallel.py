"""Real parallel connections for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread (own connection), all released at the same instant.
    A call that raises leaves its exception as its result."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001  # the test asserts on what each worker raised
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def outcome(response: Any) -> tuple[int, str | None]:
    """(status, first error code) of an API response."""
    body = response.json() if response.content else {}
    errors = body.get("errors") if isinstance(body, dict) else None
    return response.status_code, errors[0]["code"] if errors else None
