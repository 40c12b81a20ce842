"""Teaches drf-spectacular our two authentication schemes: SimpleJWT's bearer tokens, and API
keys (`Authorization: Api-Key <key>`)."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTScheme(SimpleJWTScheme):
    target_class = "cliqserve.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "cliqserve.accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: an integration's key (/api/v1/api-keys/). It reaches only "
            "the operations its scopes open; any other answers 403.",
        }


class EnrolmentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cliqserve.accounts.api.mfa_views.EnrolmentTokenAuthentication"
    name = "mfaEnrolmentAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The `mfa_token` of a login that answered `enrolment_required`: accepted by "
            "the two enrolment operations only.",
        }
