"""Items registered from a finding keep that origin in Nonconformity.origin_key (unique).

Before, the guard was a row in the survey's token table, purged after two days. The
finding that registered an item is the earliest one pointing at it; later findings of
the same breach were linked to it, not registered.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Finding = apps.get_model("review", "Finding")
    Nonconformity = apps.get_model("workflows", "Nonconformity")
    first: dict[int, int] = {}
    for pk, nc_id in (
        Finding.objects.filter(nonconformity__isnull=False)
        .order_by("created_at", "pk")
        .values_list("pk", "nonconformity_id")
    ):
        first.setdefault(nc_id, pk)
    for nc_id, finding_id in first.items():
        Nonconformity.objects.filter(pk=nc_id, origin_key__isnull=True).update(
            origin_key=f"finding:{finding_id}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0002_defaults"),
        ("workflows", "0006_nonconformity_origin_key"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
