"""The nonconformity flow's step rules: who does a step, when it is due, and its
reminders and escalations (run by the shared chain in workflows.stepkit).

They never import the flow, so the flow and the services (which start and advance it)
import this module at the top.
"""

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from qms.models import OrgUnit, User
from qms.roles import Role
from workflows.models import Absence, Action, DeadlinePolicy, Event, Nonconformity
from workflows.stepkit import Deadlines, Notice
from workflows.workdays import working_days_between

# --- who and when -------------------------------------------------------------------


def coordinators() -> list[User]:
    people = list(User.objects.filter(is_active=True, groups__name=Role.COORDINATOR).order_by("pk"))
    return people or list(User.objects.filter(is_active=True, is_superuser=True).order_by("pk"))


def coordinator_user() -> User:
    """The person whose queue holds coordinator steps (the first active coordinator)."""
    people = coordinators()
    if not people:
        raise ValidationError(_("There is no active quality coordinator to take this step."))
    return people[0]


def is_absent(user: User, day: datetime.date) -> bool:
    return Absence.objects.filter(user=user, starts_on__lte=day, ends_on__gte=day).exists()


def responsible_for(unit: OrgUnit, *, day: datetime.date | None = None) -> User:
    """The unit's head; the deputy when the head is absent that day; else the coordinator.

    Never nobody: viewflow lets any user claim a task assigned to no one.
    """
    day = day or timezone.localdate()
    for person in (unit.head, unit.deputy):
        if person is not None and person.is_active and not is_absent(person, day):
            return person
    return coordinator_user()


def policy_for(severity: str) -> DeadlinePolicy:
    policy = DeadlinePolicy.objects.filter(severity=severity).first()
    return policy or DeadlinePolicy(severity=severity)


def _nc_id(task: Task) -> int:
    return task.process.artifact_object_id


# --- when a step is due (one rule for the task lists, the pages and the reminders) -------


def due_dates(light: list[tuple[int, int, str, dict]]) -> dict[int, datetime.date | None]:
    """{task pk: due date} of nonconformity steps, from (pk, item id, step name, data)
    tuples, in two light queries (no model objects): an action's implementation is due
    by the action's date, every other step by the item's current step date."""
    step_due = dict(
        Nonconformity.objects.filter(pk__in={nc for _, nc, _, _ in light}).values_list(
            "pk", "step_due_on"
        )
    )
    actions = [data["action"] for _, _, node, data in light if "action" in (data or {})]
    action_due = dict(Action.objects.filter(pk__in=actions).values_list("pk", "due_on"))
    return {
        pk: action_due.get(data["action"]) if "action" in (data or {}) else step_due.get(nc)
        for pk, nc, node, data in light
    }


def task_due_on(task: Task) -> datetime.date | None:
    light = (task.pk, _nc_id(task), task.flow_task.name, task.data or {})
    return due_dates([light])[task.pk]


# --- reminders and escalation (workflows.stepkit runs the chain) ------------------------


class NonconformityDeadlines(Deadlines):
    """Reminders and escalation per the item's severity (DeadlinePolicy); an escalation
    is written into the item's history."""

    def due_on(self, task: Task) -> datetime.date | None:
        return task_due_on(task)

    def _nc(self, task: Task) -> Nonconformity:
        return Nonconformity.objects.get(pk=_nc_id(task))

    def reminder_leads(self, host: Task) -> list[int]:
        return policy_for(self._nc(host).severity).reminder_list()

    def escalate_every(self, host: Task) -> int:
        return policy_for(self._nc(host).severity).escalation_every

    def escalation_recipients(self, host: Task) -> set[User]:
        return {*coordinators(), host.owner}

    def assigned_notice(self, task: Task) -> Notice:
        return Notice(
            "task_assigned",
            {"nc": self._nc(task), "step": task.flow_task, "due": self.due_on(task)},
            key=f"assigned:{task.pk}:{task.owner_id}",
            url=reverse("nonconformities:task", args=[task.pk]),
        )

    def reminder_notice(self, host: Task, *, slot: int, due: datetime.date, today) -> Notice:
        return Notice(
            "task_reminder",
            {
                "nc": self._nc(host),
                "step": host.flow_task,
                "due": due,
                "days_left": working_days_between(today, due),
            },
            key=f"remind:{host.pk}:{slot}",
            url=reverse("nonconformities:task", args=[host.pk]),
        )

    def overdue_notice(self, host: Task, person: User, *, due, today) -> Notice:
        nc = self._nc(host)
        return Notice(
            "task_overdue",
            {
                "nc": nc,
                "step": host.flow_task,
                "due": due,
                "owner": host.owner,
                "days_overdue": working_days_between(due, today) if due else 0,
            },
            key=f"escalate:{host.pk}:{today.isoformat()}:{person.pk}",
            url=reverse("nonconformities:detail", args=[nc.pk]),
        )

    def escalated(self, host: Task, *, due: datetime.date | None) -> None:
        nc = self._nc(host)
        Event.objects.create(
            nonconformity=nc,
            transition=Event.Transition.ESCALATE,
            from_status=nc.status,
            to_status=nc.status,
            note_key=Event.NoteKey.OVERDUE,
            note_params={
                "step": host.flow_task.name,
                "due": due.isoformat() if due else "",
                "owner": str(host.owner or ""),
            },
        )
