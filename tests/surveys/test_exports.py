"""Responses for staff: the coordinator and auditor read and export everything; heads
read their units' responses; pilot responses never appear."""

import io

import openpyxl
import pytest

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


def test_csv_has_one_column_per_question_key(client_for, coordinator, version, card_a):
    store(version, card=card_a)
    response = client_for(coordinator).get("/surveys/responses/export.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("response,date,channel,questionnaire,version,desk,unit,service_card")
    assert "card_missing" in header and "comments" in header
    assert "fees; other" in row and ",A-01," in row and "Dziękuję" in row


def test_free_text_never_becomes_a_formula(client_for, auditor, version):
    store(version, comments='=HYPERLINK("http://zly.example","klik")')
    response = client_for(auditor).get("/surveys/responses/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
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


def test_heads_read_their_units_responses_but_do_not_export(
    client_for, head_a, head_b, staff, version, card_a
):
    response = store(version, card=card_a)
    assert (
        f'data-response="{response.pk}"'
        in client_for(head_a).get("/surveys/responses/").content.decode()
    )
    other = client_for(head_b).get("/surveys/responses/")
    assert (
        other.status_code == 200 and f'data-response="{response.pk}"' not in other.content.decode()
    )
    assert client_for(staff).get("/surveys/responses/").status_code == 403
    for user in (head_a, head_b, staff):
        assert client_for(user).get("/surveys/responses/export.csv").status_code == 403


def test_unknown_export_format_is_404(client_for, coordinator):
    assert client_for(coordinator).get("/surveys/responses/export.pdf").status_code == 404
