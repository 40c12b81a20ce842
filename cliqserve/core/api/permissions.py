from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

OBJECT_WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})


def reads(scope: str) -> dict[str, str]:
    """`key_scopes` of a list-and-retrieve view."""
    return {"list": scope, "retrieve": scope}


def reads_and_writes(*, read: str, write: str) -> dict[str, str]:
    """`key_scopes` of a CRUD view."""
    return {**reads(read), **dict.fromkeys(("create", "update", "partial_update", "destroy"), write)}


class RolePolicy(BasePermission):
    """Lets a request through when the caller's role is listed for the view's action.

    Anonymous callers are refused (DRF turns that into 401); unknown actions are refused.
    A role that may read an object but not change it is refused only after the object is
    found: for an id outside its scope it gets 404, as for a read, so a refusal never confirms
    that another tenant's id exists.

    An API key (accounts.ApiKey) is never let in by a role: only where the view's `key_scopes`
    names, for the action, a scope the key holds. A view without `key_scopes` is closed to keys,
    so a key never sells, refunds, or manages users or keys unless a view says so.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        method = (request.method or "").lower()
        if not hasattr(view, method):
            return True  # no handler for this method: let the view answer 405, not 403
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        action = getattr(view, "action", None) or method
        if getattr(user, "is_api_key", False):
            return _key_may(user, view, action)
        policy = getattr(view, "policy", {})
        if user.role in policy.get(action, ()):
            return True
        if action in OBJECT_WRITE_ACTIONS and user.role in policy.get("retrieve", ()):
            view.refuse_after_lookup = True
            return True
        return False

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return not getattr(view, "refuse_after_lookup", False)


def _key_may(key: Any, view: Any, action: str) -> bool:
    scopes = getattr(view, "key_scopes", {})
    if scopes.get(action) in key.scopes:
        return True
    if action in OBJECT_WRITE_ACTIONS and scopes.get("retrieve") in key.scopes:
        view.refuse_after_lookup = True  # 404 for another tenant's id, 403 for its own
        return True
    return False


class PersonOnly(BasePermission):
    """The default for views that declare no policy (e.g. /auth/me/): a signed-in person, never
    an API key (a key has no "me", and such a view was not written for one)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not getattr(user, "is_api_key", False))
