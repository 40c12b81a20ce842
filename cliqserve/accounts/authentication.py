"""Authentication: JWT (reloading the user on every request) and API keys."""

from __future__ import annotations

import hmac
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from cliqserve.core.i18n import activate_for
from cliqserve.core.tenancy import tenant_scope

from .models import ApiKey, User, secret_digest
from .selectors import api_key_for_prefix

# How stale an API key's `last_used_at` may be.
LAST_USED_RESOLUTION_SECONDS = 60


def _failed(detail: Any, code: str) -> AuthenticationFailed:
    return AuthenticationFailed(detail, code=code)


class JWTAuthentication(SimpleJWTAuthentication):
    """Access tokens stop working at once — not at expiry — when their user is deactivated,
    their tenant is deactivated, or their password changes. One query: user, tenant, branch.

    The caller is known from here on, so its language is chosen here (cliqserve.core.i18n)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            activate_for(request._request, result[0])
        return result

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


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the request acts as the key (request.user and
    request.auth are the ApiKey), confined to its tenant and, by RolePolicy, to its scopes.

    One indexed query per request (the key with its tenant); `last_used_at` is written at most
    once a minute per key, so a busy integration does not turn every read into a write.
    """

    keyword = b"api-key"

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:  # the keyword and the key
            raise _failed(_("Send the key as: Authorization: Api-Key <key>."), "authentication_failed")
        api_key = _verified(header[1].decode("latin-1"))
        if api_key is None:
            raise _failed(_("The API key is invalid, expired or revoked."), "authentication_failed")
        _touch(api_key)
        activate_for(request._request, api_key)  # the header, then the tenant's default
        return api_key, api_key

    def authenticate_header(self, request: Request) -> str:
        return "Api-Key"


def _verified(key: str) -> ApiKey | None:
    """The active key of an active tenant that `key` is, else None (one answer for every cause)."""
    parts = key.split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != ApiKey.KEY_START:  # cqk_<prefix>_<secret>
        return None
    api_key = api_key_for_prefix(parts[1])
    if api_key is None or not hmac.compare_digest(api_key.key_hash, secret_digest(key)):
        return None
    if not api_key.is_active or not api_key.tenant.is_active:
        return None
    return api_key


def _touch(api_key: ApiKey) -> None:
    if cache.add(f"api-key-used:{api_key.pk}", 1, timeout=LAST_USED_RESOLUTION_SECONDS):
        now = timezone.now()
        with tenant_scope(api_key.tenant_id):
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
