from django.db import migrations

from qms.roles import sync_role_permissions

# Frozen copy of qms.roles.ROLE_PERMISSIONS as of this migration.
ROLE_PERMISSIONS = {
    "quality_coordinator": [
        "qms.view_office", "qms.view_orgunit", "qms.view_servicecard",
        "qms.view_servicecardrevision", "qms.change_office", "qms.add_orgunit",
        "qms.change_orgunit", "qms.add_servicecard", "qms.change_servicecard",
        "qms.add_servicecardrevision", "qms.view_user",
    ],
    "department_head": [
        "qms.view_office", "qms.view_orgunit", "qms.view_servicecard",
        "qms.view_servicecardrevision", "qms.add_servicecardrevision",
    ],
    "staff": [
        "qms.view_office", "qms.view_orgunit", "qms.view_servicecard",
        "qms.view_servicecardrevision",
    ],
    "auditor": [
        "qms.view_office", "qms.view_orgunit", "qms.view_servicecard",
        "qms.view_servicecardrevision", "qms.view_user",
    ],
}


def create_roles(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("qms", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
