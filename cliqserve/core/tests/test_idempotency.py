"""Idempotency-Key (cliqserve/core/idempotency.py), over the inventory POSTs that use it."""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from cliqserve.core import idempotency
from cliqserve.core.models import IdempotencyKey
from cliqserve.core.tasks import purge_idempotency_keys
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.models import StockMovement
from cliqserve.inventory.tests.helpers import D, ledger_sum, level, product, receive
from conftest import client_for

pytestmark = pytest.mark.django_db

RECEIPTS = "/api/v1/stock-receipts/"
ADJUSTMENTS = "/api/v1/stock-adjustments/"
SCOPE = "POST stock-receipt-list"


def receipt_body(world: Any, quantity: str = "4") -> dict[str, Any]:
    item = product(world.a.tenant, "IDEM")
    return {
        "branch": str(world.a.branch.pk),
        "reference": "PO-7",
        "lines": [{"product": str(item.pk), "quantity": quantity, "unit_cost": "2.50"}],
    }


def post(user: Any, route: str, body: dict[str, Any], key: str | None = "key-1") -> Any:
    extra: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client_for(user).post(route, body, format="json", **extra)


def code_of(response: Any) -> str:
    [error] = response.json()["errors"]
    return error["code"]


def movements() -> int:
    return StockMovement.objects.unscoped().count()


def keys() -> int:
    return IdempotencyKey.objects.unscoped().count()


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256, "clé-1"])
def test_a_missing_or_malformed_key_is_400_and_writes_nothing(world, key):
    response = post(world.a.tenant_admin, RECEIPTS, receipt_body(world), key=key)

    assert (response.status_code, code_of(response)) == (400, "idempotency_key_required")
    assert "source" not in response.json()["errors"][0]
    assert (movements(), keys()) == (0, 0)


def test_a_key_of_255_printable_characters_is_accepted(world):
    response = post(world.a.tenant_admin, RECEIPTS, receipt_body(world), key="~ !" + "k" * 252)

    assert response.status_code == 201, response.content


def test_a_replay_answers_the_first_answer_and_writes_nothing(world):
    body = receipt_body(world)
    first = post(world.a.tenant_admin, RECEIPTS, body)
    # The same JSON with its keys in another order is the same request.
    again = post(world.a.tenant_admin, RECEIPTS, dict(reversed(list(body.items()))))

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    item = product(world.a.tenant, "IDEM")
    assert movements() == 1
    assert level(world.a.branch, item).quantity == D(4) == ledger_sum(world.a.branch, item)
    stored = IdempotencyKey.objects.unscoped().get()
    assert (stored.status, stored.response_status, stored.actor) == ("completed", 201, world.a.tenant_admin)
    assert stored.scope == SCOPE


def test_the_same_key_with_another_body_is_422_and_writes_nothing(world):
    post(world.a.tenant_admin, RECEIPTS, receipt_body(world))

    response = post(world.a.tenant_admin, RECEIPTS, receipt_body(world, quantity="5"))

    assert (response.status_code, code_of(response)) == (422, "idempotency_key_reused")
    assert (movements(), keys()) == (1, 1)


def test_a_key_belongs_to_one_endpoint_one_caller_and_one_tenant(world):
    item = product(world.a.tenant, "IDEM")
    adjustment = {"branch": str(world.a.branch.pk), "product": str(item.pk), "quantity_delta": "1"}
    theirs = product(world.b.tenant, "IDEM")
    their_receipt = {
        "branch": str(world.b.branch.pk),
        "lines": [{"product": str(theirs.pk), "quantity": "1", "unit_cost": "1"}],
    }

    responses = [
        post(world.a.tenant_admin, RECEIPTS, receipt_body(world)),
        post(world.a.tenant_admin, ADJUSTMENTS, adjustment),
        post(world.a.branch_manager, RECEIPTS, receipt_body(world)),
        post(world.b.tenant_admin, RECEIPTS, their_receipt),
    ]

    assert [r.status_code for r in responses] == [201] * 4
    assert not any(r.has_header("Idempotent-Replayed") for r in responses)
    assert (movements(), keys()) == (4, 4)


def test_a_failed_attempt_does_not_use_up_its_key(world):
    item = product(world.a.tenant, "IDEM")
    body = {"branch": str(world.a.branch.pk), "product": str(item.pk), "quantity_delta": "-2"}

    refused = post(world.a.branch_manager, ADJUSTMENTS, body)
    invalid = post(world.a.branch_manager, ADJUSTMENTS, {**body, "quantity_delta": "lots"})
    assert (refused.status_code, code_of(refused)) == (409, "insufficient_stock")
    assert invalid.status_code == 400
    assert (movements(), keys()) == (0, 0)

    receive(world.a, world.a.branch, item, 5)
    retried = post(world.a.branch_manager, ADJUSTMENTS, body)

    assert retried.status_code == 201, retried.content
    assert not retried.has_header("Idempotent-Replayed")
    assert level(world.a.branch, item).quantity == D(3) == ledger_sum(world.a.branch, item)
    assert keys() == 1


def test_a_refused_role_gets_403_with_or_without_a_key(world):
    for key in (None, "key-1"):
        response = post(world.a.cashier, RECEIPTS, receipt_body(world), key=key)
        assert (response.status_code, code_of(response)) == (403, "permission_denied")
    assert (movements(), keys()) == (0, 0)


def test_the_purge_deletes_only_keys_past_the_retention(world, settings):
    settings.IDEMPOTENCY_KEY_RETENTION_DAYS = 7
    for key in ("old", "recent", "new"):
        assert (
            post(world.a.tenant_admin, RECEIPTS, receipt_body(world, quantity="1"), key=key).status_code
            == 201
        )
    now = timezone.now()
    IdempotencyKey.objects.unscoped().filter(key="old").update(created_at=now - timedelta(days=7, minutes=1))
    IdempotencyKey.objects.unscoped().filter(key="recent").update(created_at=now - timedelta(days=6))

    deleted = purge_idempotency_keys()

    assert deleted == 1
    assert set(IdempotencyKey.objects.unscoped().values_list("key", flat=True)) == {"recent", "new"}
    assert movements() == 3  # the writes themselves stay, of course


# --- PostgreSQL: one key, many parallel requests --------------------------------------------------


def run_in_parallel(count: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001  # the test asserts on what each worker raised
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_parallel_requests_with_one_key_write_once(world):
    body = receipt_body(world)
    item = product(world.a.tenant, "IDEM")
    clients = [client_for(world.a.tenant_admin) for _ in range(8)]
    for client in clients:  # load each client's middleware (and its metrics) before the race
        client.get("/healthz")
    turn = iter(clients)
    lock = threading.Lock()

    def send() -> Any:
        with lock:
            client = next(turn)
        return client.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="race-1")

    responses = run_in_parallel(8, send)

    assert not [r for r in responses if isinstance(r, BaseException)]
    created = [r for r in responses if r.status_code == 201]
    in_use = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_use) == 8, [r.status_code for r in responses]
    assert all(code_of(r) == "idempotency_key_in_use" for r in in_use)
    assert len({r.content for r in created}) == 1, "every 201 is the one answer, byte for byte"
    assert sum(1 for r in created if not r.has_header("Idempotent-Replayed")) == 1
    assert movements() == 1
    assert level(world.a.branch, item).quantity == D(4) == ledger_sum(world.a.branch, item)
    out = io.StringIO()
    call_command("verify_stock", stdout=out)
    assert "Stock ledger consistent" in out.getvalue()


class _RollBack(Exception):
    pass


def _while_the_key_is_held(world: Any, then: Any) -> Any:
    """Hold key "held-1" in an open transaction, as a first request still running would, and
    run `then` in another thread meanwhile; the holding transaction rolls back afterwards."""
    try:
        with transaction.atomic(), tenant_scope(world.a.tenant.pk):
            IdempotencyKey.objects.create(
                tenant=world.a.tenant, actor=world.a.tenant_admin, scope=SCOPE, key="held-1", request_hash="x"
            )
            result = then()
            raise _RollBack
    except _RollBack:
        return result


def _send_held(world: Any, body: dict[str, Any]) -> Any:
    return client_for(world.a.tenant_admin).post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="held-1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_waits_a_bounded_time_then_answers_409_in_use(world, monkeypatch):
    monkeypatch.setattr(idempotency, "LOCK_WAIT", "300ms")
    body = receipt_body(world)
    client_for(world.a.tenant_admin).get("/healthz")  # middleware loaded outside the timing

    def in_parallel() -> tuple[Any, float]:
        started = time.monotonic()
        [response] = run_in_parallel(1, lambda: _send_held(world, body))
        return response, time.monotonic() - started

    response, waited = _while_the_key_is_held(world, in_parallel)

    assert (response.status_code, code_of(response)) == (409, "idempotency_key_in_use")
    assert 0.3 <= waited < 3
    assert (movements(), keys()) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_waiting_on_a_first_that_rolls_back_runs_itself(world):
    body = receipt_body(world)
    client_for(world.a.tenant_admin).get("/healthz")
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(_send_held_and_close(world, body)))

    def start_and_give_it_time() -> None:
        thread.start()
        time.sleep(0.5)  # the request is now waiting on the unique index (3s bound)

    _while_the_key_is_held(world, start_and_give_it_time)
    thread.join(timeout=10)

    [response] = results
    assert response.status_code == 201, response.content
    assert not response.has_header("Idempotent-Replayed")
    assert (movements(), keys()) == (1, 1)


def _send_held_and_close(world: Any, body: dict[str, Any]) -> Any:
    try:
        return _send_held(world, body)
    finally:
        connection.close()


@pytest.mark.postgres
def test_once_the_key_is_claimed_the_write_waits_for_locks_as_the_server_says(world):
    """The key's INSERT bounds its own wait with a short lock_timeout; the business write that
    follows must get the server's own setting back, or a busy stock row would fail a sale."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        [server_setting] = cursor.fetchone()
    request = Request(
        APIRequestFactory().post("/x/", {"n": 1}, format="json", HTTP_IDEMPOTENCY_KEY="timeout-1"),
        parsers=[JSONParser()],
    )
    request.user = world.a.tenant_admin
    seen: list[str] = []

    def handler() -> Response:
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            seen.append(cursor.fetchone()[0])
        return Response({"ok": True}, status=201)

    with tenant_scope(world.a.tenant.pk):
        response = idempotency.idempotent(request, handler)

    assert response.status_code == 201
    assert seen == [server_setting] != [idempotency.LOCK_WAIT]
