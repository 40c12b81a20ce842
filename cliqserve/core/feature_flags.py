"""Feature flags on django-flags (docs/FLAGS.md, docs/adr/0013-feature-flags.md).

Flags are declared in `settings.FLAGS` (names `module.feature.action`); their conditions are
django-flags' FlagState rows, which the platform owner edits in the admin. A flag is on when
every *required* condition holds and, if it has any others, at least one of them does.

Conditions, beside django-flags' own `boolean`, `user` (an email), `after date` and
`before date`: `tenant` (a slug or id), `role`, `percentage of tenants` and `percentage of
users` (a stable share: the same tenant or user is in or out on every request and process).

Evaluation is cheap: the rows come from the cache (one read per request, kept on the request by
django-flags), and every change to a row through the ORM clears it. Code asks through
`flag_on(name, request=...)` and the API through `flags_for(request=...)`, never through
`flags.state` directly: the conditions here need the caller that these two work out.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import dateparse
from django.utils.translation import gettext as _
from flags.conditions import RequiredForCondition, register
from flags.models import FlagState
from flags.sources import DatabaseCondition, get_flags

from .roles import Role

logger = logging.getLogger("cliqserve.core.feature_flags")

CACHE_KEY = "feature-flags:conditions:v1"
# What the admin offers and what is evaluated; a row naming anything else (django-flags'
# `parameter` or `path matches`, which any client could satisfy, or a typo) is ignored.
SUPPORTED_CONDITIONS = (
    "boolean",
    "user",
    "tenant",
    "role",
    "percentage of tenants",
    "percentage of users",
    "after date",
    "before date",
)
FLAG_NAME_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"


# --- Who is asking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagCaller:
    """What conditions may know of the caller. Passed to them as `request`: django-flags' `user`
    condition reads `request.user`, which for an API key (nobody) is the anonymous user."""

    user: Any
    user_id: str | None
    tenant_id: str | None
    tenant_slug: str | None
    role: str | None


def caller_of(user: Any) -> FlagCaller:
    """The caller behind `request.user`: a person, an API key (its tenant only) or nobody."""
    if user is None or not user.is_authenticated:
        return FlagCaller(AnonymousUser(), None, None, None, None)
    tenant_id = getattr(user, "tenant_id", None)
    # The tenant is loaded with the user by both authentications (one query): no extra query.
    tenant = getattr(user, "tenant", None) if tenant_id else None
    slug = getattr(tenant, "slug", None)
    if getattr(user, "is_api_key", False):
        # A key is no person: no user, no role (its class-level role is for RolePolicy only).
        return FlagCaller(AnonymousUser(), None, str(tenant_id), slug, None)
    return FlagCaller(user, str(user.pk), str(tenant_id) if tenant_id else None, slug, user.role)


def _caller(kwargs: dict[str, Any], condition: str) -> FlagCaller:
    caller = kwargs.get("request")
    if not isinstance(caller, FlagCaller):
        raise RequiredForCondition(f"condition {condition!r} needs the caller: use feature_flags.flag_on")
    return caller


# --- Conditions ------------------------------------------------------------------------------


def validate_tenant(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("Enter a tenant's slug or id."))


def validate_role(value: str) -> None:
    if value not in Role.values:
        raise ValidationError(_("Enter one of: %(roles)s.") % {"roles": ", ".join(Role.values)})


def validate_percentage(value: str) -> None:
    if not value.strip().isdigit() or not 0 <= int(value) <= 100:
        raise ValidationError(_("Enter a whole number from 0 to 100."))


def validate_instant(value: str) -> None:
    """django-flags compares dates with an aware `now`: a date without an offset never matches."""
    parsed = dateparse.parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError(
            _("Enter an ISO 8601 date and time with its offset, e.g. 2026-03-01T00:00:00Z.")
        )


def tenant_condition(value: str, **kwargs: Any) -> bool:
    caller = _caller(kwargs, "tenant")
    wanted = value.strip()
    return caller.tenant_id is not None and wanted in (caller.tenant_id, caller.tenant_slug)


def role_condition(value: str, **kwargs: Any) -> bool:
    return _caller(kwargs, "role").role == value.strip()


def in_percentage(*, flag_name: str, subject_id: str, percentage: int) -> bool:
    """Whether `subject_id` is among the first `percentage` of 100 buckets for this flag.

    sha256, not hash(): the same answer in every process and after every restart, so a
    rollout does not flicker. The flag's name is in the hash so that the 10 % of one flag are
    not the same tenants as the 10 % of every other.
    """
    digest = hashlib.sha256(f"{flag_name}:{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percentage


def _percentage(value: str, subject_id: str | None, kwargs: dict[str, Any]) -> bool:
    flag_name = kwargs.get("flag_name")
    if not flag_name:
        raise RequiredForCondition("a percentage needs the flag's name: use feature_flags.flag_on")
    if subject_id is None:
        return False
    return in_percentage(flag_name=flag_name, subject_id=subject_id, percentage=int(value))


def tenant_percentage_condition(value: str, **kwargs: Any) -> bool:
    return _percentage(value, _caller(kwargs, "percentage of tenants").tenant_id, kwargs)


def user_percentage_condition(value: str, **kwargs: Any) -> bool:
    return _percentage(value, _caller(kwargs, "percentage of users").user_id, kwargs)


# Registered with django-flags (its decorator is untyped, so called plainly).
register("tenant", fn=tenant_condition, validator=validate_tenant)
register("role", fn=role_condition, validator=validate_role)
register("percentage of tenants", fn=tenant_percentage_condition, validator=validate_percentage)
register("percentage of users", fn=user_percentage_condition, validator=validate_percentage)


# --- The rows, cached ------------------------------------------------------------------------


class CachedDatabaseFlagsSource:
    """django-flags' DatabaseFlagsSource read through the cache (settings.FLAG_SOURCES)."""

    def get_flags(self) -> dict[str, list[DatabaseCondition]]:
        rows = cache.get(CACHE_KEY)
        if rows is None:
            rows = list(
                FlagState.objects.order_by("pk").values_list("pk", "name", "condition", "value", "required")
            )
            cache.set(CACHE_KEY, rows, timeout=settings.FLAGS_CACHE_SECONDS)
        return _conditions_by_flag(rows)


Row = tuple[int, str, str, str, bool]  # pk, name, condition, value, required


def _conditions_by_flag(rows: Iterable[Row]) -> dict[str, list[DatabaseCondition]]:
    flags: dict[str, list[DatabaseCondition]] = {}
    for pk, name, condition, value, required in rows:
        if condition not in SUPPORTED_CONDITIONS:
            logger.warning("flag condition ignored", extra={"flag": name, "condition": condition})
            continue
        # The row itself (unsaved copy, its pk kept) so that django-flags' enable_flag() and
        # disable_flag() can still update it.
        row = FlagState(pk=pk, name=name, condition=condition, value=value, required=required)
        flags.setdefault(name, []).append(DatabaseCondition(condition, value, required=required, obj=row))
    return flags


@receiver([post_save, post_delete], sender=FlagState, dispatch_uid="feature-flags-invalidate")
def _forget_cached_conditions(**kwargs: Any) -> None:
    # After the commit: cleared before it, a request could cache the old rows again meanwhile.
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


# --- Asking ----------------------------------------------------------------------------------


def declared_flags() -> list[str]:
    return sorted(settings.FLAGS)


def flags_for(*, request: Any) -> dict[str, bool]:
    """Every declared flag's state for the caller of `request` (an HttpRequest or DRF Request)."""
    return {name: flag_on(name, request=request) for name in declared_flags()}


def flag_on(name: str, *, request: Any) -> bool:
    """Whether flag `name` is on for the caller of `request`. An undeclared name is a bug."""
    if name not in settings.FLAGS:
        raise ImproperlyConfigured(f"Feature flag {name!r} is not declared in settings.FLAGS.")
    # django-flags keeps the conditions on the request: one cache read however many flags.
    flag = get_flags(request=request).get(name)
    if flag is None:
        return False
    caller = getattr(request, "_flag_caller", None)
    if caller is None:
        caller = caller_of(getattr(request, "user", None))
        request._flag_caller = caller
    return bool(flag.check_state(request=caller, flag_name=name))
