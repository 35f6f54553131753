"""Single responses for staff: the quality coordinator alone reads and exports them, and
every list and export is written to the audit log; heads, the auditor and staff read
aggregates only (403 here); pilot responses never appear.

The exports stream (tracker issue 13): the CSV is a StreamingHttpResponse, the XLSX a
FileResponse, both byte for byte (CSV) and cell for cell (XLSX) what the pandas version
wrote for the same data (frozen below), in a number of queries that does not grow with
the number of responses."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from qms.models import AuditEntry
from surveys import exports
from surveys.exports import response_ref
from surveys.models import Channel
from surveys.services import response_submit

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    """The whole file: every export streams (the CSV as it is read, the XLSX once built)."""
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def text(response) -> str:
    return body(response).decode("utf-8-sig")


def book(response) -> openpyxl.Workbook:
    assert isinstance(response, FileResponse)
    return openpyxl.load_workbook(io.BytesIO(body(response)))


def store(version, *, comments="Dziękuję", nonce="n1", card=None, channel=Channel.WEB):
    question = {q.key: q for q in version.questions.prefetch_related("choices")}
    answers = {
        "card_read": question["card_read"].choices.get(value="web"),
        "card_missing": list(question["card_missing"].choices.filter(value__in=["fees", "other"])),
        "staff_competence": question["staff_competence"].choices.get(value="5"),
        "comments": comments,
    }
    return response_submit(
        version=version, channel=channel, answers=answers, nonce=nonce, service_card=card
    )


def store_many(version, card, n=10):
    """Enough responses for the card to be shown (see test_small_groups_hide_the_card)."""
    for i in range(n):
        store(version, card=card, nonce=f"many-{card.pk}-{i}")


def test_csv_has_one_column_per_question_key(client_for, coordinator, version, card_a):
    store_many(version, card_a)
    response = client_for(coordinator).get("/surveys/responses/export.csv")
    header, row = text(response).splitlines()[:2]
    assert header.startswith("response,date,channel,questionnaire,version,desk,unit,service_card")
    assert "card_missing" in header and "comments" in header
    assert "fees; other" in row and ",A-01," in row and "Dziękuję" in row


def test_free_text_never_becomes_a_formula(client_for, coordinator, version):
    store(version, comments='=HYPERLINK("http://zly.example","klik")')
    response = client_for(coordinator).get("/surveys/responses/export.xlsx")
    labelled, codes = book(response).worksheets
    header = [cell.value for cell in codes[1]]
    for sheet in (labelled, codes):
        cell = sheet.cell(row=2, column=header.index("comments") + 1)
        assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")


def test_pilot_responses_stay_out(client_for, coordinator, survey, version):
    from surveys.services import version_create_draft, version_start_pilot

    pilot = version_start_pilot(
        version=version_create_draft(questionnaire=survey, copy_from=version)
    )
    store(pilot, nonce="p1")
    export = text(client_for(coordinator).get("/surveys/responses/export.csv"))
    assert export == ",".join(exports.BASE_COLUMNS) + "\n"  # the header only


def test_only_the_coordinator_reads_or_exports_single_responses(
    client_for, coordinator, head_a, head_b, staff, auditor, version, card_a
):
    response = store(version, card=card_a)
    page = client_for(coordinator).get("/surveys/responses/").content.decode()
    assert f'data-response="{response.pk}"' in page
    for user in (head_a, head_b, staff, auditor):
        client = client_for(user)
        for url in (
            "/surveys/responses/",
            "/surveys/responses/export.csv",
            "/surveys/responses/export.xlsx",
        ):
            assert client.get(url).status_code == 403, (user, url)
    # the menus no longer offer the list to anyone else
    home = client_for(head_a).get("/").content.decode()
    assert "/surveys/responses/" not in home


def test_every_list_and_export_of_single_responses_is_audited(
    client_for, coordinator, version, card_a
):
    store_many(version, card_a, n=3)
    client = client_for(coordinator)
    client.get("/surveys/responses/")
    client.get("/surveys/responses/export.csv?labels=1")
    client.get("/surveys/responses/export.xlsx")
    entries = list(AuditEntry.objects.order_by("at", "pk"))
    assert [(e.action, e.route, e.params, e.rows, e.user) for e in entries] == [
        (AuditEntry.Action.RESPONSE_LIST, "/surveys/responses/", {}, 3, coordinator),
        (
            AuditEntry.Action.RESPONSE_EXPORT,
            "/surveys/responses/export.csv",
            {"format": "csv", "labels": True},
            3,
            coordinator,
        ),
        (
            AuditEntry.Action.RESPONSE_EXPORT,
            "/surveys/responses/export.xlsx",
            {"format": "xlsx", "labels": False},
            3,
            coordinator,
        ),
    ]
    client.get("/surveys/responses/export.pdf")  # refused: nothing read, nothing logged
    assert AuditEntry.objects.count() == 3


def test_suggestions_are_the_coordinators_only(client_for, coordinator, auditor, version):
    from surveys.models import Suggestion

    Suggestion.objects.create(
        version=version,
        text="Za długa ankieta",
        submitted_on=version.opens_on or datetime.date(2026, 1, 5),
    )
    assert (
        "Za długa ankieta" in client_for(coordinator).get("/surveys/suggestions/").content.decode()
    )
    assert client_for(auditor).get("/surveys/suggestions/").status_code == 403
    detail = client_for(auditor).get(f"/surveys/versions/{version.pk}/")
    assert detail.status_code == 200 and "Za długa ankieta" not in detail.content.decode()
    coordinator_detail = client_for(coordinator).get(f"/surveys/versions/{version.pk}/")
    assert "Za długa ankieta" in coordinator_detail.content.decode()


def test_unknown_export_format_is_404(client_for, coordinator):
    assert client_for(coordinator).get("/surveys/responses/export.pdf").status_code == 404


def _in_english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_csv_keeps_codes_for_machines_in_every_language(client_for, coordinator, version, card_a):
    store(version, card=card_a)
    client = _in_english(client_for(coordinator))
    header, row = text(client.get("/surveys/responses/export.csv")).splitlines()[:2]
    assert header.startswith("response,date,channel,questionnaire,version,desk,unit,service_card")
    assert ",web," in row and "fees; other" in row


def test_labelled_csv_speaks_the_users_language(client_for, coordinator, version, card_a):
    store_many(version, card_a)
    client = client_for(coordinator)
    polish = text(client.get("/surveys/responses/export.csv?labels=1"))
    header, row = polish.splitlines()[:2]
    assert header.startswith("Odpowiedź,Data,Kanał,Kwestionariusz")
    assert "Jak ocenia Pan/Pani kompetencje pracownika?" in header
    assert "A-01 Wydanie zaświadczenia" in row
    assert "Opłat; " in row and ",web," not in row
    english = _in_english(client).get("/surveys/responses/export.csv?labels=1")
    header, row = text(english).splitlines()[:2]
    assert header.startswith("Response,Date,Channel,Questionnaire")
    assert "web form" in row and "A-01 Issuing a certificate" in row


def test_xlsx_has_a_labelled_sheet_and_the_codes(client_for, coordinator, version, card_a):
    store(version, card=card_a, comments="+48 123")
    response = _in_english(client_for(coordinator)).get("/surveys/responses/export.xlsx")
    workbook = book(response)
    assert workbook.sheetnames == ["Responses", "Codes"]
    labelled, codes = workbook["Responses"], workbook["Codes"]
    headers = [cell.value for cell in labelled[1]]
    assert headers[:3] == ["Response", "Date", "Channel"]
    assert labelled.cell(row=2, column=3).value == "web form"
    assert [cell.value for cell in codes[1]][:3] == ["response", "date", "channel"]
    comment = [cell.value for cell in labelled[2]][-1]
    assert comment == "'+48 123"  # neutralised in both sheets
    assert [cell.value for cell in codes[2]][-1] == "'+48 123"


def test_api_export_offers_labels_too(client_for, coordinator, version, card_a):
    store(version, card=card_a)
    client = client_for(coordinator)
    codes = text(client.get("/api/v1/responses/export/?as=csv"))
    labelled = text(client.get("/api/v1/responses/export/?as=csv&labels=1"))
    assert codes.startswith("response,") and labelled.startswith("Odpowiedź,")


def test_small_groups_hide_the_card_unit_and_desk(client_for, coordinator, version, card_a, card_b):
    """Fewer than 10 responses for a card: its context could point at the person."""
    store_many(version, card_a, n=10)
    store_many(version, card_b, n=9)
    rows = text(client_for(coordinator).get("/surveys/responses/export.csv")).splitlines()[1:]
    assert sum(",A-01," in row for row in rows) == 10
    assert not any("B-01" in row for row in rows)
    hidden = [row for row in rows if "mniej niż 10" in row]
    assert len(hidden) == 9


def test_exports_name_responses_neither_by_id_nor_in_order_of_submission(
    client_for, coordinator, version, card_a
):
    import csv

    stored = [store(version, card=card_a, nonce=f"order-{i}") for i in range(12)]

    def column():
        export = text(client_for(coordinator).get("/surveys/responses/export.csv"))
        return [row["response"] for row in csv.DictReader(io.StringIO(export))]

    refs = column()
    assert not {str(r.pk) for r in stored} & set(refs)
    assert len(set(refs)) == 12 and all(len(ref) == 12 for ref in refs)
    assert refs == sorted(refs)  # one day: ordered by reference, whatever came first
    assert column() == refs  # the same names in every export


# --- the same file as before the exports streamed (tracker issue 13) ---------------------

DAYS = [datetime.date(2026, 1, day) for day in (5, 6, 7, 8)]


def ask(version, key, kind, text_pl, text_en, choices=()):
    from surveys.services import question_save

    return question_save(
        version=version,
        question=None,
        choices=[(value, pl, en, value == "na") for value, pl, en in choices],
        key=key,
        kind=kind,
        text_pl=text_pl,
        text_en=text_en,
    )


@pytest.fixture
def mixed(settings, card_a, card_b, desk_a, desk_b, staff):
    """Four live responses on four days, in two versions of a questionnaire of its own
    (card A shown, card B hidden: fewer than 2 responses), and a pilot response."""
    from surveys.models import Question, Questionnaire
    from surveys.services import (
        version_activate,
        version_create_draft,
        version_start_pilot,
    )

    settings.ANONYMITY_MIN_GROUP = 2
    kind = Question.Kind
    survey = Questionnaire.objects.create(
        slug="eksport", title_pl="Ankieta do eksportu", title_en="Export survey"
    )
    first = version_create_draft(questionnaire=survey)
    ask(first, "service", kind.SERVICE, "Sprawa", "Matter")
    ask(
        first,
        "card_read",
        kind.SINGLE,
        "Czy przeczytał(a) Pan/Pani kartę?",
        "Did you read the card?",
        [("web", "Tak, w internecie", "Yes, online"), ("no", "Nie", "No")],
    )
    ask(
        first,
        "missing",
        kind.MULTIPLE,
        "Czego zabrakło?",
        "What was missing?",
        [("fees", "Opłat", "Fees"), ("where", "Miejsca", "Where"), ("other", "Innych", "Other")],
    )
    ask(first, "missing_text", kind.TEXT, "Czego jeszcze?", "What else?")
    ask(
        first,
        "courtesy",
        kind.LIKERT,
        "Jak ocenia Pan/Pani uprzejmość?",
        "How polite were we?",
        [("5", "Bardzo dobrze", "Very good"), ("na", "Nie dotyczy", "Not applicable")],
    )
    ask(first, "comments", kind.TEXT, "Uwagi", "Comments")
    version_activate(version=first)
    second = version_create_draft(questionnaire=survey, copy_from=first)
    comments = second.questions.get(key="comments")
    comments.text_pl, comments.text_en = "Uwagi, pytania – „cytaty”", "Comments, questions"
    comments.save()
    ask(second, "recommend", kind.SCALE, "Czy poleci Pan/Pani urząd?", "Would you recommend us?")
    version_activate(version=second)

    def pick(version, key, *values):
        question = version.questions.get(key=key)
        found = [question.choices.get(value=value) for value in values]
        return found if question.kind == kind.MULTIPLE else found[0]

    stored = [
        response_submit(
            version=first,
            channel=Channel.QR,
            nonce="m1",
            service_card=card_a,
            desk=desk_a,
            today=DAYS[0],
            answers={
                "card_read": pick(first, "card_read", "web"),
                "missing": pick(first, "missing", "fees", "other"),
                "missing_text": 'Brak "wzoru", niestety\nI druga linia',
                "courtesy": pick(first, "courtesy", "5"),
                "comments": "Dziękuję",
            },
        ),
        response_submit(
            version=first,
            channel=Channel.WEB,
            nonce="m2",
            today=DAYS[1],
            answers={
                "card_read": pick(first, "card_read", "no"),
                "courtesy": pick(first, "courtesy", "na"),
                "comments": '=HYPERLINK("http://zly.example","klik")',
            },
        ),
        response_submit(
            version=second,
            channel=Channel.INTERVIEWER,
            nonce="m3",
            service_card=card_a,
            desk=desk_a,
            entered_by=staff,
            today=DAYS[2],
            answers={
                "card_read": pick(second, "card_read", "web"),
                "recommend": 7,
                "comments": "+48 123",
            },
        ),
        response_submit(
            version=second,
            channel=Channel.KIOSK,
            nonce="m4",
            service_card=card_b,
            desk=desk_b,
            today=DAYS[3],
            answers={
                "card_read": pick(second, "card_read", "no"),
                "recommend": 0,
                "comments": "-",
            },
        ),
    ]
    pilot = version_start_pilot(
        version=version_create_draft(questionnaire=survey, copy_from=second)
    )
    response_submit(
        version=pilot, channel=Channel.WEB, nonce="m5", today=DAYS[0], answers={"comments": "x"}
    )
    return stored


# Written by the pandas version (before issue 13) for `mixed`; {rN}: the N-th response's
# reference (it depends on the database id). Four days: the rows' order is the days'.
CODES = (
    "response,date,channel,questionnaire,version,desk,unit,service_card,service_revision,"
    "card_read,recommend,comments,courtesy,missing,missing_text\n"
    '{r0},2026-01-05,qr,eksport,1,A-1,A,A-01,1,web,,Dziękuję,5,fees; other,"Brak ""wzoru"", '
    'niestety\nI druga linia"\n'
    '{r1},2026-01-06,web,eksport,1,,,,,no,,"\'=HYPERLINK(""http://zly.example"",""klik"")",'
    "na,,\n"
    "{r2},2026-01-07,interviewer,eksport,2,A-1,A,A-01,1,web,7,'+48 123,,,\n"
    "{r3},2026-01-08,kiosk,eksport,2,,,{hidden},,no,0,'-,,,\n"
)
HIDDEN = {
    "pl": "(mniej niż 10 odpowiedzi dla tej karty: ukryto)",
    "en": "(fewer than 10 responses for this card: hidden)",
}
LABELLED = {
    "pl": (
        "Odpowiedź,Data,Kanał,Kwestionariusz,Wersja,Stanowisko,Komórka,Karta usługi,"
        "Wersja karty,Czy przeczytał(a) Pan/Pani kartę?,Czy poleci Pan/Pani urząd?,"
        '"Uwagi, pytania – „cytaty”",Jak ocenia Pan/Pani uprzejmość?,Czego zabrakło?,'
        "Czego jeszcze?\n"
        "{r0},2026-01-05,kod QR przy stanowisku,Ankieta do eksportu,1,Stanowisko A1,Wydział A,"
        'A-01 Wydanie zaświadczenia,1,"Tak, w internecie",,Dziękuję,Bardzo dobrze,'
        'Opłat; Innych,"Brak ""wzoru"", niestety\nI druga linia"\n'
        "{r1},2026-01-06,formularz internetowy,Ankieta do eksportu,1,,,,,Nie,,"
        '"\'=HYPERLINK(""http://zly.example"",""klik"")",Nie dotyczy,,\n'
        "{r2},2026-01-07,z ankieterem,Ankieta do eksportu,2,Stanowisko A1,Wydział A,"
        'A-01 Wydanie zaświadczenia,1,"Tak, w internecie",7,\'+48 123,,,\n'
        "{r3},2026-01-08,tablet przy stanowisku (kiosk),Ankieta do eksportu,2,,,"
        "(mniej niż 10 odpowiedzi dla tej karty: ukryto),,Nie,0,'-,,,\n"
    ),
    "en": (
        "Response,Date,Channel,Questionnaire,Version,Desk,Unit,Service card,Card revision,"
        'Did you read the card?,Would you recommend us?,"Comments, questions",'
        "How polite were we?,What was missing?,What else?\n"
        "{r0},2026-01-05,QR code at a desk,Export survey,1,Stanowisko A1,Department A,"
        'A-01 Issuing a certificate,1,"Yes, online",,Dziękuję,Very good,Fees; Other,'
        '"Brak ""wzoru"", niestety\nI druga linia"\n'
        "{r1},2026-01-06,web form,Export survey,1,,,,,No,,"
        '"\'=HYPERLINK(""http://zly.example"",""klik"")",Not applicable,,\n'
        "{r2},2026-01-07,interviewer-assisted,Export survey,2,Stanowisko A1,Department A,"
        'A-01 Issuing a certificate,1,"Yes, online",7,\'+48 123,,,\n'
        "{r3},2026-01-08,desk tablet (kiosk),Export survey,2,,,"
        "(fewer than 10 responses for this card: hidden),,No,0,'-,,,\n"
    ),
}


def refs(stored) -> dict[str, str]:
    return {f"r{i}": response_ref(response) for i, response in enumerate(stored)}


def expected_codes(stored, language="pl") -> bytes:
    return ("\ufeff" + CODES.format(**refs(stored), hidden=HIDDEN[language])).encode()


def expected_labelled(stored, language="pl") -> bytes:
    return ("\ufeff" + LABELLED[language].format(**refs(stored))).encode()


def test_csv_streams_the_same_bytes_as_before(client_for, coordinator, mixed):
    client = client_for(coordinator)
    staff_page = client.get("/surveys/responses/export.csv")
    api = client.get("/api/v1/responses/export/?as=csv")
    for response in (staff_page, api):
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert body(response) == expected_codes(mixed)
    stamp = datetime.date.today().isoformat()
    assert staff_page["Content-Disposition"] == f'attachment; filename="odpowiedzi-{stamp}.csv"'
    assert not api.has_header("Content-Disposition")
    english = _in_english(client_for(coordinator)).get("/surveys/responses/export.csv")
    assert body(english) == expected_codes(mixed, "en")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_labelled_csv_streams_the_same_bytes_as_before(client_for, coordinator, mixed, language):
    client = client_for(coordinator)
    if language == "en":
        client = _in_english(client)
    for url in (
        "/surveys/responses/export.csv?labels=1",
        "/api/v1/responses/export/?as=csv&labels=1",
    ):
        assert body(client.get(url)) == expected_labelled(mixed, language), url


def test_xlsx_has_the_same_header_and_rows_as_before(client_for, coordinator, mixed):
    r0, r1, r2, r3 = refs(mixed).values()
    day = [datetime.datetime(2026, 1, d) for d in (5, 6, 7, 8)]
    hidden = HIDDEN["pl"]
    link = '\'=HYPERLINK("http://zly.example","klik")'
    text_ = 'Brak "wzoru", niestety\nI druga linia'
    labelled = [
        ["Odpowiedź", "Data", "Kanał", "Kwestionariusz", "Wersja", "Stanowisko", "Komórka",
         "Karta usługi", "Wersja karty", "Czy przeczytał(a) Pan/Pani kartę?",
         "Czy poleci Pan/Pani urząd?", "Uwagi, pytania – „cytaty”",
         "Jak ocenia Pan/Pani uprzejmość?", "Czego zabrakło?", "Czego jeszcze?"],
        [r0, day[0], "kod QR przy stanowisku", "Ankieta do eksportu", 1, "Stanowisko A1",
         "Wydział A", "A-01 Wydanie zaświadczenia", 1, "Tak, w internecie", None, "Dziękuję",
         "Bardzo dobrze", "Opłat; Innych", text_],
        [r1, day[1], "formularz internetowy", "Ankieta do eksportu", 1, None, None, None, None,
         "Nie", None, link, "Nie dotyczy", None, None],
        [r2, day[2], "z ankieterem", "Ankieta do eksportu", 2, "Stanowisko A1", "Wydział A",
         "A-01 Wydanie zaświadczenia", 1, "Tak, w internecie", "7", "'+48 123", None, None,
         None],
        [r3, day[3], "tablet przy stanowisku (kiosk)", "Ankieta do eksportu", 2, None, None,
         hidden, None, "Nie", "0", "'-", None, None, None],
    ]  # fmt: skip
    codes = [
        ["response", "date", "channel", "questionnaire", "version", "desk", "unit",
         "service_card", "service_revision", "card_read", "recommend", "comments", "courtesy",
         "missing", "missing_text"],
        [r0, day[0], "qr", "eksport", 1, "A-1", "A", "A-01", 1, "web", None, "Dziękuję", "5",
         "fees; other", text_],
        [r1, day[1], "web", "eksport", 1, None, None, None, None, "no", None, link, "na", None,
         None],
        [r2, day[2], "interviewer", "eksport", 2, "A-1", "A", "A-01", 1, "web", "7", "'+48 123",
         None, None, None],
        [r3, day[3], "kiosk", "eksport", 2, None, None, hidden, None, "no", "0", "'-", None,
         None, None],
    ]  # fmt: skip
    client = client_for(coordinator)
    for response in (
        client.get("/surveys/responses/export.xlsx"),
        client.get("/api/v1/responses/export/?as=xlsx"),
    ):
        assert response["Content-Type"] == exports.XLSX_TYPE
        workbook = book(response)
        assert workbook.sheetnames == ["Odpowiedzi", "Kody"]
        for sheet, rows in zip(workbook.worksheets, (labelled, codes), strict=True):
            assert [[cell.value for cell in row] for row in sheet.iter_rows()] == rows
            assert all(cell.font.b for cell in sheet[1])  # the header, bold as before
            assert sheet["B2"].is_date
    stamp = datetime.date.today().isoformat()
    staff_page = client.get("/surveys/responses/export.xlsx")
    assert staff_page["Content-Disposition"] == f'attachment; filename="odpowiedzi-{stamp}.xlsx"'


def test_rows_read_a_few_at_a_time_come_out_the_same(client_for, coordinator, mixed, monkeypatch):
    """Chunks of one response: days and columns cross chunk boundaries (the columns of
    keys not answered in the newest chunk are looked up one by one)."""
    monkeypatch.setattr(exports, "CHUNK", 1)
    client = client_for(coordinator)
    assert body(client.get("/surveys/responses/export.csv")) == expected_codes(mixed)
    assert body(client.get("/surveys/responses/export.csv?labels=1")) == expected_labelled(mixed)


def test_an_empty_export_is_the_header_alone(client_for, coordinator, survey):
    client = client_for(coordinator)
    assert (
        body(client.get("/surveys/responses/export.csv"))
        == (
            "\ufeffresponse,date,channel,questionnaire,version,desk,unit,service_card,"
            "service_revision\n"
        ).encode()
    )
    assert (
        body(client.get("/surveys/responses/export.csv?labels=1"))
        == (
            "\ufeffOdpowiedź,Data,Kanał,Kwestionariusz,Wersja,Stanowisko,Komórka,Karta usługi,"
            "Wersja karty\n"
        ).encode()
    )
    sheets = book(client.get("/surveys/responses/export.xlsx")).worksheets
    assert [len(list(sheet.iter_rows())) for sheet in sheets] == [1, 1]


def store_on_days(version, cards, n, start=0):
    """n responses spread over five days and the cards (at most one is small)."""
    question = {q.key: q for q in version.questions.prefetch_related("choices")}
    for i in range(start, start + n):
        response_submit(
            version=version,
            channel=[Channel.WEB, Channel.QR, Channel.PAPER][i % 3],
            nonce=f"q-{i}",
            service_card=cards[i % len(cards)],
            today=datetime.date(2026, 2, 2 + i % 5),
            answers={
                "card_read": question["card_read"].choices.get(value="web"),
                "card_missing": list(question["card_missing"].choices.all()[: 1 + i % 3]),
                "staff_competence": question["staff_competence"].choices.get(value="4"),
                "comments": f"Komentarz {i}",
            },
        )


@pytest.mark.parametrize(
    "url",
    [
        "/surveys/responses/export.csv",
        "/surveys/responses/export.csv?labels=1",
        "/surveys/responses/export.xlsx",
        "/api/v1/responses/export/?as=csv",
        "/api/v1/responses/export/?as=xlsx",
    ],
)
def test_queries_do_not_grow_with_the_number_of_responses(
    client_for, coordinator, version, card_a, card_b, django_assert_max_num_queries, url
):
    client = client_for(coordinator)
    store_on_days(version, [card_a, card_b], 5)
    with CaptureQueriesContext(connection) as few:
        assert body(client.get(url))
    store_on_days(version, [card_a, card_b], 45, start=5)
    with django_assert_max_num_queries(len(few)):
        export = body(client.get(url))
    if url.endswith("csv"):
        assert len(export.decode("utf-8-sig").splitlines()) == 1 + 50


# --- the rows, from plain tuples (no database) -------------------------------------------

CATALOGUE = exports.Catalogue(
    versions={1: ("ankieta", "Ankieta", 3)},
    cards={7: ("A-01", "A-01 Zaświadczenie", "A", "Wydział A"), 8: ("=B", "=B Zła", "B", "B")},
    revisions={70: 2},
    desks={5: ("A-1", "@Stanowisko")},
    questions={10: ("read", "Czytał(a)?"), 11: ("missing", "Czego brakło?"), 12: ("n", "Ile?")},
    choices={100: ("yes", "Tak"), 110: ("fees", "Opłat"), 111: ("form", "-Wzoru")},
    channels={"web": "formularz", "qr": "kod QR"},
    suppressed="(ukryto)",
)


def test_rows_come_by_day_then_by_reference_never_by_id():
    day1, day2 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)
    records = [((pk, day1, "web", 1, 7, 70, 5), [(10, 100, None, "")]) for pk in (3, 1, 2)] + [
        ((9, day2, "qr", 1, None, None, None), [(12, None, 4, ""), (11, 111, None, "")])
    ]
    keys = [("read", 10), ("n", 12), ("missing", 11)]
    rows = [
        row for (row,) in exports.table_rows(records, keys=keys, catalogue=CATALOGUE, hidden=set())
    ]
    first_day = sorted(exports.reference(pk) for pk in (1, 2, 3))
    assert [row[0] for row in rows] == [*first_day, exports.reference(9)]
    assert rows[0][1:] == [day1, "web", "ankieta", 3, "A-1", "A", "A-01", 2, "yes", "", ""]
    assert rows[3][1:] == [day2, "qr", "ankieta", 3, "", "", "", "", "", "4", "form"]


def test_labelled_rows_neutralise_names():
    day = datetime.date(2026, 3, 2)
    records = [((1, day, "web", 1, 8, 70, 5), [(11, 110, None, ""), (11, 111, None, "")])]
    keys = [("missing", 11), ("read", 10)]
    [(labelled, codes)] = exports.table_rows(
        records, keys=keys, catalogue=CATALOGUE, hidden={7}, forms=[True, False]
    )
    assert labelled[1:] == [
        day, "formularz", "Ankieta", 3, "'@Stanowisko", "B", "'=B Zła", 2, "Opłat; '-Wzoru", ""
    ]  # fmt: skip
    assert codes[1:] == [day, "web", "ankieta", 3, "A-1", "B", "=B", 2, "fees; form", ""]
    assert exports.header(keys, CATALOGUE, labels=True)[-2:] == ["Czego brakło?", "Czytał(a)?"]
    assert exports.header(keys, CATALOGUE, labels=False)[-2:] == ["missing", "read"]


def test_hidden_cards_lose_card_desk_unit_and_revision():
    day = datetime.date(2026, 3, 2)
    records = [((2, day, "qr", 1, 7, 70, 5), [(10, None, None, "=1+1")])]
    [(labelled, codes)] = exports.table_rows(
        records, keys=[("read", 10)], catalogue=CATALOGUE, hidden={7}, forms=[True, False]
    )
    assert labelled[1:] == [day, "kod QR", "Ankieta", 3, "", "", "(ukryto)", "", "'=1+1"]
    assert codes[1:] == [day, "qr", "ankieta", 3, "", "", "(ukryto)", "", "'=1+1"]


def test_multiple_choice_answers_share_a_cell_in_the_order_stored():
    records = [((1, datetime.date(2026, 3, 2), "web", 1, None, None, None),
                [(11, 111, None, ""), (11, 110, None, "")])]  # fmt: skip
    [(codes, labelled)] = exports.table_rows(
        records, keys=[("missing", 11)], catalogue=CATALOGUE, hidden=set(), forms=[False, True]
    )
    assert codes[-1] == "form; fees" and labelled[-1] == "'-Wzoru; Opłat"


def test_columns_follow_the_newest_response_then_the_order_stored():
    day1, day2 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)
    answers = [  # (day, response, answer, question)
        (day1, 50, 500, 11),
        (day1, 50, 501, 13),
        (day2, 40, 402, 10),
        (day2, 40, 401, 12),
        (day2, 41, 410, 14),
    ]
    questions = {10: "read", 11: "missing", 12: "n", 13: "read", 14: "extra"}
    first = exports.first_answers(answers, questions)
    ordered = sorted(first, key=lambda key: first[key][0])
    assert ordered == ["extra", "n", "read", "missing"]
    assert first["read"][1] == 10  # the newer response's question heads the column


def test_small_cards_are_those_under_the_minimum():
    assert exports.small_cards({7: 10, 8: 9, None: 3}, 10) == {8}


def test_csv_pieces_quote_like_before(monkeypatch):
    rows = [
        ["a,b", 'say "x"', "two\nlines", datetime.date(2026, 1, 5), 3, True, "", None],
        ["ż", "'=1", "plain", datetime.date(2026, 1, 6), 0, False, "", None],
    ]
    expected = (
        "\ufeffh1,h2,h3,h4,h5,h6,h7,h8\n"
        '"a,b","say ""x""","two\nlines",2026-01-05,3,True,,\n'
        "ż,'=1,plain,2026-01-06,0,False,,\n"
    ).encode()
    header = [f"h{i}" for i in range(1, 9)]
    assert b"".join(exports.csv_chunks(header, rows)) == expected
    monkeypatch.setattr(exports, "FLUSH_AT", 1)
    pieces = list(exports.csv_chunks(header, rows))
    assert len(pieces) > 2 and b"".join(pieces) == expected
