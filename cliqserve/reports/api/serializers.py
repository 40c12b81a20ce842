"""Query parameters and answers of the report endpoints."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from cliqserve.core.api.fields import AmountField
from cliqserve.tenants.business_days import business_day_of
from cliqserve.tenants.models import Branch

from ..policies import report_branch_ids
from ..selectors import GROUP_BY

MAX_REPORT_DAYS = 3660  # ten years; rollups make even that cheap
# Business days a report may name: wide enough for any real shop, narrow enough that every
# day's time-zone bounds exist (date.max + 1 day does not).
REPORT_DAYS = [MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2099, 12, 31))]


def report_day(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(required=False, validators=REPORT_DAYS, **kwargs)


class ReportBranchField(serializers.UUIDField):
    """A branch the caller may report on. A manager asking for any branch but its own is
    refused (403) before the id is looked up, so the answer says nothing about that id; an
    admin's id must be one of the tenant's branches (400 otherwise)."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        branch_id: uuid.UUID = super().to_internal_value(data)
        actor = self.context["actor"]
        report_branch_ids(actor=actor, branch_id=branch_id)
        if not Branch.objects.filter(tenant_id=actor.tenant_id, pk=branch_id).exists():
            raise serializers.ValidationError(_("Unknown branch."), code="does_not_exist")
        return branch_id


class ReportPeriodSerializer(serializers.Serializer[Any]):
    """`from` and `to`, business days, inclusive; both default to today's business day."""

    to = report_day(help_text="Last business day (inclusive), 2000-01-01 to 2099-12-31; default today.")
    branch = ReportBranchField(required=False, help_text="One branch; default every branch the caller sees.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # `from` is a Python keyword: it cannot be a class attribute.
        fields["from"] = report_day(help_text="First business day (inclusive); default the same day as `to`.")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_to = attrs.get("to") or self._today()
        date_from = attrs.get("from") or date_to
        if date_from > date_to:
            raise serializers.ValidationError({"from": [_("`from` is after `to`.")]})
        if date_to - date_from > timedelta(days=MAX_REPORT_DAYS - 1):
            raise serializers.ValidationError(
                {"from": [_("A report covers at most %(days)s days.") % {"days": MAX_REPORT_DAYS}]}
            )
        return {**attrs, "from": date_from, "to": date_to}

    def _today(self) -> date:
        tenant = self.context["actor"].tenant
        return business_day_of(
            timezone.now(), timezone_name=tenant.timezone, ends_at=tenant.business_day_ends_at
        )


class SalesReportQuerySerializer(ReportPeriodSerializer):
    group_by = serializers.ChoiceField(choices=GROUP_BY, default="day")


class SalesFiguresSerializer(serializers.Serializer[Any]):
    sale_count = serializers.IntegerField(help_text="Distinct sales (refunds are not sales).")
    quantity = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="Units sold less units refunded."
    )
    gross_sales = AmountField(help_text="Price x quantity before discounts, without tax.")
    discounts = AmountField(help_text="Line discounts, without tax.")
    refunds = AmountField(help_text="Refunded line amounts, without tax, on the day of the refund.")
    net_sales = AmountField(help_text="gross_sales - discounts - refunds.")
    tax = AmountField(help_text="Tax on sales less tax on refunds.")
    cogs = AmountField(help_text="Captured cost x quantity sold, less that of refunded and restocked units.")
    gross_margin = AmountField(help_text="net_sales - cogs.")
    margin_percent = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)


class SalesReportRowSerializer(SalesFiguresSerializer):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        key = serializers.CharField(
            help_text="day: YYYY-MM-DD; week: its Monday; month: YYYY-MM; hour: 00-23; payment_method: "
            'the method ("" for a sale that took no money); category: its id ("" for none); else the id.'
        )
        # `label` would shadow Field.label as a class attribute.
        return {"key": key, "label": serializers.CharField(), **super().get_fields()}


class SalesReportSerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(choices=GROUP_BY)
    currency = serializers.CharField()
    rows = SalesReportRowSerializer(many=True)
    totals = SalesFiguresSerializer()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields
