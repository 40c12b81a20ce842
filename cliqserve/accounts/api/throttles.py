from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginThrottle(SimpleRateThrottle):
    """Login attempts per client address."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Login attempts per account, from any address: spreading a guess over many IPs won't help."""

    scope = "login_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (THROTTLE_RATE_API_KEY), whatever address they come from; people
    are throttled by DRF's user and anonymous rates."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not getattr(request.user, "is_api_key", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
