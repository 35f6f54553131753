"""Results packs (§6 of the regulation): one per organisational unit, and the
management-review pack (ISO 9001 9.3.2 inputs), each as a printable PDF and an XLSX.

Three layers, top to bottom of this module:

- pure functions that build each table from DataFrames (no database; tests build the
  frames by hand). Small groups are handled here, whatever the caller passes: below
  `analysis.MIN_SHOWN` answers a score has no value, no interval, no positive count and
  no sample size; from 10 to 29 it is marked indicative. Every other count about
  respondents (channels and months, "what was missing") is hidden below the minimum
  too, and free text is shown only pooled for a whole unit (or the office) of at least
  the minimum number of respondents, masked (surveys.privacy), in a keyed random order,
  without card, desk or date, and only once the coordinator has released it.
- loaders that read one cycle's frozen indicators and the few raw rows a pack needs.
- writers: the same tables as an A4 PDF in Polish (reportlab, matplotlib charts,
  DejaVu for Polish letters) and as a workbook with one sheet per table.

`pack_store` is what the cycle's "packs" step calls, once per unit and once with
`unit=None` for the management review. A pack built before the coordinator released
the cycle's free text says so in its free-text section; `pack_add_free_text` (run by
every sweep, services.packs_add_free_text) rebuilds it once the text is released.
"""

import datetime
import hashlib
import io
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from matplotlib.figure import Figure
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from qms.models import OrgUnit, ServiceCard
from qms.pdf import register_fonts
from review import indicators as calc
from review import selectors
from review.models import Cycle, Finding, Indicator, Pack, Standard
from review.selectors import period_responses, standard_rules
from surveys import analysis, privacy
from surveys.exports import neutralise_formula
from surveys.models import Answer, Channel, Choice, StaffObservation, Suggestion
from workflows.models import OPEN_STATUSES, Action, Event, Nonconformity, Source, Status
from workflows.workdays import working_days_between

MISSING_KEY = "card_missing"
FREE_TEXT_KEYS = selectors.FREE_TEXT_KEYS
# "What was missing" of the cards with too few answers each, counted together.
OTHER_CARDS = "*"
TEXTS_NOT_RELEASED, TEXTS_NONE, TEXTS_TOO_FEW, TEXTS_SHOWN = (
    "not_released",
    "none",
    "too_few",
    "shown",
)
MANAGEMENT_TEXTS_PRINTED = 100  # the workbook has them all
TOP_OBSERVATIONS = 5  # per card and kind in a unit's pack
TOP_OFFICE_OBSERVATIONS = 15  # in the management-review pack
TREND_YEARS_PRINTED = 6  # the XLSX has every cycle
SUPPRESSED, INDICATIVE, FIRM = analysis.SUPPRESSED, analysis.INDICATIVE, analysis.FIRM

# Verification verdicts, as the nonconformity history records them (workflows.Event).
EFFECTIVE_TRANSITIONS = {"verify", "measured_effective"}
NOT_EFFECTIVE_TRANSITIONS = {"not_effective", "measured_not_effective"}


# --- pure tables ---------------------------------------------------------------------


def shown(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators as they may be shown anywhere: suppression re-applied from `n`.

    Survey rows (shares, means) below MIN_SHOWN answers lose value, interval and
    positive count; their status is derived from `n` again, so a frame from any source
    obeys the same rule. Staff estimates (measure "monthly") are not answers and stay.
    """
    frame = indicators.copy()
    frame["n"] = pd.to_numeric(frame["n"]).astype(int)
    for column in ("positive", "value", "low", "high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    survey = frame["measure"] != Indicator.Measure.MONTHLY
    frame["status"] = frame["status"].astype(object)
    frame.loc[survey, "status"] = frame.loc[survey, "n"].map(
        lambda n: analysis.sample_status(int(n))
    )
    hidden = frame["status"] == SUPPRESSED
    frame.loc[hidden, ["positive", "value", "low", "high"]] = np.nan
    return frame


def _scaled(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Shares as percentages (0–100), other measures as they are; two decimals."""
    frame = frame.copy()
    share = frame["measure"] == Indicator.Measure.SHARE
    for column in columns:
        frame.loc[share, column] = frame.loc[share, column] * 100
        frame[column] = frame[column].round(2)
    return frame


INDICATOR_COLUMNS = [
    "card",
    "key",
    "measure",
    "n",
    "value",
    "low",
    "high",
    "status",
    "office",
]


def indicator_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """A unit's indicators: one row per card (and one for the whole unit, card "").

    `indicators` has review.indicators.COLUMNS (unit, card and office rows). Shares
    are in percent; `office` is the office's figure for the same indicator, for
    comparison (empty when suppressed).
    """
    frame = _scaled(shown(indicators), ["value", "low", "high"])
    office = frame[frame["scope"] == Indicator.Scope.OFFICE][["key", "measure", "value"]].rename(
        columns={"value": "office"}
    )
    own = frame[frame["scope"] != Indicator.Scope.OFFICE].copy()
    own["card"] = np.where(own["scope"] == Indicator.Scope.CARD, own["subject"].astype(str), "")
    table = own.merge(office, on=["key", "measure"], how="left")
    table = table.sort_values(["card", "key", "measure"]).reset_index(drop=True)
    return _hide_small_counts(table)[INDICATOR_COLUMNS]


def _hide_small_counts(table: pd.DataFrame, n: str = "n", status: str = "status") -> pd.DataFrame:
    """A suppressed survey result shows no sample size either: "fewer than 10" only.

    Staff estimates (measure "monthly") count reports by staff, not respondents."""
    table = table.copy()
    table[n] = pd.to_numeric(table[n], errors="coerce").astype(float)
    survey = table["measure"] != Indicator.Measure.MONTHLY if "measure" in table else True
    table.loc[survey & (table[status].fillna(SUPPRESSED) == SUPPRESSED), n] = np.nan
    return table


YOY_COLUMNS = [
    "scope",
    "subject",
    "key",
    "n_before",
    "value_before",
    "n",
    "value",
    "diff",
    "diff_low",
    "diff_high",
    "compared",
    "changed",
]


def _share_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    frame = shown(indicators)
    frame = frame[frame["measure"] == Indicator.Measure.SHARE]
    # A share without its positive count cannot enter a Newcombe interval.
    frame.loc[frame["positive"].isna(), "status"] = SUPPRESSED
    return frame[["scope", "subject", "key", "n", "positive", "value", "status"]].rename(
        columns={"value": "share"}
    )


def year_over_year_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Shares compared with the previous cycle, question by question (same stable key).

    Difference and Newcombe interval in percentage points; `changed` only when both
    years are shown (10 answers or more) and the interval excludes zero.
    """
    now, before = _share_rows(current), _share_rows(previous)
    if now.empty:
        return pd.DataFrame(columns=YOY_COLUMNS)
    both = analysis.year_over_year(now, before, on=["scope", "subject", "key"])
    both["compared"] = both["diff"].notna()
    both["changed"] = both["changed"].astype(bool)
    for column in ("share", "share_before", "diff", "diff_low", "diff_high"):
        both[column] = (pd.to_numeric(both[column], errors="coerce") * 100).round(2)
    both = both.rename(columns={"share": "value", "share_before": "value_before"})
    both = _hide_small_counts(_hide_small_counts(both), "n_before", "status_before")
    return both.sort_values(["scope", "subject", "key"]).reset_index(drop=True)[YOY_COLUMNS]


def _minimum(minimum: int | None) -> int:
    return analysis.MIN_SHOWN if minimum is None else minimum


def channel_month_table(responses: pd.DataFrame, *, minimum: int | None = None) -> pd.DataFrame:
    """Responses per month (rows) and channel (columns), with a total column.

    `responses` has columns response, month ("YYYY-MM"), channel. A count from 1 to
    `minimum` - 1 (default MIN_SHOWN) is hidden (NaN): a handful of kiosk answers in
    one month is a group too small to report.
    """
    if responses.empty:
        return pd.DataFrame(columns=["month", "total"])
    table = analysis.counts_by_channel_and_month(responses)
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    table = table.astype(float)
    return table.mask((table > 0) & (table < _minimum(minimum))).reset_index()


def missing_ranked(
    answers: pd.DataFrame, *, by_card: bool = True, minimum: int | None = None
) -> pd.DataFrame:
    """ "What was missing from the card", most often picked first (per card, or overall).

    `answers` is an answer frame (response, card, key, value, na); only `card_missing`
    counts. A card whose options were picked by fewer than `minimum` respondents
    (default MIN_SHOWN) is not shown on its own: such cards are counted together as
    card OTHER_CARDS (last), if together they reach the minimum, else left out. Overall
    (`by_card=False`): nothing below the minimum.
    """
    minimum = _minimum(minimum)
    by = ["card"] if by_card else []
    columns = [*by, "value", "count"]
    empty = pd.DataFrame(columns=columns)
    if answers.empty:
        return empty
    picked = answers[
        (answers["key"] == MISSING_KEY) & answers["value"].notna() & ~answers["na"].astype(bool)
    ]
    if by_card:
        picked = picked[picked["card"].notna()].copy()
        sizes = picked.groupby("card")["response"].nunique()
        small = picked["card"].isin(sizes[sizes < minimum].index)
        if picked.loc[small, "response"].nunique() >= minimum:
            picked.loc[small, "card"] = OTHER_CARDS
        else:
            picked = picked[~small]
    elif picked["response"].nunique() < minimum:
        return empty
    if picked.empty:
        return empty
    table = analysis.ranked_values(picked, MISSING_KEY, by or None)[columns]
    if by_card:
        last = table["card"] == OTHER_CARDS
        table = pd.concat([table[~last], table[last]]).reset_index(drop=True)
    return table


FREE_TEXT_COLUMNS = ["answer", "response", "text", "override", "withheld"]


def free_text_pool(
    texts: pd.DataFrame, *, seed: str, minimum: int | None = None
) -> tuple[pd.DataFrame, str]:
    """The free-text answers of one pool (a unit's services, or the whole office) as
    they may be shown to anyone but the coordinator, and what to say about them.

    `texts` has FREE_TEXT_COLUMNS: the answer's id, its response's id, the original
    text, the coordinator's version (None: none) and whether it is withheld. Returns
    (a frame with one column `text`, state): the texts masked (surveys.privacy.mask,
    also over the coordinator's version), withheld and empty ones left out, ordered by
    a hash of `seed` and the answer's id — random to the reader, never the order of
    submission, the same on every rebuild; TEXTS_TOO_FEW (and no texts) when fewer than
    `minimum` respondents (default MIN_SHOWN) wrote them, TEXTS_NONE when there are none.
    No card, question, desk or date is kept.
    """
    empty = pd.DataFrame(columns=["text"])
    if texts.empty:
        return empty, TEXTS_NONE
    frame = texts[~texts["withheld"].fillna(False).astype(bool)]
    frame = frame.assign(
        text=[
            privacy.shown_text(str(original), None if pd.isna(override) else str(override))
            for original, override in zip(frame["text"], frame["override"], strict=True)
        ]
    )
    frame = frame[frame["text"] != ""]
    if frame.empty:
        return empty, TEXTS_NONE
    if frame["response"].nunique() < _minimum(minimum):
        return empty, TEXTS_TOO_FEW
    order = [hashlib.sha256(f"{seed}:{answer}".encode()).hexdigest() for answer in frame["answer"]]
    frame = frame.assign(_order=order).sort_values("_order")
    return frame[["text"]].reset_index(drop=True), TEXTS_SHOWN


def observation_ranking(observations: pd.DataFrame, *, top: int = TOP_OBSERVATIONS) -> pd.DataFrame:
    """Staff observations: the most frequent questions and document errors per card.

    `observations` has columns card, kind, summary, monthly, example. The same summary
    reported by several people is one row (`reports`), its monthly estimates summed.
    """
    columns = ["card", "kind", "summary", "reports", "monthly", "example"]
    if observations.empty:
        return pd.DataFrame(columns=columns)
    frame = observations.copy()
    frame["summary"] = frame["summary"].astype(str).str.strip()
    frame["_same"] = frame["summary"].str.casefold()
    frame["example"] = frame["example"].fillna("").astype(str).str.strip()
    table = (
        frame.groupby(["card", "kind", "_same"], sort=False)
        .agg(
            summary=("summary", "first"),
            reports=("summary", "size"),
            monthly=("monthly", "sum"),
            example=("example", lambda s: next((e for e in s if e), "")),
        )
        .reset_index()
        .sort_values(["card", "kind", "monthly", "reports"], ascending=[True, True, False, False])
    )
    table = table.groupby(["card", "kind"], sort=False).head(top)
    return table.reset_index(drop=True)[columns]


def trend_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """Office-level indicators across cycles: one row per indicator, a column per year.

    `indicators` has review.indicators.COLUMNS plus `year`. Shares in percent,
    suppressed years empty; `change` compares the last two years (see
    `year_over_year_table`): "up", "down", "none" or "" (not comparable).
    """
    office = indicators[indicators["scope"] == Indicator.Scope.OFFICE]
    if office.empty:
        return pd.DataFrame(columns=["key", "measure", "change"])
    frame = _scaled(shown(office), ["value"])
    years = sorted(int(year) for year in frame["year"].unique())
    table = frame.pivot(index=["key", "measure"], columns="year", values="value")
    table = table.reindex(columns=years)
    table.columns = years
    table = table.reset_index()
    table["change"] = ""
    if len(years) >= 2:
        last = office[office["year"] == years[-1]]
        before = office[office["year"] == years[-2]]
        yoy = year_over_year_table(last, before)
        for row in yoy.itertuples(index=False):
            if not row.compared:
                continue
            direction = ("up" if row.diff > 0 else "down") if row.changed else "none"
            table.loc[
                (table["key"] == row.key) & (table["measure"] == Indicator.Measure.SHARE),
                "change",
            ] = direction
    return table.sort_values(["key", "measure"]).reset_index(drop=True)


def objectives_table(card_indicators: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Per standard: cards measured against it, met, breached, too few answers to judge.

    `card_indicators` are card-level indicators (COLUMNS plus nothing else needed);
    `rules` is review.indicators.effective_rules(). Breaches are decided by
    `indicators.evaluate`, the rule the findings use.
    """
    columns = ["standard", "cards", "met", "breached", "too_few"]
    cards = card_indicators[card_indicators["scope"] == Indicator.Scope.CARD]
    if cards.empty or rules.empty:
        return pd.DataFrame(columns=columns)
    joined = cards.merge(
        rules, left_on=["subject", "measure", "key"], right_on=["card", "measure", "key"]
    )
    if joined.empty:
        return pd.DataFrame(columns=columns)
    breached = calc.evaluate(cards, rules)
    breached_pairs = set(zip(breached["subject"], breached["standard"], strict=True))
    joined["breached"] = [
        (subject, standard) in breached_pairs
        for subject, standard in zip(joined["subject"], joined["standard"], strict=True)
    ]
    upper = joined["upper_limit"].astype(bool)
    assessable = upper | (
        (joined["status"] != SUPPRESSED)
        & (joined["n"] >= joined["minimum_sample"])
        & joined["high"].notna()
    )
    joined["met"] = assessable & ~joined["breached"]
    joined["too_few"] = ~assessable
    table = (
        joined.groupby("standard")
        .agg(
            cards=("subject", "size"),
            met=("met", "sum"),
            breached=("breached", "sum"),
            too_few=("too_few", "sum"),
        )
        .reset_index()
    )
    return table[columns].astype(int)


def nc_measures(
    items: pd.DataFrame,
    actions: pd.DataFrame,
    events: pd.DataFrame,
    *,
    recurring_findings: int = 0,
) -> dict[str, float | int | None]:
    """Nonconformity and corrective-action figures for the management review.

    `items`: nonconformities registered in the period (status, created_on, closed_on);
    `actions`: their actions (due_on, done_on); `events`: history rows in the period
    (nonconformity, transition). Rates are fractions, None when there is nothing to
    divide by; times in working days (Polish calendar).
    """
    closed = items[items["closed_on"].notna()] if not items.empty else items
    days = [
        working_days_between(row.created_on, row.closed_on)
        for row in closed.itertuples(index=False)
    ]
    done = actions[actions["done_on"].notna()] if not actions.empty else actions
    on_time = int((done["done_on"] <= done["due_on"]).sum()) if not done.empty else 0
    transitions = events["transition"] if not events.empty else pd.Series(dtype=object)
    effective = int(transitions.isin(EFFECTIVE_TRANSITIONS).sum())
    verified = effective + int(transitions.isin(NOT_EFFECTIVE_TRANSITIONS).sum())
    reopened = (
        int(events.loc[events["transition"] == "reopen", "nonconformity"].nunique())
        if not events.empty
        else 0
    )
    return {
        "registered": len(items),
        "closed": len(closed),
        "actions_done": len(done),
        "actions_on_time": on_time,
        "on_time_rate": on_time / len(done) if len(done) else None,
        "mean_days_to_close": float(np.mean(days)) if days else None,
        "verified": verified,
        "effective": effective,
        "effectiveness_rate": effective / verified if verified else None,
        "reopened": reopened,
        "recurring_findings": recurring_findings,
        "recurrence": reopened + recurring_findings,
    }


# --- formatting (in the active language) ---------------------------------------------


def _number(value: float, digits: int) -> str:
    return formats.number_format(value, decimal_pos=digits)


def format_value(measure: str, value: float) -> str:
    if measure == Indicator.Measure.SHARE:
        return f"{_number(value, 0)} %"
    return _number(value, 1 if measure == Indicator.Measure.MONTHLY else 2)


def format_result(measure: str, value: Any, low: Any, high: Any, status: str) -> str:
    """ "72 % (64–79 %)", "4,21 (4,05–4,37)", "12,3", or "—, too few answers"."""
    if status == SUPPRESSED or pd.isna(value):
        return _("—, too few answers")
    text = format_value(measure, value)
    if pd.isna(low) or pd.isna(high):
        return text
    if measure == Indicator.Measure.SHARE:
        return f"{text} ({_number(low, 0)}–{format_value(measure, high)})"
    return f"{text} ({format_value(measure, low)}–{format_value(measure, high)})"


def status_label(status: str) -> str:
    return {
        SUPPRESSED: _("too few answers (under 10): not shown"),
        INDICATIVE: _("indicative (10 to 29 answers)"),
        FIRM: _("reliable (30 answers or more)"),
    }.get(status, "")


def status_short(status: str) -> str:
    """The sample status in a narrow column (the pack's introduction explains them)."""
    return {
        SUPPRESSED: _("too few answers"),
        INDICATIVE: _("indicative"),
        FIRM: _("reliable"),
    }.get(status, "")


def change_label(compared: bool, changed: bool, diff: float) -> str:
    if not compared:
        return _("not comparable")
    if not changed:
        return _("no significant change")
    return _("significant increase") if diff > 0 else _("significant decrease")


def _points(value: float) -> str:
    sign = "+" if value > 0 else ""
    return f"{sign}{_number(value, 1)}"


def _target(standard: Standard, target: float) -> str:
    return format_value(standard.measure, target * 100 if standard.measure == "share" else target)


# --- loaders -------------------------------------------------------------------------


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


# --- PDF -----------------------------------------------------------------------------


class _Pdf:
    """A4 document with the house styles; `story` is filled by the pack builders."""

    def __init__(self, title: str) -> None:
        font, bold = register_fonts()
        self.font = font
        self.title = title
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=11.5)
        self.small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5)
        self.note = ParagraphStyle(
            "note", fontName=font, fontSize=8.5, leading=11, textColor="#444444", spaceAfter=4
        )
        self.h1 = ParagraphStyle("h1", fontName=bold, fontSize=16, leading=20, spaceAfter=6)
        self.h2 = ParagraphStyle(
            "h2", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        )
        self.h3 = ParagraphStyle(
            "h3", fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=2
        )
        self.story: list[Any] = []

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        safe = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe.replace("\n", "<br/>"), style or self.body)

    def add(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.story.append(self.p(text, style))

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        empty: str = "",
    ) -> None:
        if not rows:
            self.add(empty or _("Nothing to report."), self.note)
            return
        data = [[self.p(h, self.small) for h in header]]
        data += [[self.p("" if v is None else str(v), self.small) for v in row] for row in rows]
        style = TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
                ("BACKGROUND", (0, 0), (-1, 0), "#e8edf5"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
        self.story.append(
            Table(data, colWidths=[w * mm for w in widths], style=style, repeatRows=1)
        )

    def image(self, png: bytes, width_mm: float, height_mm: float, caption: str = "") -> None:
        parts: list[Any] = [Image(io.BytesIO(png), width=width_mm * mm, height=height_mm * mm)]
        if caption:
            parts.append(self.p(caption, self.note))
        self.story.append(KeepTogether(parts))

    def build(self) -> bytes:
        buffer = io.BytesIO()
        page_label = _("Page")

        def footer(canvas, doc) -> None:
            canvas.saveState()
            canvas.setFont(self.font, 7.5)
            canvas.drawString(15 * mm, 10 * mm, self.title)
            canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{page_label} {doc.page}")
            canvas.restoreState()

        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            lang="pl-PL",
        )
        doc.build(self.story, onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue()


CHART_WIDTH = 7.0  # inches; printed 178 mm wide


def share_chart(table: pd.DataFrame, *, key: str, title: str) -> tuple[bytes, float] | None:
    """One question's share of positive answers per card, with 95 % interval bars.

    `table` is `indicator_table` output. Indicative figures are hollow; suppressed
    cards are listed with a note instead of a point; the office's figure is a dashed
    line. Returns (PNG, height / width), or None when no card has a share to show.
    """
    rows = table[
        (table["key"] == key)
        & (table["measure"] == Indicator.Measure.SHARE)
        & (table["card"] != "")
    ]
    if rows.empty or rows["value"].isna().all():
        return None
    rows = rows.sort_values("card", ascending=False).reset_index(drop=True)
    height_in = 0.9 + 0.28 * len(rows)
    figure = Figure(figsize=(CHART_WIDTH, height_in), dpi=150)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    for y, row in zip(positions, rows.itertuples(index=False), strict=True):
        if pd.isna(row.value):
            axes.text(1, y, _("fewer than 10 answers"), va="center", fontsize=7, color="#777777")
            continue
        firm = row.status == FIRM
        low = row.value if pd.isna(row.low) else row.low
        high = row.value if pd.isna(row.high) else row.high
        axes.errorbar(
            row.value,
            y,
            xerr=[[row.value - low], [high - row.value]],
            fmt="o",
            color="#1a4d8f" if firm else "#7f8fa6",
            markerfacecolor="#1a4d8f" if firm else "white",
            capsize=3,
            markersize=5,
        )
    office = rows["office"].dropna()
    if not office.empty:
        axes.axvline(float(office.iloc[0]), color="#c8102e", linestyle="--", linewidth=1)
    axes.set_yticks(positions, [str(c) for c in rows["card"]], fontsize=7.5)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xlabel(_("Share of positive answers (percent)"), fontsize=8)
    axes.tick_params(axis="x", labelsize=7.5)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=8.5, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), height_in / CHART_WIDTH


# --- XLSX ----------------------------------------------------------------------------


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that could run as a formula are neutralised (surveys.exports)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda v: neutralise_formula(v) if isinstance(v, str) else v
            )
    return frame


def workbook(sheets: Sequence[tuple[str, pd.DataFrame]]) -> bytes:
    """One sheet per table; headers as given (Polish), frozen, columns sized to fit."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets:
            title = name[:31]
            _safe(frame).to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for index, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = min(max(10, longest + 2), 80)
    return buffer.getvalue()


def _sheet(frame: pd.DataFrame, headers: dict[Any, Any]) -> pd.DataFrame:
    """The frame's columns in `headers` order, renamed to the (translated) headers."""
    out = frame.reindex(columns=list(headers))
    out.columns = [str(h) for h in headers.values()]
    return out


# Column headers, translated when a pack is written.
HEADERS: dict[str, Any] = {
    "card": gettext_lazy("Service card"),
    "title": gettext_lazy("Service"),
    "question": gettext_lazy("Indicator"),
    "measure": gettext_lazy("Measure"),
    "n": gettext_lazy("Answers (n)"),
    "value": gettext_lazy("Value"),
    "low": gettext_lazy("Interval from"),
    "high": gettext_lazy("Interval to"),
    "status": gettext_lazy("Sample"),
    "office": gettext_lazy("Office (for comparison)"),
    "value_before": gettext_lazy("Previous cycle"),
    "n_before": gettext_lazy("Answers in the previous cycle"),
    "diff": gettext_lazy("Change (percentage points)"),
    "diff_low": gettext_lazy("Change: interval from"),
    "diff_high": gettext_lazy("Change: interval to"),
    "change": gettext_lazy("Assessment"),
    "month": gettext_lazy("Month"),
    "total": gettext_lazy("Total"),
    "option": gettext_lazy("What was missing"),
    "count": gettext_lazy("Times chosen"),
    "question_key": gettext_lazy("Question"),
    "text": gettext_lazy("Answer"),
    "kind": gettext_lazy("Type"),
    "summary": gettext_lazy("What"),
    "reports": gettext_lazy("Reported by (people)"),
    "monthly": gettext_lazy("Estimated times a month"),
    "example": gettext_lazy("Example"),
    "standard": gettext_lazy("Standard"),
    "target": gettext_lazy("Target"),
    "evidence": gettext_lazy("Evidence"),
    "number": gettext_lazy("Number"),
    "nc_title": gettext_lazy("Title"),
    "nc_status": gettext_lazy("Status"),
    "severity": gettext_lazy("Severity"),
    "registered": gettext_lazy("Registered on"),
    "due": gettext_lazy("Current step due"),
    "verdict": gettext_lazy("Effectiveness"),
    "actions": gettext_lazy("Actions done / planned"),
    "closed": gettext_lazy("Closed on"),
    "cards": gettext_lazy("Cards measured"),
    "met": gettext_lazy("Met"),
    "breached": gettext_lazy("Breached"),
    "too_few": gettext_lazy("Too few answers to judge"),
    "source": gettext_lazy("Source"),
    "items": gettext_lazy("Nonconformities"),
    "figure": gettext_lazy("Figure"),
    "unit": gettext_lazy("Unit"),
}


def _headers(*names: str) -> dict[Any, Any]:
    return {name: HEADERS[name] for name in names}


def _label_channel(channel: str) -> str:
    try:
        return str(Channel(channel).label)
    except ValueError:
        return channel


# --- the unit's pack -----------------------------------------------------------------


def _count(n: Any) -> str:
    """A count of respondents, or "fewer than 10" where it is hidden (NaN) or small."""
    if n is None or pd.isna(n) or 0 < n < analysis.MIN_SHOWN:
        return _("fewer than %(n)s") % {"n": analysis.MIN_SHOWN}
    return str(int(n))


def _xlsx_counts(frame: pd.DataFrame, columns: Iterable[Any]) -> pd.DataFrame:
    """Hidden counts read "fewer than 10" in a workbook too (not an empty cell)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = [_count(v) if pd.isna(v) else int(v) for v in frame[column]]
    return frame


def texts_note(state: str, *, office: bool = False) -> str:
    """What a pack says about its free-text answers (and why there are none)."""
    if state == TEXTS_NOT_RELEASED:
        return _(
            "The quality coordinator has not yet released the free-text answers of this "
            "cycle. When they are released, this pack is rebuilt with them."
        )
    if state == TEXTS_TOO_FEW:
        return _(
            "Fewer than %(n)s respondents wrote free-text answers here, so they are not "
            "shown: too small a group to keep the respondents anonymous."
        ) % {"n": analysis.MIN_SHOWN}
    if state == TEXTS_NONE:
        return _("No free-text answers.")
    if office:
        return _(
            "Free-text answers about all the office's services together, in random order, "
            "without the service, desk or date. Personal data (PESEL and ID-card numbers, "
            "phone numbers, e-mail addresses, names after Pan/Pani) were masked "
            "automatically and by the quality coordinator."
        )
    return _(
        "Free-text answers about all the unit's services together, in random order, "
        "without the service, desk or date. Personal data (PESEL and ID-card numbers, "
        "phone numbers, e-mail addresses, names after Pan/Pani) were masked automatically "
        "and by the quality coordinator. Do not try to find out who wrote an answer."
    )


def _missing_note() -> str:
    return _(
        "Counts are shown only for cards with at least %(n)s respondents who answered this "
        "question; cards with fewer are counted together (if together they reach %(n)s) "
        "or left out."
    ) % {"n": analysis.MIN_SHOWN}


def _card_label(code: str, titles: dict[str, str]) -> str:
    if code == OTHER_CARDS:
        return _("Other services together (each with too few answers)")
    return _card_name(code, titles)


def _reading_note() -> str:
    return _(
        "Each result is given with its 95-percent confidence interval. Results based "
        "on fewer than 10 answers are not shown (this also protects the respondents' "
        "anonymity); results based on 10 to 29 answers are indicative only. A standard "
        "counts as breached only when the whole interval lies below its target. "
        '"Not applicable" answers are left out of every result.'
    )


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


def unit_pack(cycle: Cycle, unit: OrgUnit) -> tuple[bytes, bytes]:
    """The unit's results pack for the cycle: (PDF, XLSX), in Polish."""
    with translation.override("pl"):
        tables = unit_tables(cycle, unit)
        return _unit_pdf(cycle, unit, tables), _unit_xlsx(cycle, unit, tables)


def _labelled(cycle: Cycle, unit: OrgUnit | None):
    questions = _question_labels(cycle)
    titles = _card_titles(unit)
    options = _choice_labels(cycle, MISSING_KEY)
    return questions, titles, options, measure_labels(), _observation_kinds()


def measure_labels() -> dict[str, str]:
    """Short names of the measures, for narrow table columns."""
    return {
        Indicator.Measure.SHARE: _("share positive"),
        Indicator.Measure.MEAN: _("mean"),
        Indicator.Measure.MONTHLY: _("a month (estimate)"),
    }


def _observation_kinds() -> dict[str, str]:
    return {str(k): str(v) for k, v in StaffObservation.Kind.choices}


def _card_name(code: str, titles: dict[str, str]) -> str:
    return f"{code} {titles.get(code, '')}".strip() if code else _("Whole unit")


def _unit_pdf(cycle: Cycle, unit: OrgUnit, tables: dict[str, pd.DataFrame]) -> bytes:
    questions, titles, options, measures, kinds = _labelled(cycle, unit)
    title = _("Results of the service-card survey %(year)s: %(unit)s") % {
        "year": cycle.year,
        "unit": f"{unit.code} {unit.name_pl}",
    }
    pdf = _Pdf(title)
    pdf.add(_("Results pack %(year)s") % {"year": cycle.year}, pdf.h1)
    pdf.add(f"{unit.code} {unit.name_pl}", pdf.h2)
    responses = int(tables["responses"]["count"].iloc[0])
    pdf.add(
        _(
            "Survey period %(start)s – %(end)s; %(responses)s responses about the unit's "
            "services. Prepared under §6 of the regulation for the update of the service "
            "catalogue (due %(due)s)."
        )
        % {
            "start": formats.date_format(cycle.survey_opens_on, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(cycle.survey_closes_on, "SHORT_DATE_FORMAT"),
            "responses": _count(responses),
            "due": formats.date_format(cycle.catalogue_due_on, "SHORT_DATE_FORMAT"),
        }
    )
    pdf.add(_reading_note(), pdf.note)

    # 1. Indicators, with a chart per question.
    pdf.add(_("1. Indicators of the unit's service cards"), pdf.h2)
    indicators = tables["indicators"]
    rows = [
        [
            _card_name(r.card, titles),
            questions.get(r.key, r.key),
            measures.get(r.measure, r.measure),
            _count(r.n),
            format_result(r.measure, r.value, r.low, r.high, r.status),
            status_short(r.status) if r.measure != Indicator.Measure.MONTHLY else "",
            "" if pd.isna(r.office) else format_value(r.measure, r.office),
        ]
        for r in indicators.itertuples(index=False)
    ]
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["question"]),
            str(HEADERS["measure"]),
            "n",
            _("Result (95-percent interval)"),
            str(HEADERS["status"]),
            str(HEADERS["office"]),
        ],
        rows,
        [32, 48, 22, 10, 30, 20, 18],
        empty=_("No indicators were computed for this unit."),
    )
    share_keys = sorted(
        set(indicators.loc[indicators["measure"] == Indicator.Measure.SHARE, "key"])
    )
    charts = [
        (key, share_chart(indicators, key=key, title=questions.get(key, key))) for key in share_keys
    ]
    drawn = [(key, chart) for key, chart in charts if chart is not None]
    if drawn:
        pdf.add(_("Share of positive answers per card"), pdf.h3)
        pdf.add(
            _(
                "Dots: the share of positive answers; bars: the 95-percent confidence "
                "interval; hollow dots: indicative (10 to 29 answers); dashed line: the "
                "whole office."
            ),
            pdf.note,
        )
        for _key, (png, ratio) in drawn:
            pdf.image(png, 178, 178 * ratio)
            pdf.story.append(Spacer(1, 2 * mm))

    # 2. Year over year.
    previous_year = tables["previous_year"]["year"].iloc[0]
    pdf.add(_("2. Change since the previous cycle"), pdf.h2)
    yoy = tables["yoy"]
    if previous_year is None or pd.isna(previous_year):
        pdf.add(_("There is no earlier cycle to compare with."), pdf.note)
    else:
        pdf.add(
            _(
                "Shares of positive answers in %(year)s against %(previous)s, for questions "
                "with the same key. A change is called significant only when its "
                "95-percent interval (Newcombe) excludes zero."
            )
            % {"year": cycle.year, "previous": int(previous_year)},
            pdf.note,
        )
        pdf.table(
            [
                str(HEADERS["card"]),
                str(HEADERS["question"]),
                str(int(previous_year)),
                str(cycle.year),
                _("Change (points, 95-percent interval)"),
                str(HEADERS["change"]),
            ],
            [
                [
                    r.subject if r.scope == Indicator.Scope.CARD else _("Whole unit"),
                    questions.get(r.key, r.key),
                    "—" if pd.isna(r.value_before) else format_value("share", r.value_before),
                    "—" if pd.isna(r.value) else format_value("share", r.value),
                    f"{_points(r.diff)} ({_points(r.diff_low)} – {_points(r.diff_high)})"
                    if r.compared
                    else "—",
                    change_label(r.compared, r.changed, r.diff),
                ]
                for r in yoy.itertuples(index=False)
            ],
            [22, 56, 18, 18, 40, 26],
        )

    # 3. Responses by channel and month.
    pdf.add(_("3. Responses by channel and month"), pdf.h2)
    channels = tables["channels"]
    channel_columns = [c for c in channels.columns if c not in ("month", "total")]
    width = min(30.0, 140 / max(1, len(channel_columns)))
    pdf.table(
        [
            str(HEADERS["month"]),
            *(_label_channel(c) for c in channel_columns),
            str(HEADERS["total"]),
        ],
        [
            [r["month"], *(_count(r[c]) for c in channel_columns), _count(r["total"])]
            for _i, r in channels.iterrows()
        ],
        [24, *([width] * len(channel_columns)), 16],
        empty=_("No responses in the survey period."),
    )

    # 4. What was missing.
    pdf.add(_("4. What was missing from the cards"), pdf.h2)
    pdf.add(_missing_note(), pdf.note)
    pdf.table(
        [str(HEADERS["card"]), str(HEADERS["option"]), str(HEADERS["count"])],
        [
            [_card_label(r.card, titles), options.get(r.value, r.value), int(r.count)]
            for r in tables["missing"].itertuples(index=False)
        ],
        [80, 70, 30],
        empty=_("Nothing to show: no card has enough answers to this question."),
    )

    # 5. Free text: pooled for the whole unit, masked, in random order, once released.
    pdf.add(_("5. Respondents' own words"), pdf.h2)
    state = str(tables["texts_state"]["state"].iloc[0])
    pdf.add(texts_note(state), pdf.note)
    for text in tables["texts"]["text"]:
        pdf.add(f"• {text}")

    # 6. Staff observations.
    pdf.add(_("6. Staff observations"), pdf.h2)
    pdf.add(
        _(
            "What clients ask most often and which errors they make in documents, as "
            "estimated by the staff (§7 of the regulation); the most frequent per card."
        ),
        pdf.note,
    )
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["kind"]),
            str(HEADERS["summary"]),
            _("People"),
            _("A month"),
            str(HEADERS["example"]),
        ],
        [
            [
                r.card,
                kinds.get(r.kind, r.kind),
                r.summary,
                int(r.reports),
                _number(r.monthly, 1),
                r.example,
            ]
            for r in tables["observations"].itertuples(index=False)
        ],
        [18, 26, 50, 14, 16, 56],
        empty=_("No staff observations were recorded for the unit's cards."),
    )

    # 7. Standards breached.
    pdf.add(_("7. Quality standards not met"), pdf.h2)
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["standard"]),
            str(HEADERS["target"]),
            str(HEADERS["evidence"]),
            _("Nonconformity"),
        ],
        [list(r) for r in tables["findings"].itertuples(index=False)],
        [18, 42, 16, 80, 24],
        empty=_("The unit's cards met every standard that could be assessed."),
    )

    # 8. Open nonconformities.
    pdf.add(_("8. Open nonconformities of the unit"), pdf.h2)
    pdf.table(
        [
            str(HEADERS["number"]),
            _("Title"),
            str(HEADERS["card"]),
            str(HEADERS["nc_status"]),
            str(HEADERS["severity"]),
            str(HEADERS["due"]),
        ],
        [
            [r.number, r.nc_title, r.card, r.nc_status, r.severity, _date(r.due)]
            for r in tables["items"].itertuples(index=False)
        ],
        [26, 60, 18, 32, 18, 26],
        empty=_("The unit has no open nonconformities."),
    )
    return pdf.build()


def _texts_sheet(tables: dict[str, Any]) -> pd.DataFrame:
    """The free-text sheet: the pooled texts, or the one sentence saying why there are none."""
    state = str(tables["texts_state"]["state"].iloc[0])
    if state == TEXTS_SHOWN:
        return tables["texts"][["text"]]
    return pd.DataFrame({"text": [texts_note(state)]})


def _date(value: Any) -> str:
    if value is None or (not isinstance(value, datetime.date) and pd.isna(value)):
        return "—"
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _unit_xlsx(cycle: Cycle, unit: OrgUnit, tables: dict[str, pd.DataFrame]) -> bytes:
    questions, titles, options, measures, kinds = _labelled(cycle, unit)
    indicators = tables["indicators"].copy()
    indicators["title"] = indicators["card"].map(lambda c: titles.get(c, _("Whole unit")))
    indicators["question"] = indicators["key"].map(lambda k: questions.get(k, k))
    hidden = indicators["status"] == SUPPRESSED
    indicators["status"] = [
        status_label(s) if m != Indicator.Measure.MONTHLY else ""
        for s, m in zip(indicators["status"], indicators["measure"], strict=True)
    ]
    indicators["value"] = indicators["value"].astype(object)
    indicators.loc[hidden, "value"] = _("—, too few answers")
    indicators["measure"] = indicators["measure"].map(lambda m: measures.get(m, m))
    indicators = _xlsx_counts(indicators, ["n"])
    yoy = _xlsx_counts(tables["yoy"], ["n", "n_before"])
    yoy["card"] = np.where(yoy["scope"] == Indicator.Scope.CARD, yoy["subject"], _("Whole unit"))
    yoy["question"] = yoy["key"].map(lambda k: questions.get(k, k))
    yoy["change"] = [
        change_label(c, ch, d)
        for c, ch, d in zip(yoy["compared"], yoy["changed"], yoy["diff"], strict=True)
    ]
    counted = [c for c in tables["channels"].columns if c != "month"]
    channels = _xlsx_counts(tables["channels"], counted).rename(
        columns={
            c: _label_channel(c) for c in tables["channels"].columns if c not in ("month", "total")
        }
    )
    channel_headers = {c: c for c in channels.columns}
    channel_headers.update(_headers("month", "total"))
    missing = tables["missing"].copy()
    missing["option"] = missing["value"].map(lambda v: options.get(v, v))
    missing["card"] = missing["card"].map(lambda c: _card_label(c, {}) if c == OTHER_CARDS else c)
    texts = _texts_sheet(tables)
    observations = tables["observations"].copy()
    observations["kind"] = observations["kind"].map(lambda k: kinds.get(k, k))
    about = pd.DataFrame(
        {
            _("Item"): [
                _("Unit"),
                _("Cycle"),
                _("Survey period"),
                _("How to read the results"),
                _("What was missing"),
                _("Free text"),
            ],
            _("Description"): [
                f"{unit.code} {unit.name_pl}",
                str(cycle.year),
                f"{cycle.survey_opens_on} – {cycle.survey_closes_on}",
                _reading_note(),
                _missing_note(),
                texts_note(str(tables["texts_state"]["state"].iloc[0])),
            ],
        }
    )
    return workbook(
        [
            (_("About"), about),
            (
                _("Indicators"),
                _sheet(
                    indicators,
                    _headers(
                        "card",
                        "title",
                        "question",
                        "measure",
                        "n",
                        "value",
                        "low",
                        "high",
                        "status",
                        "office",
                    ),
                ),
            ),
            (
                _("Change since last cycle"),
                _sheet(
                    yoy,
                    _headers(
                        "card",
                        "question",
                        "n_before",
                        "value_before",
                        "n",
                        "value",
                        "diff",
                        "diff_low",
                        "diff_high",
                        "change",
                    ),
                ),
            ),
            (_("Channels and months"), _sheet(channels, channel_headers)),
            (_("What was missing"), _sheet(missing, _headers("card", "option", "count"))),
            (_("Free text"), _sheet(texts, _headers("text"))),
            (
                _("Staff observations"),
                _sheet(
                    observations,
                    _headers("card", "kind", "summary", "reports", "monthly", "example"),
                ),
            ),
            (
                _("Standards not met"),
                _sheet(
                    tables["findings"], _headers("card", "standard", "target", "evidence", "number")
                ),
            ),
            (
                _("Open nonconformities"),
                _sheet(
                    tables["items"],
                    _headers(
                        "number", "nc_title", "card", "nc_status", "severity", "registered", "due"
                    ),
                ),
            ),
        ]
    )


# --- the management-review pack ------------------------------------------------------


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


def management_pack(cycle: Cycle) -> tuple[bytes, bytes]:
    """The management-review pack (ISO 9001 9.3.2 inputs): (PDF, XLSX), in Polish."""
    with translation.override("pl"):
        tables = management_tables(cycle)
        return _management_pdf(cycle, tables), _management_xlsx(cycle, tables)


def _measure_rows(measures: dict[str, Any]) -> list[tuple[str, str]]:
    def rate(value: float | None) -> str:
        return "—" if value is None else f"{_number(value * 100, 0)} %"

    days = measures["mean_days_to_close"]
    return [
        (_("Nonconformities registered in the period"), str(measures["registered"])),
        (_("of which closed"), str(measures["closed"])),
        (_("Open nonconformities today (all years)"), str(measures["open_now"])),
        (
            _("Actions completed on time"),
            f"{rate(measures['on_time_rate'])} "
            f"({measures['actions_on_time']} / {measures['actions_done']})",
        ),
        (
            _("Mean time to close (working days)"),
            "—" if days is None else _number(days, 1),
        ),
        (
            _("Effectiveness rate (effective / verified)"),
            f"{rate(measures['effectiveness_rate'])} "
            f"({measures['effective']} / {measures['verified']})",
        ),
        (_("Items reopened in the period"), str(measures["reopened"])),
        (
            _("Breaches found again (linked to an earlier item)"),
            str(measures["recurring_findings"]),
        ),
        (_("Recurrence in total"), str(measures["recurrence"])),
    ]


def _counts(items: pd.DataFrame, column: str, labels: dict[str, str]) -> list[list[Any]]:
    if items.empty:
        return []
    counts = items[column].value_counts()
    return [[labels.get(str(value), str(value)), int(n)] for value, n in counts.items()]


def _trend_rows(trend: pd.DataFrame, questions: dict[str, str], measures: dict[str, str]):
    years = [c for c in trend.columns if isinstance(c, int)][-TREND_YEARS_PRINTED:]
    changes = {
        "up": _("significant increase"),
        "down": _("significant decrease"),
        "none": _("no significant change"),
        "": "—",
    }
    rows = []
    for _i, r in trend.iterrows():
        rows.append(
            [
                questions.get(r["key"], r["key"]),
                measures.get(r["measure"], r["measure"]),
                *("—" if pd.isna(r[y]) else format_value(r["measure"], r[y]) for y in years),
                changes.get(r["change"], "—"),
            ]
        )
    return years, rows


def _trend_chart(trend: pd.DataFrame, questions: dict[str, str]) -> tuple[bytes, float] | None:
    """Office-level shares of positive answers, cycle by cycle (from two cycles on)."""
    years = [c for c in trend.columns if isinstance(c, int)]
    shares = trend[trend["measure"] == Indicator.Measure.SHARE]
    if len(years) < 2 or shares.empty or shares[years].isna().all().all():
        return None
    figure = Figure(figsize=(CHART_WIDTH, 3.4), dpi=150)
    axes = figure.add_subplot()
    for _i, r in shares.iterrows():
        label = "\n".join(textwrap.wrap(questions.get(r["key"], r["key"]), 45))
        axes.plot(years, [r[y] for y in years], marker="o", linewidth=1.2, label=label)
    axes.set_xticks(years, [str(y) for y in years], fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel(_("Share of positive answers (percent)"), fontsize=8)
    axes.tick_params(axis="y", labelsize=7.5)
    axes.grid(color="#dddddd", linewidth=0.5)
    axes.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.subplots_adjust(left=0.08, right=0.62, top=0.95, bottom=0.1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), 3.4 / CHART_WIDTH


def _management_pdf(cycle: Cycle, tables: dict[str, Any]) -> bytes:
    questions = _question_labels(cycle)
    options = _choice_labels(cycle, MISSING_KEY)
    measures = measure_labels()
    kinds = _observation_kinds()
    start, end = tables["period"]
    title = _("Management review %(year)s: inputs (ISO 9001, 9.3.2)") % {"year": cycle.year}
    pdf = _Pdf(title)
    pdf.add(title, pdf.h1)
    pdf.add(
        _(
            "For the quality coordinator and the mayor. Review period %(start)s – %(end)s; "
            "%(responses)s survey responses in the cycle."
        )
        % {"start": _date(start), "end": _date(end), "responses": _count(tables["responses"])}
    )
    pdf.add(_reading_note(), pdf.note)

    pdf.add(_("1. Status of actions from the previous review"), pdf.h2)
    previous = tables["previous"]
    if previous is None:
        pdf.add(_("This is the first review cycle: there is no previous review."), pdf.note)
    else:
        pdf.add(
            _("Nonconformities raised by the findings of the %(year)s cycle.")
            % {"year": previous.year},
            pdf.note,
        )
        pdf.table(
            [
                str(HEADERS["number"]),
                _("Title"),
                str(HEADERS["card"]),
                str(HEADERS["nc_status"]),
                str(HEADERS["verdict"]),
                str(HEADERS["actions"]),
                str(HEADERS["closed"]),
            ],
            [
                [r.number, r.nc_title, r.card, r.nc_status, r.verdict, r.actions, _date(r.closed)]
                for r in tables["earlier"].itertuples(index=False)
            ],
            [26, 48, 16, 28, 22, 18, 22],
            empty=_("The previous cycle raised no nonconformities."),
        )

    pdf.add(_("2. Customer satisfaction and feedback: trends"), pdf.h2)
    years, rows = _trend_rows(tables["trend"], questions, measures)
    pdf.table(
        [
            str(HEADERS["question"]),
            str(HEADERS["measure"]),
            *(str(y) for y in years),
            _("Last change"),
        ],
        rows,
        [54, 24, *([76 / max(1, len(years))] * len(years)), 26],
        empty=_("No indicators have been computed yet."),
    )
    chart = _trend_chart(tables["trend"], questions)
    if chart is not None:
        png, ratio = chart
        pdf.image(png, 178, 178 * ratio)

    pdf.add(_("3. Quality objectives met and missed"), pdf.h2)
    standards: dict[int, Standard] = tables["standards"]
    pdf.table(
        [
            str(HEADERS["standard"]),
            str(HEADERS["target"]),
            str(HEADERS["cards"]),
            str(HEADERS["met"]),
            str(HEADERS["breached"]),
            str(HEADERS["too_few"]),
        ],
        [
            [
                str(standards[r.standard]) if r.standard in standards else r.standard,
                _target(standards[r.standard], standards[r.standard].target)
                if r.standard in standards
                else "",
                r.cards,
                r.met,
                r.breached,
                r.too_few,
            ]
            for r in tables["objectives"].itertuples(index=False)
        ],
        [62, 18, 20, 24, 28, 28],
        empty=_("No quality standards are defined, or none could be applied."),
    )
    by_unit = tables["findings_by_unit"]
    if not by_unit.empty:
        pdf.add(_("Breaches found in this cycle, by unit"), pdf.h3)
        pdf.table(
            [str(HEADERS["unit"]), _("Breaches")],
            [[r.unit, int(r.count)] for r in by_unit.itertuples(index=False)],
            [60, 30],
        )

    pdf.add(_("4. Nonconformities and corrective actions"), pdf.h2)
    pdf.table([str(HEADERS["figure"]), _("Value")], _measure_rows(tables["measures"]), [120, 60])
    items = tables["items"]
    status_labels = {str(k): str(v) for k, v in Status.choices}
    source_labels = {str(k): str(v) for k, v in Source.choices}
    pdf.add(_("Registered in the period, by current status"), pdf.h3)
    pdf.table(
        [str(HEADERS["nc_status"]), str(HEADERS["items"])],
        _counts(items, "status", status_labels),
        [90, 30],
    )
    pdf.add(_("Registered in the period, by source"), pdf.h3)
    pdf.table(
        [str(HEADERS["source"]), str(HEADERS["items"])],
        _counts(items, "source", source_labels),
        [90, 30],
    )

    pdf.add(_("5. Opportunities for improvement"), pdf.h2)
    pdf.add(_("What respondents missed most in the cards"), pdf.h3)
    pdf.table(
        [str(HEADERS["option"]), str(HEADERS["count"])],
        [
            [options.get(r.value, r.value), int(r.count)]
            for r in tables["missing"].itertuples(index=False)
        ],
        [120, 30],
        empty=_("No respondent said anything was missing."),
    )
    suggestions = tables["suggestions"]
    pdf.add(
        ngettext(
            "Respondents sent %(count)s suggestion about the questionnaire itself.",
            "Respondents sent %(count)s suggestions about the questionnaire itself.",
            suggestions,
        )
        % {"count": suggestions}
        if suggestions == 0 or suggestions >= analysis.MIN_SHOWN
        else _("Respondents sent fewer than %(n)s suggestions about the questionnaire itself.")
        % {"n": analysis.MIN_SHOWN}
    )
    pdf.add(_("Respondents' own words"), pdf.h3)
    state = str(tables["texts_state"]["state"].iloc[0])
    pdf.add(texts_note(state, office=True), pdf.note)
    texts = tables["texts"]["text"]
    for text in texts.head(MANAGEMENT_TEXTS_PRINTED):
        pdf.add(f"• {text}")
    if len(texts) > MANAGEMENT_TEXTS_PRINTED:
        pdf.add(
            _("%(printed)s of %(count)s answers printed; the workbook has them all.")
            % {"printed": MANAGEMENT_TEXTS_PRINTED, "count": len(texts)},
            pdf.note,
        )
    pdf.add(_("Most frequent staff observations in the office"), pdf.h3)
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["kind"]),
            str(HEADERS["summary"]),
            _("People"),
            _("A month"),
        ],
        [
            [r.card, kinds.get(r.kind, r.kind), r.summary, int(r.reports), _number(r.monthly, 1)]
            for r in tables["observations"].itertuples(index=False)
        ],
        [22, 32, 90, 16, 20],
        empty=_("No staff observations were recorded in the cycle."),
    )
    return pdf.build()


def _management_xlsx(cycle: Cycle, tables: dict[str, Any]) -> bytes:
    questions = _question_labels(cycle)
    options = _choice_labels(cycle, MISSING_KEY)
    measures = measure_labels()
    kinds = _observation_kinds()
    trend = tables["trend"].copy()
    trend["question"] = trend["key"].map(lambda k: questions.get(k, k))
    trend["measure"] = trend["measure"].map(lambda m: measures.get(m, m))
    years = [c for c in trend.columns if isinstance(c, int)]
    trend_headers = _headers("question", "measure")
    trend_headers.update({y: str(y) for y in years})
    trend_headers["change"] = HEADERS["change"]
    standards: dict[int, Standard] = tables["standards"]
    objectives = tables["objectives"].copy()
    objectives["target"] = [
        _target(standards[s], standards[s].target) if s in standards else ""
        for s in objectives["standard"]
    ]
    objectives["standard"] = [str(standards.get(s, s)) for s in objectives["standard"]]
    figures = pd.DataFrame(_measure_rows(tables["measures"]), columns=["figure", "value"])
    items = tables["items"]
    status_labels = {str(k): str(v) for k, v in Status.choices}
    source_labels = {str(k): str(v) for k, v in Source.choices}
    by_status = pd.DataFrame(
        _counts(items, "status", status_labels), columns=["nc_status", "items"]
    )
    by_source = pd.DataFrame(_counts(items, "source", source_labels), columns=["source", "items"])
    missing = tables["missing"].copy()
    missing["option"] = missing["value"].map(lambda v: options.get(v, v))
    observations = tables["observations"].copy()
    observations["kind"] = observations["kind"].map(lambda k: kinds.get(k, k))
    start, end = tables["period"]
    about = pd.DataFrame(
        {
            _("Item"): [
                _("Cycle"),
                _("Review period"),
                _("Suggestions about the questionnaire"),
                _("Free text"),
            ],
            _("Description"): [
                str(cycle.year),
                f"{start} – {end}",
                _count(tables["suggestions"]),
                texts_note(str(tables["texts_state"]["state"].iloc[0]), office=True),
            ],
        }
    )
    return workbook(
        [
            (_("About"), about),
            (
                _("Previous review"),
                _sheet(
                    tables["earlier"],
                    _headers(
                        "number", "nc_title", "card", "nc_status", "verdict", "actions", "closed"
                    ),
                ),
            ),
            (_("Satisfaction trends"), _sheet(trend, trend_headers)),
            (
                _("Quality objectives"),
                _sheet(
                    objectives,
                    _headers("standard", "target", "cards", "met", "breached", "too_few"),
                ),
            ),
            (_("Nonconformity figures"), _sheet(figures, _headers("figure", "value"))),
            (_("By status"), _sheet(by_status, _headers("nc_status", "items"))),
            (_("By source"), _sheet(by_source, _headers("source", "items"))),
            (_("What was missing"), _sheet(missing, _headers("option", "count"))),
            (_("Free text"), _sheet(_texts_sheet(tables), _headers("text"))),
            (
                _("Staff observations"),
                _sheet(
                    observations,
                    _headers("card", "kind", "summary", "reports", "monthly", "example"),
                ),
            ),
        ]
    )


# --- storing ----------------------------------------------------------------------------


def pack_file_stem(cycle: Cycle, unit: OrgUnit | None) -> str:
    return f"unit-{unit.code}-{cycle.year}" if unit else f"management-review-{cycle.year}"


def pack_store(*, cycle: Cycle, unit: OrgUnit | None) -> int:
    """Build and store the pack of `unit` (None: the management review) once; 1 if built.

    Idempotent: a pack that exists is left alone (0). Runs inside the caller's
    transaction (the cycle's "packs" step): the row is created only after both files
    are written, so a crash leaves no Pack row and the next run builds it again; the
    files a crashed run had already written stay orphaned on disk (harmless: never
    linked, never served). Two builders at once: the unique constraints on Pack let
    one row in; the loser removes its files and returns 0.
    """
    if Pack.objects.filter(cycle=cycle, unit=unit).exists():
        return 0
    cycle.refresh_from_db(fields=["free_text_released_at"])
    released = cycle.free_text_released_at is not None
    pdf, xlsx = unit_pack(cycle, unit) if unit is not None else management_pack(cycle)
    stem = pack_file_stem(cycle, unit)
    pack = Pack(cycle=cycle, unit=unit, free_text_included_at=timezone.now() if released else None)
    pack.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    pack.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
    try:
        with transaction.atomic():
            pack.save()
    except IntegrityError:
        pack.pdf.delete(save=False)
        pack.xlsx.delete(save=False)
        return 0
    return 1


def pack_add_free_text(*, pack: Pack) -> int:
    """Rebuild a pack once its cycle's free text is released (or masked again); 1 if so.

    For packs built before the release, or whose texts the coordinator masked again
    since (services.free_text_mask clears `free_text_included_at`): both files are
    built again whole (the other tables as they stand now); the row keeps its delivery
    and acknowledgement. Under the pack's row lock, so two sweeps rebuild it once; the
    old files are removed after the commit (a crash leaves the old ones in place).
    """
    with transaction.atomic():
        pack = (
            Pack.objects.select_for_update(of=("self",))
            .select_related("cycle", "unit")
            .get(pk=pack.pk)
        )
        if pack.free_text_included_at is not None or pack.cycle.free_text_released_at is None:
            return 0
        cycle, unit = pack.cycle, pack.unit
        pdf, xlsx = unit_pack(cycle, unit) if unit is not None else management_pack(cycle)
        old = [name for name in (pack.pdf.name, pack.xlsx.name) if name]
        stem = pack_file_stem(cycle, unit)
        pack.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        pack.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        pack.free_text_included_at = timezone.now()
        pack.save(update_fields=["pdf", "xlsx", "free_text_included_at"])
        storage = pack.pdf.storage

        def remove_old_files() -> None:
            for name in old:
                storage.delete(name)

        transaction.on_commit(remove_old_files)
    return 1
