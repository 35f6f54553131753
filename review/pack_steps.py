"""The results-pack flow's step rules: when a step is due, its reminder and escalations
(run by the shared chain in workflows.stepkit). They never import the flow, so flows
and services import this module at the top."""

import datetime

from django.urls import reverse
from viewflow.workflow.models import Task

from qms.models import User
from review.models import Pack
from workflows.stepkit import Deadlines, Notice
from workflows.steps import coordinators

REMIND_BEFORE = 2  # working days before the acknowledgement is due
ESCALATE_EVERY = 5  # working days between escalations while a step stays open


def step_due(pack: Pack, step: str) -> datetime.date | None:
    """The acknowledgement is due by the pack's date, catalogue updates by the cycle's."""
    return pack.acknowledge_due_on if step == "acknowledge" else pack.cycle.catalogue_due_on


def _pack(task: Task) -> Pack:
    return Pack.objects.select_related("cycle", "unit").get(pk=task.process.artifact_object_id)


class PackDeadlines(Deadlines):
    def due_on(self, task: Task) -> datetime.date | None:
        return step_due(_pack(task), task.flow_task.name)

    def reminder_leads(self, host: Task) -> list[int]:
        return [REMIND_BEFORE]

    def escalate_every(self, host: Task) -> int:
        return ESCALATE_EVERY

    def escalation_recipients(self, host: Task) -> set[User]:
        return {*coordinators(), host.owner}

    def assigned_notice(self, task: Task) -> Notice:
        pack = _pack(task)
        return Notice(
            "pack_task",
            {"pack": pack, "step": task.flow_task, "due": self.due_on(task)},
            key=f"pack:{pack.pk}:task:{task.pk}",
            url=reverse("review:task", args=[task.pk]),
        )

    def reminder_notice(self, host: Task, *, slot: int, due: datetime.date, today) -> Notice:
        pack = _pack(host)
        return Notice(
            "pack_reminder",
            {"pack": pack, "step": host.flow_task, "due": due},
            key=f"pack:{pack.pk}:remind:{host.pk}",
            url=reverse("review:task", args=[host.pk]),
        )

    def overdue_notice(self, host: Task, person: User, *, due, today) -> Notice:
        pack = _pack(host)
        return Notice(
            "pack_overdue",
            {"pack": pack, "step": host.flow_task, "due": due, "owner": host.owner},
            key=f"pack:{pack.pk}:escalate:{host.pk}:{today.isoformat()}:{person.pk}",
            url=reverse("review:cycle", args=[pack.cycle.year]),
        )
