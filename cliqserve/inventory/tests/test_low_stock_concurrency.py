"""A slow mail server never holds up the till: the low-stock email leaves after its marks commit."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from cliqserve.core.models import OutboxMessage
from cliqserve.inventory.tasks import notify_low_stock
from tests.parallel import run_in_parallel

from .helpers import D, level, level_of
from .test_low_stock import sell, set_reorder_level

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# How long the slow server holds a message if nobody releases it: past this, the test has failed.
HOLD_SECONDS = 8


class SlowBackend(EmailBackend):
    """An SMTP server that takes its time: each send blocks until the test releases it."""

    sending = threading.Event()
    released = threading.Event()
    finished = threading.Event()

    def send_messages(self, messages):
        type(self).sending.set()
        type(self).released.wait(HOLD_SECONDS)
        type(self).finished.set()
        return super().send_messages(messages)


@pytest.fixture
def slow_mail(settings):
    for event in (SlowBackend.sending, SlowBackend.released, SlowBackend.finished):
        event.clear()
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    yield SlowBackend
    SlowBackend.released.set()


def test_a_sale_of_the_product_completes_while_its_low_stock_email_is_being_sent(world, slow_mail):
    stock = level_of(world.a, world.a.branch, "BEANS", quantity=3)
    set_reorder_level(stock, 5)

    def sale_during_the_send():
        assert slow_mail.sending.wait(10), "the low-stock email was never sent"
        sell(world.a, world.a.branch, "BEANS", 1)  # takes the level's row lock
        sold_while_sending = not slow_mail.finished.is_set()
        slow_mail.released.set()
        return sold_while_sending

    notified, sold_while_sending = run_in_parallel([notify_low_stock, sale_during_the_send])

    assert notified == 1
    assert sold_while_sending is True, "the sale waited for the mail server"
    assert level(world.a.branch, stock.product).quantity == D(2)
    [email] = mail.outbox
    assert "BEANS" in email.body
    assert "3.000 in stock, reorder level 5.000" in email.body
    assert OutboxMessage.objects.unscoped().get(tenant=world.a.tenant).state == "sent"
