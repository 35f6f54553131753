"""Staff observations (§7) and the coordinator's collection rounds."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from notifications.models import Notification
from surveys.models import ObservationRound, RoundParticipant, StaffObservation
from surveys.services import (
    observation_record,
    round_notify,
    round_open,
    round_send_reminders,
)

pytestmark = pytest.mark.django_db

OBSERVATION = {
    "kind": "document_error",
    "summary": "Brak podpisu na wniosku",
    "frequency": "3",
    "period": "week",
    "example": "Wniosek bez podpisu drugiego rodzica",
}


def test_staff_record_an_observation_for_their_units_card(client_for, staff, card_a):
    client = client_for(staff)
    response = client.post(
        "/surveys/observations/", {"card": card_a.pk, **OBSERVATION, "once": "obs-1"}
    )
    assert response.status_code == 302
    observation = StaffObservation.objects.get()
    assert (observation.card, observation.recorded_by) == (card_a, staff)
    assert observation.per_month == 13.0
    assert "Brak podpisu na wniosku" in client.get("/surveys/observations/").content.decode()


def test_another_units_card_is_refused(client_for, staff, card_a, card_b):
    response = client_for(staff).post(
        "/surveys/observations/", {"card": card_b.pk, **OBSERVATION, "once": "obs-b"}
    )
    assert response.status_code == 422
    assert "Brak podpisu na wniosku" in response.content.decode()  # typing kept
    assert not StaffObservation.objects.exists()
    with pytest.raises(PermissionDenied):
        observation_record(
            user=staff, card=card_b, kind="question", summary="x", frequency=1, period="month"
        )


def test_bad_frequency_keeps_the_rest(client_for, staff, card_a):
    response = client_for(staff).post(
        "/surveys/observations/",
        {"card": card_a.pk, **OBSERVATION, "frequency": "0", "once": "obs-0"},
    )
    assert response.status_code == 422
    assert "Brak podpisu na wniosku" in response.content.decode()


def test_heads_see_only_their_units_observations(client_for, staff, head_a, head_b, card_a):
    observation_record(
        user=staff,
        card=card_a,
        kind="question",
        summary="Ile kosztuje?",
        frequency=5,
        period="month",
    )
    assert "Ile kosztuje?" in client_for(head_a).get("/surveys/observations/").content.decode()
    other = client_for(head_b)
    assert "Ile kosztuje?" not in other.get("/surveys/observations/").content.decode()
    pk = StaffObservation.objects.get().pk
    assert other.post(f"/surveys/observations/{pk}/delete/").status_code == 404
    # only the author deletes; the own unit's head reads but cannot delete it
    with pytest.raises(PermissionDenied):
        from surveys.services import observation_delete

        observation_delete(observation=StaffObservation.objects.get(), user=head_a)


def test_round_asks_everyone_notifies_once_and_counts_contributions(
    client_for,
    coordinator,
    staff,
    head_a,
    head_b,
    auditor,
    card_a,
    django_capture_on_commit_callbacks,
):
    for user, address in (
        (staff, "staff@urzad.example"),
        (head_a, ""),
        (head_b, "b@urzad.example"),
    ):
        user.email = address
        user.save()
    due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(
            "/surveys/rounds/",
            {"title": "Obserwacje 2026", "due_on": due, "message": "", "once": "round-1"},
        )
    assert response.status_code == 302
    round_ = ObservationRound.objects.get()
    asked = set(round_.participants.values_list("user__username", flat=True))
    assert asked == {"staff", "head_a", "head_b"}  # staff and heads; not coordinator/auditor
    assert sorted(m.to[0] for m in mail.outbox) == ["b@urzad.example", "staff@urzad.example"]
    assert "Obserwacje 2026" in mail.outbox[0].subject
    # Everyone asked has it in the inbox too, those without an e-mail address included.
    inbox = Notification.objects.filter(key__startswith=f"round:{round_.pk}:opened:")
    assert set(inbox.values_list("user__username", flat=True)) == {"staff", "head_a", "head_b"}
    assert round_notify(round_id=round_.pk) == 0  # a second sweep sends nothing

    observation_record(
        user=staff,
        card=card_a,
        kind="question",
        summary="Gdzie złożyć?",
        frequency=2,
        period="month",
    )
    client_for(head_b).post(f"/surveys/rounds/{round_.pk}/nothing-to-add/")
    done = RoundParticipant.objects.filter(completed_on__isnull=False)
    assert set(done.values_list("user__username", flat=True)) == {"staff", "head_b"}
    assert StaffObservation.objects.get().round == round_
    page = client_for(coordinator).get(f"/surveys/rounds/{round_.pk}/").content.decode()
    assert "Odpowiedziało: 2 z 3" in page and "Gdzie złożyć?" in page


def test_reminder_goes_once_near_the_due_date(
    coordinator, staff, head_b, django_capture_on_commit_callbacks
):
    staff.email, head_b.email = "staff@urzad.example", "b@urzad.example"
    staff.save()
    head_b.save()
    today = datetime.date(2026, 11, 21)
    round_ = round_open(
        user=coordinator, title="R", due_on=today + datetime.timedelta(days=10), today=today
    )
    RoundParticipant.objects.filter(user=head_b).update(completed_on=today)
    mail.outbox.clear()
    assert round_send_reminders(today=today) == 0  # too early
    near = today + datetime.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):  # e-mails go after commit
        assert round_send_reminders(today=near) == 1
        assert round_send_reminders(today=near) == 0
    assert mail.outbox[0].to == ["staff@urzad.example"]
    assert "Przypomnienie" in mail.outbox[0].subject
    round_.closed_on = near
    round_.save()


def test_reminder_in_the_users_language(coordinator, staff, django_capture_on_commit_callbacks):
    staff.email, staff.language = "staff@urzad.example", "en"
    staff.save()
    today = datetime.date(2026, 11, 21)
    with django_capture_on_commit_callbacks(execute=True):
        round_open(
            user=coordinator, title="R", due_on=today + datetime.timedelta(days=2), today=today
        )
    assert mail.outbox[-1].subject.startswith("Please record what clients ask")


def test_only_the_coordinator_opens_rounds(client_for, head_a, staff, auditor):
    for user in (head_a, staff):
        assert client_for(user).get("/surveys/rounds/").status_code == 403
    response = client_for(auditor).post("/surveys/rounds/", {"title": "x", "due_on": "2030-01-01"})
    assert response.status_code == 403
    assert not ObservationRound.objects.exists()


def test_round_reaches_a_head_known_only_from_the_org_chart(coordinator, unit_b):
    from tests.factories import UserFactory

    chief = UserFactory(username="chief_b", roles=[], unit=None)
    unit_b.head = chief
    unit_b.save()
    today = datetime.date(2026, 11, 21)
    round_ = round_open(
        user=coordinator, title="R", due_on=today + datetime.timedelta(days=9), today=today
    )
    assert round_.participants.filter(user=chief, unit=unit_b).exists()


def test_a_round_that_opens_has_told_everyone_asked_in_the_same_transaction(coordinator, staff):
    """No after-commit hook: if the process dies right after the commit, the inbox entries
    are there and the outbox sweep e-mails them."""
    today = datetime.date(2026, 11, 21)
    round_ = round_open(
        user=coordinator, title="R", due_on=today + datetime.timedelta(days=5), today=today
    )
    asked = set(round_.participants.values_list("user_id", flat=True))
    told = set(
        Notification.objects.filter(key__startswith=f"round:{round_.pk}:opened:").values_list(
            "user_id", flat=True
        )
    )
    assert asked and told == asked
