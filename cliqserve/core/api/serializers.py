"""Serializers that describe the error format in the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers


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
