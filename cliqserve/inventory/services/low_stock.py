"""Low-stock notices: each level that falls to or below its reorder level is notified once per
dip, in one email per tenant to its active admins, sent through the outbox after the marks
commit (docs/adr/0004-transactional-outbox.md)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cliqserve.accounts.models import User
from cliqserve.core import outbox
from cliqserve.core.roles import Role

from ..locks import lock_newly_low_levels, lock_recovered_levels
from ..models import StockLevel

if TYPE_CHECKING:
    from cliqserve.core.models import OutboxMessage
    from cliqserve.tenants.models import Tenant

logger = logging.getLogger("cliqserve.inventory")


def _clear_recovered_notices(tenant: Tenant) -> int:
    """Levels back above their reorder level may notify again on their next dip."""
    with transaction.atomic():
        # SKIP LOCKED: a row a stock operation holds is left for the next run rather than
        # waited for, so this job never joins a lock queue (or a deadlock) with a sale.
        ids = list(lock_recovered_levels(tenant=tenant).values_list("id", flat=True))
        return StockLevel.objects.filter(tenant=tenant, id__in=ids).update(low_stock_notified_at=None)


def _low_stock_email(tenant: Tenant, levels: Sequence[StockLevel]) -> tuple[str, str]:
    with translation.override(tenant.default_language):
        subject = _("Low stock at %(tenant)s: %(count)s products at or below their reorder level") % {
            "tenant": tenant.name,
            "count": len(levels),
        }
        rows = [
            _("%(branch)s  %(sku)s  %(name)s: %(quantity)s in stock, reorder level %(reorder)s")
            % {
                "branch": level.branch.code,
                "sku": level.product.sku,
                "name": level.product.safe_translation_getter(
                    "name", language_code=tenant.default_language, any_language=True
                ),
                "quantity": level.quantity,
                "reorder": level.reorder_level,
            }
            for level in levels
        ]
    return subject, "\n".join(rows) + "\n"


LOW_STOCK_MAIL = "inventory.low_stock_mail"


def low_stock_notify(*, tenant: Tenant) -> int:
    """Mark each level that has fallen to or below its reorder level since the last notice,
    log one line per level, and queue one email about them to the tenant's active admins.
    Returns how many levels were newly marked.

    The marks and the queued email (an outbox message) commit together, in one short
    transaction: the email goes out after it (`low_stock_mail_send`), so no stock row is
    locked while a mail server takes its time, and a failing mail server is retried by the
    outbox without marking the levels again (each dip is notified once).
    """
    _clear_recovered_notices(tenant)
    with transaction.atomic():
        levels = list(lock_newly_low_levels(tenant=tenant))
        if not levels:
            return 0
        for level in levels:
            _log_low_stock(tenant, level)
        now = timezone.now()
        StockLevel.objects.filter(tenant=tenant, id__in=[level.pk for level in levels]).update(
            low_stock_notified_at=now
        )
        subject, body = _low_stock_email(tenant, levels)
        outbox.enqueue(
            topic=LOW_STOCK_MAIL,
            tenant_id=tenant.pk,
            payload={"subject": subject, "body": body},
            key=_low_stock_key(levels, now),
        )
        return len(levels)


def _log_low_stock(tenant: Tenant, level: StockLevel) -> None:
    logger.info(
        "low stock",
        extra={
            "event": "low_stock",
            "tenant_id": str(tenant.pk),
            "branch_id": str(level.branch_id),
            "product_id": str(level.product_id),
            "quantity": str(level.quantity),
            "reorder_level": str(level.reorder_level),
        },
    )


def _low_stock_key(levels: Sequence[StockLevel], marked_at: datetime) -> str:
    """The notice's identity: these levels, marked at that moment. Two runs at once mark
    disjoint levels (SKIP LOCKED), so their keys differ even at the same instant."""
    digest = hashlib.sha256()
    for level_id in sorted(str(level.pk) for level in levels):
        digest.update(level_id.encode())
    return f"low-stock:{marked_at.isoformat()}:{digest.hexdigest()[:32]}"


def low_stock_mail_send(message: OutboxMessage) -> None:
    """Outbox handler of LOW_STOCK_MAIL: email the notice to the tenant's active admins, as they
    are when it goes out (none: nothing to send). A repeat delivery carries the same Message-ID,
    derived from the outbox message, so mail clients can show it once."""
    recipients = list(
        User.objects.filter(tenant_id=message.tenant_id, role=Role.TENANT_ADMIN, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        logger.info("low stock notice has no recipients", extra={"tenant_id": str(message.tenant_id)})
        return
    EmailMessage(
        subject=message.payload["subject"],
        body=message.payload["body"],
        to=recipients,
        headers={"Message-ID": f"<outbox.{message.pk}@{DNS_NAME}>"},
    ).send()
