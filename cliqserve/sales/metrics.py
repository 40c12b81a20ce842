"""Business metrics of selling, exported at /metrics with django-prometheus's registry.

Recorded in `transaction.on_commit`, so they count what committed — never a rolled-back sale
or a replayed answer.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from .models import Refund, Sale

logger = logging.getLogger("cliqserve.sales")

SALES = Counter("cliqserve_sales_total", "Sales recorded.", ["origin"])
SALES_AMOUNT = Counter("cliqserve_sales_amount_total", "Sum of sale totals.", ["currency"])
REFUNDS = Counter("cliqserve_refunds_total", "Refunds recorded.")
REFUNDS_AMOUNT = Counter("cliqserve_refunds_amount_total", "Sum of refund totals.", ["currency"])
VOIDS = Counter("cliqserve_voids_total", "Sales voided.")
# Offline sales recorded with needs_review set: each waits for a manager's review.
FLAGGED = Counter("cliqserve_sales_flagged_total", "Sales recorded flagged for review.", ["origin"])
CHECKOUT_SECONDS = Histogram(
    "cliqserve_checkout_seconds",
    "Time to record an online sale, from the service call to commit.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def sale_recorded(sale: Sale, *, started: datetime | None = None) -> None:
    """Count one committed sale and write its one structured log line (ids and totals only)."""
    SALES.labels(origin=sale.origin).inc()
    SALES_AMOUNT.labels(currency=sale.currency).inc(float(sale.total))
    if sale.needs_review:
        FLAGGED.labels(origin=sale.origin).inc()
    if started is not None:
        CHECKOUT_SECONDS.observe((timezone.now() - started).total_seconds())
    logger.info(
        "sale recorded",
        extra={
            "sale_id": str(sale.pk),
            "receipt_number": sale.receipt_number,
            "shift_id": str(sale.shift_id),
            "device_id": str(sale.device_id),
            "branch_id": str(sale.branch_id),
            "origin": sale.origin,
            "total": str(sale.total),
            "tax_total": str(sale.tax_total),
            "paid": str(sale.paid),
            "change_due": str(sale.change_due),
            "currency": sale.currency,
            "needs_review": sale.needs_review,
        },
    )


def refund_recorded(refund: Refund, *, currency: str) -> None:
    REFUNDS.inc()
    REFUNDS_AMOUNT.labels(currency=currency).inc(float(refund.total))
    logger.info(
        "refund recorded",
        extra={
            "refund_id": str(refund.pk),
            "sale_id": str(refund.sale_id),
            "shift_id": str(refund.shift_id) if refund.shift_id else None,
            "total": str(refund.total),
            "restock": refund.restock,
            "currency": currency,
        },
    )


def sale_voided(sale: Sale) -> None:
    VOIDS.inc()
    logger.info(
        "sale voided",
        extra={"sale_id": str(sale.pk), "receipt_number": sale.receipt_number, "total": str(sale.total)},
    )
