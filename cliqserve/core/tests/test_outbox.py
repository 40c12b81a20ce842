"""The transactional outbox: written with the business change, delivered after it, at least
once, retried from the row, dead after its last try, and never for a rolled-back write."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from prometheus_client import REGISTRY

from cliqserve.accounts.models import User
from cliqserve.core import outbox
from cliqserve.core.models import OutboxMessage
from cliqserve.core.tasks import drain_outbox, sweep_outbox
from cliqserve.core.tenancy import current_tenant_id
from tests.factories import TenantFactory
from tests.parallel import run_in_parallel

TOPIC = "test.outbox"


class Recorder:
    """A handler that records each delivery, optionally failing or taking its time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.fail_with: Exception | None = None
        self.delay = 0.0
        self._lock = threading.Lock()

    def __call__(self, message: OutboxMessage) -> None:
        time.sleep(self.delay)
        with self._lock:
            self.calls.append((str(message.pk), message.key, current_tenant_id()))
        if self.fail_with is not None:
            raise self.fail_with

    @property
    def keys(self) -> list[str]:
        return [key for _, key, _ in self.calls]


@pytest.fixture
def handler() -> Iterator[Recorder]:
    recorder = Recorder()
    outbox.register(TOPIC, recorder)
    yield recorder
    outbox.unregister(TOPIC)


@pytest.fixture
def tenant(db):
    return TenantFactory()


def enqueue(tenant, key: str, payload: dict | None = None) -> OutboxMessage | None:
    with transaction.atomic():
        return outbox.enqueue(topic=TOPIC, tenant_id=tenant.pk, payload=payload or {"n": key}, key=key)


def stored(key: str) -> OutboxMessage:
    return OutboxMessage.objects.unscoped().get(topic=TOPIC, key=key)


def make_due(key: str) -> None:
    OutboxMessage.objects.unscoped().filter(topic=TOPIC, key=key).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"topic": TOPIC}) or 0.0


# --- Writing ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused(tenant, handler):
    # The row would commit alone, promising a side effect for no business change.
    with pytest.raises(RuntimeError, match="inside the business transaction"):
        outbox.enqueue(topic=TOPIC, tenant_id=tenant.pk, payload={}, key="k")


@pytest.mark.django_db
def test_the_same_key_is_one_message(tenant, handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue(tenant, "same", {"v": 1})
        second = enqueue(tenant, "same", {"v": 2})

    assert first is not None
    assert second is None
    assert stored("same").payload == {"v": 1}
    assert handler.keys == ["same"]


@pytest.mark.django_db
def test_a_message_is_delivered_on_commit_in_its_tenants_scope(
    tenant, handler, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(tenant, "k1")
        assert handler.calls == []  # nothing before the commit

    assert message is not None
    assert handler.calls == [(str(message.pk), "k1", str(tenant.pk))]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None


# --- Retries and death --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_handler_is_retried_later_from_the_row_and_dies_after_the_last_attempt(
    tenant, handler, settings, json_logs, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    handler.fail_with = TimeoutError("endpoint slow")
    dead_before = metric("cliqserve_outbox_dead_total")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue(tenant, "flaky")
    message = stored("flaky")
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.last_error == "TimeoutError: endpoint slow"
    wait = (message.available_at - message.updated_at).total_seconds()
    assert wait == pytest.approx(settings.OUTBOX_RETRY_BASE_SECONDS, abs=1)

    assert sweep_outbox() == 0  # not due yet: no retry before available_at
    assert len(handler.calls) == 1

    make_due("flaky")
    sweep_outbox()
    message = stored("flaky")
    assert (message.state, message.attempts) == ("pending", 2)
    wait = (message.available_at - message.updated_at).total_seconds()
    assert wait == pytest.approx(2 * settings.OUTBOX_RETRY_BASE_SECONDS, abs=1)

    make_due("flaky")
    sweep_outbox()
    message = stored("flaky")
    assert (message.state, message.attempts) == ("dead", 3)
    assert len(handler.calls) == 3
    make_due("flaky")
    assert sweep_outbox() == 0  # dead stays dead
    assert len(handler.calls) == 3
    assert metric("cliqserve_outbox_dead_total") == dead_before + 1
    [line] = [r for r in json_logs.records if r["message"] == "outbox message dead"]
    assert (line["level"], line["topic"], line["attempts"]) == ("ERROR", TOPIC, 3)


def test_the_retry_schedule_doubles_up_to_its_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 3600

    waits = [outbox.retry_delay(attempt).total_seconds() for attempt in range(1, 10)]

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.django_db
def test_a_topic_nobody_handles_is_retried_not_lost(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(tenant, "orphan")

    message = stored("orphan")
    assert (message.state, message.attempts) == ("pending", 1)
    assert "no outbox handler for topic 'test.outbox'" in message.last_error


@pytest.mark.django_db
def test_a_claimed_message_is_left_to_its_worker_until_the_lease_ends(tenant, handler, settings):
    enqueue(tenant, "leased")  # its on-commit drain never ran: the worker died after claiming
    OutboxMessage.objects.unscoped().filter(topic=TOPIC).update(
        attempts=1, available_at=timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    )

    assert sweep_outbox() == 0
    make_due("leased")  # the lease ran out
    assert sweep_outbox() == 1
    assert handler.keys == ["leased"]
    assert stored("leased").attempts == 2


# --- Retention ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_purges_old_sent_and_dead_messages_and_keeps_pending_ones(tenant, settings):
    now = timezone.now()
    old_sent = now - timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS, minutes=1)
    old_dead = now - timedelta(days=settings.OUTBOX_DEAD_RETENTION_DAYS, minutes=1)
    rows = {
        "old-sent": ("sent", old_sent),
        "new-sent": ("sent", now),
        "old-dead": ("dead", old_dead),
        "new-dead": ("dead", now - timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS + 1)),
        "old-pending": ("pending", old_dead),
    }
    for key, (state, when) in rows.items():
        OutboxMessage.objects.create(
            tenant=tenant,
            topic=TOPIC,
            key=key,
            state=state,
            sent_at=when if state == "sent" else None,
            available_at=now + timedelta(hours=1),
        )
        OutboxMessage.objects.unscoped().filter(key=key).update(created_at=when)

    assert outbox.purge() == 2

    assert set(OutboxMessage.objects.unscoped().values_list("key", flat=True)) == {
        "new-sent",
        "new-dead",
        "old-pending",
    }


# --- The admin: read-only ------------------------------------------------------------------------


@pytest.mark.django_db
def test_platform_staff_see_messages_in_the_admin_and_cannot_change_them(client, tenant, handler):
    handler.fail_with = ValueError("boom")
    enqueue(tenant, "visible")
    drain_outbox()
    staff = User.objects.create_superuser("staff@platform.test", "quiet-meadow-lantern-3")
    client.force_login(staff)
    message = stored("visible")

    listing = client.get(reverse("admin:core_outboxmessage_changelist"))
    detail = client.get(reverse("admin:core_outboxmessage_change", args=[message.pk]))
    post = client.post(reverse("admin:core_outboxmessage_change", args=[message.pk]), {"state": "sent"})
    delete = client.post(reverse("admin:core_outboxmessage_delete", args=[message.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert b"visible" in listing.content
    assert detail.status_code == 200
    assert b"ValueError: boom" in detail.content
    assert post.status_code == 403
    assert delete.status_code == 403
    assert client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
    assert stored("visible").state == "pending"


# --- Real commits and parallel connections (PostgreSQL) ----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_enqueued_in_a_rolled_back_transaction_is_never_sent(tenant, handler):
    class Refused(Exception):
        pass

    def business_write_that_fails():
        with transaction.atomic():
            outbox.enqueue(topic=TOPIC, tenant_id=tenant.pk, payload={}, key="rolled-back")
            raise Refused

    with pytest.raises(Refused):
        business_write_that_fails()

    assert sweep_outbox() == 0
    assert handler.calls == []
    assert not OutboxMessage.objects.unscoped().filter(key="rolled-back").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_what_the_on_commit_drain_never_did(tenant, handler, monkeypatch, json_logs):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(drain_outbox, "apply_async", broker_down)
    message = enqueue(tenant, "while-redis-was-down")  # the business write still commits

    assert message is not None
    assert stored("while-redis-was-down").state == "pending"
    assert handler.calls == []
    assert any(r["message"].startswith("outbox drain not started") for r in json_logs.records)

    monkeypatch.undo()  # Redis is back; beat sends the sweep
    assert sweep_outbox() == 1
    assert handler.keys == ["while-redis-was-down"]
    assert stored("while-redis-was-down").state == "sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_deliver_each_message_once(tenant, handler, monkeypatch):
    monkeypatch.setattr(drain_outbox, "apply_async", lambda *args, **kwargs: None)  # no on-commit drain
    keys = [f"m{n}" for n in range(12)]
    for key in keys:
        enqueue(tenant, key)
    handler.delay = 0.02  # long enough that the two drains overlap throughout

    tried = run_in_parallel([outbox.drain, outbox.drain])

    assert sorted(tried) != [0, 12], "one drain did all the work: no overlap was tested"
    assert sum(tried) == 12
    assert Counter(handler.keys) == Counter(keys)
    assert set(OutboxMessage.objects.unscoped().values_list("state", flat=True)) == {"sent"}


def test_a_topic_has_one_handler(handler):
    outbox.register(TOPIC, handler)  # the same one again: harmless (a second ready())

    with pytest.raises(ValueError, match="already has a handler"):
        outbox.register(TOPIC, Recorder())
    assert outbox.handler_for(TOPIC) is handler
