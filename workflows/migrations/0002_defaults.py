"""Starting catalogues the coordinator can change: deadline policies and cause categories."""

from django.db import migrations

POLICIES = [
    # severity, triage, analysis, planning, action, verification, reminders, escalation every
    ("minor", 5, 10, 10, 30, 10, "5,1", 5),
    ("major", 3, 7, 7, 20, 7, "5,1", 3),
    ("critical", 1, 3, 3, 10, 5, "2,1", 1),
]
CATEGORIES = [
    ("Nieaktualna lub niepełna karta usługi", "Outdated or incomplete service card"),
    ("Niejasny język informacji", "Unclear wording"),
    ("Brak wzoru lub przykładu dokumentu", "No sample or example document"),
    ("Szkolenie i wiedza pracowników", "Staff training and knowledge"),
    ("Organizacja pracy i kolejki", "Work organisation and queues"),
    ("Systemy informatyczne", "IT systems"),
    ("Zmiana przepisów", "Change in the law"),
    ("Komunikacja między komórkami", "Communication between units"),
]


def load(apps, schema_editor):
    DeadlinePolicy = apps.get_model("workflows", "DeadlinePolicy")
    CauseCategory = apps.get_model("workflows", "CauseCategory")
    for severity, triage, analysis, planning, action, verification, reminders, every in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            severity=severity,
            defaults={
                "triage_days": triage,
                "analysis_days": analysis,
                "planning_days": planning,
                "action_days": action,
                "verification_days": verification,
                "reminder_days": reminders,
                "escalation_every": every,
            },
        )
    for name_pl, name_en in CATEGORIES:
        CauseCategory.objects.get_or_create(name_pl=name_pl, defaults={"name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_nonconformities")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
