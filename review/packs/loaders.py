"""The packs' database reads: one cycle's frozen indicators and the few raw rows a
pack needs, turned into the frames the tables (review.packs.tables) take.

`unit_tables` and `management_tables` are a whole pack's contents, before any
labels or layout; the free text comes only once the coordinator has released it.
"""

import datetime
from collections.abc import Sequence
from typing import Any

import pandas as pd
from django.db.models import Count, Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from qms.models import OrgUnit, ServiceCard
from review import indicators as calc
from review import selectors
from review.models import Cycle, Finding, Indicator
from review.packs.tables import (
    EFFECTIVE_TRANSITIONS,
    FREE_TEXT_COLUMNS,
    INDICATOR_COLUMNS,
    MISSING_KEY,
    NOT_EFFECTIVE_TRANSITIONS,
    TEXTS_NOT_RELEASED,
    YOY_COLUMNS,
    _target,
    channel_month_table,
    free_text_pool,
    indicator_table,
    missing_ranked,
    nc_measures,
    objectives_table,
    observation_ranking,
    trend_table,
    year_over_year_table,
)
from review.selectors import period_responses, standard_rules
from surveys.models import Answer, Choice, StaffObservation, Suggestion
from workflows.models import OPEN_STATUSES, Action, Event, Nonconformity

TOP_OFFICE_OBSERVATIONS = 15  # in the management-review pack


def _question_labels(cycle: Cycle) -> dict[str, str]:
    labels = dict(cycle.version.questions.values_list("key", "text_pl"))
    labels[calc.OBSERVATION_KEYS["document_error"]] = _("Errors in documents (staff estimate)")
    labels[calc.OBSERVATION_KEYS["question"]] = _("Frequent client questions (staff estimate)")
    return labels


def _choice_labels(cycle: Cycle, key: str) -> dict[str, str]:
    return dict(
        Choice.objects.filter(question__version=cycle.version, question__key=key).values_list(
            "value", "label_pl"
        )
    )


def _card_titles(unit: OrgUnit | None = None) -> dict[str, str]:
    cards = ServiceCard.objects.all()
    if unit is not None:
        cards = cards.filter(unit=unit)
    return dict(cards.values_list("code", "title_pl"))


def _responses(cycle: Cycle, unit: OrgUnit | None) -> pd.DataFrame:
    rows = period_responses(cycle)
    if unit is not None:
        rows = rows.filter(service_card__unit=unit)
    frame = pd.DataFrame.from_records(
        list(rows.values_list("pk", "submitted_on", "channel")),
        columns=["response", "date", "channel"],
    )
    frame["month"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m")
    return frame[["response", "month", "channel"]]


def _answers(cycle: Cycle, unit: OrgUnit | None, keys: Sequence[str]) -> pd.DataFrame:
    """The cycle's answers to a few questions (by stable key): response, card, key,
    value, na."""

    responses = period_responses(cycle)
    if unit is not None:
        responses = responses.filter(service_card__unit=unit)
    rows = Answer.objects.filter(response__in=responses, question__key__in=list(keys))
    frame = pd.DataFrame.from_records(
        list(
            rows.values_list(
                "response_id",
                "response__service_card__code",
                "question__key",
                "choice__value",
                "text",
                "choice__is_not_applicable",
            )
        ),
        columns=["response", "card", "key", "choice", "text", "na"],
    )
    frame["value"] = frame["choice"].where(frame["choice"].notna(), frame["text"])
    frame["na"] = frame["na"].fillna(False).astype(bool)
    return frame[["response", "card", "key", "value", "na"]]


def _free_text(cycle: Cycle, unit: OrgUnit | None) -> pd.DataFrame:
    """The pool's free-text answers with the coordinator's versions (FREE_TEXT_COLUMNS)."""
    answers = selectors.free_text_answers(cycle, unit=unit)
    rows = list(answers.values_list("pk", "response_id", "text"))
    masks = selectors.free_text_masks(answers.values("pk"))
    return pd.DataFrame.from_records(
        [
            (
                pk,
                response,
                text,
                masks[pk].text if pk in masks else None,
                masks[pk].withheld if pk in masks else False,
            )
            for pk, response, text in rows
        ],
        columns=FREE_TEXT_COLUMNS,
    )


def free_text_seed(cycle: Cycle, unit: OrgUnit | None) -> str:
    """The pack's shuffling seed: stable, and secret (derived from SECRET_KEY), so that
    nobody who knows the order in which clients answered can undo the shuffle."""
    subject = unit.code if unit is not None else ""
    return salted_hmac("review.packs.free_text", f"{cycle.year}:{subject}").hexdigest()


def pack_texts(cycle: Cycle, unit: OrgUnit | None) -> tuple[pd.DataFrame, str]:
    """The free text a pack of `unit` (None: the office) shows now, and its state."""
    if cycle.free_text_released_at is None:
        return pd.DataFrame(columns=["text"]), TEXTS_NOT_RELEASED
    return free_text_pool(_free_text(cycle, unit), seed=free_text_seed(cycle, unit))


def _observations(cycle: Cycle, unit: OrgUnit | None) -> pd.DataFrame:
    """Staff observations of the cycle (the period services.cycle_observations reads)."""
    rows = StaffObservation.objects.filter(
        recorded_on__range=(datetime.date(cycle.year, 1, 1), cycle.analysis_due_on)
    )
    if unit is not None:
        rows = rows.filter(card__unit=unit)
    frame = pd.DataFrame.from_records(
        list(rows.values_list("card__code", "kind", "summary", "frequency", "period", "example")),
        columns=["card", "kind", "summary", "frequency", "period", "example"],
    )
    per_month = {str(k): v for k, v in StaffObservation.PER_MONTH.items()}
    frame["monthly"] = frame["frequency"] * frame["period"].map(per_month)
    return frame[["card", "kind", "summary", "monthly", "example"]]


def unit_tables(cycle: Cycle, unit: OrgUnit) -> dict[str, pd.DataFrame]:
    """The unit's pack as DataFrames (internal column names), read from the database."""
    current = selectors.indicator_frame(cycle, unit=unit)
    previous_cycle = selectors.previous_cycle(cycle)
    previous = (
        selectors.indicator_frame(previous_cycle, unit=unit)
        if previous_cycle is not None
        else pd.DataFrame(columns=current.columns)
    )
    # The previous cycle's rows are matched by code, so a unit's own rows count even
    # if its cards moved; only the unit's and its cards' rows are compared.
    answers = _answers(cycle, unit, [MISSING_KEY])
    items = (
        Nonconformity.objects.filter(unit=unit, status__in=OPEN_STATUSES)
        .select_related("service_card")
        .order_by("created_on", "pk")
    )
    findings = selectors.cycle_findings(cycle, unit=unit).order_by("card__code", "standard__kind")
    texts, texts_state = pack_texts(cycle, unit)
    responses = _responses(cycle, unit)
    return {
        "indicators": indicator_table(current)
        if not current.empty
        else pd.DataFrame(columns=INDICATOR_COLUMNS),
        "yoy": year_over_year_table(
            current[current["scope"] != Indicator.Scope.OFFICE],
            previous[previous["scope"] != Indicator.Scope.OFFICE],
        )
        if not current.empty
        else pd.DataFrame(columns=YOY_COLUMNS),
        "responses": pd.DataFrame({"count": [responses["response"].nunique()]}),
        "channels": channel_month_table(responses),
        "missing": missing_ranked(answers),
        "texts": texts,
        "texts_state": pd.DataFrame({"state": [texts_state]}),
        "observations": observation_ranking(_observations(cycle, unit)),
        "items": pd.DataFrame.from_records(
            [
                {
                    "number": nc.number,
                    "nc_title": nc.title,
                    "card": nc.service_card.code if nc.service_card else "",
                    "nc_status": nc.get_status_display(),
                    "severity": nc.get_severity_display(),
                    "registered": nc.created_on,
                    "due": nc.step_due_on,
                }
                for nc in items
            ],
            columns=["number", "nc_title", "card", "nc_status", "severity", "registered", "due"],
        ),
        "findings": pd.DataFrame.from_records(
            [_finding_row(f) for f in findings],
            columns=["card", "standard", "target", "evidence", "number"],
        ),
        "previous_year": pd.DataFrame({"year": [previous_cycle.year if previous_cycle else None]}),
    }


def _finding_row(finding: Finding) -> dict[str, Any]:
    return {
        "card": finding.card.code,
        "standard": str(finding.standard),
        "target": _target(finding.standard, finding.target),
        "evidence": finding.summary,
        "number": finding.nonconformity.number if finding.nonconformity else "",
    }


def review_period(cycle: Cycle) -> tuple[datetime.date, datetime.date]:
    """From the day after the previous cycle's analysis to this cycle's analysis deadline."""
    previous = selectors.previous_cycle(cycle)
    start = (
        previous.analysis_due_on + datetime.timedelta(days=1)
        if previous is not None
        else datetime.date(cycle.year, 1, 1)
    )
    return start, cycle.analysis_due_on


def management_tables(cycle: Cycle) -> dict[str, Any]:
    """The management-review inputs as DataFrames and figures, read from the database."""
    start, end = review_period(cycle)
    previous = selectors.previous_cycle(cycle)

    # a) Actions from the previous review: what its findings raised, and where it stands.
    earlier = []
    if previous is not None:
        raised = (
            Nonconformity.objects.filter(findings__cycle=previous)
            .distinct()
            .annotate(
                planned=Count("actions", distinct=True),
                done=Count("actions", filter=Q(actions__done_on__isnull=False), distinct=True),
            )
            .select_related("service_card")
            .order_by("number")
        )
        earlier = [
            {
                "number": nc.number,
                "nc_title": nc.title,
                "card": nc.service_card.code if nc.service_card else "",
                "nc_status": nc.get_status_display(),
                "verdict": nc.get_verdict_display() if nc.verdict else "—",
                "actions": f"{nc.done} / {nc.planned}",
                "closed": nc.closed_on,
            }
            for nc in raised
        ]

    # b) Customer satisfaction across every cycle so far.
    history = pd.DataFrame.from_records(
        list(
            Indicator.objects.filter(
                scope=Indicator.Scope.OFFICE, cycle__year__lte=cycle.year
            ).values_list("cycle__year", *calc.COLUMNS)
        ),
        columns=["year", *calc.COLUMNS],
    )

    # c) Quality objectives.
    card_rows = selectors.indicator_frame(cycle)
    card_rows = card_rows[card_rows["scope"] == Indicator.Scope.CARD]

    rules, standards = standard_rules()
    objectives = (
        objectives_table(card_rows, rules)
        if not card_rows.empty
        else pd.DataFrame(columns=["standard", "cards", "met", "breached", "too_few"])
    )

    # d) Nonconformities and corrective actions in the review period.
    items_qs = Nonconformity.objects.filter(created_on__range=(start, end))
    items = pd.DataFrame.from_records(
        list(items_qs.values_list("pk", "status", "source", "created_on", "closed_on")),
        columns=["pk", "status", "source", "created_on", "closed_on"],
    )
    actions = pd.DataFrame.from_records(
        list(Action.objects.filter(nonconformity__in=items_qs).values_list("due_on", "done_on")),
        columns=["due_on", "done_on"],
    )
    events = pd.DataFrame.from_records(
        list(
            Event.objects.filter(
                at__date__range=(start, end),
                transition__in=[*EFFECTIVE_TRANSITIONS, *NOT_EFFECTIVE_TRANSITIONS, "reopen"],
            ).values_list("nonconformity_id", "transition")
        ),
        columns=["nonconformity", "transition"],
    )
    recurring = (
        Finding.objects.filter(cycle=cycle, nonconformity__isnull=False)
        .filter(nonconformity__findings__cycle__year__lt=cycle.year)
        .distinct()
        .count()
    )
    measures = nc_measures(items, actions, events, recurring_findings=recurring)
    measures["open_now"] = Nonconformity.objects.filter(status__in=OPEN_STATUSES).count()

    # e) Improvement opportunities.
    missing = missing_ranked(_answers(cycle, None, [MISSING_KEY]), by_card=False)
    suggestions = Suggestion.objects.filter(
        version__questionnaire=cycle.version.questionnaire_id,
        is_pilot=False,
        submitted_on__range=(cycle.survey_opens_on, cycle.survey_closes_on),
    ).count()
    observations = _observations(cycle, None)
    ranked = observation_ranking(observations, top=len(observations))
    top_observations = (
        ranked.sort_values(["monthly", "reports"], ascending=False)
        .head(TOP_OFFICE_OBSERVATIONS)
        .reset_index(drop=True)
    )
    texts, texts_state = pack_texts(cycle, None)
    findings_by_unit = pd.DataFrame.from_records(
        list(
            Finding.objects.filter(cycle=cycle)
            .values_list("card__unit__code")
            .annotate(n=Count("pk"))
            .order_by("card__unit__code")
        ),
        columns=["unit", "count"],
    )
    return {
        "period": (start, end),
        "previous": previous,
        "earlier": pd.DataFrame.from_records(
            earlier,
            columns=["number", "nc_title", "card", "nc_status", "verdict", "actions", "closed"],
        ),
        "trend": trend_table(history),
        "objectives": objectives,
        "standards": standards,
        "items": items,
        "measures": measures,
        "missing": missing,
        "texts": texts,
        "texts_state": pd.DataFrame({"state": [texts_state]}),
        "suggestions": suggestions,
        "observations": top_observations,
        "findings_by_unit": findings_by_unit,
        "responses": period_responses(cycle).count(),
    }
