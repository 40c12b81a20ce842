"""The audit trail's storage: append-only as the database enforces it, and the purge."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from cliqserve.core import audit
from cliqserve.core.audit import PERSONAL
from cliqserve.core.context import client_ip_var, user_agent_var
from cliqserve.core.models import AuditEvent
from cliqserve.core.tasks import purge_audit_events

pytestmark = pytest.mark.django_db


def _event() -> AuditEvent:
    ip, agent = client_ip_var.set("203.0.113.9"), user_agent_var.set("Till/2")
    try:
        return audit.record(action="probe", tenant_id=None, actor=None)
    finally:
        client_ip_var.reset(ip)
        user_agent_var.reset(agent)


def _backdated(days_ago: int, action: str) -> AuditEvent:
    # Backdating a row would be an UPDATE, which the trail refuses: insert it as it was.
    return AuditEvent.objects.create(
        action=action,
        actor_type=AuditEvent.ActorType.SYSTEM,
        at=timezone.now() - timedelta(days=days_ago),
        ip="203.0.113.9",
        user_agent="Till/2",
    )


def test_diff_lists_only_what_changed_and_hides_personal_values():
    changes = audit.diff(
        {"role": "cashier", "email": "a@x.test", "branch": 1},
        {"role": "manager", "email": "b@x.test", "branch": 1},
        personal={"email"},
    )

    assert changes == {"role": ["cashier", "manager"], "email": [PERSONAL, PERSONAL]}


def test_an_event_carries_the_request_context():
    event = _event()

    assert (event.ip, event.user_agent, event.actor_type) == ("203.0.113.9", "Till/2", "system")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET action = 'forged'",
        "UPDATE core_auditevent SET ip = NULL",
        "DELETE FROM core_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(statement):
    event = _event()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert AuditEvent.objects.get(pk=event.pk).action == "probe"


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[str]:
    """A login role with every table privilege the application has on the trail (as a
    deployment's app role would), dropped afterwards."""
    name = f"cliqserve_app_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON core_auditevent TO {name}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {name}")
        cursor.execute(f"DROP ROLE {name}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_applications_own_database_role_cannot_edit_the_trail_from_psql(app_role):
    event = _event()
    settings = connection.settings_dict

    with psycopg.connect(
        dbname=settings["NAME"], user=app_role, host=settings["HOST"], port=settings["PORT"] or 5432
    ) as session:
        for statement in (
            "UPDATE core_auditevent SET action = 'forged'",
            "DELETE FROM core_auditevent",
            "TRUNCATE core_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                session.execute(statement)
            session.rollback()
        # Nor can it call the purge into wiping the recent trail: the floors are the database's.
        purged = session.execute("SELECT cliqserve_audit_purge(interval '0', interval '0')").fetchone()
        session.commit()

    assert purged == (0,)
    assert AuditEvent.objects.get(pk=event.pk).ip == "203.0.113.9"


def test_the_purge_keeps_the_retention_and_clears_old_client_details(settings):
    settings.AUDIT_RETENTION_DAYS, settings.AUDIT_CLIENT_RETENTION_DAYS = 400, 60
    expired, aging, fresh = _backdated(401, "expired"), _backdated(61, "aging"), _backdated(1, "fresh")

    assert purge_audit_events() == 1

    assert not AuditEvent.objects.filter(pk=expired.pk).exists()
    aged = AuditEvent.objects.get(pk=aging.pk)
    assert (aged.ip, aged.user_agent, aged.action) == (None, "", "aging")
    assert AuditEvent.objects.get(pk=fresh.pk).ip == "203.0.113.9"


def test_the_purge_never_goes_below_its_floors(settings):
    settings.AUDIT_RETENTION_DAYS, settings.AUDIT_CLIENT_RETENTION_DAYS = 1, 1
    recent = _backdated(100, "recent")

    assert audit.purge() == 0

    assert AuditEvent.objects.get(pk=recent.pk).ip is None  # past the 30-day floor for addresses
