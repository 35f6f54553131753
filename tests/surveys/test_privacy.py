"""Personal data in free text is found and masked (surveys.privacy: pure functions)."""

import pytest

from surveys import privacy

# Checksums worked by hand: PESEL weights 1 3 7 9 1 3 7 9 1 3, the last digit makes the
# sum end in 0; ID cards: letters A=10 … Z=35, weights 7 3 1 [check] 7 3 1 7 3.
VALID_PESEL = "44051401458"
VALID_PESEL_2 = "02070803628"
INVALID_PESEL = "44051401459"  # the last digit off by one
VALID_ID_CARD = "ABS123456"
VALID_ID_CARD_2 = "ABA300000"
INVALID_ID_CARD = "ABS223456"


# --- PESEL --------------------------------------------------------------------------


@pytest.mark.parametrize("number", [VALID_PESEL, VALID_PESEL_2])
def test_a_pesel_with_a_valid_checksum_is_valid(number):
    assert privacy.pesel_is_valid(number)


@pytest.mark.parametrize(
    "number", [INVALID_PESEL, "12345678901", "4405140145", "440514014580", "4405140145a", ""]
)
def test_anything_else_is_not_a_pesel(number):
    assert not privacy.pesel_is_valid(number)


def test_a_valid_pesel_in_a_comment_is_masked():
    text = f"Mój PESEL to {VALID_PESEL}, proszę o kontakt."
    assert privacy.mask(text) == "Mój PESEL to [PESEL], proszę o kontakt."


def test_eleven_digits_with_a_wrong_checksum_are_left_alone():
    text = f"Numer sprawy {INVALID_PESEL} nadal otwarty."
    assert privacy.mask(text) == text
    assert privacy.find(text) == []


def test_a_pesel_inside_a_longer_number_is_not_one():
    assert privacy.mask(f"1{VALID_PESEL}") == f"1{VALID_PESEL}"


# --- ID cards -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [VALID_ID_CARD, VALID_ID_CARD_2, "abs123456", "ABS 123456"])
def test_an_id_card_number_with_a_valid_checksum_is_valid(number):
    assert privacy.id_card_is_valid(number)


@pytest.mark.parametrize("number", [INVALID_ID_CARD, "AB1234567", "ABCD12345", "ĄBS123456"])
def test_anything_else_is_not_an_id_card_number(number):
    assert not privacy.id_card_is_valid(number)


@pytest.mark.parametrize("written", [VALID_ID_CARD, "abs123456", "ABS 123456"])
def test_an_id_card_number_is_masked(written):
    assert privacy.mask(f"dowód {written} zgubiony") == "dowód [nr dowodu] zgubiony"


def test_an_id_card_number_with_a_wrong_checksum_is_left_alone():
    text = f"Symbol {INVALID_ID_CARD} na wniosku."
    assert privacy.mask(text) == text


# --- phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "600123456",
        "600 123 456",
        "600-123-456",
        "600.123.456",
        "+48 600 123 456",
        "+48600123456",
        "+48 600-123-456",
        "0048 600 123 456",
        "(+48) 600 123 456",
        "22 123 45 67",
        "(22) 123 45 67",
        "601 - 222 - 333",
    ],
)
def test_polish_phone_numbers_in_several_formats_are_masked(phone):
    assert privacy.mask(f"Proszę dzwonić: {phone}.") == "Proszę dzwonić: [telefon]."


@pytest.mark.parametrize(
    "text",
    [
        "Czekałem 45 minut w kolejce nr 12.",
        "Wizyta 2026-05-10 o 12:30.",
        "Kwota 1 000 000 000 zł to przesada",  # no Polish number starts with 0
        "Konto 12 3456 7890 1234 5678 9012 3456",  # account numbers are not phones
        "Kod 12345678",  # 8 digits
    ],
)
def test_other_numbers_are_not_phone_numbers(text):
    assert privacy.mask(text) == text


# --- e-mail addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["jan.kowalski@example.com", "a+b@poczta.onet.pl", "łukasz.żak@wp.pl", "x_y-z@urzad.gov.pl"],
)
def test_e_mail_addresses_are_masked(address):
    assert privacy.mask(f"Pisałem na {address} bez odpowiedzi") == (
        "Pisałem na [e-mail] bez odpowiedzi"
    )


# --- names after a title --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Pani Kowalska była bardzo pomocna", "Pani [nazwisko] była bardzo pomocna"),
        ("Dziękuję Panu Nowakowi za pomoc", "Dziękuję Panu [nazwisko] za pomoc"),
        ("Obsługiwała mnie Pani Anna Kowalska.", "Obsługiwała mnie Pani [nazwisko]."),
        ("Proszę przekazać Panią Zofię", "Proszę przekazać Panią [nazwisko]"),
        ("Rozmawiałem z Pana Wiśniewskiego szefem", "Rozmawiałem z Pana [nazwisko] szefem"),
        ("pani Żółkiewska i pan Łęcki", "pani [nazwisko] i pan [nazwisko]"),
        ("Pani Nowak-Kowalska pomogła", "Pani [nazwisko] pomogła"),
        ("Pani Kowalska, pani Nowak", "Pani [nazwisko], pani [nazwisko]"),
    ],
)
def test_a_capitalised_name_after_pan_or_pani_is_masked(text, masked):
    assert privacy.mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Pani z okienka była miła",  # no name
        "pan w szatni pomógł",
        "Panorama miasta na stronie",  # not a title
        "Proszę Pana, to niedopuszczalne",  # no name after the title
    ],
)
def test_a_title_without_a_capitalised_name_is_left_alone(text):
    assert privacy.mask(text) == text


# --- text without personal data, Polish letters, idempotence --------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Dziękuję",
        "Zażółć gęślą jaźń — ŻÓŁW, ĆMA, ŚLIMAK, ŹREBIĘ, ŁĄKA, ŃÓ.",
        "Brak wzoru wniosku o dowód osobisty; opłata 30 zł, termin 30 dni.",
        "W karcie usługi brakuje informacji o trybie odwoławczym (art. 127 KPA).",
    ],
)
def test_text_without_personal_data_is_unchanged(text):
    assert privacy.mask(text) == text
    assert not privacy.has_personal_data(text)


def test_everything_in_one_comment_with_polish_letters_around_it():
    text = (
        f"Pani Kowalska (tel. +48 600 123 456, e-mail k.kowalska@urząd.pl) zgubiła mój "
        f"dowód {VALID_ID_CARD}; PESEL {VALID_PESEL}. Dziękuję — Łódź, żółć."
    )
    masked = privacy.mask(text)
    assert masked == (
        "Pani [nazwisko] (tel. [telefon], e-mail [e-mail]) zgubiła mój dowód [nr dowodu]; "
        "PESEL [PESEL]. Dziękuję — Łódź, żółć."
    )
    assert [f.kind for f in privacy.find(text)] == ["email", "pesel", "id_card", "phone", "name"]
    assert privacy.mask(masked) == masked  # idempotent


# --- the coordinator's hand masking ---------------------------------------------------


def test_words_listed_by_hand_are_masked_wherever_they_occur():
    text = "Urzędniczka Ania z okienka 3 i ania z recepcji"
    assert privacy.split_words("Ania, okienka 3\nrecepcji; ") == ["Ania", "okienka 3", "recepcji"]
    assert privacy.mask_words(text, ["Ania", "okienka 3"]) == (
        "Urzędniczka […] z […] i […] z recepcji"
    )
    assert privacy.missing_words(text, ["ania", "Basia"]) == ["Basia"]


def test_a_hand_edited_text_is_masked_again_on_the_way_out():
    assert privacy.shown_text("oryginał", f"poprawione, PESEL {VALID_PESEL}") == (
        "poprawione, PESEL [PESEL]"
    )
    assert privacy.shown_text("  tel. 600123456  ") == "tel. [telefon]"


# --- the privacy notice on the public form says the rule ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "pl",
            [
                "czyta wyłącznie koordynator ds. jakości",
                "co najmniej 10 osób",
                "dane osobowe (np. numery PESEL",
                "dopiero po zakończeniu okresu badania",
                "nigdy adresu IP, danych urządzenia ani przeglądarki, godziny",
            ],
        ),
        (
            "en",
            [
                "read only by the office's quality coordinator",
                "groups of at least 10 people",
                "personal data found in them",
                "only after the survey period",
                "never your IP address, your device's or browser's details, the time of day",
            ],
        ),
    ],
)
def test_the_privacy_notice_says_who_reads_what(survey, language, sentences):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language):
        notice = render_to_string("surveys/_rodo.html", {"version": survey.active_version})
    for sentence in sentences:
        assert sentence in notice.replace("&#x27;", "'"), sentence


def test_a_response_stores_no_time_ip_or_device_data():
    """What the notice promises, checked against the model: a date, never a time."""
    from django.db import models

    from surveys.models import Response

    fields = {field.name: field for field in Response._meta.get_fields()}
    assert type(fields["submitted_on"]) is models.DateField
    assert not any(isinstance(f, models.DateTimeField) for f in fields.values())
    assert not {"ip", "ip_address", "user_agent", "referrer", "session"} & set(fields)
