"""The SQL that core writes by hand, in one place (the raw-SQL rule in .semgrep/ allows it only
in modules named `sql.py` or `locks.py`).

Table and column names come from the models; every value is a bound parameter. Each statement
is here unchanged from where it was first written (idempotency, health): the idempotency claim
is on the checkout's hot path, and bench/README.md measures it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import Model
from django.dispatch import receiver
from django.utils import timezone

from .models import AuditEvent

_LOCK_TIMEOUT_ATTRIBUTE = "cliqserve_session_lock_timeout"


def select_one(database: BaseDatabaseWrapper) -> None:
    """The cheapest round trip that proves the database answers (the readiness probe)."""
    with database.cursor() as cursor:
        cursor.execute("SELECT 1")


def insert_unless_taken(record: Model, *, lock_wait: str) -> bool:
    """INSERT the row, ON CONFLICT DO NOTHING, in one statement; True if the row went in.

    On PostgreSQL the statement bounds its own wait for a running duplicate to `lock_wait`.
    """
    fields = record._meta.concrete_fields
    values = [field.get_db_prep_save(field.pre_save(record, add=True), connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    source, params, returning = f"VALUES ({placeholders})", values, ""
    if connection.vendor == "postgresql":
        # set_config() runs as the row is produced, i.e. before the INSERT can wait on the unique
        # index: the wait for a running duplicate is bounded without another round trip. Once
        # the row is in, RETURNING puts back the session's own timeout (read once per
        # connection), so the business write's own row locks wait as usual — again in the same
        # statement. A key found taken keeps the short timeout: that request only reads on.
        # Only "%s" placeholders are formatted in; every value is a bound parameter.
        wait = "(SELECT set_config('lock_timeout', %s, true)) AS wait"
        source = f"SELECT {placeholders} FROM {wait}"  # noqa: S608  # nosec B608 - placeholders only
        params = [*values, lock_wait]
        returning = " RETURNING set_config('lock_timeout', %s, true)"
        params.append(_session_lock_timeout())
    table = quote(record._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) {source} ON CONFLICT DO NOTHING{returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted: bool = cursor.rowcount == 1
    record._state.adding = False
    record._state.db = connection.alias
    return inserted


@receiver(connection_created)
def _remember_session_lock_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Read the session's lock_timeout — what RESET would restore — once, as each PostgreSQL
    connection opens (a role or database setting may differ between connections).
    pg_settings lists every setting to find it, about a millisecond of server CPU: asked in
    every claim, it would cost more than the round trip it saves. Read here rather than on
    first use, so no request's statements include it."""
    if connection.vendor == "postgresql":
        setattr(connection, _LOCK_TIMEOUT_ATTRIBUTE, _read_session_lock_timeout(connection))


def _session_lock_timeout() -> str:
    value: str | None = getattr(connection, _LOCK_TIMEOUT_ATTRIBUTE, None)
    return value if value is not None else _read_session_lock_timeout(connection)


def _read_session_lock_timeout(database: Any) -> str:
    with database.cursor() as cursor:
        cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'lock_timeout'")
        (value,) = cursor.fetchone()
    return str(value)


def purge_audit_events(*, keep_events_days: int, keep_client_days: int) -> int:
    """The audit purge. On PostgreSQL only `cliqserve_audit_purge()` (migration core 0004) may
    delete or clear events, and it applies its own floors; SQLite has no such guard, so the
    same rule is applied here, floors included."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT cliqserve_audit_purge(make_interval(days => %s), make_interval(days => %s))",
                [keep_events_days, keep_client_days],
            )
            return int(cursor.fetchone()[0])
    now = timezone.now()
    client_cutoff = now - timedelta(days=max(keep_client_days, 30))
    AuditEvent.objects.filter(at__lt=client_cutoff).update(ip=None, user_agent="")
    deleted, _ = AuditEvent.objects.filter(at__lt=now - timedelta(days=max(keep_events_days, 365))).delete()
    return deleted
