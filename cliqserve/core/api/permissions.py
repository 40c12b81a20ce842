from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

OBJECT_WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})


class RolePolicy(BasePermission):
    """Lets a request through when the caller's role is listed for the view's action.

    Anonymous callers are refused (DRF turns that into 401); unknown actions are refused.
    A role that may read an object but not change it is refused only after the object is
    found: for an id outside its scope it gets 404, as for a read, so a refusal never confirms
    that another tenant's id exists.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        method = (request.method or "").lower()
        if not hasattr(view, method):
            return True  # no handler for this method: let the view answer 405, not 403
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        action = getattr(view, "action", None) or method
        policy = getattr(view, "policy", {})
        if user.role in policy.get(action, ()):
            return True
        if action in OBJECT_WRITE_ACTIONS and user.role in policy.get("retrieve", ()):
            view.refuse_after_lookup = True
            return True
        return False

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return not getattr(view, "refuse_after_lookup", False)
