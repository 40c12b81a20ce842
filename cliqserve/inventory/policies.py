"""Who may see and change which stock: the inventory's scope rules, in one place.

The route policies (api/views.py) say which roles get in at all; these functions say which
branches a role reaches once inside. Reads are confined by the selectors (a row outside the
caller's view is 404); writes into a branch the caller does not manage are refused here (403).

- tenant_admin: every branch of its tenant.
- branch_manager: receipts, adjustments and reorder levels in its own branch; transfers out
  of its branch (create, edit, send, cancel) and receiving transfers into it.
- cashier: reads the stock levels and movements of its own branch.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from cliqserve.core.errors import NotPermitted
from cliqserve.core.roles import manages_branch

if TYPE_CHECKING:
    from cliqserve.accounts.models import User


def require_branch_manager(actor: User, branch_id: uuid.UUID) -> None:
    """Refuse a stock write into a branch the actor does not manage."""
    if not manages_branch(actor, branch_id):
        raise NotPermitted(_("You manage the stock of your own branch only."))
