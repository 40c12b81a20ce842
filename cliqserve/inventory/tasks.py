"""Periodic inventory jobs. They hold no rules: they enter each tenant's scope and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from cliqserve.core.tenancy import tenant_scope
from cliqserve.tenants.models import Tenant

from . import services

logger = logging.getLogger("cliqserve.inventory")


@shared_task(name="cliqserve.inventory.tasks.notify_low_stock")
def notify_low_stock() -> int:
    """Mark each active tenant's levels newly at or below their reorder level and queue the
    email to its admins (sent by the outbox once the marks commit).

    Runs from beat (LOW_STOCK_CHECK_MINUTES). One tenant's failure is logged and leaves that
    tenant's levels un-notified for the next run; the other tenants are still served. A mail
    server's failure is the outbox's to retry. Returns how many levels were notified.
    """
    notified = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(tenant.pk):
            try:
                notified += services.low_stock_notify(tenant=tenant)
            except Exception:
                logger.exception("low stock notification failed", extra={"tenant_id": str(tenant.pk)})
    return notified
