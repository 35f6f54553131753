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
_REVIEW = [
    "review.view_cycle", "review.view_step", "review.view_standard", "review.view_finding",
    "review.view_pack", "review.view_peerfile",
]
# Frozen copy of qms.roles.ROLE_PERMISSIONS as of this migration.
ROLE_PERMISSIONS = {
    "quality_coordinator": [
        *_CATALOGUE, "qms.change_office", "qms.add_orgunit", "qms.change_orgunit",
        "qms.add_servicecard", "qms.change_servicecard", "qms.add_servicecardrevision",
        "qms.view_user", *_SURVEYS, "surveys.add_desk", "surveys.change_desk",
        *_NONCONFORMITIES, "workflows.add_causecategory", "workflows.change_causecategory",
        "workflows.change_deadlinepolicy", "workflows.add_absence", "workflows.change_absence",
        "workflows.delete_absence", *_REVIEW, "review.add_cycle", "review.change_cycle",
        "review.add_standard", "review.change_standard",
    ],
    "department_head": [*_CATALOGUE, "qms.add_servicecardrevision"],
    "staff": [*_CATALOGUE],
    "auditor": [*_CATALOGUE, "qms.view_user", *_SURVEYS, *_NONCONFORMITIES, *_REVIEW],
}

# Office-wide standards the coordinator starts from (editable, overridable per unit/card).
STANDARDS = [
    ("share_at_least", "card_useful", 0.8, 30,
     "Karta usługi przydatna dla co najmniej 80% klientów",
     "At least 80% find the service card useful"),
    ("share_at_least", "card_complete", 0.8, 30,
     "Karta usługi zawiera wszystko, czego potrzeba (co najmniej 80%)",
     "The service card covers everything needed (at least 80%)"),
    ("share_at_least", "card_clear", 0.8, 30,
     "Karta usługi zrozumiała dla co najmniej 80% klientów",
     "At least 80% find the service card understandable"),
    ("share_at_least", "staff_courtesy", 0.8, 30,
     "Uprzejmość obsługi oceniona na 4–5 przez co najmniej 80% klientów",
     "Courtesy rated 4–5 by at least 80%"),
    ("share_at_least", "waiting_time", 0.7, 30,
     "Czas oczekiwania oceniony na 4–5 przez co najmniej 70% klientów",
     "Waiting time rated 4–5 by at least 70%"),
    ("errors_at_most", "", 10, 1,
     "Najwyżej 10 błędów w dokumentach miesięcznie dla jednej karty",
     "At most 10 document errors a month for a card"),
]


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)
    Standard = apps.get_model("review", "Standard")
    for kind, key, target, minimum, name_pl, name_en in STANDARDS:
        Standard.objects.get_or_create(
            kind=kind,
            key=key,
            unit=None,
            card=None,
            defaults={
                "target": target,
                "minimum_sample": minimum,
                "name_pl": name_pl,
                "name_en": name_en,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial"), ("qms", "0004_workflow_permissions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
