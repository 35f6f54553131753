"""A cycle's indicators and the standards' verdicts, in pure functions (pandas).

`indicator_table` turns the answer frame (surveys.analysis.ANSWER_COLUMNS) and the
staff observations into one long table — per office, unit and service card — that is
frozen in the database when a cycle is analysed (review.Indicator) and feeds the
standards, the results packs, the re-measurements and the benchmarking export.
`evaluate` holds that table against the standards. Nothing here touches the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys import analysis

COLUMNS = [
    "scope",
    "subject",
    "unit",
    "card",
    "key",
    "measure",
    "n",
    "positive",
    "value",
    "low",
    "high",
    "status",
]
SHARE_KINDS = {"yes_no", "likert"}
MEAN_KINDS = {"likert", "scale"}
OBSERVATION_KEYS = {
    "document_error": "observations:document_error",
    "question": "observations:question",
}
OBSERVATION_COLUMNS = ["card", "unit", "kind", "monthly"]

_LEVELS = [("office", []), ("unit", ["unit"]), ("card", ["unit", "card"])]


def _subject(frame: pd.DataFrame, scope: str) -> pd.Series:
    if scope == "office":
        return pd.Series("", index=frame.index, dtype=object)
    return frame["unit" if scope == "unit" else "card"].astype(object)


def _levelled(table: pd.DataFrame, scope: str, by: list[str], key: str, measure: str):
    table = table.copy()
    if not by:
        table = table.drop(columns=["_all"], errors="ignore")
    for column in ("unit", "card"):
        if column not in table:
            table[column] = None
    table["scope"] = scope
    table["subject"] = _subject(table, scope)
    table["key"] = key
    table["measure"] = measure
    return table


def indicator_table(
    answers: pd.DataFrame,
    kinds: dict[str, str],
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Shares (Wilson), means (t) and observation frequencies per office, unit and card.

    `kinds` maps each question key to its type (surveys.Question.Kind values): yes/no
    and 1–5 items get a share of positive answers, 1–5 and 0–10 items a mean. Answers
    without a card still count for the office. Suppressed rows keep `n` only.
    """
    parts = []
    measured = sorted(key for key, kind in kinds.items() if kind in SHARE_KINDS | MEAN_KINDS)
    # Split by question once (one pass over the frame) instead of filtering the whole
    # frame for every question and level (make bench-analysis: ~1.5 s of a cycle of
    # 333,000 answers).
    answers = answers[answers["key"].isin(measured)].assign(_all="")
    by_key = dict(iter(answers.groupby("key", sort=False, observed=True)))
    for key, kind in sorted(kinds.items()):
        if key not in measured:
            continue
        of_key = by_key.get(key, answers.iloc[0:0])
        for scope, by in _LEVELS:
            rows = of_key if scope == "office" else of_key[of_key[by[-1]].notna()]
            groups = by or ["_all"]
            if kind in SHARE_KINDS:
                table = analysis.shares(rows, key, groups).rename(columns={"share": "value"})
                parts.append(_levelled(table, scope, by, key, "share"))
            if kind in MEAN_KINDS:
                table = analysis.means(rows, key, groups).rename(columns={"mean": "value"})
                table["positive"] = np.nan
                parts.append(_levelled(table, scope, by, key, "mean"))
    if observations is not None and not observations.empty:
        parts.extend(_observation_parts(observations))
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(parts, ignore_index=True)[COLUMNS]
    table["n"] = table["n"].astype(int)
    return table.sort_values(["key", "measure", "scope", "subject"]).reset_index(drop=True)


def _observation_parts(observations: pd.DataFrame) -> Iterable[pd.DataFrame]:
    """Staff estimates, summed per month; not survey answers, so never suppressed."""
    frame = observations.assign(_all="")
    for kind, key in OBSERVATION_KEYS.items():
        rows = frame[frame["kind"] == kind]
        if rows.empty:
            continue
        for scope, by in _LEVELS:
            groups = by or ["_all"]
            table = (
                rows.groupby(groups, dropna=False)
                .agg(n=("monthly", "size"), value=("monthly", "sum"))
                .reset_index()
            )
            table["positive"] = np.nan
            table["low"] = np.nan
            table["high"] = np.nan
            table["status"] = analysis.FIRM
            yield _levelled(table, scope, by, key, "monthly")


@dataclass(frozen=True)
class Rule:
    """One standard as the evaluation sees it (review.Standard, flattened)."""

    standard: int
    measure: str
    key: str
    target: float
    minimum_sample: int
    upper_limit: bool
    unit: str | None = None
    card: str | None = None

    @property
    def specificity(self) -> int:
        return 2 if self.card else 1 if self.unit else 0


def effective_rules(rules: list[Rule], cards: pd.DataFrame) -> pd.DataFrame:
    """The rule that applies to each card: its own override, else its unit's, else the office's.

    `cards` has columns card, unit. Rules are grouped by what they measure (measure
    and key); a more specific rule replaces a more general one for the cards it covers.
    """
    chosen: dict[tuple[str, str, str], Rule] = {}
    for rule in sorted(rules, key=lambda r: r.specificity):
        for card, unit in cards[["card", "unit"]].itertuples(index=False):
            if rule.card and rule.card != card:
                continue
            if rule.unit and rule.unit != unit:
                continue
            chosen[(card, rule.measure, rule.key)] = rule
    records = [
        {
            "card": card,
            "measure": measure,
            "key": key,
            "standard": rule.standard,
            "target": rule.target,
            "minimum_sample": rule.minimum_sample,
            "upper_limit": rule.upper_limit,
        }
        for (card, measure, key), rule in chosen.items()
    ]
    return pd.DataFrame(
        records,
        columns=[
            "card",
            "measure",
            "key",
            "standard",
            "target",
            "minimum_sample",
            "upper_limit",
        ],
    )


def evaluate(indicators: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """The card-level indicators that breach the rule that applies to them.

    A survey standard is breached only when the whole interval lies below the target
    on a sample of at least its minimum (and never on a suppressed figure); an
    observation standard ("at most N per month") when the estimate exceeds it.
    """
    cards = indicators[indicators["scope"] == "card"]
    joined = cards.merge(
        rules, left_on=["subject", "measure", "key"], right_on=["card", "measure", "key"]
    ).drop(columns=["card_y"], errors="ignore")
    joined = joined.rename(columns={"card_x": "card"})
    if joined.empty:
        return joined.assign(breached=pd.Series(dtype=bool))
    upper = joined["upper_limit"].astype(bool)
    survey_breach = (
        ~upper
        & (joined["status"] != analysis.SUPPRESSED)
        & (joined["n"] >= joined["minimum_sample"])
        & (joined["high"] < joined["target"])
    )
    observation_breach = upper & (joined["value"] > joined["target"])
    joined["breached"] = survey_breach | observation_breach
    return joined[joined["breached"]].reset_index(drop=True)


def verdict(after: dict | None, target: float, minimum_sample: int, upper_limit: bool) -> str:
    """Proposed effectiveness verdict from a re-measured indicator (before/after)."""
    if after is None:
        return "inconclusive"
    if upper_limit:
        return "not_effective" if after["value"] > target else "effective"
    if after["status"] == analysis.SUPPRESSED or after["n"] < minimum_sample:
        return "inconclusive"
    if after["high"] < target:
        return "not_effective"
    return "effective"
