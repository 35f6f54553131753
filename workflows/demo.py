"""A few demo nonconformities in different steps, walked through the real services."""

import datetime

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from qms.models import OrgUnit, ServiceCard, User
from workflows import services
from workflows.models import CauseCategory, Nonconformity, Source


def _task(nc: Nonconformity, name: str) -> Task:
    return next(
        t
        for t in Task.objects.filter(
            process__nonconformity=nc, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
        )
        if t.flow_task.name == name
    )


def load() -> int:
    """Create the demo items once; returns how many were created."""
    if Nonconformity.objects.exists():
        return 0
    coordinator = User.objects.get(username="koordynator")
    cards = {c.unit.code: c for c in ServiceCard.objects.select_related("unit").order_by("code")}
    category = CauseCategory.objects.order_by("pk").first()
    soon = timezone.localdate() + datetime.timedelta(days=21)

    def register(unit_code: str, title: str, description: str, source: str, evidence: str = ""):
        return services.nonconformity_register(
            user=coordinator,
            title=title,
            description=description,
            source=source,
            unit=OrgUnit.objects.get(code=unit_code),
            service_card=cards.get(unit_code),
            evidence_summary=evidence,
        )

    register(
        "SO",
        "Karta nie podaje opłaty za dowód tymczasowy",
        "Klienci dopytują o opłatę przy okienku; karta jej nie wymienia.",
        Source.SURVEY,
        "Karta zawierała wszystko: 58 % (95 % CI 49–66 %), n = 124; cel 80 %.",
    )
    accepted = register(
        "USC",
        "Niejasny opis wymaganych dokumentów",
        "Odpowiedzi otwarte wskazują, że opis dokumentów jest niezrozumiały.",
        Source.SURVEY,
        "Karta zrozumiała: 61 % (95 % CI 52–69 %), n = 117; cel 80 %.",
    )
    services.nonconformity_triage(
        task=_task(accepted, "triage"), user=coordinator, decision="accept", severity="major"
    )
    in_progress = register(
        "BOK",
        "Częste błędy we wnioskach o wydanie zaświadczeń",
        "Pracownicy BOK notują średnio 12 błędnych wniosków tygodniowo.",
        Source.OBSERVATION,
    )
    services.nonconformity_triage(
        task=_task(in_progress, "triage"), user=coordinator, decision="accept", severity="minor"
    )
    head = in_progress.unit.head or coordinator
    services.nonconformity_analyse(
        task=_task(in_progress, "analysis"),
        user=_task(in_progress, "analysis").owner,
        immediate_correction="Wzór wypełnionego wniosku wyłożony przy stanowiskach.",
        why_chain=["Klienci źle wypełniają rubrykę 4", "Karta nie ma wzoru wypełnienia"],
        root_cause="Brak wzoru wypełnionego wniosku w karcie usługi.",
        cause_category=category,
        occurs_elsewhere="yes",
        occurs_elsewhere_note="Podobne wnioski w Wydziale Komunikacji – dodano do planu.",
    )
    staff = User.objects.filter(username="pracownik.bok").first() or head
    services.nonconformity_plan(
        task=_task(in_progress, "planning"),
        user=_task(in_progress, "planning").owner,
        actions=[
            {
                "kind": "corrective",
                "description": "Dodać do karty wzór wypełnionego wniosku.",
                "owner": head,
                "due_on": soon,
            },
            {
                "kind": "preventive",
                "description": "Przegląd kart pod kątem wzorów wniosków raz na kwartał.",
                "owner": staff,
                "due_on": soon + datetime.timedelta(days=14),
            },
        ],
    )
    services.nonconformity_review_plan(
        task=_task(in_progress, "plan_review"), user=coordinator, approve=True, comment="OK"
    )
    return 3
