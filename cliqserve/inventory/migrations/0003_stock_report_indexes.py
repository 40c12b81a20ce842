"""Two partial indexes on the ledger for the stock report (the sales of a period, and whether a
sale was voided). Built CONCURRENTLY on PostgreSQL: the ledger is the largest table,
and a plain CREATE INDEX would block the tills' writes for the whole build."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def _builds_concurrently(schema_editor: Any) -> bool:
    return hasattr(schema_editor, "sql_create_index_concurrently")


class AddIndexOnline(AddIndexConcurrently):
    """CONCURRENTLY where the database has it (PostgreSQL), a plain index elsewhere (SQLite)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _builds_concurrently(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _builds_concurrently(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inventory", "0002_alter_stockmovement_kind"),
    ]

    operations = [
        AddIndexOnline(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("kind", "sale")),
                fields=["tenant", "created_at", "branch", "product", "reference"],
                name="movement_sales_by_time",
            ),
        ),
        AddIndexOnline(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("kind", "void")), fields=["tenant", "reference"], name="movement_void_ref"
            ),
        ),
    ]
