"""The back office's forms: every field labelled and translated, checked by Django forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

GROUP_BY_CHOICES = [
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("hour", _("Hour")),
    ("branch", _("Branch")),
    ("device", _("Device")),
    ("product", _("Product")),
    ("category", _("Category")),
    ("cashier", _("Cashier")),
    ("payment_method", _("Payment method")),
]
# The longest period one page asks for: a report over more is an export job.
MAX_DAYS = 400


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PeriodForm(forms.Form):
    """From and to (inclusive business days), as the reports API takes them."""

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(
                    _("A period of at most %(days)s days; export a longer one.") % {"days": MAX_DAYS}
                )
        return data


class SalesReportForm(PeriodForm):
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES, initial="day")


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt number"), max_length=64)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
