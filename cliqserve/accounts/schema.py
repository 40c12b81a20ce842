"""Teaches drf-spectacular that our JWT authentication is SimpleJWT's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTScheme(SimpleJWTScheme):
    target_class = "cliqserve.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
