"""The annual cycle, run by its sweep with frozen time: on time, twice, late, killed."""

import datetime
import threading
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from review import services
from review.models import Cycle, Finding, Indicator, Pack, Remeasurement, Step
from tests.review.conftest import YEAR, answer, at
from workflows.models import Nonconformity, Status

AUG_30 = datetime.date(YEAR, 8, 30)
MAY = datetime.date(YEAR, 5, 10)


def done_steps(cycle: Cycle) -> dict[str, Step]:
    return {s.name: s for s in cycle.steps.filter(done_at__isnull=False)}


def run_on(day: datetime.date, **kwargs) -> list[str]:
    with time_machine.travel(at(day), tick=False):
        return services.advance(today=day, **kwargs)


@pytest.fixture
def breach(cycle, useful_standard, card_a, card_b):
    """Card A-01: 20 of 60 find it useful (breach); B-01: 58 of 60 (fine)."""
    answer(cycle.version, card_a, useful=20, not_useful=40, day=MAY)
    answer(cycle.version, card_b, useful=58, not_useful=2, day=MAY)


# --- the timeline ----------------------------------------------------------------------


def test_before_its_dates_nothing_runs(cycle):
    assert run_on(datetime.date(YEAR - 1, 12, 31)) == []
    assert not cycle.steps.exists()


def test_each_step_runs_on_its_day_once(cycle, breach, coordinator):
    run_on(datetime.date(YEAR, 1, 1))
    assert set(done_steps(cycle)) == {"open_survey", "observation_round"}

    run_on(datetime.date(YEAR, 8, 1))
    assert "close_survey" in done_steps(cycle)
    assert "remind_14" not in done_steps(cycle)

    run_on(AUG_30 - datetime.timedelta(days=14))
    assert "remind_14" in done_steps(cycle)
    reminders = Notification.objects.filter(key__startswith=f"cycle:{cycle.pk}:remind:14:")
    assert {n.user.username for n in reminders} == {"coordinator", "head_a", "head_b"}

    run_on(AUG_30)
    steps = done_steps(cycle)
    assert {"close_survey", "analyse", "findings", "packs", "deliver"} <= set(steps)
    assert [name for name, step in steps.items() if step.ran_late] == []
    assert "close" not in steps
    assert Pack.objects.filter(cycle=cycle).count() == 3  # units A, B and the management pack


def rows() -> dict[str, int]:
    """How many of everything a cycle creates."""
    models = [Step, Indicator, Finding, Nonconformity, Pack, Notification, Task]
    return {model.__name__: model.objects.count() for model in models}


def test_running_twice_doubles_nothing(cycle, breach):
    assert run_on(AUG_30)
    before = rows()
    assert run_on(AUG_30) == []
    assert run_on(AUG_30 + datetime.timedelta(days=1)) == []
    assert rows() == before
    assert before["Finding"] == before["Nonconformity"] == 1


def test_a_late_run_catches_up_and_says_so(cycle, breach, client_for, coordinator):
    """The machine was off on 30 August: on 3 September one run does everything due."""
    ran = run_on(datetime.date(YEAR, 9, 3))
    steps = done_steps(cycle)
    assert [name.split(":")[1] for name in ran] == list(steps)  # in order, once each
    assert steps["analyse"].ran_late and steps["packs"].ran_late
    # Reminders whose moment passed are skipped, not sent late.
    assert all(steps[f"remind_{d}"].skipped for d in (14, 7, 1))
    assert not Notification.objects.filter(key__contains=":remind:").exists()
    assert Finding.objects.get().nonconformity.status == Status.TRIAGE

    page = client_for(coordinator).get(f"/review/cycles/{YEAR}/").content.decode()
    assert "data-late" in page
    assert "z opóźnieniem" in page  # Polish, the office's default language


def test_only_the_last_due_reminder_is_sent_after_a_gap(cycle, coordinator):
    run_on(AUG_30 - datetime.timedelta(days=5))  # 14 and 7 days before both passed
    steps = done_steps(cycle)
    assert steps["remind_14"].skipped
    assert not steps["remind_7"].skipped
    assert "remind_1" not in steps


def test_a_step_killed_half_way_leaves_nothing_and_is_finished_next_time(
    cycle, breach, monkeypatch
):
    from review import packs

    real = packs.pack_build
    built = []

    def dies_on_second_unit(*, cycle, unit):
        if len(built) == 1:
            raise SystemExit("worker killed")
        built.append(unit)
        return real(cycle=cycle, unit=unit)

    monkeypatch.setattr(packs, "pack_build", dies_on_second_unit)
    with pytest.raises(SystemExit):
        run_on(AUG_30)
    assert not Pack.objects.exists()  # the first unit's pack is not visible either
    assert "packs" not in done_steps(cycle)
    assert "findings" in done_steps(cycle)  # earlier steps stay done
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))  # its files removed too

    monkeypatch.setattr(packs, "pack_build", real)
    run_on(AUG_30)
    assert Pack.objects.filter(unit__isnull=False).count() == 2
    assert Pack.objects.filter(unit__isnull=True).count() == 1
    assert all(p.pdf and p.xlsx for p in Pack.objects.all())


def test_a_sweep_killed_while_publishing_keeps_what_it_published_and_builds_the_rest(
    cycle, breach, monkeypatch
):
    from review import packs

    real = packs.pack_publish
    published = []

    def dies_on_second_pack(built):
        if len(published) == 1:
            raise SystemExit("worker killed")
        published.append(built.unit)
        return real(built)

    monkeypatch.setattr(packs, "pack_publish", dies_on_second_pack)
    with pytest.raises(SystemExit):
        run_on(AUG_30)
    [first] = Pack.objects.all()
    assert "packs" not in done_steps(cycle)
    monkeypatch.setattr(packs, "pack_publish", real)
    run_on(AUG_30)
    assert Pack.objects.count() == 3 and Pack.objects.filter(pk=first.pk).exists()
    assert "deliver" in done_steps(cycle)


@pytest.fixture
def role_groups(transactional_db):
    """A transactional test's database may have been flushed by an earlier one, which
    removes the groups the migrations created: make sure the roles exist."""
    from django.contrib.auth.models import Group

    from qms.roles import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_do_each_step_once(role_groups, cycle, breach):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; the race is real on PostgreSQL")
    errors = []

    def worker():
        try:
            run_on(AUG_30)
        except Exception as error:  # pragma: no cover - shown by the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Finding.objects.count() == 1
    assert Nonconformity.objects.count() == 1
    assert Pack.objects.count() == 3
    due = [spec for spec in services.steps_for(cycle) if spec.due(cycle) <= AUG_30]
    assert Step.objects.filter(cycle=cycle, done_at__isnull=False).count() == len(due)


def test_the_broker_down_on_run_now_says_so_and_the_sweep_catches_up(
    cycle, breach, client_for, coordinator, monkeypatch
):
    from review import tasks

    def down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(tasks.advance_cycles, "delay", down)
    response = client_for(coordinator).post("/review/run/", follow=True)
    assert response.status_code == 200
    assert "codzienne" in response.content.decode()
    assert not cycle.steps.exists()
    run_on(AUG_30 + datetime.timedelta(days=2))
    assert "deliver" in done_steps(cycle)


def test_run_now_runs_the_due_steps(cycle, breach, client_for, coordinator):
    with time_machine.travel(at(AUG_30), tick=False):
        client_for(coordinator).post("/review/run/")
    assert "deliver" in done_steps(cycle)


# --- findings and nonconformities -------------------------------------------------------


def test_a_breach_becomes_one_nonconformity_with_its_evidence(cycle, breach, card_a):
    run_on(AUG_30)
    finding = Finding.objects.get()
    assert finding.card == card_a
    nc = finding.nonconformity
    assert nc.unit == card_a.unit and nc.service_card == card_a
    assert nc.status == Status.TRIAGE
    assert "z 60 odpowiedzi" in nc.evidence_summary  # the whole card's sample, n = 60
    assert "33 %" in nc.evidence_summary  # 20/60, aggregated, never a response


def test_no_breach_when_the_interval_reaches_the_target_or_the_sample_is_small(
    cycle, useful_standard, card_a, card_b
):
    answer(cycle.version, card_a, useful=5, not_useful=20, day=MAY)  # 25 < minimum 30
    answer(cycle.version, card_b, useful=24, not_useful=6, day=MAY)  # 80 %: interval spans
    run_on(AUG_30)
    assert not Finding.objects.exists()


def test_a_unit_override_replaces_the_office_standard(cycle, breach, useful_standard, unit_a):
    from review.models import Standard

    Standard.objects.create(
        name_pl="A: 20%",
        kind=Standard.Kind.SHARE_AT_LEAST,
        key="card_useful",
        target=0.2,
        unit=unit_a,
    )
    run_on(AUG_30)
    assert not Finding.objects.exists()


def test_document_errors_above_the_limit_become_a_finding(cycle, card_a, staff, useful_standard):
    from review.models import Standard
    from surveys.models import StaffObservation

    Standard.objects.create(
        name_pl="Błędy", kind=Standard.Kind.ERRORS_AT_MOST, target=10, minimum_sample=1
    )
    StaffObservation.objects.create(
        card=card_a,
        kind=StaffObservation.Kind.DOCUMENT_ERROR,
        summary="Brak podpisu",
        frequency=4,
        period=StaffObservation.Period.WEEK,
        recorded_by=staff,
        recorded_on=MAY,
    )
    run_on(AUG_30)
    finding = Finding.objects.get()
    assert finding.nonconformity.source == "observation"
    assert "17.3" in finding.summary  # 4 a week ≈ 17.3 a month


# --- effectiveness by re-measurement ---------------------------------------------------


def _next_cycle(cycle: Cycle) -> Cycle:
    return Cycle.objects.create(
        year=YEAR + 1,
        version=cycle.version,
        survey_opens_on=datetime.date(YEAR + 1, 1, 1),
        survey_closes_on=datetime.date(YEAR + 1, 7, 31),
        observations_due_on=datetime.date(YEAR + 1, 7, 31),
        analysis_due_on=datetime.date(YEAR + 1, 8, 30),
        catalogue_due_on=datetime.date(YEAR + 1, 10, 31),
    )


def _set_status(nc: Nonconformity, status: str) -> None:
    """Walking the whole process is tested in tests/workflows; here only the state matters."""
    Nonconformity.objects.filter(pk=nc.pk).update(status=status)


def test_waiting_item_is_remeasured_and_the_coordinator_confirms(
    cycle, breach, card_a, coordinator, client_for
):
    from tests.review.conftest import walk_to_measurement

    run_on(datetime.date(YEAR, 9, 1))
    nc = Finding.objects.get().nonconformity
    walk_to_measurement(nc)
    following = _next_cycle(cycle)
    answer(cycle.version, card_a, useful=55, not_useful=5, day=datetime.date(YEAR + 1, 3, 1))
    run_on(datetime.date(YEAR + 1, 8, 30), cycle=following)
    item = Remeasurement.objects.get()
    assert item.proposal == Remeasurement.Proposal.EFFECTIVE
    assert item.before.cycle == cycle and item.after.cycle == following
    assert Nonconformity.objects.count() == 1  # no second item for the same breach

    page = client_for(coordinator).get(f"/review/cycles/{YEAR + 1}/").content.decode()
    assert f'data-remeasurement="{item.pk}"' in page
    client_for(coordinator).post(f"/review/remeasurements/{item.pk}/", {"effective": "1"})
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED
    assert "Przed (2026)" in nc.verdict_evidence  # the record's language: the office's


def test_a_closed_item_breached_again_is_reopened_with_both_cycles(cycle, breach, card_a):
    run_on(AUG_30)
    nc = Finding.objects.get().nonconformity
    _close(nc)
    following = _next_cycle(cycle)
    answer(cycle.version, card_a, useful=10, not_useful=50, day=datetime.date(YEAR + 1, 3, 1))
    run_on(datetime.date(YEAR + 1, 8, 30), cycle=following)
    nc.refresh_from_db()
    assert nc.status == Status.ANALYSIS
    assert Nonconformity.objects.count() == 1
    assert nc.findings.count() == 2
    reopen = nc.events.get(transition="reopen")
    assert str(YEAR) in reopen.note and str(YEAR + 1) in reopen.note


def _close(nc: Nonconformity) -> None:
    from tests.review.conftest import walk_to_closed

    walk_to_closed(nc)
    nc.refresh_from_db()
    assert nc.status == Status.CLOSED


# --- a unit's pack: acknowledgement, reminders, escalation ---------------------------


def _open_task(pack, name):
    from review.services import pack_tasks

    return next(
        t for t in pack_tasks(pack) if t.flow_task.name == name and t.status == STATUS.ASSIGNED
    )


def test_the_head_acknowledges_then_reports_catalogue_updates(
    cycle, breach, unit_a, head_a, head_b, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_on(AUG_30)
    pack = Pack.objects.get(unit=unit_a)
    task = _open_task(pack, "acknowledge")
    assert task.owner == head_a
    assert Notification.objects.filter(user=head_a, key=f"pack:{pack.pk}:task:{task.pk}").exists()

    # Another unit's head cannot see or act on it.
    assert client_for(head_b).get(f"/review/tasks/{task.pk}/").status_code == 404
    assert client_for(head_b).post(f"/review/tasks/{task.pk}/", {"note": "x"}).status_code == 404

    head = client_for(head_a)
    page = head.post(f"/review/tasks/{task.pk}/", {"note": ""})
    assert page.status_code == 422  # the note is required: the form comes back
    head.post(f"/review/tasks/{task.pk}/", {"note": "Karta A-01: dodamy wzór wniosku."})
    pack.refresh_from_db()
    assert pack.acknowledged_by == head_a and pack.acknowledged_at
    catalogue = _open_task(pack, "catalogue")
    assert catalogue.owner == head_a
    # A second click on the finished acknowledgement completes nothing twice.
    again = head.post(f"/review/tasks/{task.pk}/", {"note": "again"})
    assert again.status_code == 302  # back to the list, with "completed already"
    head.post(f"/review/tasks/{catalogue.pk}/", {"note": "Opublikowano rewizję 2."})
    pack.refresh_from_db()
    assert pack.catalogue_done_at is not None


def test_an_unacknowledged_pack_is_reminded_then_escalated(cycle, breach, unit_a, head_a):
    from viewflow.workflow.timers import fire_due_timers

    from workflows.workdays import add_working_days

    run_on(AUG_30)  # a Sunday: due 10 working days later
    pack = Pack.objects.get(unit=unit_a)
    due = pack.acknowledge_due_on
    with time_machine.travel(at(add_working_days(due, -2), hour=9), tick=False):
        fire_due_timers()
    assert (
        Notification.objects.filter(user=head_a, key__startswith=f"pack:{pack.pk}:remind").count()
        == 1
    )
    with time_machine.travel(at(add_working_days(due, 1), hour=9), tick=False):
        fire_due_timers()
        fire_due_timers()  # twice: still one escalation per person and day
    escalated = Notification.objects.filter(key__startswith=f"pack:{pack.pk}:escalate")
    assert {n.user.username for n in escalated} == {"coordinator", "head_a"}


# --- who sees the cycle ----------------------------------------------------------------


@pytest.mark.parametrize(
    "role, url, expected",
    [
        ("coordinator", "/review/", 200),
        ("auditor", "/review/", 200),
        ("head_a", "/review/", 200),
        ("coordinator", f"/review/cycles/{YEAR}/", 200),
        ("auditor", f"/review/cycles/{YEAR}/", 200),
        ("head_a", f"/review/cycles/{YEAR}/", 403),
        ("staff", f"/review/cycles/{YEAR}/", 403),
        ("coordinator", f"/review/cycles/{YEAR}/edit/", 200),
        ("auditor", f"/review/cycles/{YEAR}/edit/", 403),
        ("head_a", f"/review/cycles/{YEAR}/edit/", 403),
        ("coordinator", "/review/cycles/new/", 200),
        ("auditor", "/review/cycles/new/", 403),
        ("coordinator", "/review/standards/", 200),
        ("auditor", "/review/standards/", 200),
        ("head_a", "/review/standards/", 403),
        ("auditor", "/review/standards/new/", 403),
        (None, f"/review/cycles/{YEAR}/", 302),
    ],
)
def test_cycle_pages_access(cycle, cast, client_for, role, url, expected):
    user = cast[role] if role else None
    assert client_for(user).get(url).status_code == expected


@pytest.mark.parametrize("role", ["auditor", "head_a", "staff"])
def test_only_the_coordinator_runs_the_cycle(cycle, cast, client_for, role):
    assert client_for(cast[role]).post("/review/run/").status_code == 403
    assert not cycle.steps.exists()


def test_dates_out_of_order_get_a_clear_message_and_keep_the_input(cycle, coordinator, client_for):
    data = {
        "version": cycle.version.pk,
        "survey_opens_on": f"{YEAR}-01-01",
        "survey_closes_on": f"{YEAR}-07-31",
        "observations_due_on": f"{YEAR}-07-31",
        "analysis_due_on": f"{YEAR}-07-01",
        "catalogue_due_on": f"{YEAR}-10-31",
        "reminder_days": "14,7,1",
        "acknowledgement_days": "10",
    }
    page = client_for(coordinator).post(f"/review/cycles/{YEAR}/edit/", data)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Termin analizy" in text
    assert f"{YEAR}-07-01" in text
    cycle.refresh_from_db()
    assert cycle.analysis_due_on == AUG_30


def test_the_heads_dashboard_lists_their_pack_task_only(
    cycle, breach, unit_a, head_a, head_b, client_for
):
    run_on(AUG_30)
    task = _open_task(Pack.objects.get(unit=unit_a), "acknowledge")
    page = client_for(head_a).get("/dashboard/").content.decode()
    assert f"/review/tasks/{task.pk}/" in page
    other = client_for(head_b).get("/dashboard/").content.decode()
    assert f"/review/tasks/{task.pk}/" not in other


def test_a_standard_for_an_unknown_question_is_refused_and_the_input_kept(
    survey, coordinator, client_for
):
    from review.models import Standard

    data = {
        "name_pl": "Przydatność",
        "kind": Standard.Kind.SHARE_AT_LEAST,
        "key": "card_usefull",
        "target": "0.8",
        "minimum_sample": "30",
        "severity": "minor",
        "is_active": "on",
        "once": "standard-1",
    }
    before = Standard.objects.count()
    page = client_for(coordinator).post("/review/standards/new/", data)
    assert page.status_code == 200
    text = page.content.decode()
    assert "card_usefull" in text and "Przydatność" in text
    assert Standard.objects.count() == before
    data["key"] = "card_useful"
    assert client_for(coordinator).post("/review/standards/new/", data).status_code == 302
    assert Standard.objects.count() == before + 1
