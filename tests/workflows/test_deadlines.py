"""Working-day deadlines: reminders before the due date, escalation when overdue,
repeated while it stays overdue — viewflow timers fired by our beat task, each
notification delivered once however often the sweep runs."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from tests.workflows.conftest import open_task, walk_to_implementation
from workflows.models import Source, Status
from workflows.services import nonconformity_register, nonconformity_triage
from workflows.tasks import fire_timers

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 11, 2, 9, 0)  # 11 November (Wednesday of week 2) is a holiday


def at(day: datetime.date, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def accepted(coordinator, head_a, card_a):
    with time_machine.travel(timezone.make_aware(MONDAY), tick=False):
        nc = nonconformity_register(
            user=coordinator,
            title="Termin",
            description="Test",
            source=Source.AUDIT,
            unit=card_a.unit,
            service_card=card_a,
        )
        [triage] = open_task(nc, "triage")
        nonconformity_triage(task=triage, user=coordinator, decision="accept", severity="minor")
    nc.refresh_from_db()
    return nc


def notes(user, kind):
    return list(Notification.objects.filter(user=user, key__startswith=kind).order_by("pk"))


def test_due_date_counts_working_days_and_skips_the_holiday(accepted):
    # analysis: 10 working days from Monday 2 November, skipping 11 November → 17 November
    assert accepted.step_due_on == datetime.date(2026, 11, 17)
    assert accepted.status == Status.ANALYSIS


def test_reminders_then_escalation_then_repeated_escalation(accepted, head_a, coordinator):
    due = accepted.step_due_on
    # 5 working days before 17 Nov is 9 Nov (11 Nov is off); 1 working day before is 16 Nov.
    with time_machine.travel(at(datetime.date(2026, 11, 6)), tick=False):
        fire_timers()
    assert notes(head_a, "remind") == []
    with time_machine.travel(at(datetime.date(2026, 11, 9)), tick=False):
        fire_timers()
        fire_timers()  # a second sweep sends nothing more
    assert len(notes(head_a, "remind")) == 1
    with time_machine.travel(at(datetime.date(2026, 11, 16)), tick=False):
        fire_timers()
    first, second = notes(head_a, "remind")
    assert "Przypomnienie" in second.subject
    # The first reminder (5 working days ahead) and the second (1 day) are told apart
    # by their own nodes: each says how long is left.
    assert "2026-11-17" in first.body and "roboczych: 5." in first.body
    assert "2026-11-17" in second.body and "roboczych: 1." in second.body
    assert notes(coordinator, "escalate") == []

    with time_machine.travel(at(due), tick=False):
        fire_timers()
    assert notes(coordinator, "escalate") == []  # due today is not overdue yet
    first_overdue = datetime.date(2026, 11, 18)
    with time_machine.travel(at(first_overdue), tick=False):
        fire_timers()
        fire_timers()
    assert len(notes(coordinator, "escalate")) == 1
    assert len(notes(head_a, "escalate")) == 1  # the owner hears it too
    assert accepted.events.filter(transition="escalate").count() == 1
    # still overdue 5 working days later (escalation_every=5): escalated again
    with time_machine.travel(at(datetime.date(2026, 11, 25)), tick=False):
        fire_timers()
    assert len(notes(coordinator, "escalate")) == 2


def test_completed_step_is_never_reminded_or_escalated(
    client_for, accepted, head_a, coordinator, category
):
    [analysis] = open_task(accepted, "analysis")
    with time_machine.travel(at(datetime.date(2026, 11, 3)), tick=False):
        client_for(head_a).post(
            f"/nonconformities/tasks/{analysis.pk}/",
            {
                "why_1": "Bo tak",
                "root_cause": "Przyczyna",
                "cause_category": category.pk,
                "occurs_elsewhere": "no",
            },
        )
    analysis.refresh_from_db()
    assert analysis.finished
    for day in (10, 16, 18, 25):
        with time_machine.travel(at(datetime.date(2026, 11, day)), tick=False):
            fire_timers()
    assert not Notification.objects.filter(
        key__regex=rf"^(remind|escalate):{analysis.pk}:"
    ).exists()


def test_beat_schedule_fires_the_timers(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fire-workflow-timers"]
    assert entry["task"] == "workflows.tasks.fire_timers"


@pytest.mark.parametrize(
    ("value", "ok"), [("5,1", True), ("3", True), ("5,3,1", False), ("x", False), ("0", False)]
)
def test_deadline_policy_takes_one_or_two_reminders(value, ok):
    from django.core.exceptions import ValidationError

    from workflows.models import DeadlinePolicy

    policy = DeadlinePolicy(severity="minor", reminder_days=value)
    if ok:
        policy.clean()
    else:
        with pytest.raises(ValidationError):
            policy.clean()


def test_no_reminder_for_a_step_given_less_time_than_the_reminder_lead(
    coordinator, card_a, head_a, django_capture_on_commit_callbacks
):
    # Triage gets 5 working days and the first reminder is 5 days before: it would fire at
    # once, together with the assignment notice. It is skipped.
    with (
        time_machine.travel(timezone.make_aware(MONDAY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        nc = nonconformity_register(
            user=coordinator, title="T", description="x", source=Source.AUDIT, unit=card_a.unit
        )
        fire_timers()
    assert len(notes(coordinator, "assigned")) == 1  # the assignment notice went out
    assert notes(coordinator, "remind") == []
    nc.refresh_from_db()
    assert nc.status == Status.TRIAGE  # and the step still waits for the coordinator


def test_reassigning_an_action_hands_over_the_action_too(
    client_for, coordinator, head_a, staff, category, card_a
):
    from workflows.models import Action
    from workflows.services import task_reassign

    nc = nonconformity_register(
        user=coordinator, title="A", description="x", source=Source.AUDIT, unit=card_a.unit
    )
    walk_to_implementation(
        nc, coordinator=coordinator, head=head_a, owners=[head_a], category=category
    )
    [implement] = open_task(nc, "implement")
    task_reassign(task=implement, by=coordinator, to=staff, reason="Urlop")
    assert Action.objects.get(nonconformity=nc).owner == staff
    assert client_for(staff).get(f"/nonconformities/tasks/{implement.pk}/").status_code == 200
