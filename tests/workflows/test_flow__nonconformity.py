"""Every path through the nonconformity process, walked over HTTP as the real users."""

import pytest
from django.core import mail

from tests.workflows.conftest import in_days, open_task
from workflows.models import Action, Status

pytestmark = pytest.mark.django_db


def task_url(task):
    return f"/nonconformities/tasks/{task.pk}/"


def walk_to_planning(client_for, coordinator, head_a, nc, category):
    [triage] = open_task(nc, "triage")
    assert triage.owner == coordinator
    response = client_for(coordinator).post(
        task_url(triage), {"decision": "accept", "severity": "major", "reason": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nc.refresh_from_db()
    assert (nc.status, nc.responsible) == (Status.ANALYSIS, head_a)
    [analysis] = open_task(nc, "analysis")
    assert analysis.owner == head_a
    response = client_for(head_a).post(
        task_url(analysis),
        {
            "immediate_correction": "Dopisano opłaty w okienku",
            "why_1": "Karta nie podaje opłat",
            "why_2": "Zmieniła się uchwała",
            "root_cause": "Brak procedury aktualizacji kart po zmianie prawa",
            "cause_category": category.pk,
            "occurs_elsewhere": "yes",
            "occurs_elsewhere_note": "Sprawdzono karty USC",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    nc.refresh_from_db()
    assert nc.status == Status.PLANNING and nc.why_chain == [
        "Karta nie podaje opłat",
        "Zmieniła się uchwała",
    ]


def plan(client_for, head_a, staff, nc):
    [planning] = open_task(nc, "planning")
    data = {
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "1",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-kind": "corrective",
        "actions-0-description": "Zaktualizować kartę A-01",
        "actions-0-owner": head_a.pk,
        "actions-0-due_on": in_days(20),
        "actions-1-kind": "preventive",
        "actions-1-description": "Procedura przeglądu kart po zmianie uchwał",
        "actions-1-owner": staff.pk,
        "actions-1-due_on": in_days(30),
    }
    response = client_for(head_a).post(task_url(planning), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    nc.refresh_from_db()
    assert nc.status == Status.PLAN_REVIEW


def test_accept_analyse_plan_implement_effective_closed(
    client_for, coordinator, head_a, staff, nc, category
):
    walk_to_planning(client_for, coordinator, head_a, nc, category)
    plan(client_for, head_a, staff, nc)
    [review] = open_task(nc, "plan_review")
    client_for(coordinator).post(task_url(review), {"approve": "1", "comment": "OK"})
    nc.refresh_from_db()
    assert nc.status == Status.IMPLEMENTATION
    tasks = open_task(nc, "implement")
    assert {t.owner for t in tasks} == {head_a, staff}
    for task in tasks:
        response = client_for(task.owner).post(
            task_url(task), {"evidence": f"Zrobione przez {task.owner.username}"}
        )
        assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == Status.VERIFICATION
    assert all(a.done_on for a in Action.objects.filter(nonconformity=nc))
    [verification] = open_task(nc, "verification")
    client_for(coordinator).post(
        task_url(verification), {"verdict": "effective", "evidence": "Skargi ustały"}
    )
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED and nc.closed_on
    transitions = list(nc.events.values_list("transition", flat=True))
    assert transitions == [
        "register",
        "accept",
        "analyse",
        "plan",
        "approve_plan",
        "complete_action",
        "complete_action",
        "verify",
    ]
    assert nc.events.get(transition="verify").meaning == "effective"
    assert not open_task(nc)
    page = client_for(head_a).get(f"/nonconformities/{nc.pk}/").content.decode()
    assert 'data-event="approve_plan"' in page
    assert head_a.notifications.filter(subject__contains=nc.number).exists()


def test_task_notification_is_emailed_in_the_owners_language(
    client_for, coordinator, head_a, nc, django_capture_on_commit_callbacks
):
    head_a.email, head_a.language = "head@urzad.example", "en"
    head_a.save()
    [triage] = open_task(nc, "triage")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(coordinator).post(task_url(triage), {"decision": "accept", "severity": "minor"})
    [message] = [m for m in mail.outbox if m.to == ["head@urzad.example"]]
    assert message.subject.startswith(nc.number) and "waits for you" in message.subject
    assert "/nonconformities/tasks/" in message.body
