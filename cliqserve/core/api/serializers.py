"""Base serializers, and the serializers that describe the error format in the schema."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInputMixin:
    """Rejects input keys the serializer does not accept, instead of silently dropping them.

    A client that sends `role` to a field-limited endpoint, or misspells `quantity`, learns of
    it at once; with DRF's default it would believe the write happened.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            errors: dict[str, list[str]] = {}
            for key in data:
                field = fields.get(key)
                if field is None:
                    errors[key] = [str(_("Unknown field."))]
                elif field.read_only:
                    errors[key] = [str(_("This field is read-only."))]
            if errors:
                raise serializers.ValidationError(errors, code="unknown_field")
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """A plain serializer that rejects unknown and read-only input fields."""


class StrictModelSerializer(StrictInputMixin, serializers.ModelSerializer[Any]):
    """A model serializer that rejects unknown and read-only input fields."""


class ErrorSourceSerializer(serializers.Serializer[dict[str, str]]):
    pointer = serializers.CharField(help_text="JSON pointer to the offending field of the request.")


class ErrorObjectSerializer(serializers.Serializer[dict[str, object]]):
    status = serializers.CharField(help_text="The HTTP status, as a string.")
    code = serializers.CharField(help_text="A stable, machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation, translated.")
    # DRF pops declared fields off the class, so these names shadow nothing at run time.
    source = ErrorSourceSerializer(required=False)  # type: ignore[assignment]
    meta = serializers.DictField(required=False)


class ErrorSerializer(serializers.Serializer[dict[str, object]]):
    errors = ErrorObjectSerializer(many=True)  # type: ignore[assignment]
    request_id = serializers.CharField(allow_null=True)
