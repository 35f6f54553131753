"""The number of SQL queries per page does not grow with the number of items, tasks or
actions: each page is counted with N items of every kind, then must use exactly as many
with 3N (`make bench-workflow` measures the same pages at 100,000 items)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workflows.conftest import open_task, walk_to_implementation
from workflows.models import Nonconformity, Source
from workflows.services import (
    nonconformity_register,
    nonconformity_triage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grow(coordinator, head_a, head_b, staff, card_a, card_b, category):
    """Adds n items of every kind: waiting for triage (the coordinator's tasks), in
    analysis (head A's; overdue), in implementation (actions of staff and of head B, who
    owns them outside their unit), rejected (closed), and unit B's in analysis."""

    def register(card, title):
        return nonconformity_register(
            user=coordinator, title=title, description="x", source=Source.AUDIT, unit=card.unit
        )

    def triage(nc, decision="accept", reason=""):
        [task] = open_task(nc, "triage")
        nonconformity_triage(task=task, user=coordinator, decision=decision, reason=reason)

    def implementation(nc):
        walk_to_implementation(
            nc, coordinator=coordinator, head=head_a, owners=[staff, head_b], category=category
        )

    def make(n):
        for i in range(n):
            register(card_a, f"Czeka {i}")
            in_analysis = register(card_a, f"Analiza {i}")
            triage(in_analysis)
            Nonconformity.objects.filter(pk=in_analysis.pk).update(
                step_due_on=datetime.date.today() - datetime.timedelta(days=3)
            )
            implementation(register(card_a, f"Wdrożenie {i}"))
            triage(register(card_a, f"Odrzucona {i}"), "reject", "Nie dotyczy")
            triage(register(card_b, f"Komórka B {i}"))

    return make


def test_pages_use_as_many_queries_with_three_times_the_items(
    client_for, grow, coordinator, auditor, head_a, head_b, staff, unit_a, django_assert_num_queries
):
    grow(2)
    waiting = Nonconformity.objects.filter(title="Czeka 0").get()
    [triage] = open_task(waiting, "triage")
    in_analysis = Nonconformity.objects.filter(title="Analiza 0").get()
    [analysis] = open_task(in_analysis, "analysis")
    implementing = Nonconformity.objects.filter(title="Wdrożenie 0").get()
    [implement] = [t for t in open_task(implementing, "implement") if t.owner == staff]
    pages = [
        (coordinator, "/nonconformities/"),
        (coordinator, "/nonconformities/?overdue=1"),
        (coordinator, f"/nonconformities/?status=analysis&unit={unit_a.pk}"),
        (coordinator, "/nonconformities/my-tasks/"),
        (coordinator, f"/nonconformities/{implementing.pk}/"),
        (coordinator, f"/nonconformities/tasks/{triage.pk}/"),  # with similar items
        (auditor, "/nonconformities/"),
        (head_a, "/nonconformities/"),
        (head_a, "/nonconformities/my-tasks/"),
        (head_a, f"/nonconformities/{implementing.pk}/"),
        (head_a, f"/nonconformities/tasks/{analysis.pk}/"),
        (head_b, "/nonconformities/"),  # their unit's items and those of their actions
        (head_b, "/nonconformities/my-tasks/"),
        (staff, "/nonconformities/"),  # only the items of their actions
        (staff, "/nonconformities/my-tasks/"),
        (staff, f"/nonconformities/tasks/{implement.pk}/"),
    ]
    clients = {user: client_for(user) for user in (coordinator, auditor, head_a, head_b, staff)}
    counts = {}
    for user, url in pages:
        assert clients[user].get(url).status_code == 200, (user, url)  # warm-up
        with CaptureQueriesContext(connection) as few:
            assert clients[user].get(url).status_code == 200
        counts[user, url] = len(few.captured_queries)

    grow(4)  # 3N
    assert Nonconformity.objects.filter(title__startswith="Czeka").count() == 6
    for user, url in pages:
        with django_assert_num_queries(counts[user, url], info=f"{user.username} GET {url}"):
            assert clients[user].get(url).status_code == 200
