"""Results packs: the tables (pure), the files (PDF and XLSX), storing once, who may open them."""

import datetime
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import time_machine
from django.conf import settings

from qms.roles import Role
from review import packs
from review.models import Cycle, Indicator, Pack
from review.packs import writers
from surveys.models import Answer, Channel, Response, StaffObservation
from tests.factories import UserFactory
from tests.review.conftest import YEAR, answer
from workflows.models import Source
from workflows.services import nonconformity_register

MAY = datetime.date(YEAR, 5, 10)


def ind(subject="A-01", key="card_useful", *, n, positive=None, scope="card", measure="share"):
    """One indicator row as the analysis stores it (review.Indicator), with a Wilson interval."""
    from statsmodels.stats.proportion import proportion_confint

    share = low = high = None
    if positive is not None and measure == "share":
        share = positive / n
        low, high = proportion_confint(positive, n, method="wilson")
    return {
        "scope": scope,
        "subject": subject if scope != "office" else "",
        "unit": "A",
        "card": subject if scope == "card" else None,
        "key": key,
        "measure": measure,
        "n": n,
        "positive": positive,
        "value": share,
        "low": low,
        "high": high,
        "status": "firm" if n >= 30 else "indicative" if n >= 10 else "suppressed",
    }


# --- pure tables -----------------------------------------------------------------------


def test_a_score_on_fewer_than_10_answers_is_suppressed_even_if_the_frame_has_it():
    rows = [
        ind("A-01", n=9, positive=9),
        ind("A-02", n=10, positive=7),
        ind("A-03", n=30, positive=3),
    ]
    rows[0]["status"] = "firm"  # a careless source: the pack still hides it
    table = packs.indicator_table(pd.DataFrame(rows)).set_index("card")
    assert table.loc["A-01", "status"] == "suppressed"
    assert table.loc["A-01", ["value", "low", "high"]].isna().all()
    assert pd.isna(table.loc["A-01", "n"])  # not even how many: "fewer than 10"
    assert table.loc["A-02", "n"] == 10
    assert table.loc["A-02", "status"] == "indicative"
    assert table.loc["A-02", "value"] == 70.0  # shares in percent
    assert table.loc["A-03", "status"] == "firm"


def test_suppressed_and_indicative_results_read_as_such():
    from django.utils import translation

    with translation.override("en"):
        assert packs.format_result("share", float("nan"), None, None, "suppressed") == (
            "—, too few answers"
        )
        assert packs.format_result("share", 72.0, 64.0, 79.0, "firm") == "72 % (64–79 %)"
        assert packs.status_label("indicative") == "indicative (10 to 29 answers)"


def test_the_unit_table_compares_with_the_office():
    rows = [
        ind("A-01", n=40, positive=20),
        ind(scope="office", n=400, positive=300),
        ind(scope="unit", subject="A", n=40, positive=20),
    ]
    table = packs.indicator_table(pd.DataFrame(rows))
    assert list(table["card"]) == ["", "A-01"]  # the whole unit first
    assert (table["office"] == 75.0).all()


def test_year_over_year_flags_only_a_change_whose_interval_excludes_zero():
    current = pd.DataFrame(
        [
            ind("A-01", n=100, positive=80),
            ind("A-02", n=100, positive=52),
            ind("A-03", n=100, positive=90),
            ind("A-04", n=100, positive=90),
        ]
    )
    previous = pd.DataFrame(
        [
            ind("A-01", n=100, positive=50),  # +30 points: significant
            ind("A-02", n=100, positive=50),  # +2 points: within noise
            ind("A-03", n=8, positive=1),  # last year suppressed: not compared
            ind("A-04", key="card_clear", n=100, positive=10),  # another key: not compared
        ]
    )
    table = packs.year_over_year_table(current, previous).set_index("subject")
    assert table.loc["A-01", "changed"]
    assert table.loc["A-01", "diff_low"] > 0
    assert table.loc["A-01", "diff"] == pytest.approx(30.0)
    assert table.loc["A-02", "compared"] and not table.loc["A-02", "changed"]
    assert table.loc["A-02", "diff_low"] < 0 < table.loc["A-02", "diff_high"]
    assert not table.loc["A-03", "compared"] and not table.loc["A-03", "changed"]
    assert pd.isna(table.loc["A-03", "value_before"])  # a suppressed share never leaks
    assert pd.isna(table.loc["A-03", "n_before"])  # nor its sample size
    assert table.loc["A-03", "n"] == 100
    assert not table.loc["A-04", "compared"]


def test_year_over_year_without_a_previous_cycle():
    current = pd.DataFrame([ind("A-01", n=100, positive=80)])
    table = packs.year_over_year_table(current, pd.DataFrame(columns=current.columns))
    assert not table["compared"].any()


def missing(card, value, response, key="card_missing"):
    return {"response": response, "card": card, "key": key, "value": value, "na": False}


def test_what_was_missing_is_ranked_per_card():
    answers = pd.DataFrame(
        [
            missing("A-01", "fees", 1),
            missing("A-01", "fees", 2),
            missing("A-01", "where", 2),
            missing("A-02", "appeal", 3),
            missing("A-01", "Brak wzoru", 1, key="comments"),
        ]
    )
    ranked = packs.missing_ranked(answers, minimum=1)
    assert ranked.to_dict("records")[:2] == [
        {"card": "A-01", "value": "fees", "count": 2},
        {"card": "A-01", "value": "where", "count": 1},
    ]
    overall = packs.missing_ranked(answers, by_card=False, minimum=1)
    assert overall.iloc[0].to_dict() == {"value": "fees", "count": 2}


def test_what_was_missing_of_a_small_card_is_never_counted_on_its_own():
    """Counted per card only from 10 respondents; small cards together, if they reach 10."""
    big = [missing("A-01", "fees", i) for i in range(10)]
    six = [missing("A-02", "where", 100 + i) for i in range(6)]
    four = [missing("A-03", "appeal", 200 + i) for i in range(4)]
    ranked = packs.missing_ranked(pd.DataFrame(big + six))
    assert ranked.to_dict("records") == [{"card": "A-01", "value": "fees", "count": 10}]
    pooled = packs.missing_ranked(pd.DataFrame(big + six + four))
    assert pooled.to_dict("records") == [
        {"card": "A-01", "value": "fees", "count": 10},
        {"card": packs.OTHER_CARDS, "value": "where", "count": 6},
        {"card": packs.OTHER_CARDS, "value": "appeal", "count": 4},
    ]
    assert packs.missing_ranked(pd.DataFrame(six + four), by_card=False).to_dict("records") == [
        {"value": "where", "count": 6},
        {"value": "appeal", "count": 4},
    ]
    assert packs.missing_ranked(pd.DataFrame(six), by_card=False).empty


def test_staff_observations_are_ranked_per_card_and_kind():
    frame = pd.DataFrame(
        [
            {
                "card": "A-01",
                "kind": "question",
                "summary": "Ile kosztuje?",
                "monthly": 4.0,
                "example": "",
            },
            {
                "card": "A-01",
                "kind": "question",
                "summary": "ile kosztuje? ",
                "monthly": 6.0,
                "example": "Klient pyta",
            },
            {
                "card": "A-01",
                "kind": "question",
                "summary": "Gdzie złożyć?",
                "monthly": 2.0,
                "example": "",
            },
            {
                "card": "A-01",
                "kind": "document_error",
                "summary": "Brak podpisu",
                "monthly": 1.0,
                "example": "",
            },
        ]
    )
    table = packs.observation_ranking(frame, top=1)
    assert table.to_dict("records") == [
        {
            "card": "A-01",
            "kind": "document_error",
            "summary": "Brak podpisu",
            "reports": 1,
            "monthly": 1.0,
            "example": "",
        },
        {
            "card": "A-01",
            "kind": "question",
            "summary": "Ile kosztuje?",
            "reports": 2,
            "monthly": 10.0,
            "example": "Klient pyta",
        },
    ]


def test_channel_and_month_counts_responses_not_answers():
    responses = pd.DataFrame(
        {
            "response": [1, 2, 3],
            "month": ["2026-01", "2026-01", "2026-02"],
            "channel": ["web", "qr", "web"],
        }
    )
    table = packs.channel_month_table(responses, minimum=1)
    assert table.to_dict("records") == [
        {"month": "2026-01", "qr": 1, "web": 1, "total": 2},
        {"month": "2026-02", "qr": 0, "web": 1, "total": 1},
    ]


def test_channel_and_month_counts_below_ten_are_hidden():
    responses = pd.DataFrame(
        {
            "response": range(13),
            "month": ["2026-01"] * 13,
            "channel": ["web"] * 11 + ["kiosk"] * 2,
        }
    )
    [row] = packs.channel_month_table(responses).to_dict("records")
    assert row["web"] == 11 and row["total"] == 13
    assert pd.isna(row["kiosk"])  # two kiosk answers in a month: "fewer than 10"


def test_trend_table_has_a_column_per_cycle_and_flags_the_last_change():
    rows = []
    for year, positive in ((2024, 500), (2025, 600), (2026, 800)):
        rows.append({**ind(scope="office", n=1000, positive=positive), "year": year})
    rows.append({**ind(scope="office", key="card_clear", n=5, positive=5), "year": 2026})
    table = packs.trend_table(pd.DataFrame(rows)).set_index("key")
    assert table.loc["card_useful", [2024, 2025, 2026]].tolist() == [50.0, 60.0, 80.0]
    assert table.loc["card_useful", "change"] == "up"
    assert pd.isna(table.loc["card_clear", 2026])  # suppressed in the trend too
    assert table.loc["card_clear", "change"] == ""


def test_objectives_count_cards_met_breached_and_too_few():
    from review.indicators import Rule, effective_rules

    indicators = pd.DataFrame(
        [
            ind("A-01", n=100, positive=95),  # met
            ind("A-02", n=100, positive=50),  # breached: interval wholly below 80 %
            ind("A-03", n=20, positive=10),  # under the standard's minimum sample
            ind("A-04", n=100, positive=78),  # interval reaches 80 %: not a breach
        ]
    )
    cards = pd.DataFrame({"card": ["A-01", "A-02", "A-03", "A-04"], "unit": ["A"] * 4})
    rules = effective_rules(
        [
            Rule(
                standard=7,
                measure="share",
                key="card_useful",
                target=0.8,
                minimum_sample=30,
                upper_limit=False,
            )
        ],
        cards,
    )
    table = packs.objectives_table(indicators, rules)
    assert table.to_dict("records") == [
        {"standard": 7, "cards": 4, "met": 2, "breached": 1, "too_few": 1}
    ]


def test_nonconformity_figures_for_the_management_review():
    d = datetime.date
    items = pd.DataFrame(
        {
            "status": ["closed", "closed", "analysis"],
            "created_on": [d(2026, 3, 2), d(2026, 3, 2), d(2026, 4, 1)],
            # 2026-03-02 (Monday) to 2026-03-09: 5 working days; to 2026-03-16: 10.
            "closed_on": [d(2026, 3, 9), d(2026, 3, 16), None],
        }
    )
    actions = pd.DataFrame(
        {
            "due_on": [d(2026, 3, 5), d(2026, 3, 5), d(2026, 5, 1)],
            "done_on": [d(2026, 3, 5), d(2026, 3, 6), None],
        }
    )
    events = pd.DataFrame(
        {
            "nonconformity": [1, 2, 2, 2],
            "transition": ["verify", "not_effective", "measured_effective", "reopen"],
        }
    )
    figures = packs.nc_measures(items, actions, events, recurring_findings=2)
    assert figures["registered"] == 3 and figures["closed"] == 2
    assert figures["mean_days_to_close"] == 7.5
    assert figures["on_time_rate"] == 0.5
    assert figures["effectiveness_rate"] == pytest.approx(2 / 3)
    assert figures["reopened"] == 1 and figures["recurrence"] == 3
    empty = packs.nc_measures(
        items.iloc[0:0], actions.iloc[0:0], pd.DataFrame(columns=["nonconformity", "transition"])
    )
    assert empty["on_time_rate"] is None and empty["mean_days_to_close"] is None


def test_spreadsheet_text_never_runs_as_a_formula():
    data = packs.workbook([("Uwagi", pd.DataFrame({"Odpowiedź": ['=HYPERLINK("x")', "ok"]}))])
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Uwagi"]
    assert sheet["A2"].value == '\'=HYPERLINK("x")'
    assert sheet["A2"].data_type == "s"


# --- the packs from the database --------------------------------------------------------


@pytest.fixture
def answered(cycle, card_a, card_b, head_a, unit_a, coordinator):
    """Card A-01: 20 of 60 useful, 10 more saying what was missing (one with a comment);
    B-01: 5 answers."""
    answer(cycle.version, card_a, useful=20, not_useful=40, day=MAY)
    answer(cycle.version, card_b, useful=5, not_useful=0, day=MAY)
    version = cycle.version
    missing = version.questions.get(key="card_missing")
    for _i in range(10):
        response = Response.objects.create(
            version=version, channel=Channel.QR, submitted_on=MAY, service_card=card_a
        )
        Answer.objects.create(
            response=response, question=missing, choice=missing.choices.get(value="fees")
        )
    Answer.objects.create(
        response=response, question=version.questions.get(key="comments"), text="=1+1 Jan Kowalski"
    )
    StaffObservation.objects.create(
        card=card_a,
        kind=StaffObservation.Kind.DOCUMENT_ERROR,
        summary="Brak podpisu na wniosku",
        frequency=3,
        recorded_by=head_a,
        recorded_on=MAY,
    )
    with time_machine.travel(datetime.datetime(YEAR, 6, 1, 9, tzinfo=datetime.UTC), tick=False):
        nonconformity_register(
            user=coordinator,
            title="Karta A-01 nie podaje opłat",
            description="Klienci nie wiedzą, ile zapłacić.",
            source=Source.SURVEY,
            unit=unit_a,
            service_card=card_a,
        )
    from review import services

    services.store_indicators(cycle, services.compute_indicators(cycle))
    return cycle


def sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_unit_pack_is_a_pdf_and_a_workbook_in_polish(answered, unit_a):
    pdf, xlsx = packs.unit_pack(answered, unit_a)
    assert pdf.startswith(b"%PDF") and page_count(pdf) >= 2
    assert b"/Image" in pdf or b"/XObject" in pdf  # the charts
    book = sheets(xlsx)
    assert list(book) == [
        "Informacje",
        "Wskaźniki",
        "Zmiana od poprzedniego cyklu",
        "Kanały i miesiące",
        "Czego brakowało",
        "Uwagi klientów",
        "Obserwacje pracowników",
        "Niespełnione standardy",
        "Otwarte niezgodności",
    ]
    indicators = book["Wskaźniki"]
    assert indicators[0][:2] == ("Karta usługi", "Usługa")
    rows = {(r[0], r[2]): r for r in indicators[1:]}
    useful = next(r for (card, q), r in rows.items() if card == "A-01" and "przydatna" in q)
    assert useful[4] == 60  # n: A-01's answers to "card useful"
    assert "B-01" not in {r[0] for r in indicators[1:]}  # only the unit's cards
    # Not released by the coordinator yet: one sentence, no text (tests/review/test_free_text.py).
    [[note]] = book["Uwagi klientów"][1:]
    assert "nie udostępnił" in note
    assert "Kowalski" not in str(book)
    assert book["Czego brakowało"][1] == ("A-01", "Opłat", 10)
    assert book["Otwarte niezgodności"][1][1] == "Karta A-01 nie podaje opłat"
    assert book["Obserwacje pracowników"][1][2] == "Brak podpisu na wniosku"


def test_a_card_with_few_answers_shows_no_score_in_its_units_pack(answered, unit_b):
    _pdf, xlsx = packs.unit_pack(answered, unit_b)
    rows = [r for r in sheets(xlsx)["Wskaźniki"][1:] if r[0] == "B-01" and r[3] != "średnia"]
    assert rows
    for row in rows:
        assert row[5] == "—, za mało odpowiedzi" and row[6] is None and row[7] is None
        assert row[4] == "mniej niż 10"  # not "5"


def test_management_pack_has_the_iso_9001_inputs(answered):
    pdf, xlsx = packs.management_pack(answered)
    assert pdf.startswith(b"%PDF")
    book = sheets(xlsx)
    assert {
        "Poprzedni przegląd",
        "Trendy zadowolenia klientów",
        "Cele jakościowe",
        "Niezgodności – wskaźniki",
        "Czego brakowało",
        "Obserwacje pracowników",
    } <= set(book)
    figures = dict(book["Niezgodności – wskaźniki"][1:])
    assert figures["Niezgodności zarejestrowane w okresie"] == "1"
    assert book["Trendy zadowolenia klientów"][0][2] == str(YEAR)


def test_pack_store_builds_each_pack_once(answered, unit_a):
    assert packs.pack_store(cycle=answered, unit=unit_a) == 1
    assert packs.pack_store(cycle=answered, unit=unit_a) == 0
    assert packs.pack_store(cycle=answered, unit=None) == 1
    assert packs.pack_store(cycle=answered, unit=None) == 0
    assert Pack.objects.filter(cycle=answered).count() == 2
    pack = Pack.objects.get(cycle=answered, unit=unit_a)
    assert pack.pdf.name == f"packs/{YEAR}/unit-A-{YEAR}.pdf"
    assert pack.pdf.read().startswith(b"%PDF")


def test_a_crash_while_building_leaves_no_pack(answered, unit_a, monkeypatch):
    def broken(cycle, unit):
        raise RuntimeError("killed")

    monkeypatch.setattr(writers, "unit_pack", broken)  # what pack_store calls
    with pytest.raises(RuntimeError):
        packs.pack_store(cycle=answered, unit=unit_a)
    assert not Pack.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_crash_while_publishing_leaves_no_pack_and_no_file(answered, unit_a, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Pack, "save", broken)
    with pytest.raises(RuntimeError):
        packs.pack_store(cycle=answered, unit=unit_a)
    monkeypatch.undo()
    assert not Pack.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_rebuilt_pack_keeps_its_file_names_and_gets_new_bytes(answered, unit_a, coordinator):
    from review import services

    assert packs.pack_store(cycle=answered, unit=unit_a) == 1
    pack = Pack.objects.get(unit=unit_a)
    names = (pack.pdf.name, pack.xlsx.name)
    assert names == (f"packs/{YEAR}/unit-A-{YEAR}.pdf", f"packs/{YEAR}/unit-A-{YEAR}.xlsx")
    before = Path(pack.xlsx.path).read_bytes()
    assert "nie udostępnił" in sheets(before)["Uwagi klientów"][1][0]  # not released yet

    services.free_text_release(cycle=answered, user=coordinator, today=datetime.date(YEAR, 8, 1))
    assert packs.pack_add_free_text(pack=pack) == 1
    pack.refresh_from_db()
    assert (pack.pdf.name, pack.xlsx.name) == names  # the same files, overwritten
    after = Path(pack.xlsx.path).read_bytes()
    assert after != before
    assert "nie udostępnił" not in str(sheets(after)["Uwagi klientów"])
    folder = Path(settings.MEDIA_ROOT) / f"packs/{YEAR}"
    assert sorted(p.name for p in folder.iterdir()) == [f"unit-A-{YEAR}.pdf", f"unit-A-{YEAR}.xlsx"]

    # A file lost from the disk: the next build puts it back, under the same name.
    Path(pack.pdf.path).unlink()
    assert packs.pack_store(cycle=answered, unit=unit_a) == 1
    assert packs.pack_store(cycle=answered, unit=unit_a) == 0
    pack.refresh_from_db()
    assert (pack.pdf.name, pack.xlsx.name) == names
    assert Path(pack.pdf.path).read_bytes().startswith(b"%PDF")
    assert Pack.objects.filter(unit=unit_a).count() == 1


def test_a_mask_made_while_a_pack_is_built_leaves_the_pack_to_be_rebuilt(
    answered, unit_a, coordinator, monkeypatch
):
    """The build reads outside any transaction: a text masked meanwhile may be missing
    from it, so the pack does not count as including the released text."""
    from review import services

    services.free_text_release(cycle=answered, user=coordinator, today=datetime.date(YEAR, 8, 1))
    comment = Answer.objects.get(text__startswith="=1+1")
    real = writers.unit_pack

    def masked_meanwhile(cycle, unit):
        files = real(cycle, unit)
        services.free_text_mask(
            cycle=answered, answer=comment, user=coordinator, text="", withheld=True
        )
        return files

    monkeypatch.setattr(writers, "unit_pack", masked_meanwhile)
    assert packs.pack_store(cycle=answered, unit=unit_a) == 1
    assert Pack.objects.get(unit=unit_a).free_text_included_at is None
    monkeypatch.undo()
    assert services.packs_add_free_text() == [f"{YEAR}:free_text:A"]
    assert Pack.objects.get(unit=unit_a).free_text_included_at is not None


# --- who may open them -------------------------------------------------------------------


@pytest.fixture
def stored(cycle, unit_a, unit_b):
    Indicator.objects.create(
        cycle=cycle,
        scope="office",
        key="card_useful",
        measure="share",
        n=3,
        positive=3,
        status="suppressed",
    )
    for unit in (unit_a, unit_b, None):
        packs.pack_store(cycle=cycle, unit=unit)
    return {
        "a": Pack.objects.get(unit=unit_a).pk,
        "b": Pack.objects.get(unit=unit_b).pk,
        "management": Pack.objects.get(unit=None).pk,
    }


@pytest.fixture
def deputy_a(unit_a):
    """Deputy head of unit A: the same access to unit A as its head."""
    user = UserFactory(username="deputy_a", roles=[Role.HEAD], unit=unit_a)
    unit_a.deputy = user
    unit_a.save()
    return user


WHO = ("coordinator", "auditor", "head_a", "deputy_a", "head_b", "staff", "anonymous")
OK, GONE, LOGIN = 200, 404, 302
FILE_MATRIX = [
    # pack,        coordinator, auditor, head_a, deputy_a, head_b, staff, anonymous
    ("a", (OK, OK, OK, OK, GONE, GONE, LOGIN)),
    ("b", (OK, OK, GONE, GONE, OK, GONE, LOGIN)),
    ("management", (OK, OK, GONE, GONE, GONE, GONE, LOGIN)),
]


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
@pytest.mark.parametrize(("pack", "expected"), FILE_MATRIX)
def test_pack_file_access(cast, deputy_a, client_for, stored, pack, expected, fmt):
    users = {**cast, "deputy_a": deputy_a}
    for who, status in zip(WHO, expected, strict=True):
        response = client_for(users.get(who)).get(f"/review/packs/{stored[pack]}.{fmt}")
        assert response.status_code == status, f"{who} {pack}.{fmt}"
        if status == OK:
            body = b"".join(response.streaming_content)
            assert body.startswith(b"%PDF" if fmt == "pdf" else b"PK")
            assert response["Content-Type"] == packs_views_content_type(fmt)


def packs_views_content_type(fmt: str) -> str:
    from review.pack_views import CONTENT_TYPES

    return CONTENT_TYPES[fmt]


def test_an_unknown_format_is_not_found(client_for, coordinator, stored):
    assert client_for(coordinator).get(f"/review/packs/{stored['a']}.docx").status_code == 404


def test_pack_list_shows_each_user_their_packs(cast, deputy_a, client_for, stored):
    users = {**cast, "deputy_a": deputy_a}
    sees = {
        "coordinator": {"a", "b", "management"},
        "auditor": {"a", "b", "management"},
        "head_a": {"a"},
        "deputy_a": {"a"},
        "head_b": {"b"},
        "staff": set(),
    }
    for who, expected in sees.items():
        response = client_for(users[who]).get("/review/packs/")
        assert response.status_code == 200, who
        shown = set(map(int, re.findall(r'data-pack="(\d+)"', response.content.decode())))
        assert shown == {stored[name] for name in expected}, who
    assert client_for(None).get("/review/packs/").status_code == LOGIN


def test_pack_list_says_which_units_acknowledged(client_for, coordinator, head_a, stored):
    from django.utils import timezone

    Pack.objects.filter(pk=stored["a"]).update(
        acknowledged_at=timezone.now(), acknowledged_by=head_a
    )
    page = client_for(coordinator).get("/review/packs/").content.decode()
    assert page.count("data-acknowledged") == 1
    assert page.count("data-unacknowledged") == 1  # unit B; the management pack needs none


def test_cycle_without_an_earlier_one_is_said_so(cycle):
    assert Cycle.objects.count() == 1
    assert packs.review_period(cycle) == (datetime.date(YEAR, 1, 1), cycle.analysis_due_on)
