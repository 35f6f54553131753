"""Survey analysis in pure functions (pandas; statsmodels/scipy for the statistics).

Every function takes DataFrames and returns DataFrames; nothing here touches the
database (a selector builds the answer frame). The answer frame has one row per
answer: `response`, `year`, `card`, `unit`, `channel`, `month`, `key` (the question's
stable key), `value` (choice value, number or text) and `na` (the "not applicable"
option, which never enters a denominator).

Small samples: below `MIN_SHOWN` answers a score is suppressed (NaN, status
"suppressed") — also to protect anonymity; below `MIN_FIRM` it is "indicative".
A standard is breached only when the whole interval lies below its target.
"""

import numpy as np
import pandas as pd
from django.conf import settings
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

# The anonymity rule's minimum group (ANONYMITY_MIN_GROUP, 10 by default): below it a
# result is not shown anywhere, to anyone but the quality coordinator.
MIN_SHOWN = settings.ANONYMITY_MIN_GROUP
MIN_FIRM = 30
CONFIDENCE = 0.95

SUPPRESSED = "suppressed"
INDICATIVE = "indicative"
FIRM = "firm"

# Answers that count as positive: "yes" for yes/no items, the top two boxes of 1–5.
POSITIVE = {"yes", "4", "5"}

ANSWER_COLUMNS = ["response", "year", "card", "unit", "channel", "month", "key", "value", "na"]


def sample_status(n: int) -> str:
    if n < MIN_SHOWN:
        return SUPPRESSED
    return INDICATIVE if n < MIN_FIRM else FIRM


def _rated(answers: pd.DataFrame, key: str) -> pd.DataFrame:
    """Answers to one question, "not applicable" left out of every denominator."""
    return answers[(answers["key"] == key) & ~answers["na"].astype(bool)]


def shares(
    answers: pd.DataFrame,
    key: str,
    by: list[str],
    positive: set[str] = POSITIVE,
) -> pd.DataFrame:
    """Share of positive answers per group with a Wilson interval.

    Columns: the `by` columns, n, positive, share, low, high, status. Suppressed rows
    keep n (so the reader knows why) but no share and no interval.
    """
    rated = _rated(answers, key).assign(hit=lambda f: f["value"].astype(str).isin(positive))
    table = (
        rated.groupby(by, dropna=False)
        .agg(n=("hit", "size"), positive=("hit", "sum"))
        .reset_index()
    )
    if table.empty:
        return table.assign(share=[], low=[], high=[], status=[])
    low, high = proportion_confint(
        table["positive"], table["n"], alpha=1 - CONFIDENCE, method="wilson"
    )
    table["share"] = table["positive"] / table["n"]
    table["low"], table["high"] = low, high
    table["status"] = table["n"].map(sample_status)
    hidden = table["status"] == SUPPRESSED
    table.loc[hidden, ["share", "low", "high"]] = np.nan
    return table


def means(answers: pd.DataFrame, key: str, by: list[str]) -> pd.DataFrame:
    """Mean of a numeric or 1–5 item per group with a t interval (scipy)."""
    rated = _rated(answers, key)
    rated = rated.assign(score=pd.to_numeric(rated["value"], errors="coerce")).dropna(
        subset=["score"]
    )
    grouped = rated.groupby(by, dropna=False)["score"]
    table = grouped.agg(n="size", mean="mean", sd="std").reset_index()
    if table.empty:
        return table.assign(low=[], high=[], status=[])
    sem = table["sd"] / np.sqrt(table["n"])
    low, high = stats.t.interval(CONFIDENCE, df=table["n"] - 1, loc=table["mean"], scale=sem)
    table["low"], table["high"] = low, high
    table["status"] = table["n"].map(sample_status)
    table.loc[table["status"] == SUPPRESSED, ["mean", "sd", "low", "high"]] = np.nan
    return table.drop(columns="sd")


def year_over_year(current: pd.DataFrame, previous: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """Difference of two `shares` tables (same stable key) with a Newcombe interval.

    `changed` is True only when both years are shown and the interval excludes zero.
    """
    both = current.merge(previous, on=on, how="left", suffixes=("", "_before"))
    both["diff"] = np.nan
    both["diff_low"] = np.nan
    both["diff_high"] = np.nan
    shown = (both["status"] != SUPPRESSED) & (
        both["status_before"].fillna(SUPPRESSED) != SUPPRESSED
    )
    for index in both.index[shown]:
        row = both.loc[index]
        low, high = confint_proportions_2indep(
            int(row["positive"]),
            int(row["n"]),
            int(row["positive_before"]),
            int(row["n_before"]),
            method="newcomb",
            compare="diff",
            alpha=1 - CONFIDENCE,
        )
        both.loc[index, ["diff", "diff_low", "diff_high"]] = [
            row["share"] - row["share_before"],
            low,
            high,
        ]
    both["changed"] = shown & ((both["diff_low"] > 0) | (both["diff_high"] < 0))
    return both


def breaches(
    table: pd.DataFrame, *, target: float, minimum_sample: int = MIN_SHOWN
) -> pd.DataFrame:
    """Rows whose whole interval lies below the target, on a large enough sample."""
    eligible = (table["status"] != SUPPRESSED) & (table["n"] >= minimum_sample)
    return table[eligible & (table["high"] < target)]


def counts_by_channel_and_month(answers: pd.DataFrame) -> pd.DataFrame:
    """Responses (not answers) per channel and month."""
    responses = answers.drop_duplicates("response")
    return responses.groupby(["month", "channel"]).size().unstack(fill_value=0).sort_index()


def ranked_values(answers: pd.DataFrame, key: str, by: list[str] | None = None) -> pd.DataFrame:
    """How often each option of a (multiple-choice) question was picked, most first."""
    picked = _rated(answers, key)
    groups = [*(by or []), "value"]
    return (
        picked.groupby(groups)
        .size()
        .rename("count")
        .reset_index()
        .sort_values([*(by or []), "count"], ascending=[True] * len(by or []) + [False])
        .reset_index(drop=True)
    )
