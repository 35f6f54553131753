"""Writes for nonconformities: one function per transition (CONVENTIONS.md §2).

A human step is completed through `_complete_task` (workflows.stepkit): it takes
viewflow's process lock, checks that the task is still waiting for this user, lets the
transition change the record (status, who holds the next step, its working-day due
date), appends an Event, lets viewflow create the next tasks and tells their owners, in
one transaction. Two people acting at once: the second finds the task done and gets
`StepAlreadyDone`; nothing happens twice.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from qms.models import Office, OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.roles import is_coordinator
from surveys.selectors import work_unit_ids
from workflows.flows import NonconformityFlow
from workflows.models import Action, Event, Nonconformity, Severity, Status, TriageDecision
from workflows.stepkit import StepAlreadyDone, StepBusy, complete_human_task, notify_new_tasks
from workflows.steps import (
    _nc_id,
    coordinator_user,
    policy_for,
    responsible_for,
)
from workflows.workdays import add_working_days

T = Event.Transition
Note = Event.NoteKey


class AlreadyRegistered(Exception):
    """Its origin (e.g. a finding: `origin_key`) registered an item already."""


def _enter(nc: Nonconformity, status: str, *, responsible: User | None = None) -> None:
    """Move the record to `status`: who holds it now and by when (working days)."""
    nc.status = status
    if responsible is not None:
        nc.responsible = responsible
    today = timezone.localdate()
    nc.step_due_on = add_working_days(today, policy_for(nc.severity).days_for(status))
    if status in {Status.CLOSED, Status.REJECTED, Status.MERGED}:
        nc.step_due_on = None
        nc.responsible = None
        nc.closed_on = today


def _record(
    nc: Nonconformity,
    actor: User | None,
    transition: str,
    from_status: str,
    *,
    note: str = "",
    meaning: str = "",
    says: tuple[str, dict] = ("", {}),
) -> Event:
    """Append to the history: `note` is what the person wrote; `says` is what the system
    says about it, as (key, parameters) rendered in the reader's language (history.py)."""
    key, params = says
    return Event.objects.create(
        nonconformity=nc,
        actor=actor,
        transition=transition,
        from_status=from_status,
        to_status=nc.status,
        note=note,
        note_key=key,
        note_params=params,
        meaning=meaning,
    )


def _complete_task(task: Task, user: User, change: Callable[[Nonconformity], None]) -> None:
    """Run `change` and complete the task, under the process lock, exactly once."""
    if task.flow_task.flow_class is not NonconformityFlow:
        raise StepAlreadyDone  # not a step of this flow: nothing to complete here
    complete_human_task(task, user, Nonconformity, change)


def _notify_new_tasks_for(nc: Nonconformity) -> None:
    for process_id in nc.processes.values_list("pk", flat=True):
        notify_new_tasks(process_id)


# --- register and triage --------------------------------------------------------------


def _may_raise_from(user: User, observation: Any) -> bool:
    """Staff raise nonconformities from their own unit's staff observations."""
    return observation is not None and observation.card.unit_id in work_unit_ids(user)


def _next_number(year: int) -> tuple[int, str]:
    last = Nonconformity.objects.filter(year=year).aggregate(n=Max("sequence"))["n"] or 0
    return last + 1, f"NC/{year}/{last + 1:04d}"


@transaction.atomic
def nonconformity_register(
    *,
    user: User | None,
    title: str,
    description: str,
    source: str,
    unit: OrgUnit,
    severity: str = Severity.MINOR,
    service_card: ServiceCard | None = None,
    observation: Any = None,
    evidence_summary: str = "",
    evidence_file: Any = None,
    origin_key: str | None = None,
) -> Nonconformity:
    """Record a nonconformity and start its process in the coordinator's triage queue.

    `user=None` is the annual cycle registering a finding; staff register from their
    observations, the coordinator from any source.
    """
    if user is not None and not is_coordinator(user) and not _may_raise_from(user, observation):
        raise PermissionDenied
    if service_card is not None and service_card.unit_id != unit.pk:
        raise ValidationError({"unit": _("The service card belongs to another unit.")})
    if origin_key and Nonconformity.objects.filter(origin_key=origin_key).exists():
        raise AlreadyRegistered
    year = timezone.localdate().year
    # Numbers are sequential per year: serialise numbering on the office row.
    Office.objects.select_for_update().first()
    sequence, number = _next_number(year)
    nc = Nonconformity(
        number=number,
        year=year,
        sequence=sequence,
        title=title.strip(),
        description=description.strip(),
        source=source,
        severity=severity,
        unit=unit,
        service_card=service_card,
        observation=observation,
        evidence_summary=evidence_summary,
        created_by=user or coordinator_user(),
        origin_key=origin_key or None,
    )
    if evidence_file:
        nc.evidence_file = evidence_file
    _enter(nc, Status.TRIAGE, responsible=coordinator_user())
    nc.save()
    _record(nc, user, T.REGISTER, "", note=description.strip()[:500])
    NonconformityFlow.start.run(nonconformity=nc)
    _notify_new_tasks_for(nc)  # in this transaction: told if and only if it happened
    return nc


def nonconformity_triage(
    *,
    task: Task,
    user: User,
    decision: str,
    reason: str = "",
    severity: str | None = None,
    merge_into: Nonconformity | None = None,
) -> Nonconformity:
    """Accept (to the unit's head), reject with a reason, or merge into an open item."""
    if decision in {TriageDecision.REJECT, TriageDecision.MERGE} and not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    if decision == TriageDecision.MERGE and (
        merge_into is None or not merge_into.is_open or merge_into.pk == _nc_id(task)
    ):
        raise ValidationError({"merge_into": _("Choose another open nonconformity.")})

    def change(nc: Nonconformity) -> None:
        before = nc.status
        if severity:
            nc.severity = severity
        if decision == TriageDecision.ACCEPT:
            _enter(nc, Status.ANALYSIS, responsible=responsible_for(nc.unit))
            _record(nc, user, T.ACCEPT, before, note=reason, meaning=Event.Meaning.ACCEPTED)
        elif decision == TriageDecision.REJECT:
            _enter(nc, Status.REJECTED)
            _record(nc, user, T.REJECT, before, note=reason)
        elif decision == TriageDecision.MERGE:
            assert merge_into is not None
            nc.merged_into = merge_into
            _enter(nc, Status.MERGED)
            _record(
                nc,
                user,
                T.MERGE,
                before,
                note=reason,
                says=(Note.MERGED_INTO, {"number": merge_into.number}),
            )
            Event.objects.create(
                nonconformity=merge_into,
                actor=user,
                transition=T.DUPLICATE_MERGED,
                from_status=merge_into.status,
                to_status=merge_into.status,
                note=reason,
                note_key=Note.DUPLICATE_MERGED,
                note_params={"number": nc.number},
            )
        else:
            raise ValidationError(_("Unknown decision."))

    _complete_task(task, user, change)
    return Nonconformity.objects.get(pk=_nc_id(task))


# --- analysis and plan ----------------------------------------------------------------


def nonconformity_analyse(
    *,
    task: Task,
    user: User,
    immediate_correction: str,
    why_chain: list[str],
    root_cause: str,
    cause_category: Any,
    occurs_elsewhere: str,
    occurs_elsewhere_note: str = "",
) -> Nonconformity:
    """ISO 9001 10.2.1 a–b: correction, root cause (5 × why), could it occur elsewhere."""
    why_chain = [w.strip() for w in why_chain if w.strip()]
    if not why_chain or not root_cause.strip():
        raise ValidationError({"root_cause": _("Give at least one 'why' and the root cause.")})
    if occurs_elsewhere == Nonconformity.Elsewhere.YES and not occurs_elsewhere_note.strip():
        raise ValidationError({"occurs_elsewhere_note": _("Say where else and what was done.")})

    def change(nc: Nonconformity) -> None:
        before = nc.status
        nc.immediate_correction = immediate_correction.strip()
        nc.why_chain = why_chain
        nc.root_cause = root_cause.strip()
        nc.cause_category = cause_category
        nc.occurs_elsewhere = occurs_elsewhere
        nc.occurs_elsewhere_note = occurs_elsewhere_note.strip()
        _enter(nc, Status.PLANNING)
        _record(nc, user, T.ANALYSE, before, meaning=Event.Meaning.ANALYSED)

    _complete_task(task, user, change)
    return Nonconformity.objects.get(pk=_nc_id(task))


def nonconformity_plan(*, task: Task, user: User, actions: list[dict]) -> Nonconformity:
    """The head's action plan: one or more actions with owner and due date."""
    if not actions:
        raise ValidationError(_("Plan at least one action."))
    today = timezone.localdate()
    for action in actions:
        if action["due_on"] < today:
            raise ValidationError(_("An action cannot be due in the past."))

    def change(nc: Nonconformity) -> None:
        before = nc.status
        nc.actions.filter(plan_round=nc.plan_round, done_on__isnull=True).delete()
        for action in actions:
            Action.objects.create(nonconformity=nc, plan_round=nc.plan_round, **action)
        _enter(nc, Status.PLAN_REVIEW, responsible=coordinator_user())
        _record(nc, user, T.PLAN, before, says=(Note.ACTIONS_PLANNED, {"n": len(actions)}))

    _complete_task(task, user, change)
    return Nonconformity.objects.get(pk=_nc_id(task))


def nonconformity_review_plan(
    *, task: Task, user: User, approve: bool, comment: str = ""
) -> Nonconformity:
    """The coordinator approves the plan, or returns it to the head with a comment."""
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what should change in the plan.")})

    def change(nc: Nonconformity) -> None:
        before = nc.status
        if approve:
            _enter(nc, Status.IMPLEMENTATION, responsible=responsible_for(nc.unit))
            last_due = nc.actions.filter(plan_round=nc.plan_round).aggregate(d=Max("due_on"))["d"]
            nc.step_due_on = last_due
            # Approving the plan is also the coordinator's sign-off on the analysis behind it.
            _record(nc, user, T.ACCEPT_ANALYSIS, before, meaning=Event.Meaning.ANALYSIS_ACCEPTED)
            _record(
                nc, user, T.APPROVE_PLAN, before, note=comment, meaning=Event.Meaning.PLAN_APPROVED
            )
        else:
            _enter(nc, Status.PLANNING, responsible=responsible_for(nc.unit))
            _record(nc, user, T.RETURN_PLAN, before, note=comment)

    _complete_task(task, user, change)
    return Nonconformity.objects.get(pk=_nc_id(task))


def action_complete(
    *,
    task: Task,
    user: User,
    evidence: str,
    evidence_file: Any = None,
    revision: ServiceCardRevision | None = None,
) -> Action:
    """An action's owner marks it done with evidence; the last one opens verification."""
    if not evidence.strip() and not evidence_file:
        raise ValidationError({"evidence": _("Describe or attach the evidence.")})
    action = Action.objects.get(pk=task.data["action"])
    if revision is not None and (
        action.nonconformity.service_card_id is None
        or revision.card_id != action.nonconformity.service_card_id
    ):
        raise ValidationError({"revision": _("Choose a revision of this item's service card.")})

    def change(nc: Nonconformity) -> None:
        action.done_on = timezone.localdate()
        action.evidence = evidence.strip()
        if evidence_file:
            action.evidence_file = evidence_file
        action.revision = revision
        action.save()
        before = nc.status
        open_actions = nc.actions.filter(plan_round=nc.plan_round, done_on__isnull=True)
        if not open_actions.exists():
            _enter(nc, Status.VERIFICATION, responsible=coordinator_user())
        _record(
            nc,
            user,
            T.COMPLETE_ACTION,
            before,
            note=action.description[:200],
            says=(Note.ACTION_DONE, {"kind": action.kind}),
        )

    _complete_task(task, user, change)
    return action


def nonconformity_verify(*, task: Task, user: User, verdict: str, evidence: str) -> Nonconformity:
    """Effective → closed; not effective → a new plan; or wait for the next measurement."""
    if not evidence.strip():
        raise ValidationError({"evidence": _("Give the evidence for the verdict.")})

    def change(nc: Nonconformity) -> None:
        before = nc.status
        nc.verdict = verdict
        nc.verdict_evidence = evidence.strip()
        if verdict == Nonconformity.Verdict.EFFECTIVE:
            _enter(nc, Status.CLOSED)
            _record(nc, user, T.VERIFY, before, note=evidence, meaning=Event.Meaning.EFFECTIVE)
        elif verdict == Nonconformity.Verdict.NOT_EFFECTIVE:
            nc.plan_round += 1
            _enter(nc, Status.PLANNING, responsible=responsible_for(nc.unit))
            _record(nc, user, T.NOT_EFFECTIVE, before, note=evidence)
        elif verdict == Nonconformity.Verdict.NEXT_MEASUREMENT:
            _enter(nc, Status.AWAITING_MEASUREMENT)
            nc.responsible = None
            nc.step_due_on = None
            _record(nc, user, T.AWAIT_MEASUREMENT, before, note=evidence)
        else:
            raise ValidationError({"verdict": _("Choose a verdict.")})

    _complete_task(task, user, change)
    return Nonconformity.objects.get(pk=_nc_id(task))


@transaction.atomic
def nonconformity_record_measurement(
    *, nc: Nonconformity, effective: bool, evidence: str, user: User | None = None
) -> Nonconformity:
    """The next cycle re-measured the indicator: close the item, or plan again."""
    task = Task.objects.filter(
        process__nonconformity=nc, flow_task=NonconformityFlow.await_measurement, status=STATUS.NEW
    ).first()
    if task is None or nc.status != Status.AWAITING_MEASUREMENT:
        raise ValidationError(_("This item is not waiting for a measurement."))
    before = nc.status
    nc.verdict_evidence = "\n".join(filter(None, [nc.verdict_evidence, evidence.strip()]))
    if effective:
        nc.verdict = Nonconformity.Verdict.EFFECTIVE
        _enter(nc, Status.CLOSED)
        _record(
            nc,
            user,
            T.MEASURED_EFFECTIVE,
            before,
            note=evidence,
            meaning=Event.Meaning.EFFECTIVE,
        )
    else:
        nc.verdict = Nonconformity.Verdict.NOT_EFFECTIVE
        nc.plan_round += 1
        _enter(nc, Status.PLANNING, responsible=responsible_for(nc.unit))
        _record(nc, user, T.MEASURED_NOT_EFFECTIVE, before, note=evidence)
    nc.save()
    NonconformityFlow.await_measurement.run(task)
    _notify_new_tasks_for(nc)  # in this transaction: told if and only if it happened
    return nc


# --- the coordinator's interventions ------------------------------------------------


@transaction.atomic
def task_reassign(*, task: Task, by: User, to: User, reason: str) -> Task:
    """The coordinator hands any open step to someone else, with a reason."""
    if not is_coordinator(by):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    try:
        with NonconformityFlow.lock(task.process_id):
            task.refresh_from_db()
            if task.status != STATUS.ASSIGNED:
                raise StepAlreadyDone
            previous = task.owner
            task.owner = to
            task.save(update_fields=["owner"])
            nc = Nonconformity.objects.select_for_update().get(pk=_nc_id(task))
            if "action" in (task.data or {}):
                # The action changes hands too: its owner is who sees and completes it.
                Action.objects.filter(pk=task.data["action"]).update(owner=to)
            else:
                nc.responsible = to
                nc.save(update_fields=["responsible"])
            _record(
                nc,
                by,
                T.REASSIGN,
                nc.status,
                note=reason.strip(),
                says=(
                    Note.HANDED_OVER,
                    {"step": task.flow_task.name, "from": str(previous or ""), "to": str(to)},
                ),
            )
    except FlowLockFailed:
        raise StepBusy from None
    notify_new_tasks(task.process_id)
    return task


@transaction.atomic
def nonconformity_reopen(*, nc: Nonconformity, user: User | None, reason: str) -> Nonconformity:
    """Reopen a closed item: a new analysis by the unit, the history kept.

    `user=None` is the annual cycle reopening an item whose indicator breached again.
    """
    if user is not None and not is_coordinator(user):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    nc = Nonconformity.objects.select_for_update().get(pk=nc.pk)
    if nc.status != Status.CLOSED:
        raise ValidationError(_("Only a closed item can be reopened."))
    before = nc.status
    nc.verdict = ""
    nc.closed_on = None
    nc.plan_round += 1
    _enter(nc, Status.ANALYSIS, responsible=responsible_for(nc.unit))
    nc.save()
    _record(nc, user, T.REOPEN, before, note=reason.strip())
    NonconformityFlow.reopen.run(nonconformity=nc)
    _notify_new_tasks_for(nc)  # in this transaction: told if and only if it happened
    return nc
