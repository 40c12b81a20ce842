"""Two partial indexes on the ledger for the stock report (last sale per branch and product, and
whether a sale was voided). Built CONCURRENTLY on PostgreSQL: the ledger is the largest table,
and a plain CREATE INDEX would block the tills' writes for the whole build."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexOnline(AddIndexConcurrently):
    """CONCURRENTLY where the database has it (PostgreSQL), a plain index elsewhere (SQLite)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
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
                fields=["tenant", "branch", "product", "-created_at"],
                name="movement_last_sale",
            ),
        ),
        AddIndexOnline(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("kind", "void")), fields=["tenant", "reference"], name="movement_void_ref"
            ),
        ),
    ]
