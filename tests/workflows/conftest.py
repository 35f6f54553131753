import datetime

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.models import CauseCategory, Source
from workflows.services import nonconformity_register


@pytest.fixture
def category(db):
    return CauseCategory.objects.create(name_pl="Niejasna karta usługi", name_en="Unclear card")


@pytest.fixture
def nc(coordinator, head_a, card_a):
    """A fresh nonconformity of unit A, waiting in the coordinator's triage queue."""
    return nonconformity_register(
        user=coordinator,
        title="Karta A-01 nie podaje opłat",
        description="Klienci nie wiedzą, ile zapłacić.",
        source=Source.SURVEY,
        unit=card_a.unit,
        service_card=card_a,
        evidence_summary="Kompletność karty: 52 % (95 % CI 44–60 %), n=140",
    )


def open_task(nc, name=None):
    tasks = Task.objects.filter(
        process__nonconformity=nc, flow_task_type="HUMAN", status=STATUS.ASSIGNED
    )
    if name:
        tasks = [t for t in tasks if t.flow_task.name == name]
    return list(tasks)


def in_days(n: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def walk_to_implementation(nc, *, coordinator, head, owners, category, due_in_days=30):
    """Accept, analyse, plan one action per owner and approve: as the real users, through
    the services. Returns the item, now in implementation."""
    from workflows.services import (
        nonconformity_analyse,
        nonconformity_plan,
        nonconformity_review_plan,
        nonconformity_triage,
    )

    [task] = open_task(nc, "triage")
    nonconformity_triage(task=task, user=coordinator, decision="accept")
    [task] = open_task(nc, "analysis")
    nonconformity_analyse(
        task=task,
        user=head,
        immediate_correction="",
        why_chain=["a"],
        root_cause="b",
        cause_category=category,
        occurs_elsewhere="no",
    )
    [task] = open_task(nc, "planning")
    due = datetime.date.today() + datetime.timedelta(days=due_in_days)
    actions = [
        {"kind": "corrective", "description": f"Zrób {i}", "owner": owner, "due_on": due}
        for i, owner in enumerate(owners)
    ]
    nonconformity_plan(task=task, user=head, actions=actions)
    [task] = open_task(nc, "plan_review")
    nonconformity_review_plan(task=task, user=coordinator, approve=True)
    return nc
