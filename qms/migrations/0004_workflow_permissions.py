from django.db import migrations

from qms.roles import sync_role_permissions

_CATALOGUE = [
    "qms.view_office", "qms.view_orgunit", "qms.view_servicecard", "qms.view_servicecardrevision",
]
_SURVEYS = [
    "surveys.view_questionnaire", "surveys.view_questionnaireversion", "surveys.view_question",
    "surveys.view_response", "surveys.view_suggestion", "surveys.view_desk",
]
_NONCONFORMITIES = [
    "workflows.view_nonconformity", "workflows.view_action", "workflows.view_event",
    "workflows.view_causecategory", "workflows.view_deadlinepolicy", "workflows.view_absence",
]
# Frozen copy of qms.roles.ROLE_PERMISSIONS as of this migration.
ROLE_PERMISSIONS = {
    "quality_coordinator": [
        *_CATALOGUE, "qms.change_office", "qms.add_orgunit", "qms.change_orgunit",
        "qms.add_servicecard", "qms.change_servicecard", "qms.add_servicecardrevision",
        "qms.view_user", *_SURVEYS, "surveys.add_desk", "surveys.change_desk",
        *_NONCONFORMITIES, "workflows.add_causecategory", "workflows.change_causecategory",
        "workflows.change_deadlinepolicy", "workflows.add_absence", "workflows.change_absence",
        "workflows.delete_absence",
    ],
    "department_head": [*_CATALOGUE, "qms.add_servicecardrevision"],
    "staff": [*_CATALOGUE],
    "auditor": [*_CATALOGUE, "qms.view_user", *_SURVEYS, *_NONCONFORMITIES],
}


def grant(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("qms", "0003_survey_permissions"), ("workflows", "0002_defaults")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
