"""The back office's forms: every field labelled and translated, checked by Django forms."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

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
# The days a report may name, as the sales report API: every day's time-zone bounds exist.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


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
    code = forms.CharField(
        label=_("Authenticator code"),
        help_text=_("If you sign in with two-factor authentication."),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _code_field(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class TotpConfirmForm(forms.Form):
    code = _code_field(_("The code your authenticator app shows"))


class TotpRemoveForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = _code_field(_("Authenticator code (or a recovery code)"))


class PeriodForm(forms.Form):
    """From and to (inclusive business days), as the reports API takes them."""

    # The longest period, as the exceptions API (its limit); the sales report allows more.
    max_days = 366

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        for day in (start, end):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise forms.ValidationError(
                    _("Dates from %(first)s to %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}
                )
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days >= self.max_days:
                raise forms.ValidationError(
                    _("A period of at most %(days)s days; export a longer one.") % {"days": self.max_days}
                )
        return data


class SalesReportForm(PeriodForm):
    max_days = 3660  # as GET /api/v1/reports/sales/
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES, initial="day")


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt number"), max_length=64)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class StockForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=uuid.UUID, empty_value=None)
    low = forms.BooleanField(label=_("Low stock only"), required=False)
    unsold_days = forms.IntegerField(
        label=_("Not sold for (days)"), required=False, min_value=1, max_value=3650
    )

    def __init__(self, *args: Any, categories: list[tuple[uuid.UUID, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.TypedChoiceField", self.fields["category"])
        field.choices = [("", _("All categories")), *((str(pk), name) for pk, name in categories)]
