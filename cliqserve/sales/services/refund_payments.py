"""Who gets a refund's money back, and how: back to the sale's own methods by default (card and
other first, each up to what it paid less earlier refunds, the rest in cash), or as the request
says — adding up to the refund's total, card and other never beyond what they paid. Cash is the
drawer's and may make up for any method. Split from refunds.py, which records the refund.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import quantize_money

from ..models import Payment, PaymentMethod, RefundPayment
from .selling import PaymentInput, checked_payment_amount

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

    from ..models import Sale

# Without explicit payments a refund goes back to the sale's methods in this order: card and
# other first (no cash leaves the drawer when it need not), then cash.
NON_CASH_ORDER = (PaymentMethod.CARD, PaymentMethod.OTHER)


def refund_payments(
    *, tenant: Tenant, sale: Sale, total: Decimal, payments: Sequence[PaymentInput] | None
) -> list[RefundPayment]:
    if payments is None:
        return _allocated(tenant=tenant, total=total, balances=_balances(tenant=tenant, sale=sale))
    rows = [_payment_row(tenant, payment, index, sale.currency) for index, payment in enumerate(payments)]
    paid = sum((row.amount for row in rows), Decimal(0))
    if paid != total:
        raise InvalidInput(
            _("The refund payments (%(paid)s) must add up to the refund total (%(total)s).")
            % {"paid": paid, "total": total},
            pointer="/payments",
        )
    if any(row.method != PaymentMethod.CASH for row in rows):
        _check_within_balances(rows, _balances(tenant=tenant, sale=sale))
    return rows


def _payment_row(tenant: Tenant, payment: PaymentInput, index: int, currency: str) -> RefundPayment:
    amount = checked_payment_amount(payment=payment, index=index, currency=currency)
    return RefundPayment(tenant=tenant, method=payment.method, amount=amount, reference=payment.reference)


def _balances(*, tenant: Tenant, sale: Sale) -> dict[str, Decimal]:
    """What each method may still give back: what it paid on the sale (cash net of the change
    given) minus what earlier refunds gave back by it."""
    balances = dict.fromkeys(PaymentMethod.values, Decimal(0))
    paid = Payment.objects.filter(tenant=tenant, sale_id=sale.pk).order_by().values("method")
    for row in paid.annotate(amount_sum=Sum("amount")):
        balances[row["method"]] += row["amount_sum"]
    balances[PaymentMethod.CASH] -= sale.change_due
    given_back = (
        RefundPayment.objects.filter(tenant=tenant, refund__sale_id=sale.pk).order_by().values("method")
    )
    for row in given_back.annotate(amount_sum=Sum("amount")):
        balances[row["method"]] -= row["amount_sum"]
    return {method: quantize_money(balance, sale.currency) for method, balance in balances.items()}


def _check_within_balances(rows: Sequence[RefundPayment], balances: dict[str, Decimal]) -> None:
    """A card or other refund goes back to what was paid that way; cash is the drawer's and may
    make up for any method."""
    given: dict[str, Decimal] = {}
    for index, row in enumerate(rows):
        given[row.method] = given.get(row.method, Decimal(0)) + row.amount
        available = max(balances[row.method], Decimal(0))
        if row.method != PaymentMethod.CASH and given[row.method] > available:
            raise InvalidInput(
                _(
                    "At most %(available)s can go back by %(method)s: what the sale was paid that way "
                    "less earlier refunds."
                )
                % {"available": available, "method": row.method},
                pointer=f"/payments/{index}/amount",
                meta={"method": row.method, "available": str(available)},
            )


def _allocated(*, tenant: Tenant, total: Decimal, balances: dict[str, Decimal]) -> list[RefundPayment]:
    """Back to the sale's methods: card, then other, each up to what it may still give back,
    and the rest in cash (never more than cash paid, as the balances cover the sale)."""
    rows = []
    left = total
    for method in NON_CASH_ORDER:
        amount = min(left, max(balances[method], Decimal(0)))
        if amount > 0:
            rows.append(RefundPayment(tenant=tenant, method=method, amount=amount))
            left -= amount
    if left > 0:
        rows.append(RefundPayment(tenant=tenant, method=PaymentMethod.CASH, amount=left))
    return rows
