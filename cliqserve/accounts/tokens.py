"""JWTs that name their signing key, so the key can rotate without signing anyone out.

Each token carries `kid` in its header: a short fingerprint of the key that signed it. It is
verified against that key if it is the current one (SIMPLE_JWT["SIGNING_KEY"]) or a previous
one (JWT_SIGNING_KEY_FALLBACKS); a kid naming neither is refused. SimpleJWT 5.5 has no setting
for the token backend (TOKEN_BACKEND_CLASS was removed), so the token classes choose it
themselves through their `token_backend` property, as SimpleJWT's own classes do.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import settings as jwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError


def key_id(key: str) -> str:
    """The first 8 hex digits of the key's SHA-256: enough to tell keys apart, useless to an
    attacker (the keys are long and random; prod refuses any other)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class KeyRingTokenBackend(TokenBackend):
    """Signs with the current key, naming it; verifies with the key the token names."""

    def __init__(self, *, signing_key: str, fallback_keys: Sequence[str]) -> None:
        options = jwt_settings.api_settings
        super().__init__(
            options.ALGORITHM,
            signing_key,
            audience=options.AUDIENCE,
            issuer=options.ISSUER,
            leeway=options.LEEWAY,
            json_encoder=options.JSON_ENCODER,
        )
        self.kid = key_id(signing_key)
        # The current key last, so it wins should a previous key share its fingerprint.
        self.verifying_keys = {key_id(key): self._prepare_key(key) for key in (*fallback_keys, signing_key)}

    def encode(self, payload: dict[str, Any]) -> str:
        # SimpleJWT's encode takes no header fields; this is it plus the kid.
        claims = dict(payload)
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return jwt.encode(
            claims,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": self.kid},
            json_encoder=self.json_encoder,
        )

    def get_verifying_key(self, token: Any) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:
            raise TokenBackendError(_("Token is invalid")) from exc
        if kid is None:
            # Issued before tokens named their key: only the current key can have signed it.
            return self.prepared_signing_key
        if kid not in self.verifying_keys:
            raise TokenBackendError(_("Token is invalid"))
        return self.verifying_keys[kid]


def signing_backend() -> KeyRingTokenBackend:
    """The key ring of the current settings: read on each use, so it always holds the current
    keys, and built once per set of keys (every authenticated request asks for it)."""
    return _key_ring(jwt_settings.api_settings.SIGNING_KEY, tuple(settings.JWT_SIGNING_KEY_FALLBACKS))


@functools.lru_cache(maxsize=8)
def _key_ring(signing_key: str, fallback_keys: tuple[str, ...]) -> KeyRingTokenBackend:
    return KeyRingTokenBackend(signing_key=signing_key, fallback_keys=fallback_keys)


class AccessToken(tokens.AccessToken):
    @property
    def token_backend(self) -> TokenBackend:
        return signing_backend()


class RefreshToken(tokens.RefreshToken):
    access_token_class = AccessToken

    @property
    def token_backend(self) -> TokenBackend:
        return signing_backend()
