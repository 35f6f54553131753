"""Benchmarking between offices: the exchange file, its import, the comparisons, access."""

import json
import re

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qms.models import Office
from review import benchmarking
from review.models import Indicator, PeerFile, PeerIndicator
from tests.review.conftest import YEAR

pytestmark = pytest.mark.django_db

SHARE, MEAN = Indicator.Measure.SHARE, Indicator.Measure.MEAN


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English here; one test checks the Polish ones."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def office(db):
    return Office.objects.create(name="Urząd Miasta Testowo", city="Testowo")


def indicator(cycle, key, measure, n, value, *, status="firm", scope="office", subject=""):
    return Indicator.objects.create(
        cycle=cycle,
        scope=scope,
        subject=subject,
        key=key,
        measure=measure,
        n=n,
        value=value,
        status=status,
    )


@pytest.fixture
def indicators(cycle, card_a):
    """The office's frozen figures, with every kind of row the export must leave out."""
    indicator(cycle, "card_useful", SHARE, 120, 0.75)
    indicator(cycle, "satisfaction", SHARE, 25, 0.6, status="indicative")
    indicator(cycle, "satisfaction", MEAN, 25, 3.9, status="indicative")
    indicator(cycle, "card_complete", SHARE, 8, None, status="suppressed")  # small cell
    indicator(cycle, "observations:document_error", "monthly", 12, 4.0)  # staff estimates
    indicator(cycle, "card_useful", SHARE, 60, 0.7, scope="unit", subject="A")
    indicator(cycle, "card_useful", SHARE, 60, 0.7, scope="card", subject="A-01")
    return cycle


def document(**changes):
    doc = {
        "format": benchmarking.FORMAT,
        "schema_version": "1",
        "office": {"name": "Urząd Gminy Przykładowo", "city": "Przykładowo"},
        "year": YEAR,
        "generated_on": f"{YEAR}-09-01",
        "indicators": [
            {"key": "card_useful", "measure": "share", "n": 200, "value": 0.85},
            {"key": "satisfaction", "measure": "mean", "n": 150, "value": 4.2},
        ],
    }
    doc.update(changes)
    return doc


def encode(doc) -> bytes:
    return json.dumps(doc).encode()


def rejected(data: bytes, *, replace=False) -> list[str]:
    """Import and expect a refusal; nothing may have been stored."""
    before = (PeerFile.objects.count(), PeerIndicator.objects.count())
    with pytest.raises(ValidationError) as caught:
        benchmarking.import_document(data=data, user=None, replace=replace)  # type: ignore[arg-type]
    assert (PeerFile.objects.count(), PeerIndicator.objects.count()) == before
    return caught.value.messages


# --- export -----------------------------------------------------------------------------


def test_export_holds_office_aggregates_only(office, indicators):
    doc = benchmarking.export_document(indicators)

    assert doc["office"] == {"name": "Urząd Miasta Testowo", "city": "Testowo"}
    assert doc["year"] == YEAR
    assert doc["indicators"] == [
        {"key": "card_useful", "measure": "share", "n": 120, "value": 0.75},
        {"key": "satisfaction", "measure": "mean", "n": 25, "value": 3.9},
        {"key": "satisfaction", "measure": "share", "n": 25, "value": 0.6},
    ]
    # no suppressed cell, no observation, no unit or card row, no free-text field
    text = json.dumps(doc, ensure_ascii=False)
    for absent in ("card_complete", "observations", "A-01", '"subject"', '"unit"', "status"):
        assert absent not in text
    assert all(row["n"] >= 10 for row in doc["indicators"])
    assert set(doc["indicators"][0]) == {"key", "measure", "n", "value"}


def test_export_of_an_unanalysed_cycle_is_refused(office, cycle):
    with pytest.raises(ValidationError, match="no office-level indicators"):
        benchmarking.export_document(cycle)


def test_exported_file_passes_the_published_schema(office, indicators):
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(benchmarking.SCHEMA)
    Draft202012Validator(benchmarking.SCHEMA).validate(benchmarking.export_document(indicators))


def test_round_trip_export_then_import_as_another_office(office, indicators, coordinator):
    data = encode(benchmarking.export_document(indicators))
    # The same file read by another office (running its own cycle for the year).
    office.name, office.city = "Urząd Gminy Inna", "Inna"
    office.save()

    peer = benchmarking.import_document(data=data, user=coordinator)

    assert (peer.office_name, peer.year, peer.schema_version) == ("Urząd Miasta Testowo", YEAR, "1")
    assert sorted(peer.indicators.values_list("key", "measure", "n", "value")) == [
        ("card_useful", "share", 120, 0.75),
        ("satisfaction", "mean", 25, 3.9),
        ("satisfaction", "share", 25, 0.6),
    ]
    assert peer.imported_by == coordinator


# --- rejected files ---------------------------------------------------------------------


def row(**changes):
    return {"key": "card_useful", "measure": "share", "n": 200, "value": 0.85, **changes}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "not valid JSON (line 1, column 1)"),
        (b'{"format": NaN}', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "not a benchmarking file"),
        (encode(document(format="other/format")), "format “other/format”"),
        (encode(document(schema_version="2")), "Schema version “2” is not supported"),
        (encode({k: v for k, v in document().items() if k != "year"}), "Missing field “year”"),
        (encode(document(year="2026")), "“year” in the file must be a whole number"),
        (encode(document(office={"name": "X"})), "Missing field “city” in the office details"),
        (encode(document(generated_on="1 września")), "must be a date"),
        (encode(document(indicators=[])), "The file holds no indicators"),
        (encode(document(comment="Pani Kowalska narzekała")), "Unexpected field “comment”"),
        (
            encode(document(indicators=[row(value=1.4)])),
            "“value” in indicator no. 1 (“card_useful”) is out of range: a share must be "
            "between 0 and 1",
        ),
        (
            encode(document(indicators=[row(measure="mean", value=11)])),
            "a mean must be between 0 and 10",
        ),
        (encode(document(indicators=[row(value=-0.1)])), "a share must be between 0 and 1"),
        (encode(document(indicators=[row(n=9)])), "a whole number of at least 10"),
        (encode(document(indicators=[row(n=12.5)])), "“n” in indicator no. 1"),
        (encode(document(indicators=[row(value="85%")])), "must be a number"),
        (encode(document(indicators=[row(measure="median")])), "“share” or “mean”"),
        (
            encode(document(indicators=[row(key="observations:document_error")])),
            "staff observations are not exchanged",
        ),
        (encode(document(indicators=[row(unit="A")])), "Unexpected field “unit”"),
        (encode(document(indicators=[row(text="za długo")])), "Unexpected field “text”"),
        (
            encode(document(indicators=[row(), row(value=0.5)])),
            "Indicator “card_useful” (share) appears more than once: rows 1, 2",
        ),
        (encode(document(year=YEAR - 1)), f"no review cycle for {YEAR - 1}"),
        (
            encode(document(office={"name": " urząd  miasta testowo ", "city": "TESTOWO"})),
            "this office's own file",
        ),
    ],
)
def test_malformed_or_mismatched_file_imports_nothing(office, cycle, data, message):
    messages = rejected(data)
    assert any(message in text for text in messages), messages


def test_too_large_file_is_refused(office, cycle, settings):
    assert "too large" in rejected(b" " * (benchmarking.MAX_BYTES + 1))[0]


def test_every_problem_is_listed_in_polish(office, cycle):
    from django.utils import translation

    bad = document(indicators=[row(value=2), row(key="card_complete", n=3)])
    with translation.override("pl"):
        messages = rejected(encode(bad))
    assert len(messages) == 2
    assert "udział musi mieścić się między 0 a 1" in messages[0]
    assert "Wskaźnik nr 2" in messages[1]


def test_a_file_with_one_bad_row_stores_none_of_its_rows(office, cycle):
    rows = [row(key=f"q{i}") for i in range(50)] + [row(key="late", value=7)]
    rejected(encode(document(indicators=rows)))
    assert not PeerIndicator.objects.exists()


def test_same_office_and_year_twice_is_refused_unless_replaced(office, cycle, coordinator):
    first = benchmarking.import_document(data=encode(document()), user=coordinator)

    again = document(indicators=[row(value=0.9)])
    with pytest.raises(benchmarking.AlreadyImported, match="Replace the file imported before"):
        benchmarking.import_document(data=encode(again), user=coordinator)
    assert PeerIndicator.objects.filter(file=first).count() == 2

    second = benchmarking.import_document(data=encode(again), user=coordinator, replace=True)

    assert list(PeerFile.objects.values_list("pk", flat=True)) == [second.pk]
    assert list(second.indicators.values_list("key", "value")) == [("card_useful", 0.9)]


def test_a_rejected_replacement_keeps_the_earlier_file(office, cycle, coordinator):
    first = benchmarking.import_document(data=encode(document()), user=coordinator)
    rejected(encode(document(indicators=[row(value=3)])), replace=True)
    assert list(PeerFile.objects.values_list("pk", flat=True)) == [first.pk]


# --- comparisons ------------------------------------------------------------------------


def test_percentile_rank_counts_ties_half():
    assert benchmarking.percentile_rank(0.8, [0.6, 0.7, 0.8, 0.9]) == 62.5
    assert benchmarking.percentile_rank(0.95, [0.6, 0.7]) == 100.0
    assert benchmarking.percentile_rank(0.5, [0.6, 0.7]) == 0.0
    assert benchmarking.percentile_rank(0.5, []) is None


def test_gap_to_best():
    assert benchmarking.gap_to_best(0.8, [0.6, 0.9, 0.85]) == pytest.approx(0.1)
    assert benchmarking.gap_to_best(0.95, [0.6, 0.9]) == 0.0
    assert benchmarking.gap_to_best(4.1, []) == 0.0


def test_funnel_limits_are_binomial_quantiles():
    # R: qbinom(c(.025, .975, .001, .999), 100, .5) = 40 60 35 65;
    #    qbinom(c(.025, .975, .001, .999), 50, .8)  = 34 45 31 48
    table = benchmarking.funnel_limits(0.5, [100]).iloc[0]
    assert (table["low_95"], table["high_95"]) == (0.40, 0.60)
    assert (table["low_99.8"], table["high_99.8"]) == (0.35, 0.65)
    table = benchmarking.funnel_limits(0.8, [50]).iloc[0]
    assert (table["low_95"], table["high_95"]) == (0.68, 0.90)
    assert (table["low_99.8"], table["high_99.8"]) == (0.62, 0.96)


def test_funnel_narrows_as_samples_grow():
    table = benchmarking.funnel_limits(0.7, [20, 100, 1000])
    widths = (table["high_95"] - table["low_95"]).tolist()
    assert widths == sorted(widths, reverse=True)
    assert (table["high_99.8"] >= table["high_95"]).all()


def test_compare_ranks_each_office_and_places_it_in_the_funnel():
    points = pd.DataFrame(
        {
            "office": ["Nasz", "A", "B", "C"],
            "n": [100, 100, 100, 100],
            "value": [0.5, 0.5, 0.55, 0.9],
            "own": [True, False, False, False],
        }
    )
    table = benchmarking.compare(points, measure="share").set_index("office")
    assert table.loc["Nasz", "percentile_rank"] == pytest.approx(100 / 6)  # one tie of three
    assert table.loc["Nasz", "gap"] == pytest.approx(0.4)
    assert table.loc["C", "gap"] == 0
    # pooled 61.25 %: C (90 %) lies beyond the 99.8 % limit, the others within 95 %…
    assert table.loc["C", "zone"] == "outside" and table.loc["C", "side"] == "above"
    assert table.loc["B", "zone"] == "inside"
    # …and 50 % at n=100 is below the 95 % limit (52 %) but not the 99.8 % one (47 %)
    assert table.loc["Nasz", "zone"] == "warning" and table.loc["Nasz", "side"] == "below"


def test_funnel_plot_is_an_svg_with_labels_as_text():
    points = pd.DataFrame(
        {"office": ["Nasz", "A"], "n": [120, 300], "value": [0.75, 0.8], "own": [True, False]}
    )
    svg = benchmarking.funnel_plot(
        points,
        x_label="Liczba odpowiedzi (n)",
        y_label="Udział odpowiedzi pozytywnych (%)",
        own_label="Ten urząd",
        peers_label="Inne urzędy",
        centre_label="Razem: 77,1 %",
        limit_labels=["granice 95 %", "granice 99,8 %"],
    ).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("Liczba odpowiedzi (n)", "Ten urząd", "granice 99,8 %", "granice 95 %", "Razem"):
        assert text in svg


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def peers(indicators, coordinator):
    for name, n, value in (("Urząd Gminy Alfa", 200, 0.85), ("Urząd Miasta Beta", 80, 0.6)):
        doc = document(
            office={"name": name, "city": name.split()[-1]},
            indicators=[row(n=n, value=value), row(measure="mean", key="satisfaction", value=4)],
        )
        benchmarking.import_document(data=encode(doc), user=coordinator)
    return indicators


LOGIN = 302
WHO = ("coordinator", "auditor", "head_a", "staff", "anonymous")
BASE = f"/review/benchmark/{YEAR}"
MATRIX = [
    ("get", "/review/benchmark/schema.json", (200, 200, 200, 200, LOGIN)),
    ("get", "/review/benchmark/", (200, 200, 403, 403, LOGIN)),
    ("get", f"{BASE}/", (200, 200, 403, 403, LOGIN)),
    ("get", f"{BASE}.json", (200, 200, 403, 403, LOGIN)),
    ("get", f"{BASE}/card_useful/share/", (200, 200, 403, 403, LOGIN)),
    ("get", f"{BASE}/card_useful/share/funnel.svg", (200, 200, 403, 403, LOGIN)),
    ("get", f"{BASE}/satisfaction/mean/", (200, 200, 403, 403, LOGIN)),
    ("get", "/review/benchmark/import/", (200, 403, 403, 403, LOGIN)),
    ("post", "/review/benchmark/import/", (422, 403, 403, 403, LOGIN)),
]


@pytest.mark.parametrize(
    ("method", "url", "who", "expected"),
    [(m, url, who, s) for m, url, statuses in MATRIX for who, s in zip(WHO, statuses, strict=True)],
)
def test_benchmark_access_matrix(cast, client_for, office, peers, method, url, who, expected):
    client = client_for(cast.get(who))
    response = getattr(client, method)(url)
    assert response.status_code == expected, f"{who} {method.upper()} {url}"


def test_export_download(client_for, coordinator, office, indicators):
    response = client_for(coordinator).get(f"{BASE}.json")
    assert response["Content-Disposition"] == f'attachment; filename="benchmark-{YEAR}.json"'
    assert json.loads(response.content)["indicators"][0]["key"] == "card_useful"


def test_schema_is_served(client_for, staff):
    assert client_for(staff).get("/review/benchmark/schema.json").json() == benchmarking.SCHEMA


def test_import_page_lists_what_was_imported(client_for, coordinator, office, cycle):
    upload = SimpleUploadedFile("alfa.json", encode(document()), "application/json")
    response = client_for(coordinator).post(
        "/review/benchmark/import/", {"file": upload}, follow=True
    )
    page = response.content.decode()
    assert "Imported Urząd Gminy Przykładowo, 2026: 2 indicators" in page
    assert "card_useful share, satisfaction mean" in page


def test_import_page_shows_errors_and_keeps_the_replace_choice(
    client_for, coordinator, office, cycle
):
    client = client_for(coordinator)
    bad = SimpleUploadedFile("zly.json", encode(document(schema_version="9")))
    response = client.post("/review/benchmark/import/", {"file": bad, "replace": "on"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Schema version “9” is not supported" in page
    [checkbox] = re.findall(r"<[^>]*\bname=\"replace\"[^>]*>", page)
    assert 'checked="checked"' in checkbox
    assert not PeerFile.objects.exists()


def test_import_page_offers_to_replace_a_file_imported_before(
    client_for, coordinator, office, cycle
):
    client = client_for(coordinator)
    client.post(
        "/review/benchmark/import/", {"file": SimpleUploadedFile("a.json", encode(document()))}
    )

    again = SimpleUploadedFile("a.json", encode(document(indicators=[row(value=0.5)])))
    response = client.post("/review/benchmark/import/", {"file": again})
    assert response.status_code == 422
    assert "data-already" in response.content.decode()

    again.seek(0)
    response = client.post("/review/benchmark/import/", {"file": again, "replace": "on"})
    assert response.status_code == 302
    assert list(PeerIndicator.objects.values_list("value", flat=True)) == [0.5]


def test_indicator_page_compares_this_office_with_peers(client_for, auditor, office, peers):
    response = client_for(auditor).get(f"{BASE}/card_useful/share/")
    page = response.content.decode()
    rows = response.context["rows"]
    assert [r["office"] for r in rows] == [
        "Urząd Gminy Alfa",
        "Urząd Miasta Testowo",
        "Urząd Miasta Beta",
    ]
    own = next(r for r in rows if r["own"])
    assert (own["n"], own["percentile_rank"]) == (120, 50.0)
    assert own["gap"] == pytest.approx(0.10)
    assert f"{BASE}/card_useful/share/funnel.svg" in page
    assert "data-own" in page


def test_funnel_is_an_image_of_the_indicator(client_for, coordinator, office, peers):
    response = client_for(coordinator).get(f"{BASE}/card_useful/share/funnel.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_means_have_a_table_and_no_funnel(client_for, coordinator, office, peers):
    response = client_for(coordinator).get(f"{BASE}/satisfaction/mean/")
    assert not response.context["funnel"]
    assert [r["own"] for r in response.context["rows"]].count(True) == 1
    assert client_for(coordinator).get(f"{BASE}/satisfaction/mean/funnel.svg").status_code == 404


def test_a_suppressed_figure_of_this_office_is_not_compared(client_for, coordinator, office, peers):
    # card_complete is suppressed here (8 answers); one peer has it
    PeerIndicator.objects.create(
        file=PeerFile.objects.first(), key="card_complete", measure=SHARE, n=90, value=0.7
    )
    response = client_for(coordinator).get(f"{BASE}/card_complete/share/")
    assert response.context["own_suppressed"]
    assert not any(r["own"] for r in response.context["rows"])


def test_index_lists_indicators_with_peer_counts(client_for, coordinator, office, peers):
    response = client_for(coordinator).get("/review/benchmark/")
    rows = {(r["key"], r["measure"]): r for r in response.context["rows"]}
    assert rows[("card_useful", "share")]["peers"] == 2
    assert rows[("satisfaction", "share")]["peers"] == 0
    assert ("card_complete", "share") not in rows  # suppressed here, and no peer has it
    assert response.context["files"].count() == 2


def test_unknown_year_or_measure_is_404(client_for, coordinator, office, peers):
    client = client_for(coordinator)
    assert client.get(f"/review/benchmark/{YEAR + 5}/").status_code == 404
    assert client.get(f"{BASE}/card_useful/median/").status_code == 404
    assert client.get(f"{BASE}/nothing/share/").status_code == 404


def test_import_errors_are_shown_in_the_users_language(client_for, coordinator, office, cycle):
    from django.conf import settings

    client = client_for(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    bad = SimpleUploadedFile("zly.json", encode(document(indicators=[row(n=3)])))
    page = client.post("/review/benchmark/import/", {"file": bad}).content.decode()
    assert "Wskaźnik nr 1 („card_useful”): pole „n” ma wartość spoza zakresu" in page


def test_index_without_any_cycle(client_for, coordinator):
    response = client_for(coordinator).get("/review/benchmark/")
    assert response.status_code == 200
    assert response.context["rows"] == []
