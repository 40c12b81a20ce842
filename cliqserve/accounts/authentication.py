"""JWT authentication that reloads the user on every request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from .models import User


def _failed(detail: Any, code: str) -> AuthenticationFailed:
    return AuthenticationFailed(detail, code=code)


class JWTAuthentication(SimpleJWTAuthentication):
    """Access tokens stop working at once — not at expiry — when their user is deactivated,
    their tenant is deactivated, or their password changes. One query: user, tenant, branch."""

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user = User.objects.select_related("tenant", "branch").get(
                pk=validated_token[api_settings.USER_ID_CLAIM]
            )
        except (KeyError, ValueError, User.DoesNotExist) as exc:
            raise _failed(_("Token is invalid."), "token_not_valid") from exc
        if not user.is_active:
            raise _failed(_("User is inactive."), "user_inactive")
        if user.tenant is not None and not user.tenant.is_active:
            raise _failed(_("This business account is deactivated."), "tenant_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise _failed(_("The password has changed since this token was issued."), "password_changed")
        return user
