"""One task layer for every flow: lists show each step's own subject and page; a task id
of another flow, an unknown one or a foreign one is a 404 on every task page, never a 500."""

import datetime

import pytest
from viewflow.workflow.flow import Flow
from viewflow.workflow.status import STATUS

from review.models import Pack
from review.services import pack_tasks
from tests.review.conftest import YEAR, answer
from tests.review.test_cycle import MAY, run_on
from workflows import task_layer
from workflows.models import Nonconformity
from workflows.records import open_tasks_of

AUG_30 = datetime.date(YEAR, 8, 30)


@pytest.fixture
def breaches_in_both_units(cycle, useful_standard, card_a, card_b):
    """A-01 and B-01 both breach: each unit gets a pack task and a nonconformity."""
    answer(cycle.version, card_a, useful=20, not_useful=40, day=MAY)
    answer(cycle.version, card_b, useful=20, not_useful=40, day=MAY)
    run_on(AUG_30)


def _acknowledge_task(unit):
    pack = Pack.objects.get(unit=unit, cycle__year=YEAR)
    return next(
        t
        for t in pack_tasks(pack)
        if t.flow_task.name == "acknowledge" and t.status == STATUS.ASSIGNED
    )


def test_a_heads_task_list_shows_their_pack_step_by_its_own_subject_and_page(
    breaches_in_both_units, unit_a, unit_b, head_a, client_for
):
    mine = _acknowledge_task(unit_a)
    theirs = _acknowledge_task(unit_b)
    page = client_for(head_a).get("/nonconformities/my-tasks/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'href="/review/tasks/{mine.pk}/"' in body
    assert f"Pakiet wyników {YEAR}: {unit_a.code}" in body
    assert f"/review/tasks/{theirs.pk}/" not in body
    # No nonconformity (of any unit) is shown against a pack step.
    for nc in Nonconformity.objects.all():
        assert nc.number not in body


def test_the_coordinators_task_list_links_each_step_to_its_flows_page(
    breaches_in_both_units, unit_b, coordinator, client_for
):
    nc = Nonconformity.objects.get(unit=unit_b)
    body = client_for(coordinator).get("/nonconformities/my-tasks/").content.decode()
    assert f"{nc.number} {nc.title}" in body
    assert "/nonconformities/tasks/" in body
    # The coordinator owns no pack step: none is listed.
    assert "/review/tasks/" not in body


@pytest.mark.parametrize("who", ["head_a", "coordinator", "auditor"])
def test_a_pack_task_on_the_nonconformity_task_page_is_a_404(
    breaches_in_both_units, unit_a, cast, client_for, who
):
    task = _acknowledge_task(unit_a)
    client = client_for(cast[who])
    assert client.get(f"/nonconformities/tasks/{task.pk}/").status_code == 404
    assert (
        client.post(f"/nonconformities/tasks/{task.pk}/", {"decision": "accept"}).status_code == 404
    )
    reassign = client.post(
        f"/nonconformities/tasks/{task.pk}/reassign/", {"to": cast[who].pk, "reason": "x"}
    )
    assert reassign.status_code in (403, 404)  # the coordinator's control; others refused
    assert _acknowledge_task(unit_a).owner_id == task.owner_id  # nothing handed over


@pytest.mark.parametrize("who", ["head_a", "coordinator", "auditor"])
def test_a_nonconformity_task_on_the_pack_task_page_is_a_404(
    breaches_in_both_units, unit_a, cast, client_for, who
):
    task = open_tasks_of(Nonconformity.objects.get(unit=unit_a))[0]
    client = client_for(cast[who])
    assert client.get(f"/review/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/review/tasks/{task.pk}/", {"note": "x"}).status_code == 404


@pytest.mark.parametrize("url", ["/nonconformities/tasks/999999/", "/review/tasks/999999/"])
def test_an_unknown_task_id_is_a_404(breaches_in_both_units, coordinator, client_for, url):
    assert client_for(coordinator).get(url).status_code == 404


def test_every_flow_of_the_project_is_in_the_task_layer():
    def flows(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from flows(sub)

    ours = {f for f in flows(Flow) if not f.__module__.startswith("viewflow")}
    assert ours, "no flow found"
    assert ours <= set(task_layer.registered_flows())
