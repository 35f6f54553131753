"""The packs' tables as pure functions: DataFrames and plain values in, DataFrames,
dicts and strings out; no database, no files (tests build the frames by hand).

Small groups are handled here, whatever the caller passes: below `analysis.MIN_SHOWN`
answers a score has no value, no interval, no positive count and no sample size; from
10 to 29 it is marked indicative. Every other count about respondents (channels and
months, "what was missing") is hidden below the minimum too, and free text is shown
only pooled for a whole unit (or the office) of at least the minimum number of
respondents, masked (surveys.privacy), in a keyed random order, without card, desk or
date. Formatting of figures (in the active language) is here as well.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.utils import formats
from django.utils.translation import gettext as _

from review import indicators as calc
from review.models import Indicator, Standard
from surveys import analysis, privacy
from workflows.workdays import working_days_between

MISSING_KEY = "card_missing"
# "What was missing" of the cards with too few answers each, counted together.
OTHER_CARDS = "*"
TEXTS_NOT_RELEASED, TEXTS_NONE, TEXTS_TOO_FEW, TEXTS_SHOWN = (
    "not_released",
    "none",
    "too_few",
    "shown",
)
TOP_OBSERVATIONS = 5  # per card and kind in a unit's pack
SUPPRESSED, INDICATIVE, FIRM = analysis.SUPPRESSED, analysis.INDICATIVE, analysis.FIRM

# Verification verdicts, as the nonconformity history records them (workflows.Event).
EFFECTIVE_TRANSITIONS = {"verify", "measured_effective"}
NOT_EFFECTIVE_TRANSITIONS = {"not_effective", "measured_not_effective"}


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
