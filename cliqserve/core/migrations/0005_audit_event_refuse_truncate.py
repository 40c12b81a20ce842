# The audit trail refuses TRUNCATE as well as UPDATE and DELETE (PostgreSQL only): a TRUNCATE
# fires no row trigger, so a role with the TRUNCATE privilege (or a TRUNCATE ... CASCADE from a
# table the trail points at) could otherwise empty it. Superusers are let through: they can
# drop any trigger anyway (ADR 0009 says the guarantee holds against a role that is neither a
# superuser nor the tables' owner), and Django's test runner empties tables with TRUNCATE as one.

from django.db import migrations

REFUSE_TRUNCATE = """
CREATE FUNCTION {schema}.cliqserve_audit_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON {schema}.core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.cliqserve_audit_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON {schema}.core_auditevent;
DROP FUNCTION IF EXISTS {schema}.cliqserve_audit_refuse_truncate();
"""


def _run(schema_editor, statement):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the embedded default, for development) keeps the table unguarded
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = schema_editor.connection.ops.quote_name(cursor.fetchone()[0])
    schema_editor.execute(statement.format(schema=schema), params=None)


def refuse_truncate(apps, schema_editor):
    _run(schema_editor, REFUSE_TRUNCATE)


def allow_truncate(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_event")]

    operations = [migrations.RunPython(refuse_truncate, allow_truncate)]
