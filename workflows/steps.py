"""The nonconformity flow's step machinery: who does a step, its due date, the moments of
its reminders and escalations, and the reminders and escalations themselves.

workflows.flows calls these from its timers; they never import the flow, so the flow and
the services (which start and advance it) import their modules at the top.
"""

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from notifications.services import notify_once
from qms.models import OrgUnit, User
from qms.roles import Role
from workflows.models import Absence, Action, DeadlinePolicy, Event, Nonconformity
from workflows.workdays import NEVER, add_working_days, at_morning, working_days_between

HUMAN_STEPS = {"triage", "analysis", "planning", "plan_review", "implement", "verification"}


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


# --- deadlines, reminders, escalation (called by the flow's timers) ---------------------


def task_due_on(task: Task) -> datetime.date | None:
    if task.flow_task.name == "implement":
        return Action.objects.get(pk=task.data["action"]).due_on
    return Nonconformity.objects.get(pk=_nc_id(task)).step_due_on


def reminder_moment(host: Task, *, slot: int) -> datetime.datetime:
    due = task_due_on(host)
    nc = Nonconformity.objects.get(pk=_nc_id(host))
    days = policy_for(nc.severity).reminder_list()
    if due is None or slot >= len(days):
        return timezone.now() + NEVER
    return at_morning(add_working_days(due, -days[slot]))


def escalation_moment(host: Task) -> datetime.datetime:
    due = task_due_on(host)
    if due is None:
        return timezone.now() + NEVER
    return at_morning(add_working_days(due, 1))  # overdue: the first working day after


def escalation_host(task: Task) -> Task:
    """The human task an escalation chain watches (walk back through the timers)."""
    current = task
    while current.flow_task.name not in HUMAN_STEPS:
        current = current.previous.order_by("-pk").first()
    return current


def next_escalation_moment(task: Task, *, today: datetime.date) -> datetime.datetime:
    nc = Nonconformity.objects.get(pk=_nc_id(task))
    return at_morning(add_working_days(today, policy_for(nc.severity).escalation_every))


def task_remind(*, host: Task, slot: int, today: datetime.date | None = None) -> bool:
    """Remind the owner that a step is due soon; once per task and slot."""
    today = today or timezone.localdate()
    due = task_due_on(host)
    if host.finished is not None or host.owner is None or due is None or due < today:
        return False
    days_before = policy_for(Nonconformity.objects.get(pk=_nc_id(host)).severity).reminder_list()
    if (
        slot < len(days_before)
        and add_working_days(due, -days_before[slot]) <= timezone.localtime(host.created).date()
    ):
        return False  # the step was given with less time than this reminder's lead
    nc = Nonconformity.objects.get(pk=_nc_id(host))
    return notify_once(
        host.owner,
        "task_reminder",
        {
            "nc": nc,
            "step": host.flow_task.task_title,
            "due": due,
            "days_left": working_days_between(today, due),
        },
        key=f"remind:{host.pk}:{slot}",
        url=reverse("nonconformities:task", args=[host.pk]),
    )


def task_escalate(*, escalation: Task, today: datetime.date | None = None) -> int:
    """Tell every coordinator (and the owner) that a step is overdue; once per working day."""
    today = today or timezone.localdate()
    host = escalation_host(escalation)
    if host.finished is not None:
        return 0
    nc = Nonconformity.objects.get(pk=_nc_id(host))
    due = task_due_on(host)
    context = {
        "nc": nc,
        "step": host.flow_task.task_title,
        "due": due,
        "owner": host.owner,
        "days_overdue": working_days_between(due, today) if due else 0,
    }
    sent = 0
    for person in {*coordinators(), host.owner} - {None}:
        sent += notify_once(
            person,
            "task_overdue",
            context,
            key=f"escalate:{host.pk}:{today.isoformat()}:{person.pk}",
            url=reverse("nonconformities:detail", args=[nc.pk]),
        )
    if sent:
        Event.objects.create(
            nonconformity=nc,
            transition="escalate",
            from_status=nc.status,
            to_status=nc.status,
            note=_("%(step)s overdue since %(due)s (%(owner)s)")
            % {"step": host.flow_task.task_title, "due": due, "owner": host.owner},
        )
    return sent
