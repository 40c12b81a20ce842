"""Low-stock notices: once per crossing below the reorder level, to the tenant's admins.

The email leaves through the outbox once the marking commits: `notify` runs the check and then
what its commit sets off (these tests run in one transaction that never commits).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from cliqserve.core.models import OutboxMessage
from cliqserve.core.tasks import sweep_outbox
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory import services
from cliqserve.inventory.models import StockLevel
from cliqserve.inventory.tasks import notify_low_stock as notify_low_stock_task
from tests.factories import UserFactory

from .helpers import D, level, level_of, product, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def notify_low_stock(django_capture_on_commit_callbacks):
    def notify():
        with django_capture_on_commit_callbacks(execute=True):
            return notify_low_stock_task()

    return notify


def set_reorder_level(stock, value):
    StockLevel.objects.unscoped().filter(pk=stock.pk).update(reorder_level=D(value))


def sell(tw, branch, sku, quantity):
    with tenant_scope(tw.tenant.pk):
        services.stock_decrement(
            tenant=tw.tenant,
            actor=tw.cashier,
            branch=branch,
            lines=[{"product": product(tw.tenant, sku), "quantity": D(quantity)}],
            kind="sale",
        )


def test_a_level_that_falls_to_its_reorder_level_is_notified_once(notify_low_stock, world, json_logs):
    stock = level_of(world.a, world.a.branch, "BEANS", quantity=5)
    set_reorder_level(stock, 3)
    notify_low_stock()
    assert mail.outbox == []

    sell(world.a, world.a.branch, "BEANS", 2)
    first = notify_low_stock()
    second = notify_low_stock()

    assert (first, second) == (1, 0)
    [email] = mail.outbox
    assert email.to == ["admin@a.test"]
    assert "BEANS" in email.body
    assert world.a.branch.code in email.body
    assert "3.000 in stock, reorder level 3.000" in email.body
    assert "Tenant A" in email.subject
    [message] = OutboxMessage.objects.unscoped().filter(tenant=world.a.tenant)
    assert message.state == "sent"
    # A repeated delivery (at least once) carries the same Message-ID, so clients show it once.
    assert email.extra_headers["Message-ID"].startswith(f"<outbox.{message.pk}@")
    lines = [r for r in json_logs.records if r.get("event") == "low_stock"]
    assert [(r["tenant_id"], r["branch_id"], r["product_id"], r["quantity"]) for r in lines] == [
        (str(world.a.tenant.pk), str(world.a.branch.pk), str(stock.product_id), "3.000")
    ]
    assert level(world.a.branch, stock.product).low_stock_notified_at is not None


def test_rising_above_the_reorder_level_rearms_the_notice(notify_low_stock, world):
    stock = level_of(world.a, world.a.branch, "BEANS", quantity=2)
    set_reorder_level(stock, 3)
    notify_low_stock()

    receive(world.a, world.a.branch, stock.product, 5)
    notify_low_stock()
    assert level(world.a.branch, stock.product).low_stock_notified_at is None
    sell(world.a, world.a.branch, "BEANS", 6)
    notify_low_stock()

    assert len(mail.outbox) == 2


def test_one_email_per_tenant_lists_its_rows_and_goes_to_its_active_admins_only(notify_low_stock, world):
    for sku in ("BEANS", "MILK"):
        set_reorder_level(level_of(world.a, world.a.branch, sku, quantity=1), 2)
    set_reorder_level(level_of(world.a, world.a.other_branch, "CUPS", quantity=1), 2)
    set_reorder_level(level_of(world.b, world.b.branch, "TEA", quantity=1), 2)
    set_reorder_level(level_of(world.a, world.a.branch, "PLENTY", quantity=9), 2)
    level_of(world.a, world.a.branch, "NO-REORDER", quantity=1)
    sell(world.a, world.a.branch, "NO-REORDER", 1)  # at zero, but no reorder level set
    UserFactory(email="second.admin@a.test", role="tenant_admin", tenant=world.a.tenant, branch=None)
    UserFactory(email="gone@a.test", role="tenant_admin", tenant=world.a.tenant, branch=None, is_active=False)

    assert notify_low_stock() == 4

    by_recipients = {tuple(sorted(email.to)): email for email in mail.outbox}
    assert set(by_recipients) == {("admin@a.test", "second.admin@a.test"), ("admin@b.test",)}
    body_a = by_recipients[("admin@a.test", "second.admin@a.test")].body
    assert [sku for sku in ("BEANS", "MILK", "CUPS", "PLENTY", "NO-REORDER", "TEA") if sku in body_a] == [
        "BEANS",
        "MILK",
        "CUPS",
    ]
    assert "manager@a.test" not in {address for email in mail.outbox for address in email.to}


def test_one_tenants_failing_check_is_logged_and_the_others_are_still_served(
    notify_low_stock, world, monkeypatch, json_logs
):
    set_reorder_level(level_of(world.a, world.a.branch, "BEANS", quantity=1), 2)
    set_reorder_level(level_of(world.b, world.b.branch, "TEA", quantity=1), 2)
    real_check = services.low_stock_notify

    def check_failing_for_a(*, tenant):
        if tenant.pk == world.a.tenant.pk:
            raise RuntimeError("tenant A's check broke")
        return real_check(tenant=tenant)

    monkeypatch.setattr(services, "low_stock_notify", check_failing_for_a)

    assert notify_low_stock() == 1

    assert [email.to for email in mail.outbox] == [["admin@b.test"]]
    [failure] = [r for r in json_logs.records if r.get("message") == "low stock notification failed"]
    assert failure["tenant_id"] == str(world.a.tenant.pk)
    assert level_of(world.a, world.a.branch, "BEANS").low_stock_notified_at is None


def test_a_tenant_without_active_admins_is_logged_and_marked_without_email(
    notify_low_stock, world, json_logs
):
    world.a.tenant_admin.is_active = False
    world.a.tenant_admin.save(update_fields=["is_active"])
    stock = level_of(world.a, world.a.branch, "BEANS", quantity=1)
    set_reorder_level(stock, 2)

    assert notify_low_stock() == 1
    assert notify_low_stock() == 0

    assert mail.outbox == []
    assert [r["product_id"] for r in json_logs.records if r.get("event") == "low_stock"] == [
        str(stock.product_id)
    ]


class RefusingBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failing_mail_server_is_retried_by_the_outbox_without_marking_again(
    notify_low_stock, world, settings, json_logs
):
    set_reorder_level(level_of(world.a, world.a.branch, "BEANS", quantity=1), 2)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    assert notify_low_stock() == 1  # marked, and the email is queued
    [message] = OutboxMessage.objects.unscoped().filter(tenant=world.a.tenant)
    assert (message.state, message.attempts) == ("pending", 1)
    assert "ConnectionRefusedError: mail server down" in message.last_error
    assert any(r["message"] == "outbox message failed; will retry" for r in json_logs.records)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify_low_stock() == 0  # the level is not marked twice
    assert mail.outbox == []  # and the retry is not due yet
    OutboxMessage.objects.unscoped().filter(pk=message.pk).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )
    sweep_outbox()

    [email] = mail.outbox
    assert "BEANS" in email.body
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)


def test_the_check_runs_from_beat_every_configured_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-notify-low-stock"]

    assert entry["task"] == notify_low_stock_task.name
    assert entry["schedule"].total_seconds() == settings.LOW_STOCK_CHECK_MINUTES * 60 == 15 * 60
