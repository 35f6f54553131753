"""Every path through the nonconformity process, walked over HTTP as the real users."""

import re

import pytest
from django.core import mail

from tests.workflows.conftest import in_days, open_task
from workflows.models import Action, Nonconformity, Status

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
        "accept_analysis",
        "approve_plan",
        "complete_action",
        "complete_action",
        "verify",
    ]
    assert nc.events.get(transition="verify").meaning == "effective"
    signed = dict(nc.events.exclude(meaning="").values_list("transition", "meaning"))
    assert signed == {
        "accept": "accepted",
        "analyse": "analysed",
        "accept_analysis": "analysis_accepted",
        "approve_plan": "plan_approved",
        "verify": "effective",
    }
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


def test_reject_needs_a_reason_and_keeps_the_typing(client_for, coordinator, nc):
    [triage] = open_task(nc, "triage")
    client = client_for(coordinator)
    response = client.post(
        task_url(triage), {"decision": "reject", "severity": "minor", "reason": ""}
    )
    assert response.status_code == 422
    assert "Podaj powód." in response.content.decode()
    response = client.post(
        task_url(triage),
        {"decision": "reject", "severity": "minor", "reason": "To nie jest niezgodność"},
    )
    nc.refresh_from_db()
    assert nc.status == Status.REJECTED and nc.closed_on
    assert not open_task(nc)
    assert nc.events.get(transition="reject").note == "To nie jest niezgodność"


def register_duplicate(coordinator, card):
    from workflows.models import Source
    from workflows.services import nonconformity_register

    return nonconformity_register(
        user=coordinator,
        title="Znowu brak opłat",
        description="To samo",
        source=Source.COMPLAINT,
        unit=card.unit,
        service_card=card,
    )


def test_merge_closes_the_duplicate_with_a_link(client_for, coordinator, nc, card_a):
    duplicate = register_duplicate(coordinator, card_a)
    [triage] = open_task(duplicate, "triage")
    page = client_for(coordinator).get(task_url(triage)).content.decode()
    assert nc.number in page.split("data-similar")[1]  # similar items shown at triage
    assert "<select" not in page.split('name="merge_into"')[0][-200:]  # typed, not listed
    response = client_for(coordinator).post(
        task_url(triage),
        {
            "decision": "merge",
            "severity": "minor",
            "merge_into": f" {nc.number.lower()} ",  # as typed: spaces, lower case
            "reason": "Duplikat",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.MERGED, nc)
    assert nc.events.filter(transition="duplicate_merged").exists()


@pytest.mark.parametrize(
    ("target", "language", "message"),
    [
        ("unknown", "pl", "Nie ma niezgodności o numerze NC/1999/9999."),
        ("unknown", "en", "There is no nonconformity numbered NC/1999/9999."),
        ("closed", "pl", "nie jest już otwarta (odrzucona); połączyć można tylko z otwartą."),
        ("closed", "en", "is no longer open (rejected); merge only into an open one."),
        ("itself", "pl", "To numer właśnie rozpatrywanej niezgodności"),
        ("itself", "en", "This is the number of the nonconformity being triaged"),
        ("empty", "pl", "Wybierz inną otwartą niezgodność."),
        ("empty", "en", "Choose another open nonconformity."),
    ],
)
def test_merge_into_a_wrong_number_says_why_and_keeps_the_typing(
    client_for, coordinator, nc, card_a, target, language, message
):
    from workflows.services import nonconformity_triage

    duplicate = register_duplicate(coordinator, card_a)
    [triage] = open_task(nc, "triage")
    nonconformity_triage(task=triage, user=coordinator, decision="reject", reason="Nie dotyczy")
    number = {
        "unknown": "NC/1999/9999",
        "closed": nc.number,  # rejected: closed
        "itself": duplicate.number,
        "empty": "",
    }[target]
    [triage] = open_task(duplicate, "triage")
    response = client_for(coordinator).post(
        task_url(triage),
        {"decision": "merge", "severity": "major", "merge_into": number, "reason": "Duplikat?"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page.replace("&#x27;", "'")
    if number:
        assert f'name="merge_into" value="{number}"' in page  # the typed number is kept
    assert 'name="reason" value="Duplikat?"' in page  # and the note
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.TRIAGE, None)
    assert open_task(duplicate, "triage")


def test_merge_number_of_an_item_the_user_may_not_see_is_unknown(
    coordinator, head_b, nc, card_a, card_b
):
    """Should a head be handed a triage, the merge field reveals no other unit's item."""
    from django.utils import translation

    from workflows.forms import TriageForm

    mine = register_duplicate(coordinator, card_b)  # unit B: head_b's
    data = {"decision": "merge", "severity": "minor", "merge_into": nc.number, "reason": "x"}
    form = TriageForm(data, nc=mine, user=head_b)
    with translation.override("en"):
        assert not form.is_valid()
        assert form.errors["merge_into"] == [f"There is no nonconformity numbered {nc.number}."]


def test_plan_returned_then_approved(client_for, coordinator, head_a, staff, nc, category):
    walk_to_planning(client_for, coordinator, head_a, nc, category)
    plan(client_for, head_a, staff, nc)
    [review] = open_task(nc, "plan_review")
    response = client_for(coordinator).post(task_url(review), {"approve": "0", "comment": ""})
    assert response.status_code == 422  # a returned plan needs a comment
    client_for(coordinator).post(task_url(review), {"approve": "0", "comment": "Dodaj termin"})
    nc.refresh_from_db()
    assert nc.status == Status.PLANNING
    [planning] = open_task(nc, "planning")
    page = client_for(head_a).get(task_url(planning)).content.decode()
    assert "Zaktualizować kartę A-01" in page  # the returned plan is pre-filled
    plan(client_for, head_a, staff, nc)
    assert Action.objects.filter(nonconformity=nc).count() == 2  # replaced, not doubled


def test_not_effective_goes_back_to_a_new_plan(
    client_for, coordinator, head_a, staff, nc, category
):
    walk_to_planning(client_for, coordinator, head_a, nc, category)
    plan(client_for, head_a, staff, nc)
    [review] = open_task(nc, "plan_review")
    client_for(coordinator).post(task_url(review), {"approve": "1"})
    for task in open_task(nc, "implement"):
        client_for(task.owner).post(task_url(task), {"evidence": "Zrobione"})
    [verification] = open_task(nc, "verification")
    client_for(coordinator).post(
        task_url(verification), {"verdict": "not_effective", "evidence": "Skargi nadal"}
    )
    nc.refresh_from_db()
    assert (nc.status, nc.plan_round) == (Status.PLANNING, 2)
    [planning] = open_task(nc, "planning")
    assert planning.owner == head_a
    plan(client_for, head_a, staff, nc)
    assert Action.objects.filter(nonconformity=nc).count() == 4  # the first round kept


def test_verify_at_next_measurement_waits_then_closes(
    client_for, coordinator, head_a, staff, nc, category
):
    from workflows.services import nonconformity_record_measurement

    walk_to_planning(client_for, coordinator, head_a, nc, category)
    plan(client_for, head_a, staff, nc)
    [review] = open_task(nc, "plan_review")
    client_for(coordinator).post(task_url(review), {"approve": "1"})
    for task in open_task(nc, "implement"):
        client_for(task.owner).post(task_url(task), {"evidence": "Zrobione"})
    [verification] = open_task(nc, "verification")
    client_for(coordinator).post(
        task_url(verification), {"verdict": "next_measurement", "evidence": "Zmierzymy w 2027"}
    )
    nc.refresh_from_db()
    assert nc.status == Status.AWAITING_MEASUREMENT and not open_task(nc)
    nonconformity_record_measurement(nc=nc, effective=True, evidence="2027: 81 % (75–86 %)")
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED


def test_reopen_a_closed_item(client_for, coordinator, head_a, nc):
    from tests.review.conftest import walk_to_closed  # through the services

    walk_to_closed(nc)
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED
    client = client_for(coordinator)
    assert client.post(f"/nonconformities/{nc.pk}/reopen/", {"reason": ""}).status_code == 302
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED  # a reason is required
    client.post(f"/nonconformities/{nc.pk}/reopen/", {"reason": "Wskaźnik znów poniżej celu"})
    nc.refresh_from_db()
    assert nc.status == Status.ANALYSIS
    [analysis] = open_task(nc, "analysis")
    assert analysis.owner == head_a
    assert nc.events.last().transition == "reopen"


def test_deputy_takes_the_step_when_the_head_is_absent(client_for, coordinator, head_a, nc, unit_a):
    import datetime

    from qms.roles import Role
    from tests.factories import UserFactory
    from workflows.models import Absence

    deputy = UserFactory(username="deputy_a", roles=[Role.HEAD], unit=unit_a)
    unit_a.deputy = deputy
    unit_a.save()
    today = datetime.date.today()
    Absence.objects.create(user=head_a, starts_on=today, ends_on=today + datetime.timedelta(days=5))
    [triage] = open_task(nc, "triage")
    client_for(coordinator).post(task_url(triage), {"decision": "accept", "severity": "minor"})
    [analysis] = open_task(nc, "analysis")
    assert analysis.owner == deputy
    # the absent head still sees the unit's item, but cannot act on the deputy's step
    assert client_for(head_a).get(task_url(analysis)).status_code == 200
    assert client_for(head_a).post(task_url(analysis), {}).status_code == 403


def test_unit_without_head_or_deputy_goes_to_the_coordinator(coordinator, card_b, unit_b):
    from workflows.models import Source
    from workflows.services import nonconformity_register
    from workflows.steps import responsible_for

    assert unit_b.head is None and responsible_for(unit_b) == coordinator
    item = nonconformity_register(
        user=coordinator, title="B", description="B", source=Source.AUDIT, unit=unit_b
    )
    [triage] = open_task(item, "triage")
    assert triage.owner == coordinator


def test_coordinator_reassigns_a_step_with_a_reason(client_for, coordinator, head_a, staff, nc):
    [triage] = open_task(nc, "triage")
    client_for(coordinator).post(task_url(triage), {"decision": "accept", "severity": "minor"})
    [analysis] = open_task(nc, "analysis")
    url = f"/nonconformities/tasks/{analysis.pk}/reassign/"
    assert client_for(head_a).post(url, {"to": staff.pk, "reason": "x"}).status_code == 403
    client_for(coordinator).post(url, {"to": staff.pk, "reason": "Kierownik na urlopie"})
    analysis.refresh_from_db()
    nc.refresh_from_db()
    assert analysis.owner == staff and nc.responsible == staff
    assert "Kierownik na urlopie" in nc.events.get(transition="reassign").note


def test_double_submit_completes_a_step_once(client_for, coordinator, nc):
    [triage] = open_task(nc, "triage")
    client = client_for(coordinator)
    data = {"decision": "accept", "severity": "minor"}
    assert client.post(task_url(triage), data).status_code == 302
    second = client.post(task_url(triage), data, follow=True)
    assert second.status_code == 200
    assert "Ten krok został już wykonany" in second.content.decode()
    assert nc.events.filter(transition="accept").count() == 1
    assert len(open_task(nc, "analysis")) == 1


def test_staff_raise_a_nonconformity_from_their_observation(
    client_for, staff, coordinator, card_a, card_b
):
    from surveys.services import observation_record
    from workflows.models import Source

    observation = observation_record(
        user=staff,
        card=card_a,
        kind="document_error",
        summary="Brak podpisu",
        frequency=4,
        period="week",
    )
    client = client_for(staff)
    url = f"/nonconformities/new/?obserwacja={observation.pk}"
    page = client.get(url).content.decode()
    assert "Brak podpisu" in page
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    response = client.post(
        url,
        {
            "once": once,
            "title": "Brak podpisu na wnioskach",
            "description": "Często",
            "severity": "minor",
        },
    )
    assert response.status_code == 302
    nc = Nonconformity.objects.get()
    assert (nc.source, nc.observation, nc.unit, nc.service_card) == (
        Source.OBSERVATION,
        observation,
        card_a.unit,
        card_a,
    )
    assert nc.status == Status.TRIAGE and open_task(nc, "triage")[0].owner == coordinator
    # without an observation of their own unit, staff cannot register
    assert client.get("/nonconformities/new/").status_code == 403
    other = observation_record(
        user=coordinator, card=card_b, kind="question", summary="Inna", frequency=1, period="month"
    )
    assert client.get(f"/nonconformities/new/?obserwacja={other.pk}").status_code == 404


def test_action_evidence_file_type_and_size_are_checked(
    client_for, coordinator, head_a, staff, nc, category, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    walk_to_planning(client_for, coordinator, head_a, nc, category)
    plan(client_for, head_a, staff, nc)
    [review] = open_task(nc, "plan_review")
    client_for(coordinator).post(task_url(review), {"approve": "1"})
    task = next(t for t in open_task(nc, "implement") if t.owner == staff)
    client = client_for(staff)
    bad_type = SimpleUploadedFile("skrypt.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(task_url(task), {"evidence": "Zrobione", "evidence_file": bad_type})
    assert response.status_code == 422
    assert "Zrobione" in response.content.decode()  # the typed evidence stays
    settings.EVIDENCE_MAX_BYTES = 100
    too_big = SimpleUploadedFile(
        "protokol.pdf", b"%PDF" + b"x" * 200, content_type="application/pdf"
    )
    response = client.post(task_url(task), {"evidence": "Zrobione", "evidence_file": too_big})
    assert response.status_code == 422 and "za duży" in response.content.decode()
    settings.EVIDENCE_MAX_BYTES = 10_000_000
    good = SimpleUploadedFile("protokol.pdf", b"%PDF-1.4 ok", content_type="application/pdf")
    assert client.post(task_url(task), {"evidence": "", "evidence_file": good}).status_code == 302
    action = Action.objects.get(pk=task.data["action"])
    assert action.evidence_file.name.endswith(".pdf") and action.done_on
    download = client.get(f"/nonconformities/{nc.pk}/actions/{action.pk}/evidence/")
    assert download.status_code == 200
    assert (
        client_for(head_a)
        .get(f"/nonconformities/{nc.pk}/actions/{action.pk}/evidence/")
        .status_code
        == 200
    )


def test_a_locked_item_gets_a_clear_message_and_keeps_the_typing(
    client_for, coordinator, nc, monkeypatch
):
    from viewflow.workflow.exceptions import FlowLockFailed

    from workflows.flows import NonconformityFlow

    def locked(process_id):  # someone else holds the process lock
        raise FlowLockFailed("locked")

    monkeypatch.setattr(NonconformityFlow, "lock", locked)
    [triage] = open_task(nc, "triage")
    response = client_for(coordinator).post(
        task_url(triage), {"decision": "reject", "severity": "minor", "reason": "Mój powód"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Ktoś właśnie wykonuje" in page and "Mój powód" in page
    nc.refresh_from_db()
    assert nc.status == Status.TRIAGE


def test_double_click_on_register_registers_once(client_for, coordinator, card_a):
    import re

    client = client_for(coordinator)
    page = client.get("/nonconformities/new/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    data = {
        "once": once,
        "title": "Podwójny klik",
        "description": "x",
        "source": "audit",
        "severity": "minor",
        "unit": card_a.unit.pk,
    }
    assert client.post("/nonconformities/new/", data).status_code == 302
    again = client.post("/nonconformities/new/", data, follow=True)
    assert "wysłany już wcześniej" in again.content.decode()
    assert Nonconformity.objects.filter(title="Podwójny klik").count() == 1
