"""The analysis functions, on small frames built by hand (no database)."""

import math

import pandas as pd
import pytest

from surveys import analysis


def frame(rows):
    """rows: (response, year, card, key, value[, na]) → the answer frame."""
    records = []
    for row in rows:
        response, year, card, key, value, *rest = row
        records.append(
            {
                "response": response,
                "year": year,
                "card": card,
                "unit": card.split("-")[0],
                "channel": "web" if response % 2 else "paper",
                "month": f"{year}-0{1 + response % 3}",
                "key": key,
                "value": value,
                "na": rest[0] if rest else False,
            }
        )
    return pd.DataFrame(records, columns=analysis.ANSWER_COLUMNS)


def yes_no(year, card, yes, no, start=0, key="card_useful"):
    rows = [(start + i, year, card, key, "yes") for i in range(yes)]
    rows += [(start + yes + i, year, card, key, "no") for i in range(no)]
    return rows


def test_wilson_interval_matches_the_textbook():
    table = analysis.shares(frame(yes_no(2026, "A-01", 8, 2)), "card_useful", ["card"])
    row = table.iloc[0]
    assert (row["n"], row["positive"], row["share"]) == (10, 8, 0.8)
    assert math.isclose(row["low"], 0.4902, abs_tol=1e-4)
    assert math.isclose(row["high"], 0.9433, abs_tol=1e-4)
    assert row["status"] == analysis.INDICATIVE  # 10–29


def test_small_samples_are_suppressed_and_not_applicable_is_left_out():
    rows = yes_no(2026, "A-01", 5, 4) + [(99, 2026, "A-01", "card_useful", "na", True)] * 5
    row = analysis.shares(frame(rows), "card_useful", ["card"]).iloc[0]
    assert row["n"] == 9  # the five "not applicable" answers are not in the denominator
    assert row["status"] == analysis.SUPPRESSED
    assert math.isnan(row["share"]) and math.isnan(row["low"])


def test_top_two_box_for_likert_items():
    rows = [(i, 2026, "A-01", "staff_courtesy", str(v)) for i, v in enumerate([5, 4, 4, 3, 2] * 8)]
    row = analysis.shares(frame(rows), "staff_courtesy", ["card"]).iloc[0]
    assert (row["n"], row["positive"], row["status"]) == (40, 24, analysis.FIRM)
    mean = analysis.means(frame(rows), "staff_courtesy", ["card"]).iloc[0]
    assert math.isclose(mean["mean"], 3.6) and mean["low"] < 3.6 < mean["high"]


def test_year_over_year_uses_newcombe_and_flags_only_clear_changes():
    answers = frame(yes_no(2026, "A-01", 56, 14) + yes_no(2025, "A-01", 48, 32, start=1000))
    now = analysis.shares(answers[answers["year"] == 2026], "card_useful", ["card"])
    before = analysis.shares(answers[answers["year"] == 2025], "card_useful", ["card"])
    row = analysis.year_over_year(now, before, on=["card"]).iloc[0]
    # Newcombe (1998), example: 56/70 vs 48/80 → 0.2000 (0.0524, 0.3339)
    assert math.isclose(row["diff"], 0.2)
    assert math.isclose(row["diff_low"], 0.0524, abs_tol=1e-4)
    assert math.isclose(row["diff_high"], 0.3339, abs_tol=1e-4)
    assert row["changed"]

    small = frame(yes_no(2026, "A-01", 12, 8) + yes_no(2025, "A-01", 10, 10, start=1000))
    now = analysis.shares(small[small["year"] == 2026], "card_useful", ["card"])
    before = analysis.shares(small[small["year"] == 2025], "card_useful", ["card"])
    assert not analysis.year_over_year(now, before, on=["card"]).iloc[0]["changed"]


def test_no_comparison_with_a_suppressed_year():
    answers = frame(yes_no(2026, "A-01", 30, 10) + yes_no(2025, "A-01", 3, 3, start=1000))
    now = analysis.shares(answers[answers["year"] == 2026], "card_useful", ["card"])
    before = analysis.shares(answers[answers["year"] == 2025], "card_useful", ["card"])
    row = analysis.year_over_year(now, before, on=["card"]).iloc[0]
    assert math.isnan(row["diff"]) and not row["changed"]


@pytest.mark.parametrize(
    ("yes", "no", "breached"),
    [
        (50, 50, True),
        (74, 26, False),
        (6, 3, False),
    ],  # 50 %: the whole CI lies below 80 %; 74 %: the CI reaches 80 %; 9: suppressed
)
def test_a_standard_is_breached_only_when_the_whole_interval_is_below(yes, no, breached):
    table = analysis.shares(frame(yes_no(2026, "A-01", yes, no)), "card_useful", ["card"])
    assert (len(analysis.breaches(table, target=0.8)) == 1) is breached


def test_counts_by_channel_and_month_count_responses_not_answers():
    rows = yes_no(2026, "A-01", 3, 1) + yes_no(2026, "A-01", 3, 1, key="card_clear")
    table = analysis.counts_by_channel_and_month(frame(rows))
    assert int(table.to_numpy().sum()) == 4


def test_missing_information_ranked():
    rows = [
        (1, 2026, "A-01", "card_missing", "fees"),
        (1, 2026, "A-01", "card_missing", "sample_form"),
        (2, 2026, "A-01", "card_missing", "fees"),
        (3, 2026, "B-01", "card_missing", "time_limit"),
    ]
    ranked = analysis.ranked_values(frame(rows), "card_missing", by=["card"])
    first = ranked[ranked["card"] == "A-01"].iloc[0]
    assert (first["value"], first["count"]) == ("fees", 2)


@pytest.mark.django_db
def test_answer_frame_from_the_database_feeds_the_analysis(version, card_a):
    from surveys.selectors import answer_frame
    from surveys.services import response_submit

    questions = {q.key: q for q in version.questions.prefetch_related("choices")}
    for i, value in enumerate(["yes"] * 8 + ["no"] * 3):
        response_submit(
            version=version,
            channel="web",
            answers={
                "card_useful": questions["card_useful"].choices.get(value=value),
                "plain_language": questions["plain_language"].choices.get(value="na"),
                "comments": "Dobrze",
            },
            nonce=f"n{i}",
            service_card=card_a,
        )
    answers = answer_frame()
    assert list(answers.columns) == analysis.ANSWER_COLUMNS
    row = analysis.shares(answers, "card_useful", ["card", "unit"]).iloc[0]
    assert (row["card"], row["n"], row["positive"]) == ("A-01", 11, 8)
    assert analysis.shares(answers, "plain_language", ["card"]).empty  # all "not applicable"
    assert set(answers.loc[answers["key"] == "comments", "value"]) == {"Dobrze"}
