"""One step kit for every flow of the product (nonconformities, results packs).

A person's step in any flow is built from the same pieces:

- `human_step(...)`: viewflow's View node naming the step's form and its service, with
  its reminders and escalation attached (`watched`). The flow's own URLs are never
  mounted (`not_routed`): our task pages serve every step, behind one access policy.
- `Deadlines`: a flow's rules for when a step is due, when its reminders and
  escalations fire and what they say. The flow mixes in `DeadlineChain`, which gives
  its timer and function nodes (`first_reminder`, `second_reminder`, `escalate`,
  `escalation_wait`, `escalation_check`) their moments and their work.
- `complete_human_task`: completes the owner's task once, under the process lock, and
  tells the owners of the next steps in the same transaction.
- `TaskPage`: the page base (load the task through the flow's own selector, show the
  step's form, complete the step through its service).

Nothing here knows a flow by name; each flow's file reads like its process map.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import View
from viewflow import this
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow import flow
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from notifications.services import notify_once
from qms.models import User
from qms.views import AuthedRequest, apply_service_errors
from workflows.workdays import NEVER, add_working_days, at_morning

ModelT = TypeVar("ModelT", bound=models.Model)

REMINDER_NODES = ("first_reminder", "second_reminder")  # the flow's named reminder nodes


class StepAlreadyDone(Exception):
    """The task was completed (or reassigned) by someone else in the meantime."""


class StepBusy(Exception):
    """Someone else is completing a step of this item at this very moment."""


# --- the flow's nodes -------------------------------------------------------------------


def not_routed(request, **kwargs):  # pragma: no cover - see the module docstring
    raise Http404


class HumanStep(flow.View):
    """A person's step: the form they fill in and the service that completes the step.

    Both are dotted paths, resolved on first use: the forms and services of a flow
    import the flow (to start it), so the flow cannot import them back.
    """

    def __init__(self, *, form: str, service: str, **kwargs: Any) -> None:
        super().__init__(not_routed, **kwargs)
        self.form_path = form
        self.service_path = service

    @cached_property
    def form_class(self) -> Any:
        return import_string(self.form_path)

    @cached_property
    def service(self) -> Callable[..., Any]:
        return import_string(self.service_path)


def watched(node: flow.View, *, reminders: int) -> flow.View:
    """Attach `reminders` reminders before the due date (the flow's `first_reminder`,
    `second_reminder` nodes) and the escalation once it has passed (`escalate`)."""
    for name in REMINDER_NODES[:reminders]:
        node = node.OnTimeout(getattr(this, f"{name}_at"), getattr(this, name), interrupting=False)
    return node.OnTimeout(this.escalation_at, this.escalate, interrupting=False)


def human_step(title: Any, *, assign: Any, form: str, service: str, reminders: int) -> flow.View:
    """A person's step, its owner, its form and service, its reminders and escalation."""
    step = HumanStep(form=form, service=service).Annotation(title=title).Assign(assign)
    return watched(step, reminders=reminders)


def watched_task(task: Task) -> Task:
    """The human task a reminder or escalation chain watches (walk back through it)."""
    current = task
    while current.flow_task_type != "HUMAN":
        current = current.previous.order_by("-pk").first()
    return current


# --- deadlines: a flow's rules, one chain of reminders and escalation -------------------


@dataclass(frozen=True)
class Notice:
    """What to tell a person: the template, its context, the claim key, the link."""

    template: str
    context: dict
    key: str
    url: str


class Deadlines:
    """A flow's deadline rules. Subclasses answer the questions; the chain is shared."""

    def due_on(self, task: Task) -> datetime.date | None:
        raise NotImplementedError

    def reminder_leads(self, host: Task) -> list[int]:
        """Working days before the due date at which reminders go, one per slot."""
        raise NotImplementedError

    def escalate_every(self, host: Task) -> int:
        """Working days between repeated escalations while the step stays overdue."""
        raise NotImplementedError

    def escalation_recipients(self, host: Task) -> set[User]:
        raise NotImplementedError

    def assigned_notice(self, task: Task) -> Notice:
        raise NotImplementedError

    def reminder_notice(self, host: Task, *, slot: int, due: datetime.date, today) -> Notice:
        raise NotImplementedError

    def overdue_notice(self, host: Task, person: User, *, due, today) -> Notice:
        raise NotImplementedError

    def escalated(self, host: Task, *, due: datetime.date | None) -> None:
        """Called once an escalation told someone (e.g. to write the item's history)."""

    # --- the shared chain ---------------------------------------------------------

    def reminder_moment(self, host: Task, *, slot: int) -> datetime.datetime:
        due = self.due_on(host)
        leads = self.reminder_leads(host)
        if due is None or slot >= len(leads):
            return timezone.now() + NEVER
        return at_morning(add_working_days(due, -leads[slot]))

    def escalation_moment(self, host: Task) -> datetime.datetime:
        due = self.due_on(host)
        if due is None:
            return timezone.now() + NEVER
        return at_morning(add_working_days(due, 1))  # overdue: the first working day after

    def next_escalation_moment(self, host: Task, *, today: datetime.date) -> datetime.datetime:
        return at_morning(add_working_days(today, self.escalate_every(host)))

    def remind(self, *, host: Task, slot: int, today: datetime.date | None = None) -> bool:
        """Remind the owner that a step is due soon; once per task and slot."""
        today = today or timezone.localdate()
        due = self.due_on(host)
        if host.finished is not None or host.owner is None or due is None or due < today:
            return False
        leads = self.reminder_leads(host)
        given_on = timezone.localtime(host.created).date()
        if slot < len(leads) and add_working_days(due, -leads[slot]) <= given_on:
            return False  # the step was given with less time than this reminder's lead
        return _tell(host.owner, self.reminder_notice(host, slot=slot, due=due, today=today))

    def escalate(self, *, host: Task, today: datetime.date | None = None) -> int:
        """Tell the recipients (the coordinators and the owner) that a step is overdue;
        once per person and working day."""
        today = today or timezone.localdate()
        if host.finished is not None:
            return 0
        due = self.due_on(host)
        people = sorted(self.escalation_recipients(host) - {None}, key=lambda p: p.pk)
        sent = sum(
            _tell(person, self.overdue_notice(host, person, due=due, today=today))
            for person in people
        )
        if sent:
            self.escalated(host, due=due)
        return sent


def _tell(person: User, notice: Notice) -> bool:
    return notify_once(person, notice.template, notice.context, key=notice.key, url=notice.url)


class DeadlineChain:
    """Mixed into a Flow: the moments and the work of its reminder and escalation nodes.

    The flow declares the nodes (they are part of its map) and sets `deadlines`.
    """

    deadlines: Deadlines

    def first_reminder_at(self, activation) -> datetime.datetime:
        return self.deadlines.reminder_moment(watched_task(activation.task), slot=0)

    def second_reminder_at(self, activation) -> datetime.datetime:
        return self.deadlines.reminder_moment(watched_task(activation.task), slot=1)

    def escalation_at(self, activation) -> datetime.datetime:
        return self.deadlines.escalation_moment(watched_task(activation.task))

    def next_escalation_at(self, activation) -> datetime.datetime:
        host = watched_task(activation.task)
        return self.deadlines.next_escalation_moment(host, today=timezone.localdate())

    def send_first_reminder(self, activation) -> None:
        self.deadlines.remind(host=watched_task(activation.task), slot=0)

    def send_second_reminder(self, activation) -> None:
        self.deadlines.remind(host=watched_task(activation.task), slot=1)

    def send_escalation(self, activation) -> None:
        self.deadlines.escalate(host=watched_task(activation.task))

    def still_open(self, activation) -> bool:
        return watched_task(activation.task).finished is None


# --- completing a step ------------------------------------------------------------------


def notify_new_tasks(process_id: int) -> None:
    """Tell each owner of a waiting human task of the process that it waits for them
    (once per task and owner: the claim key makes a second call a no-op)."""
    for task in Task.objects.filter(
        process_id=process_id, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
    ).select_related("owner", "process"):
        if task.owner is not None:
            _tell(task.owner, task.flow_task.flow_class.deadlines.assigned_notice(task))


def complete_human_task(
    task: Task, user: User, artifact_model: type[ModelT], change: Callable[[ModelT], None]
) -> ModelT:
    """Complete the owner's human task once, changing its process's artifact with it,
    and tell the owners of the next steps, all in one transaction.

    Under the flow's process lock (select_for_update on PostgreSQL): a second click or
    a second person gets StepAlreadyDone, a lock held elsewhere StepBusy.
    """
    flow_class = task.flow_task.flow_class
    try:
        with flow_class.lock(task.process_id), transaction.atomic():
            task.refresh_from_db()
            if task.status != STATUS.ASSIGNED:
                raise StepAlreadyDone
            if task.owner_id != user.pk:
                raise PermissionDenied
            activation = task.flow_task.activation_class(task)
            try:
                activation.start(None)
            except TransitionNotAllowed:
                raise StepAlreadyDone from None
            artifact = artifact_model._default_manager.select_for_update().get(
                pk=task.process.artifact_object_id
            )
            change(artifact)
            artifact.save()
            activation.execute()
            notify_new_tasks(task.process_id)
    except FlowLockFailed:
        raise StepBusy from None
    return artifact


# --- the task page ----------------------------------------------------------------------


class StepForm:
    """What the task page needs of a step's form (mixed into a Form or FormSet)."""

    @classmethod
    def for_step(cls, data, files, *, artifact: Any, task: Task, user: User) -> Any:
        return cls(data, files)  # type: ignore[call-arg]

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)  # type: ignore[attr-defined]


class TaskPage(View):
    """Every human step of a flow: the record, the step's form; only its owner submits.

    A subclass names the flow's selector (`load_task`, None → 404), the artifact, the
    template and where a completed step leads; the step's node names the form and
    the service.
    """

    template_name: str

    def load_task(self, user: User, task_pk: int) -> Task | None:
        raise NotImplementedError

    def artifact(self, task: Task) -> Any:
        return task.process.artifact

    def context(self, task: Task, artifact: Any, form: Any) -> dict:
        return {}

    def done_url(self, task: Task, artifact: Any) -> str:
        raise NotImplementedError

    def dispatch(self, request: AuthedRequest, task_pk: int) -> HttpResponse:  # type: ignore[override]
        task = self.load_task(request.user, task_pk)
        if task is None:
            raise Http404
        artifact = self.artifact(task)
        step = task.flow_task
        mine = task.owner_id == request.user.pk and task.finished is None
        posted = request.method == "POST"
        if posted and task.owner_id == request.user.pk and task.finished:
            messages.error(request, _("This step was completed already; nothing was changed."))
            return redirect(self.done_url(task, artifact))
        if posted and not mine:
            raise PermissionDenied
        form = step.form_class.for_step(
            request.POST if posted else None,
            request.FILES if posted else None,
            artifact=artifact,
            task=task,
            user=request.user,
        )
        if posted and form.is_valid():
            try:
                step.service(task=task, user=request.user, **form.service_kwargs())
            except StepAlreadyDone:
                messages.error(request, _("This step was completed already; nothing was changed."))
                return redirect(self.done_url(task, artifact))
            except StepBusy:
                apply_service_errors(
                    form,
                    ValidationError(
                        _("Someone is completing a step of this item right now. Send it again.")
                    ),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Step completed: %(step)s.") % {"step": step.task_title}
                )
                return redirect(self.done_url(task, artifact))
        context = {
            "task": task,
            "step": step.name,
            "mine": mine,
            "due": step.flow_class.deadlines.due_on(task),
            "form": form,
            **self.context(task, artifact, form),
        }
        return render(request, self.template_name, context, status=422 if posted else 200)
