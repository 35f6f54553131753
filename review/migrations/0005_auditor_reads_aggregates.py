"""Roles after the anonymity rule: the auditor reads aggregates like everyone else (no single
responses or clients' suggestions in the admin) and reads the audit log instead."""

from django.db import migrations

REVOKE = [("surveys", "view_response"), ("surveys", "view_suggestion")]
GRANT = [("qms", "view_auditentry")]


def _permissions(apps, pairs):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in pairs
    ]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    auditor, _created = Group.objects.get_or_create(name="auditor")
    auditor.permissions.remove(*_permissions(apps, REVOKE))
    auditor.permissions.add(*_permissions(apps, GRANT))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    auditor, _created = Group.objects.get_or_create(name="auditor")
    auditor.permissions.remove(*_permissions(apps, GRANT))
    auditor.permissions.add(*_permissions(apps, REVOKE))


class Migration(migrations.Migration):
    # After review 0002, the last migration that set every role's permissions.
    dependencies = [
        ("qms", "0005_form_keys_audit_log"),
        ("review", "0004_free_text_review"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
