from django.db import migrations


class Migration(migrations.Migration):
    """Indexes for the pages at scale (bench/README.md, make bench-workflow).

    - A user's open human steps (selectors.open_tasks: owner, ASSIGNED, HUMAN, by
      created) from one index range instead of every task the user ever owned.
    - A head's actions outside their units (selectors.visible_nonconformities): the
      action's owner and item, and the item's unit, read from the indexes alone.

    RunSQL, the same statements on SQLite and PostgreSQL: viewflow's Task is not this
    app's model, and the two covering indexes serve one query, not the models' fields.
    """

    dependencies = [("workflows", "0004_analysis_accepted"), ("viewflow", "0015_task_scheduled")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX workflows_task_owner_open"
            " ON viewflow_task (owner_id, status, flow_task_type, created)",
            "DROP INDEX workflows_task_owner_open",
        ),
        migrations.RunSQL(
            "CREATE INDEX workflows_action_owner_item ON workflows_action (owner_id, nonconformity_id)",
            "DROP INDEX workflows_action_owner_item",
        ),
        migrations.RunSQL(
            "CREATE INDEX workflows_nc_id_unit ON workflows_nonconformity (id, unit_id)",
            "DROP INDEX workflows_nc_id_unit",
        ),
    ]
