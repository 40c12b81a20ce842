"""GET /api/v1/reports/exceptions/?from=&to=&branch= (and ?format=csv): per person, voids,
refunds, discounts over the limit, price overrides, cash variance and sales still needing
review (cliqserve/reports/exceptions.py says what each counts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request

from cliqserve.core.api.fields import AmountField
from cliqserve.core.api.serializers import ErrorSerializer
from cliqserve.tenants.business_days import business_day_of
from cliqserve.tenants.models import Branch, Tenant

from ..exceptions import KINDS, Exceptions, ExceptionsReport, Variance, exceptions_report
from ..policies import report_branch_ids
from ..tabular import Table, number, text
from .base import LOCALE, ReportView

MAX_DAYS = 366
# Days whose bounds exist in every time zone (a day's end is the next day at the cutoff).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


# --- Query ------------------------------------------------------------------------------------------


class ExceptionsQuerySerializer(serializers.Serializer[Any]):
    """`from` is a Python keyword: the fields are built in get_fields."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(
                required=False,
                help_text="First business day (inclusive). Default: `to`.",
            ),
            "to": serializers.DateField(
                required=False,
                help_text="Last business day (inclusive). Default: today's business day in the "
                f"tenant's time zone. At most {MAX_DAYS} days from `from`.",
            ),
            "branch": serializers.UUIDField(
                required=False, help_text="One branch of the caller's tenant. Default: every branch."
            ),
        }

    def validate_branch(self, value: uuid.UUID) -> uuid.UUID:
        if not Branch.objects.filter(tenant=self.context["tenant"], pk=value).exists():
            raise serializers.ValidationError(_("No such branch."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        tenant: Tenant = self.context["tenant"]
        today = business_day_of(
            timezone.now(), timezone_name=tenant.timezone, ends_at=tenant.business_day_ends_at
        )
        last: date = attrs.get("to") or today
        first: date = attrs.get("from") or last
        if first < FIRST_DAY:
            raise serializers.ValidationError(
                {"from": [_("Must be on or after %(day)s.") % {"day": FIRST_DAY}]}
            )
        if last > LAST_DAY:
            raise serializers.ValidationError(
                {"to": [_("Must be on or before %(day)s.") % {"day": LAST_DAY}]}
            )
        if first > last:
            raise serializers.ValidationError({"from": [_("Must be on or before `to`.")]})
        if last - first >= timedelta(days=MAX_DAYS):
            raise serializers.ValidationError(
                {"to": [_("At most %(days)d days from `from`.") % {"days": MAX_DAYS}]}
            )
        return {"date_from": first, "date_to": last, "branch": attrs.get("branch")}


# --- Answer -----------------------------------------------------------------------------------------


class TallySerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    amount = AmountField(help_text="Without tax, in the currency's decimals.")


class VarianceSerializer(TallySerializer):
    count = serializers.IntegerField(help_text="Closed shifts whose counted cash was off.")
    amount = AmountField(help_text="Sum of the variances (counted - expected; negative is short).")
    absolute = AmountField(help_text="Sum of the variances' absolute values.")


class ExceptionFiguresSerializer(serializers.Serializer[Any]):
    voids = TallySerializer(help_text="Sales voided in the range, by who voided them.")
    refunds = TallySerializer(help_text="Refunds made in the range, by who made them.")
    discounts_over_limit = TallySerializer(
        help_text="Lines sold with a discount above the tenant's cashier limit; amount: the discounts."
    )
    price_overrides = TallySerializer(
        help_text="Lines sold at a changed price; amount: the lines as sold (after discount, no tax)."
    )
    cash_variance = VarianceSerializer(help_text="Shifts closed in the range with a cash variance.")
    offline_needs_review = TallySerializer(help_text="Sales sold in the range still flagged for review.")


class ExceptionRowSerializer(ExceptionFiguresSerializer):
    """`label` would shadow Field.label as a class attribute: built in get_fields."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "cashier": serializers.UUIDField(help_text="The user (cashier, manager or admin)."),
            "label": serializers.CharField(help_text="The user's full name, else email."),
            **super().get_fields(),
        }


class ExceptionsReportSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.CharField()
    rows = ExceptionRowSerializer(many=True)
    totals = ExceptionFiguresSerializer()


def _figures(figures: Exceptions) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for kind in KINDS:
        tally = figures.tally(kind)
        answer[kind] = {"count": tally.count, "amount": tally.amount}
        if isinstance(tally, Variance):
            answer[kind]["absolute"] = tally.absolute
    return answer


def _data(report: ExceptionsReport) -> dict[str, Any]:
    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "currency": report.currency,
        "rows": [
            {"cashier": row.cashier, "label": row.label, **_figures(row.figures)} for row in report.rows
        ],
        "totals": _figures(report.totals),
    }


FLAT = [
    (f"{kind}_{part}", kind, part)
    for kind in KINDS
    for part in (("count", "amount", "absolute") if kind == "cash_variance" else ("count", "amount"))
]


def _table(report: ExceptionsReport) -> Table:
    def rows() -> Iterator[list[Any]]:
        for row in report.rows:
            figures = _figures(row.figures)
            yield [str(row.cashier), row.label, *(figures[kind][part] for _name, kind, part in FLAT)]

    return Table(
        columns=[text("cashier"), text("label"), *(number(name) for name, _kind, _part in FLAT)],
        rows=rows(),
    )


class ExceptionsReportView(ReportView):
    """Per person: voids, refunds, discounts over the cashier limit, price overrides, cash
    variance of closed shifts and sales still needing review, over business days (each branch's
    own time zone, the tenant's `business_day_ends_at`). Voided sales count in `voids` only.
    The tenant admin reads every branch; a branch manager its own (another branch is 403).
    `?format=csv`: one line per person, flat columns (`voids_count`, `voids_amount`, ...)."""

    csv_filename: ClassVar[str] = "exceptions.csv"

    @extend_schema(
        parameters=[ExceptionsQuerySerializer, LOCALE],
        responses={
            (200, "application/json"): ExceptionsReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="One line per person, flat columns."
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="`validation_error`: a bad date, `from` after `to` (named `from`), more "
                f"than {MAX_DAYS} days (named `to`), a branch not of the caller's tenant, or a `format` "
                "other than csv or json.",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied`: cashiers; a branch manager asking for another branch.",
            ),
        },
        summary="Exceptions per person: voids, refunds, discounts over the limit, overrides, "
        "cash variance, sales needing review.",
    )
    def get(self, request: Request) -> Any:
        query = ExceptionsQuerySerializer(data=request.query_params.dict(), context={"tenant": self.tenant})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        branch_ids = report_branch_ids(actor=self.actor, branch_id=params["branch"])
        report = exceptions_report(
            tenant=self.tenant,
            branch_ids=branch_ids,
            date_from=params["date_from"],
            date_to=params["date_to"],
        )
        return self.answer(
            request,
            data=lambda: (
                ExceptionsReportSerializer(_data(report), context={"currency": report.currency}).data
            ),
            table=lambda: _table(report),
        )
