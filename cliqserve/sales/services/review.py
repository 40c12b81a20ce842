"""A manager's review of a sale flagged for it (offline sales: README "Offline sales sync").

Reviewing clears `needs_review`, so the sale leaves the review queue (GET /sales/?needs_review=
true), and records who reviewed it, when and why on the sale; `review_reasons` stay, so what was
flagged is never lost. Until the audit trail exists, the review is also logged as the security
event `sale_reviewed` (after the commit: a rolled-back review logs nothing).

The sale row is locked first (locks.lock_sale), so two reviews of one sale racing give one
review and one Conflict (409), never two notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cliqserve.core import audit
from cliqserve.core.errors import Conflict, InvalidInput, NotPermitted
from cliqserve.core.roles import manages_branch
from cliqserve.core.security import security_event

from .. import locks

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

    from ..models import Sale

MAX_NOTE_LENGTH = 500


def sale_review(*, tenant: Tenant, actor: User, sale: Sale, note: str) -> Sale:
    """Mark a flagged sale reviewed. The tenant admin reviews any sale, a branch manager those
    of its branch (NotPermitted otherwise). Raises InvalidInput for a blank or too long note and
    Conflict when the sale does not (or no longer) need review."""
    note = note.strip()
    if not note:
        raise InvalidInput(_("Say what you checked."), pointer="/note")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(_("At most %(count)d characters.") % {"count": MAX_NOTE_LENGTH}, pointer="/note")
    with transaction.atomic():
        sale = locks.lock_sale(tenant=tenant, sale_id=sale.pk)
        if not manages_branch(actor, sale.branch_id):
            raise NotPermitted(_("Only the tenant admin or the branch's manager may review a sale."))
        if not sale.needs_review:
            raise Conflict(_("This sale does not need a review (it may have been reviewed already)."))
        sale.needs_review = False
        sale.reviewed_at, sale.reviewed_by, sale.review_note = timezone.now(), actor, note
        sale.save(update_fields=["needs_review", "reviewed_at", "reviewed_by", "review_note", "updated_at"])
        audit.record(
            action="sale_reviewed",
            tenant_id=tenant.pk,
            actor=actor,
            target=sale,
            object_repr=sale.receipt_number,
            changes={"needs_review": [True, False], "review_note": ["", note]},
        )
        reasons = ",".join(sale.review_reasons)
        transaction.on_commit(
            lambda: security_event(
                "sale_reviewed",
                actor_id=actor.pk,
                actor_role=actor.role,
                tenant_id=tenant.pk,
                sale_id=sale.pk,
                branch_id=sale.branch_id,
                review_reasons=reasons,
            )
        )
    return sale
