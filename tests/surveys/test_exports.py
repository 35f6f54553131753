"""Single responses for staff: the quality coordinator alone reads and exports them, and
every list and export is written to the audit log; heads, the auditor and staff read
aggregates only (403 here); pilot responses never appear."""

import datetime
import io

import openpyxl
import pytest

from qms.models import AuditEntry
from surveys.models import Channel
from surveys.services import response_submit

pytestmark = pytest.mark.django_db


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
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("response,date,channel,questionnaire,version,desk,unit,service_card")
    assert "card_missing" in header and "comments" in header
    assert "fees; other" in row and ",A-01," in row and "Dziękuję" in row


def test_free_text_never_becomes_a_formula(client_for, coordinator, version):
    store(version, comments='=HYPERLINK("http://zly.example","klik")')
    response = client_for(coordinator).get("/surveys/responses/export.xlsx")
    assert response.status_code == 200
    labelled, codes = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets
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
    text = client_for(coordinator).get("/surveys/responses/export.csv").content.decode("utf-8-sig")
    assert len(text.splitlines()) == 1  # header only


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
    text = client.get("/surveys/responses/export.csv").content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("response,date,channel,questionnaire,version,desk,unit,service_card")
    assert ",web," in row and "fees; other" in row


def test_labelled_csv_speaks_the_users_language(client_for, coordinator, version, card_a):
    store_many(version, card_a)
    client = client_for(coordinator)
    polish = client.get("/surveys/responses/export.csv?labels=1").content.decode("utf-8-sig")
    header, row = polish.splitlines()[:2]
    assert header.startswith("Odpowiedź,Data,Kanał,Kwestionariusz")
    assert "Jak ocenia Pan/Pani kompetencje pracownika?" in header
    assert "A-01 Wydanie zaświadczenia" in row
    assert "Opłat; " in row and ",web," not in row
    english = _in_english(client).get("/surveys/responses/export.csv?labels=1")
    header, row = english.content.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("Response,Date,Channel,Questionnaire")
    assert "web form" in row and "A-01 Issuing a certificate" in row


def test_xlsx_has_a_labelled_sheet_and_the_codes(client_for, coordinator, version, card_a):
    store(version, card=card_a, comments="+48 123")
    response = _in_english(client_for(coordinator)).get("/surveys/responses/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Responses", "Codes"]
    labelled, codes = book["Responses"], book["Codes"]
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
    codes = client.get("/api/v1/responses/export/?as=csv").content.decode("utf-8-sig")
    labelled = client.get("/api/v1/responses/export/?as=csv&labels=1").content.decode("utf-8-sig")
    assert codes.startswith("response,") and labelled.startswith("Odpowiedź,")


def test_small_groups_hide_the_card_unit_and_desk(client_for, coordinator, version, card_a, card_b):
    """Fewer than 10 responses for a card: its context could point at the person."""
    store_many(version, card_a, n=10)
    store_many(version, card_b, n=9)
    text = client_for(coordinator).get("/surveys/responses/export.csv").content.decode("utf-8-sig")
    rows = text.splitlines()[1:]
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
        text = client_for(coordinator).get("/surveys/responses/export.csv").content
        return [row["response"] for row in csv.DictReader(io.StringIO(text.decode("utf-8-sig")))]

    refs = column()
    assert not {str(r.pk) for r in stored} & set(refs)
    assert len(set(refs)) == 12 and all(len(ref) == 12 for ref in refs)
    assert refs == sorted(refs)  # one day: ordered by reference, whatever came first
    assert column() == refs  # the same names in every export
