"""The nonconformity process (ISO 9001 10.2), as viewflow runs it.

Map: register → triage (coordinator) → [rejected | merged | analysis (unit head)] →
action plan (head) → plan approval (coordinator; may return it) → one implementation
task per action, in parallel → verification (coordinator): effective → closed;
not effective → back to the plan; "verify at the next measurement" → waits until the
annual cycle re-measures. A closed item can be reopened (a new process, same record).

Every human step carries two reminders before its due date and an escalation to the
coordinator when overdue, repeated every N working days: viewflow's database-backed
timers, fired by our Celery beat task (workflows.tasks.fire_timers).

Task pages are our own (workflows/views.py), not viewflow's generic task views, so that
one access policy (workflows/selectors.py) guards every route; the flow's own URLs are
never mounted.
"""

import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation

from workflows import steps
from workflows.models import Action, Nonconformity, NonconformityProcess, Status


def _not_routed(request, **kwargs):  # pragma: no cover - see the module docstring
    raise Http404


class DataSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, condition, data_source in self.flow_task._branches:
            if condition and not condition(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No outgoing path found for {self.flow_task.name}")


class DataSplit(flow.Split):
    """One parallel task per item (one implementation task per action).

    The open-source viewflow 2.4 Split has no per-item data source; each item given
    here becomes the new task's `task.data`.
    """

    activation_class = DataSplitActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


def _human(view_node):
    """Two reminders before the due date and an escalation once it has passed."""
    return (
        view_node.OnTimeout(this.reminder_1_at, this.remind, interrupting=False)
        .OnTimeout(this.reminder_2_at, this.remind, interrupting=False)
        .OnTimeout(this.escalation_at, this.escalate, interrupting=False)
    )


class NonconformityFlow(flow.Flow):
    process_class = NonconformityProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Nonconformity")

    start = flow.StartHandle(this.start_process).Next(this.triage)
    reopen = flow.StartHandle(this.start_process).Next(this.analysis)

    triage = _human(
        flow.View(_not_routed).Annotation(title=_("Triage")).Assign(this.responsible)
    ).Next(this.triage_outcome)
    triage_outcome = (
        flow.If(this.is_accepted)
        .Annotation(title=_("Accepted?"))
        .Then(this.analysis)
        .Else(this.end)
    )
    analysis = _human(
        flow.View(_not_routed).Annotation(title=_("Root-cause analysis")).Assign(this.responsible)
    ).Next(this.planning)
    planning = _human(
        flow.View(_not_routed).Annotation(title=_("Action plan")).Assign(this.responsible)
    ).Next(this.plan_review)
    plan_review = _human(
        flow.View(_not_routed).Annotation(title=_("Plan approval")).Assign(this.responsible)
    ).Next(this.plan_decision)
    plan_decision = (
        flow.If(this.plan_approved)
        .Annotation(title=_("Plan approved?"))
        .Then(this.split_actions)
        .Else(this.planning)
    )
    split_actions = DataSplit().Next(this.implement, data_source=this.plan_actions)
    implement = _human(
        flow.View(_not_routed).Annotation(title=_("Implement an action")).Assign(this.action_owner)
    ).Next(this.join_actions)
    join_actions = flow.Join().Next(this.verification)
    verification = _human(
        flow.View(_not_routed)
        .Annotation(title=_("Effectiveness verification"))
        .Assign(this.responsible)
    ).Next(this.verdict)
    verdict = (
        flow.Switch()
        .Annotation(title=_("Effective?"))
        .Case(this.end, this.is_closed)
        .Case(this.await_measurement, this.awaits_measurement)
        .Default(this.planning)
    )
    await_measurement = (
        flow.Handle(this.measurement_recorded)
        .Annotation(title=_("Wait for the next measurement"))
        .Next(this.measurement_outcome)
    )
    measurement_outcome = flow.If(this.is_closed).Then(this.end).Else(this.planning)

    # Reminders and escalation run beside the task they watch.
    remind = flow.Function(this.send_reminder).Next(this.end)
    escalate = flow.Function(this.send_escalation).Next(this.escalation_wait)
    escalation_wait = flow.Timer(this.next_escalation_at).Next(this.escalation_check)
    escalation_check = flow.If(this.still_overdue).Then(this.escalate).Else(this.end)

    end = flow.End()

    # --- process start ------------------------------------------------------------

    def start_process(self, activation, nonconformity: Nonconformity):
        activation.process.artifact = nonconformity
        return activation.process

    # --- who does a step (never nobody: see steps.responsible_for) ------------

    def responsible(self, activation):
        return activation.process.artifact.responsible

    def action_owner(self, activation):

        return Action.objects.get(pk=activation.task.data["action"]).owner

    # --- gateways -------------------------------------------------------------------

    def is_accepted(self, activation) -> bool:
        return activation.process.artifact.status == Status.ANALYSIS

    def plan_approved(self, activation) -> bool:
        return activation.process.artifact.status == Status.IMPLEMENTATION

    def plan_actions(self, activation) -> list[dict]:
        nonconformity = activation.process.artifact
        actions = nonconformity.actions.filter(
            plan_round=nonconformity.plan_round, done_on__isnull=True
        ).order_by("pk")
        return [{"action": pk} for pk in actions.values_list("pk", flat=True)]

    def is_closed(self, activation) -> bool:
        return activation.process.artifact.status == Status.CLOSED

    def awaits_measurement(self, activation) -> bool:
        return activation.process.artifact.status == Status.AWAITING_MEASUREMENT

    def measurement_recorded(self, activation, **kwargs):
        """Resumed by services.nonconformity_record_measurement (the annual cycle)."""

    # --- deadlines ------------------------------------------------------------------

    def reminder_1_at(self, activation) -> datetime.datetime:

        return steps.reminder_moment(activation.task.previous.get(), slot=0)

    def reminder_2_at(self, activation) -> datetime.datetime:

        return steps.reminder_moment(activation.task.previous.get(), slot=1)

    def escalation_at(self, activation) -> datetime.datetime:

        return steps.escalation_moment(activation.task.previous.get())

    def next_escalation_at(self, activation) -> datetime.datetime:

        return steps.next_escalation_moment(activation.task, today=timezone.localdate())

    def send_reminder(self, activation) -> None:

        boundary = activation.task.previous.get()
        slot = 1 if boundary.flow_task.name.endswith("_2") else 0
        steps.task_remind(host=boundary.previous.get(), slot=slot)

    def send_escalation(self, activation) -> None:

        steps.task_escalate(escalation=activation.task)

    def still_overdue(self, activation) -> bool:

        return steps.escalation_host(activation.task).finished is None
