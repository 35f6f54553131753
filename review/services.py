"""The annual review cycle: one service per transition, and the sweep that runs them.

`advance(today)` is what the daily Celery beat task (and the coordinator's "run now")
calls. It walks every open cycle's steps in order and runs each step that is due and
not yet done. A step is claimed by its `Step` row under a row lock, and no step
computes for long inside a transaction (on SQLite a transaction holds the database's
one write lock, and the public form would wait for it):

- a quick step runs inside the claim's transaction, and is recorded done in it;
- a long one (`own_transactions`: the analysis, registering nonconformities, the
  packs, their delivery) is claimed in one short transaction, computes outside any,
  writes its results in short transactions of its own, each safe to repeat, and is
  recorded done in another short one;

so:

- run twice, or on two workers at once: each step's work is done once (a quick step
  waits for the other's lock, then sees it done; a long step's writes are claimed one
  by one: the indicators under the cycle's row lock, each finding and each delivery
  under its row's lock, each pack by its unique row); what a step creates is unique
  in the database too (one finding per breach, one pack per unit, notifications
  claimed by key);
- killed half-way: a quick step's transaction is rolled back; a long step keeps what
  it had committed and is not recorded done, so the next sweep runs it again and
  does only what is missing (packs built but not published are temporary files,
  removed by `manage.py cleanup_files`);
- run late (machine off on 30 August, the broker down): the next sweep does every
  step that is due, in order, and each step records when it ran (the page says
  "ran late"); reminders whose moment has passed are skipped, not sent late.
"""

import datetime
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.models import Task

from notifications.services import notify_once
from qms.models import OrgUnit, ServiceCard, User
from qms.roles import is_coordinator
from review import indicators as calc
from review import packs
from review.flows import PackFlow
from review.models import (
    Cycle,
    Finding,
    FreeTextMask,
    Indicator,
    Pack,
    Remeasurement,
    Standard,
    Step,
    default_analysis_due_on,
)
from review.selectors import (
    can_review_free_text,
    cycle_answers,
    cycle_observations,
    pack_task_rows,
    period_responses,
    standard_rules,
)
from surveys import analysis, privacy
from surveys import services as surveys
from surveys.models import Answer, QuestionnaireVersion
from workflows import services as nc_services
from workflows.models import Event, Nonconformity, Source, Status
from workflows.stepkit import StepAlreadyDone, complete_human_task, notify_new_tasks
from workflows.steps import coordinator_user, coordinators
from workflows.workdays import add_working_days

log = logging.getLogger(__name__)


# --- creating and changing a cycle ---------------------------------------------------


def cycle_defaults(year: int) -> dict:
    """Dates proposed for a new cycle (the coordinator may change every one)."""
    return {
        "year": year,
        "survey_opens_on": datetime.date(year, 1, 1),
        "survey_closes_on": datetime.date(year, 7, 31),
        "observations_due_on": datetime.date(year, 7, 31),
        "analysis_due_on": default_analysis_due_on(year),
        "catalogue_due_on": datetime.date(year, 10, 31),
        "version": QuestionnaireVersion.objects.filter(
            status__in=[QuestionnaireVersion.Status.ACTIVE, QuestionnaireVersion.Status.PILOT]
        )
        .order_by("status", "-number")
        .first(),
    }


def _check_dates(cycle: Cycle) -> None:
    errors: dict[str, list[str]] = {}
    if cycle.survey_closes_on < cycle.survey_opens_on:
        errors["survey_closes_on"] = [_("The survey period must end after it starts.")]
    if cycle.analysis_due_on < cycle.survey_closes_on:
        errors["analysis_due_on"] = [
            _("The analysis deadline must not be before the end of the survey period.")
        ]
    if cycle.catalogue_due_on < cycle.analysis_due_on:
        errors["catalogue_due_on"] = [_("Catalogue updates are due after the analysis deadline.")]
    if not cycle.survey_opens_on <= cycle.observations_due_on <= cycle.analysis_due_on:
        errors["observations_due_on"] = [
            _("Staff observations are due within the survey period or before the analysis.")
        ]
    if cycle.version.status == QuestionnaireVersion.Status.CLOSED:
        errors["version"] = [_("A closed questionnaire version cannot be surveyed again.")]
    offsets = cycle.reminder_days.split(",")
    if not all(part.strip().isdigit() for part in offsets if part.strip()):
        errors["reminder_days"] = [
            _("Give whole numbers of days separated by commas, e.g. 14,7,1.")
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def cycle_save(*, cycle: Cycle, user: User) -> Cycle:
    """Create a cycle or change its dates; a step already done keeps what it did."""
    if not is_coordinator(user):
        raise PermissionDenied
    if cycle.closed_on:
        raise ValidationError(_("A closed cycle cannot be changed."))
    _check_dates(cycle)
    if cycle.pk is None:
        cycle.created_by = user
    cycle.save()
    for step in cycle.steps.filter(done_at__isnull=True):
        due = dict(step_plan(cycle)).get(step.name)
        if due is not None and due != step.due_on:
            step.due_on = due
            step.save(update_fields=["due_on"])
    return cycle


# --- the steps -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    name: str
    due: Callable[[Cycle], datetime.date]
    run: Callable[[Cycle, datetime.date], str]
    # Long steps run outside the claim's transaction and commit their own short ones.
    own_transactions: bool = False


def _remind_name(days: int) -> str:
    return f"remind_{days}"


def _reminder_due(cycle: Cycle, offset: int) -> datetime.date:
    return cycle.analysis_due_on - datetime.timedelta(days=offset)


def steps_for(cycle: Cycle) -> list[StepSpec]:
    """The cycle's steps, in the order they run."""
    days = datetime.timedelta
    specs = [
        StepSpec("open_survey", lambda c: c.survey_opens_on, run_open_survey),
        StepSpec("observation_round", lambda c: c.survey_opens_on, run_observation_round),
    ]
    for offset in cycle.reminder_offsets():
        specs.append(
            StepSpec(
                _remind_name(offset),
                partial(_reminder_due, offset=offset),
                partial(run_reminder, offset=offset),
            )
        )
    specs += [
        StepSpec("close_survey", lambda c: c.survey_closes_on + days(1), run_close_survey),
        StepSpec("analyse", lambda c: c.analysis_due_on, run_analysis, own_transactions=True),
        StepSpec("findings", lambda c: c.analysis_due_on, run_findings),
        StepSpec(
            "nonconformities",
            lambda c: c.analysis_due_on,
            run_nonconformities,
            own_transactions=True,
        ),
        StepSpec("packs", lambda c: c.analysis_due_on, run_packs, own_transactions=True),
        StepSpec("deliver", lambda c: c.analysis_due_on, run_delivery, own_transactions=True),
        StepSpec("close", lambda c: c.catalogue_due_on + days(1), run_close),
    ]
    # By due date; steps due the same day keep the order above (sorted() is stable).
    return sorted(specs, key=lambda spec: spec.due(cycle))


def step_plan(cycle: Cycle) -> list[tuple[str, datetime.date]]:
    return [(spec.name, spec.due(cycle)) for spec in steps_for(cycle)]


STEP_TITLES = {
    "open_survey": gettext_lazy("Survey period opens"),
    "observation_round": gettext_lazy("Staff observation round"),
    "close_survey": gettext_lazy("Survey period closes"),
    "analyse": gettext_lazy("Analysis"),
    "findings": gettext_lazy("Standards evaluated"),
    "nonconformities": gettext_lazy("Nonconformities registered, items re-measured"),
    "packs": gettext_lazy("Results packs built"),
    "deliver": gettext_lazy("Packs delivered to the units"),
    "close": gettext_lazy("Cycle closed"),
}


def step_title(name: str) -> str:
    if name in STEP_TITLES:
        return str(STEP_TITLES[name])
    return _("Reminder %(days)s days before the analysis deadline") % {
        "days": name.removeprefix("remind_")
    }


def advance(*, today: datetime.date | None = None, cycle: Cycle | None = None) -> list[str]:
    """Run every due step of every open cycle (or of one), in order. Idempotent."""
    today = today or timezone.localdate()
    cycles = [cycle] if cycle else list(Cycle.objects.filter(closed_on__isnull=True))
    ran: list[str] = []
    # What the steps' transactions would otherwise load the first time in a process
    # (every view, for reverse(); the holiday calendars): a second or two, not under a lock.
    reverse("review:index")
    add_working_days(today, 1)
    for each in cycles:
        for spec in steps_for(each):
            due = spec.due(each)
            if due > today:
                break  # later steps wait for this one
            if _run_step(each, spec, due, today):
                ran.append(f"{each.year}:{spec.name}")
    # Packs built before their cycle's free text was released (or masked again) get it.
    ran += packs_add_free_text(cycle=cycle)
    return ran


def _run_step(cycle: Cycle, spec: StepSpec, due: datetime.date, today: datetime.date) -> bool:
    """Run one step unless it is done; True if this call ran it (see the module's doc)."""
    if not spec.own_transactions:
        with transaction.atomic():
            step = _claim(cycle, spec, due)
            if step is None:
                return False
            detail = spec.run(Cycle.objects.get(pk=cycle.pk), today)  # fresh, after the lock
            _record_done(step, detail, due)
    else:
        with transaction.atomic():
            if _claim(cycle, spec, due) is None:
                return False
        detail = spec.run(Cycle.objects.get(pk=cycle.pk), today)
        with transaction.atomic():
            step = _claim(cycle, spec, due)
            if step is None:
                return False  # another sweep finished it meanwhile, with the same result
            _record_done(step, detail, due)
    log.info("review cycle %s: %s done (%s)", cycle.year, spec.name, step.detail)
    return True


def _claim(cycle: Cycle, spec: StepSpec, due: datetime.date) -> Step | None:
    """The step's row, locked until the caller's transaction ends; None once it is done."""
    Step.objects.get_or_create(cycle=cycle, name=spec.name, defaults={"due_on": due})
    step = Step.objects.select_for_update().get(cycle=cycle, name=spec.name)
    return None if step.done_at is not None else step


def _record_done(step: Step, detail: str, due: datetime.date) -> None:
    step.skipped = isinstance(detail, Skipped)
    step.detail = detail
    step.due_on = due
    step.done_at = timezone.now()
    step.save()


# SQLite has one write lock and no queue for it: a writer that waits polls for it (every
# 100 ms once it has waited a while), so back-to-back short transactions can keep it out
# as long as one long transaction. Long steps pause after each burst of them.
WRITE_BURST = 0.25  # seconds of a step's transactions in a row, at most
WRITE_PAUSE = 0.15  # seconds; longer than a waiting writer's poll interval

T = TypeVar("T")


def _paced(items: Iterable[T]) -> Iterator[T]:
    """`items`, for a loop with a short transaction per item, with a pause after every
    WRITE_BURST seconds on SQLite (not inside a caller's transaction: it holds the lock)."""
    started = time.monotonic()
    for item in items:
        if (
            connection.vendor == "sqlite"
            and not connection.in_atomic_block
            and time.monotonic() - started >= WRITE_BURST
        ):
            time.sleep(WRITE_PAUSE)
            started = time.monotonic()
        yield item


class Skipped(str):
    """What a step runner returns when the step had nothing left to do (e.g. too late)."""


def run_open_survey(cycle: Cycle, today: datetime.date) -> str:
    version = cycle.version
    if version.status in (QuestionnaireVersion.Status.DRAFT, QuestionnaireVersion.Status.PILOT):
        surveys.version_activate(
            version=version, opens_on=cycle.survey_opens_on, closes_on=cycle.survey_closes_on
        )
        return _("Questionnaire version %(number)s activated.") % {"number": version.number}
    return _("Questionnaire version %(number)s is live.") % {"number": version.number}


def run_observation_round(cycle: Cycle, today: datetime.date) -> str:
    if cycle.observations_due_on <= today:
        return Skipped(_("The due date for observations had passed when the step ran."))
    round_ = surveys.round_open(
        user=coordinator_user(),
        title=_("Staff observations %(year)s") % {"year": cycle.year},
        due_on=cycle.observations_due_on,
        today=today,
    )
    return _("Round opened: %(count)s staff members asked.") % {
        "count": round_.participants.count()
    }


def run_reminder(cycle: Cycle, today: datetime.date, offset: int) -> str:
    later = [o for o in cycle.reminder_offsets() if o < offset]
    if today >= cycle.analysis_due_on or any(
        cycle.analysis_due_on - datetime.timedelta(days=o) <= today for o in later
    ):
        return Skipped(_("A later reminder was already due."))
    people = {*coordinators()}
    for unit in OrgUnit.objects.filter(is_active=True).select_related("head", "deputy"):
        people |= {p for p in (unit.head, unit.deputy) if p is not None and p.is_active}
    sent = 0
    for person in sorted(people, key=lambda p: p.pk):
        sent += notify_once(
            person,
            "cycle_reminder",
            {"cycle": cycle, "days": (cycle.analysis_due_on - today).days},
            key=f"cycle:{cycle.pk}:remind:{offset}:{person.pk}",
            url=reverse("review:cycle", args=[cycle.year]),
        )
    return _("%(count)s people reminded.") % {"count": sent}


def run_close_survey(cycle: Cycle, today: datetime.date) -> str:
    return _("%(count)s responses in the survey period.") % {
        "count": period_responses(cycle).count()
    }


# --- analysis ------------------------------------------------------------------------


def question_kinds(cycle: Cycle) -> dict[str, str]:
    return dict(cycle.version.questions.values_list("key", "kind"))


def compute_indicators(cycle: Cycle) -> pd.DataFrame:
    return calc.indicator_table(
        cycle_answers(cycle), question_kinds(cycle), cycle_observations(cycle)
    )


def _nan_none(value):
    return None if pd.isna(value) else float(value)


def store_indicators(cycle: Cycle, table: pd.DataFrame) -> int:
    rows = indicator_rows(cycle, table)
    Indicator.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def indicator_rows(cycle: Cycle, table: pd.DataFrame) -> list[Indicator]:
    """The computed table as unsaved Indicator rows."""
    units = dict(OrgUnit.objects.values_list("code", "pk"))
    cards = dict(ServiceCard.objects.values_list("code", "pk"))
    return [
        Indicator(
            cycle=cycle,
            scope=row.scope,
            subject=row.subject or "",
            unit_id=units.get(row.unit) if isinstance(row.unit, str) else None,
            card_id=cards.get(row.card) if isinstance(row.card, str) else None,
            key=row.key,
            measure=row.measure,
            n=int(row.n),
            positive=None if pd.isna(row.positive) else int(row.positive),
            value=_nan_none(row.value),
            low=_nan_none(row.low),
            high=_nan_none(row.high),
            status=row.status,
        )
        for row in table.itertuples(index=False)
    ]


def run_analysis(cycle: Cycle, today: datetime.date) -> str:
    """Computed outside any transaction (it only reads), stored in one short one under
    the cycle's row lock, once: a second run finds the indicators stored and keeps them."""
    rows = indicator_rows(cycle, compute_indicators(cycle))
    with transaction.atomic():
        Cycle.objects.select_for_update().get(pk=cycle.pk)
        stored = cycle.indicators.count()
        if not stored:
            stored = len(Indicator.objects.bulk_create(rows, batch_size=2000))
    return _("%(count)s indicators computed from %(responses)s responses.") % {
        "count": stored,
        "responses": period_responses(cycle).count(),
    }


# --- standards → findings → nonconformities -----------------------------------------


def evaluate_standards(cycle: Cycle) -> list[Finding]:
    """Findings for every breach of the cycle (created once, whatever the number of runs)."""
    frame = pd.DataFrame.from_records(
        cycle.indicators.filter(scope=Indicator.Scope.CARD).values(
            "pk",
            "scope",
            "subject",
            "unit_id",
            "card_id",
            "key",
            "measure",
            "n",
            "value",
            "low",
            "high",
            "status",
        )
    )
    if frame.empty:
        return []
    rules, standards = standard_rules()
    breaches = calc.evaluate(frame, rules)
    findings = []
    for row in breaches.itertuples(index=False):
        standard = standards[int(row.standard)]
        finding, _created = Finding.objects.get_or_create(
            cycle=cycle,
            standard=standard,
            card_id=int(row.card_id),
            defaults={
                "indicator_id": int(row.pk),
                "target": float(row.target),
                "summary": finding_summary(standard, row),
            },
        )
        findings.append(finding)
    return findings


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def finding_summary(standard: Standard, row) -> str:
    """The aggregated evidence, in the office's language (Polish): never a response."""
    with translation.override(settings.LANGUAGE_CODE):
        if standard.is_upper_limit:
            return _(
                "Staff estimate %(value).1f occurrences a month (%(n)s observations); "
                "the standard allows at most %(target).1f."
            ) % {"value": row.value, "n": row.n, "target": standard.target}
        if standard.measure == Indicator.Measure.SHARE:
            return _(
                '%(share)s of %(n)s answers to "%(key)s" were positive (95 %% interval '
                "%(low)s–%(high)s); the standard requires at least %(target)s."
            ) % {
                "share": _percent(row.value),
                "n": row.n,
                "key": standard.key,
                "low": _percent(row.low),
                "high": _percent(row.high),
                "target": _percent(standard.target),
            }
        return _(
            'The mean of %(n)s answers to "%(key)s" is %(value).2f (95 %% interval '
            "%(low).2f–%(high).2f); the standard requires at least %(target).2f."
        ) % {
            "n": row.n,
            "key": standard.key,
            "value": row.value,
            "low": row.low,
            "high": row.high,
            "target": standard.target,
        }


def _earlier_item(finding: Finding):
    """The nonconformity an earlier cycle raised for the same standard and card."""
    earlier = (
        Finding.objects.filter(
            standard=finding.standard, card=finding.card, nonconformity__isnull=False
        )
        .exclude(pk=finding.pk)
        .select_related("nonconformity", "cycle")
        .order_by("-cycle__year")
        .first()
    )
    return earlier


def finding_raise(finding: Finding) -> str:
    """Register a nonconformity for a finding, or link it to the item already raised.

    Once per finding (the link is set in the same transaction, and the registration is
    claimed by a key). A breach the earlier cycle already raised: still open → linked;
    closed → reopened with a link to both cycles; waiting for the measurement → linked,
    and the re-measurement proposes "not effective".
    """

    if finding.nonconformity_id:
        return "linked"
    earlier = _earlier_item(finding)
    if earlier is not None:
        nc = earlier.nonconformity
        finding.nonconformity = nc
        finding.save(update_fields=["nonconformity"])
        with translation.override(settings.LANGUAGE_CODE):
            note = _(
                "Breached again in the %(year)s cycle (first found in %(first)s): %(summary)s"
            ) % {
                "year": finding.cycle.year,
                "first": earlier.cycle.year,
                "summary": finding.summary,
            }
        if nc.status == Status.CLOSED:
            nc_services.nonconformity_reopen(nc=nc, user=None, reason=note)
            return "reopened"
        Event.objects.create(
            nonconformity=nc,
            transition=Event.Transition.RECURRED,
            from_status=nc.status,
            to_status=nc.status,
            note=note,
        )
        return "linked"
    card = finding.card
    with translation.override(settings.LANGUAGE_CODE):  # the record's language: the office's
        title = _("%(card)s: %(standard)s not met (%(year)s)") % {
            "card": card.code,
            "standard": finding.standard,
            "year": finding.cycle.year,
        }
    nc = nc_services.nonconformity_register(
        user=None,
        title=title,
        description=finding.summary,
        source=Source.OBSERVATION if finding.standard.is_upper_limit else Source.SURVEY,
        unit=card.unit,
        severity=finding.standard.severity,
        service_card=card,
        evidence_summary=finding.summary,
        origin_key=f"finding:{finding.pk}",
    )
    finding.nonconformity = nc
    finding.save(update_fields=["nonconformity"])
    return "registered"


def _finding_raise_once(pk: int) -> str:
    """finding_raise under the finding's row lock: two sweeps at once raise it once."""
    with transaction.atomic():
        finding = (
            Finding.objects.select_for_update(of=("self",))
            .select_related("standard", "card__unit", "cycle")
            .get(pk=pk)
        )
        return finding_raise(finding)


def remeasure(cycle: Cycle) -> list[Remeasurement]:
    """Items waiting for "verify at the next measurement": the same indicator, again."""
    waiting = Nonconformity.objects.filter(status=Status.AWAITING_MEASUREMENT).filter(
        findings__isnull=False
    )
    made = []
    for nc in waiting.distinct():
        first = nc.findings.select_related("standard", "indicator", "cycle").order_by("cycle__year")
        before = first.exclude(cycle=cycle).last()
        if before is None:
            continue
        standard = before.standard
        after = Indicator.objects.filter(
            cycle=cycle,
            scope=Indicator.Scope.CARD,
            card=before.card,
            key=standard.indicator_key,
            measure=standard.measure,
        ).first()
        proposal = calc.verdict(
            None
            if after is None
            else {"value": after.value, "high": after.high, "n": after.n, "status": after.status},
            before.target,
            standard.minimum_sample,
            standard.is_upper_limit,
        )
        item, _created = Remeasurement.objects.get_or_create(
            cycle=cycle,
            nonconformity=nc,
            defaults={
                "before": before.indicator,
                "after": after,
                "target": before.target,
                "proposal": proposal,
            },
        )
        made.append(item)
    return made


def run_findings(cycle: Cycle, today: datetime.date) -> str:
    findings = evaluate_standards(cycle)
    return _("%(findings)s breaches of the standards.") % {"findings": len(findings)}


def run_nonconformities(cycle: Cycle, today: datetime.date) -> str:
    """Every finding of the cycle becomes (or joins) a nonconformity; waiting items are
    re-measured. A separate step from the findings: registering starts a viewflow
    process per item, and a crash here keeps the findings already stored. Each finding
    in a short transaction of its own (after a crash, the ones raised count as linked)."""
    findings = list(cycle.findings.values_list("pk", flat=True))
    outcomes = [_finding_raise_once(pk) for pk in _paced(findings)]
    with transaction.atomic():
        remeasured = remeasure(cycle)
    return _(
        "%(registered)s nonconformities registered, %(reopened)s reopened, %(linked)s "
        "linked to open items; %(remeasured)s re-measurements."
    ) % {
        "registered": outcomes.count("registered"),
        "reopened": outcomes.count("reopened"),
        "linked": outcomes.count("linked"),
        "remeasured": len(remeasured),
    }


@transaction.atomic
def remeasurement_decide(*, item: Remeasurement, user: User, effective: bool, note: str = ""):
    """The coordinator confirms (or overrides) the proposed verdict of a re-measurement."""
    if not is_coordinator(user):
        raise PermissionDenied
    item = Remeasurement.objects.select_for_update().get(pk=item.pk)
    if item.decided_at is not None or item.nonconformity.status != Status.AWAITING_MEASUREMENT:
        raise ValidationError(_("This re-measurement has already been decided."))
    nc_services.nonconformity_record_measurement(
        nc=item.nonconformity,
        user=user,
        effective=effective,
        evidence=note.strip() or remeasurement_evidence(item),
    )
    item.decided_at = timezone.now()
    item.decided_by = user
    item.save(update_fields=["decided_at", "decided_by"])
    return item


def remeasurement_evidence(item: Remeasurement) -> str:
    def fmt(ind: Indicator | None) -> str:
        if ind is None:
            return _("not measured")
        if ind.value is None:
            # Not even the count: the item's evidence is read by the unit's head.
            return _("fewer than %(min)s answers: not shown") % {"min": analysis.MIN_SHOWN}
        if ind.low is None:
            return f"{ind.value:.2f} (n = {ind.n})"
        return f"{ind.value:.2f} [{ind.low:.2f}–{ind.high:.2f}] (n = {ind.n})"

    return _(
        "Before (%(before_year)s): %(before)s; after (%(after_year)s): %(after)s; "
        "target %(target)s."
    ) % {
        "before_year": item.before.cycle.year,
        "before": fmt(item.before),
        "after_year": item.cycle.year,
        "after": fmt(item.after),
        "target": item.target,
    }


# --- packs and delivery --------------------------------------------------------------


def run_packs(cycle: Cycle, today: datetime.date) -> str:
    """Every pack missing is built first, outside any transaction (seconds a pack), into
    temporary files; then each is published in a short transaction of its own. A crash
    while building publishes none (the next run builds them again); one while
    publishing keeps those published (the next run builds the rest)."""
    units: list[OrgUnit | None] = [*OrgUnit.objects.filter(is_active=True).order_by("code")]
    built: list[packs.BuiltPack] = []
    published = 0
    try:
        for unit in [*units, None]:  # None: the management review
            one = packs.pack_build(cycle=cycle, unit=unit)
            if one is not None:
                built.append(one)
        for one in _paced(list(built)):
            published += packs.pack_publish(one)
            built.remove(one)
    except BaseException:
        for one in built:
            packs.pack_discard(one)
        raise
    return _("%(count)s packs built.") % {"count": published}


def packs_add_free_text(*, cycle: Cycle | None = None) -> list[str]:
    """Every pack still without its cycle's released free text is rebuilt with it, once
    (packs.pack_add_free_text); what the sweep reports ("2026:free_text:A")."""

    waiting = Pack.objects.filter(
        free_text_included_at__isnull=True, cycle__free_text_released_at__isnull=False
    ).select_related("cycle", "unit")
    if cycle is not None:
        waiting = waiting.filter(cycle=cycle)
    done = []
    for pack in waiting.order_by("cycle__year", "unit__code"):
        if packs.pack_add_free_text(pack=pack):
            done.append(f"{pack.cycle.year}:free_text:{pack.unit.code if pack.unit else '-'}")
    return done


# --- free text: the coordinator masks, then releases it to the units ------------------


def _free_text_packs(cycle: Cycle, answer: Answer) -> QuerySet[Pack]:
    """The packs that show this answer: its unit's and the management review's."""
    card = answer.response.service_card
    unit_id = card.unit_id if card is not None else None
    return Pack.objects.filter(cycle=cycle).filter(Q(unit_id=unit_id) | Q(unit__isnull=True))


@transaction.atomic
def free_text_mask(
    *,
    cycle: Cycle,
    answer: Answer,
    user: User,
    text: str,
    words: str = "",
    withheld: bool = False,
) -> FreeTextMask:
    """The coordinator's version of one free-text answer: `text` as it is to be shown,
    with every word or phrase in `words` (separated by commas or lines) masked too; or
    the answer withheld from the units. The original answer never changes.

    Bad input (an empty text without withholding, words that are not in the text)
    raises ValidationError by field and stores nothing. After the release, the packs
    showing the answer are rebuilt with the new version at the next sweep.
    """

    if not can_review_free_text(user):
        raise PermissionDenied
    text = text.strip()
    listed = privacy.split_words(words)
    errors: dict[str, list[str]] = {}
    if not text and not withheld:
        errors["text"] = [_("Give the text to show to the units, or withhold the answer.")]
    not_found = privacy.missing_words(text, listed)
    if not_found:
        errors["words"] = [
            _("Not in the text: %(words)s. Copy each word exactly as the text has it.")
            % {"words": ", ".join(f"“{word}”" for word in not_found)}
        ]
    if errors:
        raise ValidationError(errors)
    mask, _created = FreeTextMask.objects.update_or_create(
        answer=answer,
        defaults={
            "text": privacy.mask_words(text, listed),
            "withheld": withheld,
            "masked_by": user,
            "masked_at": timezone.now(),
        },
    )
    if cycle.free_text_released_at is not None:
        _free_text_packs(cycle, answer).update(free_text_included_at=None)
    return mask


@transaction.atomic
def free_text_release(*, cycle: Cycle, user: User, today: datetime.date | None = None) -> bool:
    """The coordinator releases the cycle's free text to the units; True the first time.

    Only after the survey period (answers still arrive until then, unreviewed). Packs
    built from now on include the texts; packs built before are rebuilt by the sweep
    (packs_add_free_text).
    """

    if not can_review_free_text(user):
        raise PermissionDenied
    today = today or timezone.localdate()
    if today <= cycle.survey_closes_on:
        raise ValidationError(
            _(
                "Free text can be released once the survey period is over (after %(day)s): "
                "until then new answers still come in, and nobody has reviewed them."
            )
            % {"day": cycle.survey_closes_on.isoformat()}
        )
    claimed = Cycle.objects.filter(pk=cycle.pk, free_text_released_at__isnull=True).update(
        free_text_released_at=timezone.now(), free_text_released_by=user
    )
    cycle.refresh_from_db(fields=["free_text_released_at", "free_text_released_by"])
    return bool(claimed)


def run_delivery(cycle: Cycle, today: datetime.date) -> str:
    """Each pack delivered in a short transaction of its own, under its row lock, once
    (a second sweep finds it delivered); its owners are told in that transaction."""
    delivered = 0
    waiting = cycle.packs.filter(delivered_at__isnull=True)
    units = waiting.filter(unit__isnull=False).order_by("unit__code")
    for pk in _paced(list(units.values_list("pk", flat=True))):
        with transaction.atomic():
            pack = (
                waiting.select_for_update(of=("self",)).select_related("unit").filter(pk=pk).first()
            )
            if pack is not None:
                pack_deliver(pack=pack, today=today)
                delivered += 1
    with transaction.atomic():
        management = waiting.select_for_update().filter(unit__isnull=True).first()
        if management is not None:
            for person in coordinators():
                notify_once(
                    person,
                    "management_pack",
                    {"cycle": cycle},
                    key=f"pack:{management.pk}:{person.pk}",
                    url=reverse("review:cycle", args=[cycle.year]),
                )
            management.delivered_at = timezone.now()
            management.save(update_fields=["delivered_at"])
    return _("%(count)s units received their pack.") % {"count": delivered}


def pack_deliver(*, pack: Pack, today: datetime.date) -> None:
    """Send a unit's pack to its head (or deputy, or coordinator) and open the task."""
    pack.delivered_at = timezone.now()
    pack.acknowledge_due_on = add_working_days(today, pack.cycle.acknowledgement_days)
    pack.save(update_fields=["delivered_at", "acknowledge_due_on"])
    process = PackFlow.start.run(pack=pack)
    notify_new_tasks(process.pk)  # in this transaction: told if and only if delivered


def pack_tasks(pack: Pack) -> QuerySet[Task]:
    return pack_task_rows().filter(process__artifact_object_id=pack.pk)


def _complete_pack_task(task: Task, user: User, step: Any, change: Callable[[Pack], None]) -> Pack:
    """Run `change` and complete the unit's task, under the process lock, exactly once."""
    if task.flow_task is not step:
        raise StepAlreadyDone  # another step (or another flow's task): nothing done here
    return complete_human_task(task, user, Pack, change)


def pack_acknowledge(*, task: Task, user: User, note: str) -> Pack:
    """The head has considered the results and planned the catalogue updates."""
    if not note.strip():
        raise ValidationError(
            {"note": _("Say which catalogue updates are planned (or why none are needed).")}
        )

    def change(pack: Pack) -> None:
        pack.acknowledged_at = timezone.now()
        pack.acknowledged_by = user
        pack.acknowledgement_note = note.strip()

    return _complete_pack_task(task, user, PackFlow.acknowledge, change)


def pack_catalogue_done(*, task: Task, user: User, note: str = "") -> Pack:
    """The unit's catalogue updates are published (or none were needed)."""

    def change(pack: Pack) -> None:
        pack.catalogue_done_at = timezone.now()
        if note.strip():
            pack.acknowledgement_note = f"{pack.acknowledgement_note}\n{note.strip()}".strip()

    return _complete_pack_task(task, user, PackFlow.catalogue, change)


def run_close(cycle: Cycle, today: datetime.date) -> str:
    cycle.closed_on = today
    cycle.save(update_fields=["closed_on"])
    pending = cycle.packs.filter(unit__isnull=False, acknowledged_at__isnull=True).count()
    for person in coordinators():
        notify_once(
            person,
            "cycle_closed",
            {"cycle": cycle, "pending": pending, "next_year": cycle.year + 1},
            key=f"cycle:{cycle.pk}:closed:{person.pk}",
            url=reverse("review:index"),
        )
    if pending:
        return _("Closed; %(count)s units had not acknowledged their pack.") % {"count": pending}
    return _("Closed; every unit acknowledged its pack.")


def next_cycle_offer(today: datetime.date | None = None) -> int | None:
    """The year a new cycle should be created for, if none exists yet."""
    today = today or timezone.localdate()
    latest = Cycle.objects.order_by("-year").first()
    if latest is None:
        return today.year
    due = latest.closed_on or today >= latest.analysis_due_on
    if due and not Cycle.objects.filter(year=latest.year + 1).exists():
        return latest.year + 1
    return None
