"""Who may read which branch's reports.

Tenant admins read every branch of their tenant; a branch manager reads its own branch only,
and asking for any other id is refused the same way whether or not that id exists, so the
refusal leaks nothing. Cashiers and the platform owner never reach a report (the views'
role policies keep them out).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

from cliqserve.core.errors import NotPermitted
from cliqserve.core.roles import Role, Staff

REPORT_ROLES = frozenset({Role.TENANT_ADMIN, Role.BRANCH_MANAGER})


def report_branch_ids(*, actor: Staff, branch_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """The branches a report covers: None means every branch of the tenant.

    `branch_id` is what the caller asked for (already checked to be one of the tenant's
    branches by the API layer). Raises NotPermitted for a manager asking for another branch.
    """
    if actor.role == Role.TENANT_ADMIN:
        return None if branch_id is None else [branch_id]
    if actor.role == Role.BRANCH_MANAGER and actor.branch_id is not None:
        if branch_id not in (None, actor.branch_id):
            raise NotPermitted(_("A branch manager sees the reports of its own branch only."))
        return [actor.branch_id]
    raise NotPermitted(_("Only tenant admins and branch managers read reports."))
