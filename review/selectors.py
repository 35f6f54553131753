"""Who may see what of the annual review, and the frames its pages and packs read.

Coordinator: everything, and runs the cycle. Auditor (and the mayor): everything,
read-only. Department head (or deputy): their own unit's results packs and tasks only.
"""

import datetime

import pandas as pd
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.roles import can_read_everything, is_coordinator
from qms.selectors import managed_unit_ids
from review import indicators as calc
from review.models import Cycle, Finding, FreeTextMask, Indicator, Pack, Standard
from surveys.models import Answer, Response, StaffObservation
from surveys.selectors import answer_frame, can_read_single_responses

# The questions whose answers are free text (stable keys of the default questionnaire).
FREE_TEXT_KEYS = ("card_missing_text", "comments")


def can_read_cycles(user: User) -> bool:
    return can_read_everything(user)


def can_run_cycles(user: User) -> bool:
    return is_coordinator(user)


def can_review_free_text(user: User) -> bool:
    """The free-text review screen, masking and release: single answers, so the
    quality coordinator only (surveys.selectors.can_read_single_responses)."""
    return can_read_single_responses(user)


def free_text_answers(cycle: Cycle, *, unit: OrgUnit | None = None) -> QuerySet[Answer]:
    """The cycle's non-empty free-text answers (FREE_TEXT_KEYS) of live responses in the
    survey period; with `unit`, those about the unit's services."""
    responses = period_responses(cycle)
    if unit is not None:
        responses = responses.filter(service_card__unit=unit)
    return (
        Answer.objects.filter(response__in=responses, question__key__in=FREE_TEXT_KEYS)
        .exclude(text="")
        .select_related("question", "response__service_card__unit")
    )


def free_text_masks(answers: QuerySet | list[int]) -> dict[int, FreeTextMask]:
    """The coordinator's versions of these answers (a queryset or ids), by answer id."""
    return {m.answer_id: m for m in FreeTextMask.objects.filter(answer__in=answers)}


def visible_packs(user: User) -> QuerySet[Pack]:
    """Results packs the user may open: all for coordinator/auditor, else their units'."""
    packs = Pack.objects.select_related("cycle", "unit")
    if can_read_everything(user):
        return packs
    return packs.filter(unit_id__in=managed_unit_ids(user))


INDICATOR_FIELDS = [
    "scope",
    "subject",
    "unit__code",
    "card__code",
    "key",
    "measure",
    "n",
    "positive",
    "value",
    "low",
    "high",
    "status",
]


def indicator_frame(cycle: Cycle, *, unit: OrgUnit | None = None) -> pd.DataFrame:
    """The cycle's frozen indicators (review.indicators.COLUMNS), one query.

    With `unit`: that unit's own row and its cards' rows, plus the office rows for
    comparison.
    """
    rows = Indicator.objects.filter(cycle=cycle)
    if unit is not None:
        rows = rows.filter(Q(unit=unit) | Q(scope=Indicator.Scope.OFFICE))
    frame = pd.DataFrame.from_records(
        rows.values_list(*INDICATOR_FIELDS), columns=INDICATOR_FIELDS
    ).rename(columns={"unit__code": "unit", "card__code": "card"})
    return frame


def previous_cycle(cycle: Cycle) -> Cycle | None:
    return Cycle.objects.filter(year__lt=cycle.year).order_by("-year").first()


def cycle_findings(cycle: Cycle, *, unit: OrgUnit | None = None) -> QuerySet[Finding]:
    findings = cycle.findings.select_related("standard", "card__unit", "indicator", "nonconformity")
    if unit is not None:
        findings = findings.filter(card__unit=unit)
    return findings


def pack_task_rows() -> QuerySet[Task]:
    """The human steps of every results pack's process (viewflow's Task rows)."""
    return Task.objects.filter(
        process__artifact_content_type=ContentType.objects.get_for_model(Pack),
        flow_task_type="HUMAN",
    ).select_related("process", "owner")


def open_pack_tasks(user: User) -> list[Task]:
    """The user's open pack steps (acknowledge, catalogue updates), earliest first."""
    tasks = list(pack_task_rows().filter(owner=user, status=STATUS.ASSIGNED).order_by("created"))
    packs = Pack.objects.select_related("cycle", "unit").in_bulk(
        [t.process.artifact_object_id for t in tasks]
    )
    for task in tasks:
        task.pack = packs[task.process.artifact_object_id]
    return tasks


def pack_task_for(user: User, task_pk: int) -> Task | None:
    """A pack step the user may open: their own, or any for the coordinator/auditor,
    or (read-only) one of the units they lead. Anything else: None (404)."""
    task = pack_task_rows().filter(pk=task_pk).first()
    if task is None:
        return None
    if task.owner_id == user.pk or can_read_everything(user):
        return task
    pack = Pack.objects.filter(pk=task.process.artifact_object_id).only("unit_id").first()
    if pack is not None and pack.unit_id in managed_unit_ids(user):
        return task
    return None


def revisions_since(pack: Pack) -> QuerySet[ServiceCardRevision]:
    """Card revisions the unit has published since its pack was delivered."""
    return ServiceCardRevision.objects.filter(
        card__unit=pack.unit, created_at__gte=pack.delivered_at or pack.created_at
    ).select_related("card")


# --- what the cycle's analysis and packs read ------------------------------------------


def period_responses(cycle: Cycle):
    return Response.objects.filter(
        is_pilot=False,
        version__questionnaire=cycle.version.questionnaire,
        submitted_on__range=(cycle.survey_opens_on, cycle.survey_closes_on),
    )


def cycle_answers(cycle: Cycle) -> pd.DataFrame:
    """The answer frame of the cycle's survey period (live responses only)."""
    return answer_frame(
        period=(cycle.survey_opens_on, cycle.survey_closes_on),
        questionnaire=cycle.version.questionnaire_id,
    )


def cycle_observations(cycle: Cycle) -> pd.DataFrame:
    """Staff observations recorded in the cycle's year, as estimated occurrences a month."""
    rows = StaffObservation.objects.filter(
        recorded_on__range=(datetime.date(cycle.year, 1, 1), cycle.analysis_due_on)
    ).values_list("card__code", "card__unit__code", "kind", "frequency", "period")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["card", "unit", "kind", "frequency", "period"]
    )
    if frame.empty:
        return pd.DataFrame(columns=calc.OBSERVATION_COLUMNS)
    per_month = {str(k): v for k, v in StaffObservation.PER_MONTH.items()}
    frame["monthly"] = frame["frequency"] * frame["period"].map(per_month)
    return frame[calc.OBSERVATION_COLUMNS]


def standard_rules() -> tuple[pd.DataFrame, dict[int, Standard]]:
    """The rule in force for every card (review.indicators.effective_rules), and the
    active standards by id: what the findings and the packs both hold indicators to."""
    standards = {
        s.pk: s for s in Standard.objects.filter(is_active=True).select_related("unit", "card")
    }
    rules = [
        calc.Rule(
            standard=s.pk,
            measure=s.measure,
            key=s.indicator_key,
            target=s.target,
            minimum_sample=s.minimum_sample,
            upper_limit=s.is_upper_limit,
            unit=s.unit.code if s.unit else None,
            card=s.card.code if s.card else None,
        )
        for s in standards.values()
    ]
    cards = pd.DataFrame.from_records(
        list(ServiceCard.objects.values_list("code", "unit__code")), columns=["card", "unit"]
    )
    return calc.effective_rules(rules, cards), standards
