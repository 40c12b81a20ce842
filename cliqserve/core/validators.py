"""Validators for values that standards define: currencies, time zones, languages."""

from __future__ import annotations

import datetime
import zoneinfo
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def active_currencies() -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere today, from CLDR (via Babel)."""
    today = datetime.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, start_date=today, tender=True)
    )


@cache  # CLDR data, fixed for the process; every money amount is quantized through this
def currency_decimal_places(currency: str) -> int:
    """The currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD. Money is quantized to it."""
    return int(get_currency_precision(currency))


def validate_currency(value: str) -> None:
    if value not in active_currencies():
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency in use."), params={"value": value}, code="invalid"
        )


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone."), params={"value": value}, code="invalid"
        )


def validate_language(value: str) -> None:
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("%(value)s is not a supported language."), params={"value": value}, code="invalid"
        )
