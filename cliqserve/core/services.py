"""Helpers that every domain service shares."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .errors import InvalidInput


@contextmanager
def unique_field(field: str, *, detail: str | None = None) -> Iterator[None]:
    """Turn a unique-constraint violation inside the block into a 400 on `field`.

    The constraint decides, not a prior SELECT, so two concurrent creates cannot both win;
    the savepoint keeps the surrounding transaction usable.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise InvalidInput(
            detail or _("This %(field)s is already in use.") % {"field": field}, pointer=f"/{field}"
        ) from exc


def validate_model(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's field validators; map Django's errors to the contract's, by field."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        pointer = None if field == "__all__" else f"/{field}"
        raise InvalidInput(" ".join(messages), pointer=pointer) from exc


def refuse_unknown_fields(
    fields: Collection[str], *, allowed: Collection[str], pointer: str | None = None
) -> None:
    """A service's last guard: it writes only the fields it names (serializers check first)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput(
            _("Not writable: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, pointer=pointer
        )


def assign_fields(instance: models.Model, fields: Mapping[str, Any], *, allowed: Collection[str]) -> None:
    """Set `fields` on `instance`, refusing any not in `allowed`."""
    refuse_unknown_fields(fields, allowed=allowed)
    for name, value in fields.items():
        setattr(instance, name, value)
