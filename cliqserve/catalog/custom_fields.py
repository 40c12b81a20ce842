"""Custom product fields: the definitions a tenant keeps, and product values checked against them.

A product's `custom_fields` is a JSON object keyed by definition `key`. Values are stored in a
form that survives a JSON round trip unchanged: numbers as decimal strings (never floats),
dates as ISO strings. Only *active* definitions accept values; a deactivated definition keeps
the values already stored, but no write may set it again.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.services import assign_fields, unique_field, validate_model

from .models import CustomFieldDefinition

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

FieldType = CustomFieldDefinition.FieldType

TEXT_MAX_LENGTH = 1000
# Numbers are stored as strings; bound them so a value stays a number a person would enter.
NUMBER_MAX_INTEGER_DIGITS = 20
NUMBER_MAX_DECIMAL_PLACES = 10
CHOICE_MAX_LENGTH = 100
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")

DEFINITION_FIELDS = frozenset({"key", "label", "field_type", "required", "choices", "is_active"})
# Stored values were checked against the key and type they were written under.
FIXED_AFTER_CREATE = ("key", "field_type")


class CustomFieldsInvalid(InvalidInput):
    """One or more custom field values are wrong; `errors` holds one message per key."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        key, message = next(iter(self.errors.items()))
        super().__init__(message, pointer=f"/custom_fields/{key}", meta={"errors": self.errors})


# --- Definitions ----------------------------------------------------------------------------


def custom_field_definitions(*, tenant: Tenant, active_only: bool = False) -> QuerySet[CustomFieldDefinition]:
    definitions = CustomFieldDefinition.objects.filter(tenant=tenant)
    return definitions.filter(is_active=True) if active_only else definitions


def _check_choices(definition: CustomFieldDefinition) -> None:
    choices = definition.choices
    if definition.field_type != FieldType.CHOICE:
        if choices:
            raise InvalidInput(_("Only choice fields have choices."), pointer="/choices")
        return
    if not isinstance(choices, list) or not choices:
        raise InvalidInput(_("A choice field needs a non-empty list of choices."), pointer="/choices")
    for index, choice in enumerate(choices):
        if not isinstance(choice, str) or not choice.strip() or len(choice) > CHOICE_MAX_LENGTH:
            raise InvalidInput(
                _("Each choice is a non-empty string of at most %(max)d characters.")
                % {"max": CHOICE_MAX_LENGTH},
                pointer=f"/choices/{index}",
            )
    if len(set(choices)) != len(choices):
        raise InvalidInput(_("Choices must be unique."), pointer="/choices")


def _save_definition(definition: CustomFieldDefinition) -> CustomFieldDefinition:
    validate_model(definition, exclude=["tenant"])
    _check_choices(definition)
    with unique_field("key", detail=_("A custom field with this key already exists.")):
        definition.save()
    return definition


@transaction.atomic
def custom_field_create(*, tenant: Tenant, actor: User, **fields: Any) -> CustomFieldDefinition:
    definition = CustomFieldDefinition(tenant=tenant)
    assign_fields(definition, fields, allowed=DEFINITION_FIELDS)
    return _save_definition(definition)


@transaction.atomic
def custom_field_update(
    *, tenant: Tenant, actor: User, definition: CustomFieldDefinition, **fields: Any
) -> CustomFieldDefinition:
    for name in FIXED_AFTER_CREATE:
        if name in fields and fields[name] != getattr(definition, name):
            raise InvalidInput(
                _("This cannot change once the field exists: products store values under it."),
                pointer=f"/{name}",
            )
    assign_fields(definition, fields, allowed=DEFINITION_FIELDS)
    return _save_definition(definition)


def custom_field_deactivate(
    *, tenant: Tenant, actor: User, definition: CustomFieldDefinition
) -> CustomFieldDefinition:
    """Deactivated, not deleted: products keep the values they have under this key."""
    return custom_field_update(tenant=tenant, actor=actor, definition=definition, is_active=False)


# --- Product values -------------------------------------------------------------------------


class _Invalid(ValueError):
    """A value that its field's type refuses; the message is for the person who sent it."""


def _text(value: Any, definition: CustomFieldDefinition) -> str:
    if not isinstance(value, str):
        raise _Invalid(_("Enter text."))
    if len(value) > TEXT_MAX_LENGTH:
        raise _Invalid(_("Enter at most %(max)d characters.") % {"max": TEXT_MAX_LENGTH})
    # PostgreSQL's jsonb refuses \u0000 and a lone surrogate (JSON may carry both); the
    # messages are Django's and DRF's for the same refusal in text fields.
    if "\x00" in value:
        raise _Invalid(_("Null characters are not allowed."))
    surrogate = _SURROGATE.search(value)
    if surrogate:
        raise _Invalid(
            _("Surrogate characters are not allowed: U+%(code_point)X.") % {"code_point": ord(surrogate[0])}
        )
    return value


def _number(value: Any, definition: CustomFieldDefinition) -> str:
    # bool is an int in Python, but true is not a number to the person who sent it.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid(_("Enter a number."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _Invalid(_("Enter a number.")) from exc
    if not number.is_finite():
        raise _Invalid(_("Enter a number."))
    digits, exponent = number.as_tuple().digits, int(number.as_tuple().exponent)  # finite: an int
    if len(digits) + exponent > NUMBER_MAX_INTEGER_DIGITS or -exponent > NUMBER_MAX_DECIMAL_PLACES:
        raise _Invalid(
            _("Enter a number with at most %(int)d digits before and %(dec)d after the decimal point.")
            % {"int": NUMBER_MAX_INTEGER_DIGITS, "dec": NUMBER_MAX_DECIMAL_PLACES}
        )
    return format(number, "f")


def _boolean(value: Any, definition: CustomFieldDefinition) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(_("Enter true or false."))
    return value


def _date(value: Any, definition: CustomFieldDefinition) -> str:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _Invalid(_("Enter a date as YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise _Invalid(_("Enter a real date as YYYY-MM-DD.")) from exc


def _choice(value: Any, definition: CustomFieldDefinition) -> str:
    if not isinstance(value, str) or value not in definition.choices:
        raise _Invalid(_("Choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)})
    return value


_CLEANERS: dict[str, Callable[[Any, CustomFieldDefinition], Any]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _date,
    FieldType.CHOICE: _choice,
}


def merge_custom_fields(
    *, definitions: Iterable[CustomFieldDefinition], values: Mapping[str, Any], existing: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """`values` merged into `existing` (a key set to null is removed), and one error per key.

    Keys already stored and not sent are kept as they are, even under a definition deactivated
    since; only what is sent is checked against its type, and required keys against the result.
    """
    by_key = {definition.key: definition for definition in definitions}
    merged = dict(existing)
    errors: dict[str, str] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None:
            errors[key] = _("Unknown custom field.")
        elif value is None:
            merged.pop(key, None)
        else:
            try:
                merged[key] = _CLEANERS[definition.field_type](value, definition)
            except _Invalid as exc:
                errors[key] = str(exc)
    for key, definition in by_key.items():
        if definition.required and merged.get(key) in (None, "") and key not in errors:
            errors[key] = _("This field is required.")
    return merged, errors


def custom_field_errors(
    *, tenant: Tenant, values: Mapping[str, Any], existing: Mapping[str, Any]
) -> dict[str, str]:
    """What is wrong with `values` for the tenant's active definitions, one message per key."""
    definitions = custom_field_definitions(tenant=tenant, active_only=True)
    return merge_custom_fields(definitions=definitions, values=values, existing=existing)[1]


def clean_custom_fields(
    *,
    tenant: Tenant,
    values: Mapping[str, Any],
    existing: Mapping[str, Any],
    definitions: Iterable[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """The product's custom fields after this write; raises CustomFieldsInvalid with every error.

    `definitions` are the tenant's active definitions when the caller has already read them
    (a bulk import reads them once per batch rather than once per row).
    """
    if not isinstance(values, Mapping):
        raise InvalidInput(_("Custom fields are a JSON object."), pointer="/custom_fields")
    if definitions is None:
        definitions = custom_field_definitions(tenant=tenant, active_only=True)
    merged, errors = merge_custom_fields(definitions=definitions, values=values, existing=existing)
    if errors:
        raise CustomFieldsInvalid(errors)
    return merged
