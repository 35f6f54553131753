"""Every public survey page: formal Polish, the office's contact, the privacy notice where
free text is first asked for, somewhere to go after the thanks, the desk tablet's own
services, and an icon (issue 14, item 6)."""

import html
import re

import pytest
from django.urls import reverse

from qms.models import Office
from surveys.models import Response
from tests.factories import ServiceCardFactory, ServiceCardRevisionFactory
from tests.surveys.conftest import ANSWERS, token_from

pytestmark = pytest.mark.django_db

URL = "/ankieta/karty-uslug/"
PAGE1 = {k: v for k, v in ANSWERS.items() if k.startswith(("q_service", "q_card"))}

# Informal address ("ty") that must not appear where the form says "Pan/Pani".
INFORMAL = ["Twoj", "Twój", "potrzebujesz", "Ty ", "możesz", "Tobie", "Ciebie", "zapytał(a)byś"]


@pytest.fixture
def office(db):
    return Office.objects.create(
        name="Urząd Miasta Testowo",
        city="Testowo",
        address="ul. Rynek 1, 00-001 Testowo",
        phone="22 123 45 67",
        email="urzad@testowo.example",
        opening_hours_pl="pon.–pt. 8:00–16:00",
        opening_hours_en="Mon–Fri 8:00–16:00",
        website_url="https://www.testowo.example/",
        bip_url="https://bip.testowo.example/",
        service_cards_url="https://bip.testowo.example/karty-uslug/",
        dpo_email="iod@testowo.example",
    )


def text_of(page: str) -> str:
    """What a reader sees: no scripts, no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def kiosk_url(desk) -> str:
    return reverse("ankieta:kiosk", args=["karty-uslug", desk.kiosk_key])


def public_pages(client, survey, desk_a, lang="pl") -> dict[str, str]:
    """Every public page a client can meet, rendered (the form in each of its states)."""
    from surveys.services import version_create_draft, version_start_pilot

    pages = {}
    first = client.get(URL, {"jezyk": lang}).content.decode()
    pages["page 1"] = first
    token = token_from(first)
    pages["page 1, errors"] = client.post(
        URL, {"token": token, "page": 1, "jezyk": lang}
    ).content.decode()
    pages["page 2"] = client.post(
        URL, {"token": token, "page": 1, "jezyk": lang, **PAGE1}
    ).content.decode()
    pages["token expired"] = client.post(
        URL, {"token": "forged", "page": 2, "jezyk": lang, **ANSWERS}
    ).content.decode()
    pages["thanks"] = client.get(reverse("ankieta:thanks"), {"jezyk": lang}).content.decode()
    kiosk = client.get(kiosk_url(desk_a), {"jezyk": lang}).content.decode()
    pages["kiosk"] = kiosk
    thanks = reverse("ankieta:kiosk_thanks", args=["karty-uslug", desk_a.kiosk_key])
    pages["kiosk thanks"] = client.get(thanks, {"jezyk": lang}).content.decode()
    pages["closed"] = client.get("/ankieta/nie-ma-takiej/", {"jezyk": lang}).content.decode()
    draft = version_create_draft(questionnaire=survey, copy_from=survey.active_version)
    version_start_pilot(version=draft)
    pilot = reverse("ankieta:pilot", args=[draft.pilot_token])
    pages["pilot"] = client.get(pilot, {"jezyk": lang}).content.decode()
    return pages


# --- formal Polish ------------------------------------------------------------------------


def test_polish_public_pages_address_the_client_formally(anonymous, office, survey, desk_a):
    pages = public_pages(anonymous, survey, desk_a)
    for name, sample in [  # each page is the one meant, with the strings that were informal
        ("page 1", "Pan/Pani"),
        ("page 1, errors", "Prosimy poprawić"),
        ("page 2", "Sugestie dotyczące tej ankiety"),
        ("token expired", "Odpowiedzi zostały zachowane"),
        ("thanks", "Odpowiedzi zostały zapisane anonimowo"),
        ("kiosk", "czy potrzebny jest dodatkowy czas"),
        ("kiosk thanks", "Dziękujemy za wypełnienie ankiety"),
        ("closed", "nie jest obecnie otwarta"),
        ("pilot", "Wersja pilotażowa: odpowiedzi pomagają"),
    ]:
        assert sample in text_of(pages[name]), name
    found = {
        name: [word for word in INFORMAL if word in text_of(page)] for name, page in pages.items()
    }
    assert found == {name: [] for name in pages}


def test_kiosk_idle_warning_asks_formally(anonymous, office, survey, desk_a):
    page = text_of(anonymous.get(kiosk_url(desk_a)).content.decode())
    assert "Czy potrzebuje Pan/Pani więcej czasu?" in page
    english = text_of(anonymous.get(kiosk_url(desk_a), {"jezyk": "en"}).content.decode())
    assert "Would you like more time?" in english


# --- the privacy notice -------------------------------------------------------------------


def test_privacy_notice_with_controller_dpo_and_legal_basis_is_on_page_one(
    anonymous, office, survey
):
    page = anonymous.get(URL).content.decode()
    assert page.count('id="rodo-title"') == 1
    notice = page[page.index('id="rodo-title"') : page.index("</section>")]
    text = text_of(notice)
    assert "Administrator danych: Urząd Miasta Testowo, ul. Rynek 1, 00-001 Testowo" in text
    assert "Inspektor ochrony danych: iod@testowo.example" in text
    assert 'href="mailto:iod@testowo.example"' in notice
    assert "Podstawa prawna: art. 6 ust. 1 lit. e RODO" in text
    # The full notice stays one click away.
    assert "<details>" in notice and "Pełna informacja o przetwarzaniu danych" in text
    assert "czyta wyłącznie koordynator ds. jakości" in text
    assert "Prezesa Urzędu Ochrony Danych Osobowych" in text


def test_privacy_notice_follows_the_first_free_text_box(anonymous, office, survey):
    page = anonymous.get(URL).content.decode()
    free_text = page.index('name="q_card_missing_text"')
    notice = page.index('id="rodo-title"')
    assert free_text < notice < page.index('type="submit"')
    # Outside the question's own box, so it shows while that question is still hidden.
    question = page.rindex('<div class="question', 0, free_text)
    assert page.index("data-show-if", question) < free_text < notice


def test_privacy_notice_in_english(anonymous, office, survey):
    text = text_of(anonymous.get(URL, {"jezyk": "en"}).content.decode())
    assert "Controller of the data: Urząd Miasta Testowo" in text
    assert "Data protection officer: iod@testowo.example" in text
    assert "Legal basis: Article 6(1)(e) GDPR" in text


def test_privacy_notice_without_a_dpo_points_to_the_office(anonymous, office, survey):
    office.dpo_email = ""
    office.save()
    text = text_of(anonymous.get(URL).content.decode())
    assert "Inspektor ochrony danych: kontakt za pośrednictwem urzędu" in text


def test_privacy_notice_is_beside_the_suggestions_box_on_the_last_page(anonymous, office, survey):
    token = token_from(anonymous.get(URL).content.decode())
    page = anonymous.post(URL, {"token": token, "page": 1, **PAGE1}).content.decode()
    assert "Strona 2 z 2" in page
    assert page.index('name="suggestion"') < page.index('id="rodo-title"')


# --- the thank-you page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("pl", ["Karty usług", "Strona internetowa urzędu", "Biuletyn Informacji Publicznej"]),
        ("en", ["Service cards", "The office's website", "Public Information Bulletin"]),
    ],
)
def test_thanks_page_links_to_the_cards_the_website_and_bip(anonymous, office, lang, labels):
    page = anonymous.get(reverse("ankieta:thanks"), {"jezyk": lang}).content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    links = [
        (href, text_of(label).strip())
        for href, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', main, flags=re.S)
    ]
    assert [href for href, _ in links] == [
        "https://bip.testowo.example/karty-uslug/",
        "https://www.testowo.example/",
        "https://bip.testowo.example/",
    ]
    for (_, text), label in zip(links, labels, strict=True):
        assert text.startswith(label)


def test_thanks_page_without_addresses_has_no_empty_list(anonymous, db):
    Office.objects.create(name="Urząd", city="X")
    page = anonymous.get(reverse("ankieta:thanks")).content.decode()
    assert "next-links" not in page


# --- the footer ---------------------------------------------------------------------------


def test_every_public_page_has_the_office_contact_in_its_footer(anonymous, office, survey, desk_a):
    for name, page in public_pages(anonymous, survey, desk_a).items():
        assert page.count("<footer") == 1, name
        footer = text_of(page[page.index("<footer") : page.index("</footer>")])
        for fact in [
            "Urząd Miasta Testowo",
            "ul. Rynek 1, 00-001 Testowo",
            "Telefon: 22 123 45 67",
            "E-mail: urzad@testowo.example",
            "Godziny pracy: pon.–pt. 8:00–16:00",
        ]:
            assert fact in footer, (name, fact)


def test_footer_in_english_uses_the_english_opening_hours(anonymous, office, survey):
    page = anonymous.get(URL, {"jezyk": "en"}).content.decode()
    footer = text_of(page[page.index("<footer") : page.index("</footer>")])
    assert "Opening hours: Mon–Fri 8:00–16:00" in footer
    assert "Phone: 22 123 45 67" in footer


def test_the_web_form_footer_links_out_but_the_tablet_never_does(anonymous, office, survey, desk_a):
    web = anonymous.get(URL).content.decode()
    web_footer = web[web.index("<footer") : web.index("</footer>")]
    assert 'href="https://www.testowo.example/"' in web_footer
    assert 'href="tel:221234567"' in web_footer
    for page in [
        anonymous.get(kiosk_url(desk_a)).content.decode(),
        anonymous.get(
            reverse("ankieta:kiosk_thanks", args=["karty-uslug", desk_a.kiosk_key])
        ).content.decode(),
    ]:
        # A link on a shared tablet would take the next client out of the survey.
        assert not re.findall(r'href="(?:https?:|mailto:|tel:)', page)
        assert "urzad@testowo.example" in page


# --- the desk tablet offers its unit's cards ---------------------------------------------


@pytest.fixture
def card_b2(unit_b):
    card = ServiceCardFactory(code="B-02", unit=unit_b)
    ServiceCardRevisionFactory(card=card, number=1)
    return card


def offered(page: str) -> set[str]:
    return set(re.findall(r'<option value="([A-Z]-\d+)"', page))


def test_kiosk_of_a_desk_in_unit_a_lists_only_unit_a_cards(
    anonymous, survey, card_a, card_b, card_b2, desk_a
):
    assert offered(anonymous.get(kiosk_url(desk_a)).content.decode()) == {"A-01"}
    assert offered(anonymous.get(URL).content.decode()) == {"A-01", "B-01", "B-02"}


def test_kiosk_lists_the_cards_of_units_under_the_desks_unit(
    anonymous, survey, card_a, card_b, unit_a, unit_b, desk_a
):
    unit_b.parent = unit_a
    unit_b.save()
    assert offered(anonymous.get(kiosk_url(desk_a)).content.decode()) == {"A-01", "B-01"}


def test_kiosk_refuses_another_units_card(anonymous, survey, card_a, card_b, desk_a):
    url = kiosk_url(desk_a)
    token = token_from(anonymous.get(url).content.decode())
    reply = anonymous.post(url, {"token": token, "page": 1, **PAGE1, "q_service": "B-01"})
    assert reply.status_code == 422
    assert Response.objects.count() == 0


def test_kiosk_of_a_unit_without_cards_offers_the_whole_catalogue(
    anonymous, survey, card_a, desk_b
):
    assert offered(anonymous.get(kiosk_url(desk_b)).content.decode()) == {"A-01"}


def test_qr_link_of_a_desk_still_offers_every_card(anonymous, survey, card_a, card_b, desk_a):
    page = anonymous.get(URL, {"kanal": "qr", "stanowisko": desk_a.code}).content.decode()
    assert offered(page) == {"A-01", "B-01"}


# --- icon and description -----------------------------------------------------------------


def test_favicon_is_served_at_the_root(anonymous):
    response = anonymous.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert anonymous.post("/favicon.ico").status_code == 405


def test_public_pages_name_their_icon_and_describe_themselves(anonymous, office, survey, desk_a):
    for name, page in public_pages(anonymous, survey, desk_a).items():
        assert re.search(r'<link rel="icon" href="[^"]*surveys/favicon\.ico"', page), name
        description = re.search(r'<meta name="description" content="([^"]+)">', page)
        assert description and "Urząd Miasta Testowo" in description.group(1), name
