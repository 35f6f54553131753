"""The nonconformity process (ISO 9001 10.2), as viewflow runs it.

Map: register → triage (coordinator) → [rejected | merged | analysis (unit head)] →
action plan (head) → plan approval (coordinator; may return it) → one implementation
task per action, in parallel → verification (coordinator): effective → closed;
not effective → back to the plan; "verify at the next measurement" → waits until the
annual cycle re-measures. A closed item can be reopened (a new process, same record).

Every human step carries two reminders before its due date and an escalation to the
coordinator when overdue, repeated every N working days: viewflow's database-backed
timers, fired by our Celery beat task (workflows.tasks.fire_timers).

Each human step names its form and the service that completes it; task pages are our
own (workflows.stepkit.TaskPage, workflows/views.py), not viewflow's generic task views,
so that one access policy (workflows/selectors.py) guards every route; the flow's own
URLs are never mounted.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation

from workflows import steps
from workflows.models import Action, Nonconformity, NonconformityProcess, Status
from workflows.stepkit import DeadlineChain, human_step


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


class NonconformityFlow(DeadlineChain, flow.Flow):
    process_class = NonconformityProcess
    deadlines = steps.NonconformityDeadlines()
    lock_impl = lock.select_for_update_lock
    process_title = _("Nonconformity")

    start = flow.StartHandle(this.start_process).Next(this.triage)
    reopen = flow.StartHandle(this.start_process).Next(this.analysis)

    triage = human_step(
        _("Triage"),
        assign=this.responsible,
        form="workflows.forms.TriageForm",
        service="workflows.services.nonconformity_triage",
        reminders=2,
    ).Next(this.triage_outcome)
    triage_outcome = (
        flow.If(this.is_accepted)
        .Annotation(title=_("Accepted?"))
        .Then(this.analysis)
        .Else(this.end)
    )
    analysis = human_step(
        _("Root-cause analysis"),
        assign=this.responsible,
        form="workflows.forms.AnalysisForm",
        service="workflows.services.nonconformity_analyse",
        reminders=2,
    ).Next(this.planning)
    planning = human_step(
        _("Action plan"),
        assign=this.responsible,
        form="workflows.forms.ActionFormSet",
        service="workflows.services.nonconformity_plan",
        reminders=2,
    ).Next(this.plan_review)
    plan_review = human_step(
        _("Plan approval"),
        assign=this.responsible,
        form="workflows.forms.PlanReviewForm",
        service="workflows.services.nonconformity_review_plan",
        reminders=2,
    ).Next(this.plan_decision)
    plan_decision = (
        flow.If(this.plan_approved)
        .Annotation(title=_("Plan approved?"))
        .Then(this.split_actions)
        .Else(this.planning)
    )
    split_actions = DataSplit().Next(this.implement, data_source=this.plan_actions)
    implement = human_step(
        _("Implement an action"),
        assign=this.action_owner,
        form="workflows.forms.ActionDoneForm",
        service="workflows.services.action_complete",
        reminders=2,
    ).Next(this.join_actions)
    join_actions = flow.Join().Next(this.verification)
    verification = human_step(
        _("Effectiveness verification"),
        assign=this.responsible,
        form="workflows.forms.VerifyForm",
        service="workflows.services.nonconformity_verify",
        reminders=2,
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

    # Reminders and escalation run beside the step they watch (workflows.stepkit).
    first_reminder = flow.Function(this.send_first_reminder).Next(this.end)
    second_reminder = flow.Function(this.send_second_reminder).Next(this.end)
    escalate = flow.Function(this.send_escalation).Next(this.escalation_wait)
    escalation_wait = flow.Timer(this.next_escalation_at).Next(this.escalation_check)
    escalation_check = flow.If(this.still_open).Then(this.escalate).Else(this.end)

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
