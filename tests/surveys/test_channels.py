"""Kiosk, interviewer-assisted entry and QR codes: every response records its channel."""

import re

import pytest

from surveys.models import Channel, Response
from surveys.qr import survey_url
from tests.surveys.conftest import ANSWERS, token_from

pytestmark = pytest.mark.django_db


def kiosk_url(survey, desk):
    return f"/ankieta/{survey.slug}/kiosk/{desk.kiosk_key}/"


def test_kiosk_records_channel_and_desk_and_starts_over(anonymous, survey, desk_a):
    url = kiosk_url(survey, desk_a)
    page = anonymous.get(url).content.decode()
    assert 'autocomplete="off"' in page
    assert "90 sekundach bez aktywności" in page  # the reset is announced
    token = token_from(page)
    response = anonymous.post(url, {"token": token, "page": 2, **ANSWERS})
    assert response.status_code == 302
    assert response["Location"] == url + "dziekujemy/?jezyk=pl"
    stored = Response.objects.get()
    assert (stored.channel, stored.desk) == (Channel.KIOSK, desk_a)

    thanks = anonymous.get(response["Location"]).content.decode()
    assert "location.replace" in thanks and "za <span" in thanks

    # The next person presses Back and resends page 1: nothing of the stored answers shows.
    again = anonymous.post(url, {"token": token, "page": 1, **ANSWERS})
    assert again.status_code == 302 and again["Location"] == url + "?jezyk=pl"
    assert Response.objects.count() == 1


def test_kiosk_unknown_key_is_404(anonymous, survey, desk_a):
    assert anonymous.get(f"/ankieta/{survey.slug}/kiosk/{survey.pk:032x}/").status_code == 404


def test_new_kiosk_key_retires_the_old_address(client_for, coordinator, anonymous, survey, desk_a):
    old = kiosk_url(survey, desk_a)
    client_for(coordinator).post(f"/surveys/desks/{desk_a.pk}/new-kiosk-address/")
    desk_a.refresh_from_db()
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(kiosk_url(survey, desk_a)).status_code == 200


def test_interviewer_records_staff_member_and_desk(client_for, staff, version, desk_a):
    client = client_for(staff)
    start = client.get("/surveys/interview/").content.decode()
    url = f"/surveys/interview/{version.pk}/desk/{desk_a.pk}/"
    assert url in start
    page = client.get(url).content.decode()
    assert "Ankieta z ankieterem" in page
    response = client.post(url, {"token": token_from(page), "page": 2, **ANSWERS})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.channel, stored.desk, stored.entered_by) == (Channel.INTERVIEWER, desk_a, staff)
    assert "Zapisano odpowiedź" in client.get(response["Location"]).content.decode()


def test_interviewer_cannot_use_another_units_desk(client_for, staff, version, desk_b):
    url = f"/surveys/interview/{version.pk}/desk/{desk_b.pk}/"
    assert client_for(staff).get(url).status_code == 404


def test_interviewer_form_needs_login(anonymous, version, desk_a):
    response = anonymous.get(f"/surveys/interview/{version.pk}/desk/{desk_a.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_qr_link_prefills_channel_desk_and_service(anonymous, survey, desk_a, card_a):
    url = survey_url(survey, desk_a, card_a)
    assert url.endswith("/ankieta/karty-uslug/?kanal=qr&stanowisko=A-1&usluga=A-01")
    page = anonymous.get(url.split("8000", 1)[-1] if "8000" in url else url)
    html = page.content.decode()
    assert 'name="kanal" value="qr"' in html and 'name="stanowisko" value="A-1"' in html
    assert '<option value="A-01" selected>' in html


def test_qr_sheet_pdf_for_own_desk(client_for, head_a, survey, desk_a, card_a):
    response = client_for(head_a).get(f"/surveys/desks/{desk_a.pk}/qr.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_qr_sheet_of_another_units_desk_is_404(client_for, head_a, survey, desk_b):
    assert client_for(head_a).get(f"/surveys/desks/{desk_b.pk}/qr.pdf").status_code == 404


def test_kiosk_address_is_shown_to_the_coordinator_only(
    client_for, coordinator, head_a, survey, desk_a
):
    key = str(desk_a.kiosk_key)
    assert key in client_for(coordinator).get("/surveys/desks/").content.decode()
    assert key not in client_for(head_a).get("/surveys/desks/").content.decode()


def test_qr_sheet_speaks_the_language_asked_for(survey, desk_a, card_a):
    from surveys.qr import desk_cells

    polish = desk_cells(survey, desk_a, "pl")
    assert polish[0][0] == "Oceń naszą obsługę"
    assert polish[1][0] == "A-01 Wydanie zaświadczenia" and "jezyk" not in polish[1][1]
    english = desk_cells(survey, desk_a, "en")
    assert english[0][0] == "Rate our service"
    assert english[1][0] == "A-01 Issuing a certificate"
    assert english[1][1].endswith("&usluga=A-01&jezyk=en")  # the code opens the English form


def _pdf_title(pdf: bytes) -> str:
    """The document title from the PDF's Info dictionary (octal escapes, UTF-16 or not)."""
    match = re.search(rb"/Title \((.*?)\)\s", pdf, re.S)
    assert match, "the PDF has no title"
    raw = match.group(1)
    data = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), raw)
    data = re.sub(rb"\\(.)", rb"\1", data)
    return data.decode("utf-16") if data.startswith(b"\xfe\xff") else data.decode("latin-1")


def test_qr_sheet_pdf_follows_the_users_language_unless_chosen(client_for, head_a, survey, desk_a):
    from django.conf import settings

    client = client_for(head_a)
    url = f"/surveys/desks/{desk_a.pk}/qr.pdf"
    assert _pdf_title(client.get(url).content) == "Kody QR ankiety: Ankieta: karty usług Urzędu"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url)
    assert _pdf_title(english.content) == "Survey QR codes: Survey: the office's service cards"
    assert english["Content-Disposition"].endswith('-en.pdf"')
    assert _pdf_title(client.get(url, {"jezyk": "pl"}).content).startswith("Kody QR ankiety")
