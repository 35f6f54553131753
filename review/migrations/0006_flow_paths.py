"""The annual review moved from `qms/review/` to its own top-level app `review/` (its
label was `review` already, so tables, content types and permissions stay). viewflow
stores a flow by its module path, in processes and tasks: rewrite those paths."""

from django.db import migrations

OLD, NEW = "qms/review/", "review/"


def _rewrite(schema_editor, old: str, new: str) -> None:
    for table, column in (("viewflow_process", "flow_class"), ("viewflow_task", "flow_task")):
        schema_editor.execute(
            f"UPDATE {table} SET {column} = REPLACE({column}, %s, %s) "  # noqa: S608
            f"WHERE {column} LIKE %s",
            [old, new, f"{old}%"],
        )


def forwards(apps, schema_editor):
    _rewrite(schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _rewrite(schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0005_auditor_reads_aggregates"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
