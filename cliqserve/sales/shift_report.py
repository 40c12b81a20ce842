"""The figures of a shift — its Z report — read with aggregate queries.

Five queries whatever the number of sales: the sales, their payments per method, the refunds
paid from the shift, those refunds' payments per method, and the cash movements. Nothing is
summed in Python beyond combining those few rows.

Which rows count where:
- A sale counts on its own shift; a voided sale counts only as a void (its payments went back).
- A refund counts on the shift whose drawer paid it (`Refund.shift`), whichever shift the sale
  was rung up on.
- Expected cash = opening cash + cash taken for sales (cash payments minus the change given)
  + pay-ins - pay-outs - cash paid out for refunds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from .models import CashMovement, Payment, PaymentMethod, Refund, RefundPayment, Sale, Shift

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

ZERO = Decimal(0)
VOIDED = Q(status=Sale.Status.VOIDED)


@dataclass(frozen=True)
class MethodTotals:
    """Money through one payment method on a shift."""

    method: str
    sales: Decimal  # taken for sales; cash net of the change given back
    refunds: Decimal  # paid out for refunds

    @property
    def net(self) -> Decimal:
        return self.sales - self.refunds


@dataclass(frozen=True)
class CountTotal:
    count: int
    total: Decimal


@dataclass(frozen=True)
class ShiftTotals:
    opening_cash: Decimal
    sale_count: int
    gross: Decimal
    discounts: Decimal
    tax: Decimal
    sales_total: Decimal
    refunds: CountTotal  # paid from this shift
    voids: CountTotal  # sales of this shift that were voided
    methods: list[MethodTotals]
    pay_in_total: Decimal
    pay_out_total: Decimal
    cash_movement_count: int

    @property
    def net_sales(self) -> Decimal:
        """What the sales earned: after discounts, without tax, before refunds."""
        return self.sales_total - self.tax

    def method(self, method: str) -> MethodTotals:
        return next(totals for totals in self.methods if totals.method == method)

    @property
    def expected_cash(self) -> Decimal:
        cash = self.method(PaymentMethod.CASH)
        return self.opening_cash + cash.sales + self.pay_in_total - self.pay_out_total - cash.refunds


@dataclass(frozen=True)
class ShiftReport:
    """A shift with its live totals: what the Z report and the close answer show."""

    shift: Shift
    totals: ShiftTotals

    @property
    def variance(self) -> Decimal | None:
        """Counted minus expected (live), once the drawer has been counted."""
        if self.shift.counted_cash is None:
            return None
        counted: Decimal = self.shift.counted_cash
        return counted - self.totals.expected_cash


def shift_totals(*, tenant: Tenant, shift: Shift) -> ShiftTotals:
    sales = _sale_figures(tenant=tenant, shift=shift)
    refunds = _refund_figures(tenant=tenant, shift=shift)
    taken = _payments_by_method(
        Payment.objects.filter(tenant=tenant, sale__shift_id=shift.pk).exclude(
            sale__status=Sale.Status.VOIDED
        )
    )
    paid_out = _payments_by_method(RefundPayment.objects.filter(tenant=tenant, refund__shift_id=shift.pk))
    # Change is always given in cash (card and other may not exceed what is due).
    taken[PaymentMethod.CASH] -= sales["change_given"]
    movements = _movement_figures(tenant=tenant, shift=shift)
    return ShiftTotals(
        opening_cash=shift.opening_cash,
        sale_count=sales["sale_count"],
        gross=sales["gross"],
        discounts=sales["discounts"],
        tax=sales["tax"],
        sales_total=sales["sales_total"],
        refunds=CountTotal(count=refunds["refund_count"], total=refunds["refund_total"]),
        voids=CountTotal(count=sales["void_count"], total=sales["void_total"]),
        methods=[
            MethodTotals(method=method, sales=taken[method], refunds=paid_out[method])
            for method in PaymentMethod.values
        ],
        pay_in_total=movements["pay_in_total"],
        pay_out_total=movements["pay_out_total"],
        cash_movement_count=movements["cash_movement_count"],
    )


def shift_report(*, tenant: Tenant, shift: Shift) -> ShiftReport:
    return ShiftReport(shift=shift, totals=shift_totals(tenant=tenant, shift=shift))


def _sale_figures(*, tenant: Tenant, shift: Shift) -> dict[str, Any]:
    kept = ~VOIDED
    figures = Sale.objects.filter(tenant=tenant, shift_id=shift.pk).aggregate(
        sale_count=Count("pk", filter=kept),
        gross=Sum("subtotal", filter=kept),
        discounts=Sum("discount_total", filter=kept),
        tax=Sum("tax_total", filter=kept),
        sales_total=Sum("total", filter=kept),
        change_given=Sum("change_due", filter=kept),
        void_count=Count("pk", filter=VOIDED),
        void_total=Sum("total", filter=VOIDED),
    )
    return _zero_for_none(figures)


def _refund_figures(*, tenant: Tenant, shift: Shift) -> dict[str, Any]:
    figures = Refund.objects.filter(tenant=tenant, shift_id=shift.pk).aggregate(
        refund_count=Count("pk"), refund_total=Sum("total")
    )
    return _zero_for_none(figures)


def _movement_figures(*, tenant: Tenant, shift: Shift) -> dict[str, Any]:
    figures = CashMovement.objects.filter(tenant=tenant, shift_id=shift.pk).aggregate(
        pay_in_total=Sum("amount", filter=Q(kind=CashMovement.Kind.PAY_IN)),
        pay_out_total=Sum("amount", filter=Q(kind=CashMovement.Kind.PAY_OUT)),
        cash_movement_count=Count("pk"),
    )
    return _zero_for_none(figures)


def _payments_by_method(payments: QuerySet[Any]) -> dict[str, Any]:
    """Sum of `amount` per method (every method present, zero when unused): one GROUP BY."""
    rows = payments.order_by().values("method").annotate(amount=Sum("amount")).values_list("method", "amount")
    return dict.fromkeys(PaymentMethod.values, ZERO) | dict(rows)


def _zero_for_none(figures: dict[str, Any]) -> dict[str, Any]:
    """SUM over no rows is NULL: an empty shift has zero of everything."""
    return {name: ZERO if value is None else value for name, value in figures.items()}
