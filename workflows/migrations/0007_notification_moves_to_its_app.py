"""The inbox now belongs to the `notifications` app (same table): forget it here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0006_nonconformity_origin_key"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
