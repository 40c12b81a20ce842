"""Exactly-once POSTs: the `Idempotency-Key` header (API contract, ARCHITECTURE §5).

A view wraps its write in `idempotent(request, handler)`. The key row is INSERTed in the same
transaction as the write, and the unique constraint (tenant, actor, scope, key) does the rest:

- First request: the INSERT succeeds, the handler runs, its status and body are stored on the
  row (status completed) and everything commits together.
- Retry after that commit: the INSERT hits the constraint; the stored row is read. The same body
  answers the stored status and body again with `Idempotent-Replayed: true`; another body is
  `422 idempotency_key_reused`. Nothing is written.
- Duplicate while the first is still running: its INSERT waits on the unique index for the first
  transaction. It then gets the replay (the first committed) or runs itself (the first rolled
  back). It waits at most `LOCK_WAIT` on PostgreSQL, then answers `409 idempotency_key_in_use`.

Only successes are stored. A handler that fails (a DomainError or validation error, hence a 4xx)
rolls the transaction back, the key row with it: the client may fix the state (receive stock,
open a shift) and retry with the same key. A committed row is therefore always `completed`;
`in_progress` is only ever seen by the transaction that wrote it.

Keys are kept `IDEMPOTENCY_KEY_RETENTION_DAYS` (at least the contract's 7 days) and then purged
by the `purge_idempotency_keys` beat task.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .errors import IdempotencyKeyInUse, IdempotencyKeyRequired, IdempotencyKeyReused, NotPermitted
from .models import IdempotencyKey
from .sql import insert_unless_taken

if TYPE_CHECKING:
    from cliqserve.accounts.models import User

logger = logging.getLogger("cliqserve.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# 1 to 255 printable ASCII characters (0x20-0x7e), and not blank: an opaque client token.
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# How long a duplicate waits for the first request's transaction before answering 409.
LOCK_WAIT = "3s"
PURGE_CHUNK = 1000


def idempotent(
    request: Request, handler: Callable[[], Response], *, scope: str | None = None
) -> HttpResponse:
    """Run `handler` (validation + service + response) exactly once per key; see the module doc.

    Call it inside the view, after authentication and the role policy: a refused caller gets
    403 whether or not it sent a key.
    """
    key = _key_of(request)
    # The role policy has let in only tenant staff: keys belong to a tenant and a caller.
    actor = cast("User", request.user)
    if actor.tenant_id is None:
        raise NotPermitted()
    scope = scope or _scope_of(request)
    actor_id: Any = actor.pk
    if getattr(actor, "is_api_key", False):
        # An integration's key (accounts.ApiKey) keeps its idempotency keys under the person who
        # made it, in a scope of its own: two keys never share one, and the table needs no
        # second kind of caller.
        actor_id, scope = getattr(actor, "created_by_id", None), f"{scope} api-key:{actor.pk}"
    record = IdempotencyKey(
        tenant_id=actor.tenant_id,
        actor_id=actor_id,
        scope=scope,
        key=key,
        request_hash=_hash_of(request.data),
    )
    with transaction.atomic():
        stored = _claim(record)
        if stored is not None:
            return _replay(stored, record.request_hash)
        response = handler()
        if not status_is_success(response.status_code):
            # A failure returned rather than raised: never stored, the key stays free.
            transaction.set_rollback(True)
            return response
        record.status = IdempotencyKey.Status.COMPLETED
        record.response_status = response.status_code
        record.response_body = _rendered(response)
        record.save(update_fields=["status", "response_status", "response_body", "updated_at"])
    return _as_stored(response, record.response_body)


def idempotent_when_keyed(request: Request, handler: Callable[[], Response]) -> HttpResponse:
    """For writes where the key is optional: exactly once per key when the client sends one
    (`idempotent`), a plain run when it does not."""
    if HEADER in request.headers:
        return idempotent(request, handler)
    return handler()


def status_is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def _key_of(request: Request) -> str:
    key = request.headers.get(HEADER, "")
    if not _VALID_KEY.fullmatch(key) or not key.strip():
        raise IdempotencyKeyRequired()
    return key


def _scope_of(request: Request) -> str:
    """Method, route name and path arguments: the same key on two endpoints (or two sales'
    refunds) never collides."""
    match = request.resolver_match
    args = ",".join(f"{name}={value}" for name, value in sorted(match.kwargs.items())) if match else ""
    route = match.view_name if match else request.path
    return f"{request.method} {route} {args}".strip()[:255]


def _hash_of(data: Any) -> str:
    canonical = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rendered(response: Response) -> str:
    """The body exactly as the client receives it (the API renders JSON only)."""
    body: bytes = JSONRenderer().render(response.data)
    return body.decode()


def _as_stored(response: Response, body: str) -> HttpResponse:
    """The first answer as the body stored for replays: rendered once, and a replay sends the
    very bytes the first client received. The handler's own headers (Location, say) are kept."""
    answer = HttpResponse(body, status=response.status_code, content_type="application/json")
    for name, value in response.items():
        if name.lower() != "content-type":
            answer[name] = value
    return answer


def _claim(record: IdempotencyKey) -> IdempotencyKey | None:
    """INSERT the key row; None if it is ours, else the committed row that holds the key.

    `INSERT ... ON CONFLICT DO NOTHING` waits, like any insert, for a concurrent transaction
    holding the same key, then inserts (that one rolled back) or does nothing (it committed); no
    savepoint is needed, as no IntegrityError can abort the transaction. No SELECT ... FOR UPDATE
    is needed on the existing row either: a committed row is always completed and never changes
    again, and an uncommitted one is invisible. The one wait that matters is the INSERT's.
    """
    try:
        inserted = insert_unless_taken(record, lock_wait=LOCK_WAIT)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available: still running
            raise IdempotencyKeyInUse() from exc
        raise
    if inserted:
        return None
    stored = IdempotencyKey.objects.filter(
        tenant_id=record.tenant_id, actor_id=record.actor_id, scope=record.scope, key=record.key
    ).first()
    if stored is None:  # purged between the two statements: rare, and a retry will do
        raise IdempotencyKeyInUse()
    return stored


def _replay(stored: IdempotencyKey, request_hash: str) -> HttpResponse:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if stored.status != IdempotencyKey.Status.COMPLETED or stored.response_status is None:
        raise IdempotencyKeyInUse()  # cannot happen (see the module doc), but never replay nothing
    logger.info("idempotent replay", extra={"idempotency_key_id": str(stored.pk), "scope": stored.scope})
    return HttpResponse(
        stored.response_body,
        status=stored.response_status,
        content_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )


def purge_expired_keys(*, now: Any = None) -> int:
    """Delete keys older than the retention, in chunks so no statement holds many row locks."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    # unscoped(): an operator-wide cleanup by age alone; it reads no tenant's data and deletes
    # only rows past the retention the contract promises to every tenant alike.
    expired = IdempotencyKey.objects.unscoped().filter(created_at__lt=cutoff)
    deleted = 0
    while ids := list(expired.values_list("pk", flat=True)[:PURGE_CHUNK]):
        count, _ = IdempotencyKey.objects.unscoped().filter(pk__in=ids).delete()
        deleted += count
    logger.info("idempotency keys purged", extra={"deleted": deleted})
    return deleted
