"""The results-pack flow's step machinery: due dates, reminder and escalation moments,
the reminders and escalations themselves. review.flows calls these; they never import
the flow, so flows and services import each other's modules at the top."""

import datetime

from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from notifications.services import notify_once
from review.models import Pack
from workflows.steps import coordinators
from workflows.workdays import NEVER, add_working_days, at_morning


def step_due(pack: Pack, step: str) -> datetime.date | None:
    """The acknowledgement is due by the pack's date, catalogue updates by the cycle's."""
    return pack.acknowledge_due_on if step == "acknowledge" else pack.cycle.catalogue_due_on


def task_due_on(task: Task) -> datetime.date | None:
    pack = Pack.objects.select_related("cycle").get(pk=task.process.artifact_object_id)
    return step_due(pack, task.flow_task.name)


def pack_reminder_moment(host: Task) -> datetime.datetime:
    due = task_due_on(host)
    if due is None:
        return timezone.now() + NEVER
    return at_morning(add_working_days(due, -2))


def pack_escalation_moment(host: Task) -> datetime.datetime:
    due = task_due_on(host)
    if due is None:
        return timezone.now() + NEVER
    return at_morning(add_working_days(due, 1))


def watched_task(task: Task) -> Task:
    """The human task an escalation chain watches (walk back through the timers)."""
    current = task
    while current.flow_task_type != "HUMAN":
        current = current.previous.order_by("-pk").first()
    return current


def pack_remind(*, host: Task, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    due = task_due_on(host)
    if host.finished is not None or host.owner is None or due is None or due < today:
        return False
    pack = Pack.objects.select_related("cycle", "unit").get(pk=host.process.artifact_object_id)
    return notify_once(
        host.owner,
        "pack_reminder",
        {"pack": pack, "step": host.flow_task.task_title, "due": due},
        key=f"pack:{pack.pk}:remind:{host.pk}",
        url=reverse("review:task", args=[host.pk]),
    )


def pack_escalate(*, host: Task, today: datetime.date | None = None) -> int:
    """Tell the coordinators (and the owner) that a unit has not done its pack step."""
    today = today or timezone.localdate()
    if host.finished is not None:
        return 0
    pack = Pack.objects.select_related("cycle", "unit").get(pk=host.process.artifact_object_id)
    sent = 0
    for person in sorted({*coordinators(), host.owner} - {None}, key=lambda p: p.pk):
        sent += notify_once(
            person,
            "pack_overdue",
            {
                "pack": pack,
                "step": host.flow_task.task_title,
                "due": task_due_on(host),
                "owner": host.owner,
            },
            key=f"pack:{pack.pk}:escalate:{host.pk}:{today.isoformat()}:{person.pk}",
            url=reverse("review:cycle", args=[pack.cycle.year]),
        )
    return sent
