"""The public form: anonymous, one response per submission, nothing lost on errors."""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from surveys.models import Answer, QuestionnaireVersion, Response, Suggestion
from surveys.services import questionnaire_install_default, version_create_draft

pytestmark = pytest.mark.django_db

URL = "/ankieta/karty-uslug/"


@pytest.fixture
def survey(card_a):
    return questionnaire_install_default()


def start(client, url=URL, **params):
    page = client.get(url, params).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    return page, token


PAGE1 = {
    "q_service": "A-01",
    "q_card_read": "web",
    "q_card_useful": "yes",
    "q_card_clear": "yes",
    "q_card_complete": "no",
    "q_card_missing": ["fees", "sample_form"],
    "q_card_missing_text": "Brak wzoru wniosku",
}
PAGE2 = {
    "q_settled": "yes",
    "q_staff_competence": "5",
    "q_staff_courtesy": "4",
    "q_plain_language": "na",
    "q_waiting_time": "3",
    "q_comments": "Dziękuję",
}


def submit_all(client, token, **extra):
    first = client.post(URL, {"token": token, "page": 1, **PAGE1, **extra})
    assert first.status_code == 200
    return client.post(URL, {"token": token, "page": 2, **PAGE1, **PAGE2, **extra})


def test_form_renders_in_polish_with_rodo_and_progress(anonymous, survey):
    page, _ = start(anonymous)
    assert "W jakiej sprawie" in page
    assert "Strona 1 z 2" in page
    assert "<fieldset" in page and "<legend" in page
    assert not anonymous.cookies  # no cookies at all on the public form


def test_form_in_english(anonymous, survey):
    page, _ = start(anonymous, jezyk="en")
    assert "What matter did you come to the office about?" in page
    assert 'lang="en"' in page


def test_complete_submission_stores_one_anonymous_response(anonymous, survey, card_a):
    _, token = start(anonymous)
    response = submit_all(anonymous, token)
    assert response.status_code == 302 and "/ankieta/dziekujemy/" in response["Location"]
    stored = Response.objects.get()
    assert stored.channel == "web" and not stored.is_pilot
    assert stored.service_card == card_a
    assert stored.service_revision == card_a.current_revision
    missing = Answer.objects.filter(question__key="card_missing").values_list(
        "choice__value", flat=True
    )
    assert set(missing) == {"fees", "sample_form"}
    assert Answer.objects.get(question__key="plain_language").choice.is_not_applicable
    field_names = {f.name for f in Response._meta.get_fields()}
    assert not field_names & {"ip", "ip_address", "user_agent", "referrer", "created_at"}


def test_double_submit_stores_one_response(anonymous, survey):
    _, token = start(anonymous)
    submit_all(anonymous, token)
    again = anonymous.post(URL, {"token": token, "page": 2, **PAGE1, **PAGE2})
    assert again.status_code == 302
    assert Response.objects.count() == 1


def test_missing_required_answer_keeps_everything_typed(anonymous, survey):
    _, token = start(anonymous)
    data = {**PAGE1, "q_card_read": ""}
    response = anonymous.post(URL, {"token": token, "page": 1, **data})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page and "Prosimy odpowiedzieć na to pytanie." in page
    assert "Brak wzoru wniosku" in page  # typed text kept
    ticked = set(
        re.findall(r'<input type="checkbox" name="q_card_missing" value="(\w+)"[^>]*checked', page)
    )
    assert ticked == {"fees", "sample_form"}  # ticked boxes kept
    assert re.search(r'value="web"[^>]*checked', page) is None  # the emptied answer stays empty
    assert Response.objects.count() == 0


def test_condition_hides_question_and_ignores_its_answer(anonymous, survey):
    _, token = start(anonymous)
    page1 = {
        **PAGE1,
        "q_card_read": "no",
        "q_card_useful": "",
        "q_card_clear": "",
        "q_card_complete": "",
        "q_card_missing_text": "should be dropped",
    }
    assert anonymous.post(URL, {"token": token, "page": 1, **page1}).status_code == 200
    anonymous.post(URL, {"token": token, "page": 2, **page1, **PAGE2})
    assert not Answer.objects.filter(question__key="card_missing_text").exists()
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("q_service", "NO-SUCH-CARD"), ("q_staff_competence", "9"), ("q_card_read", "<script>")],
)
def test_tampered_values_get_a_message_not_a_500(anonymous, survey, field, value):
    _, token = start(anonymous)
    data = {**PAGE1, **PAGE2, field: value}
    page = 2 if field in PAGE2 else 1
    response = anonymous.post(URL, {"token": token, "page": page, **data})
    assert response.status_code == 422
    assert Response.objects.count() == 0


def test_tampered_token_keeps_answers_and_asks_to_resend(anonymous, survey):
    start(anonymous)
    response = anonymous.post(URL, {"token": "forged", "page": 2, **PAGE1, **PAGE2})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Dziękuję" in page and "Formularz był otwarty zbyt długo" in page
    assert Response.objects.count() == 0
    # The page carries a fresh token: sending it again stores the response.
    fresh = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert fresh != "forged"
    again = anonymous.post(URL, {"token": fresh, "page": 2, **PAGE1, **PAGE2})
    assert again.status_code == 302 and Response.objects.count() == 1


def test_free_text_length_limit(anonymous, survey):
    _, token = start(anonymous)
    response = anonymous.post(
        URL, {"token": token, "page": 2, **PAGE1, **PAGE2, "q_comments": "x" * 2001}
    )
    assert response.status_code == 422
    assert Response.objects.count() == 0


def test_honeypot_stores_nothing_but_looks_successful(anonymous, survey):
    _, token = start(anonymous)
    response = submit_all(anonymous, token, website="http://spam.example")
    assert response.status_code == 302
    assert Response.objects.count() == 0


def test_rate_limit_per_address_is_kept_in_the_cache_only(anonymous, survey, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    for _ in range(2):
        _, token = start(anonymous)
        assert submit_all(anonymous, token).status_code == 302
    _, token = start(anonymous)
    assert submit_all(anonymous, token).status_code == 429
    assert Response.objects.count() == 2


@pytest.mark.parametrize(
    ("lang", "message"),
    [("pl", "Z tego połączenia wysłano"), ("en", "Too many surveys have been sent")],
)
def test_rate_limited_reply_keeps_every_answer_and_says_why(
    anonymous, survey, settings, lang, message
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    _, token = start(anonymous)
    submit_all(anonymous, token)
    _, token = start(anonymous)
    reply = submit_all(anonymous, token, jezyk=lang)
    assert reply.status_code == 429
    page = reply.content.decode()
    assert message in page and 'id="error-summary"' in page
    assert "Dziękuję" in page  # the comment typed on page 2
    assert 'value="fees"' in page and 'value="Brak wzoru wniosku"' in page  # page 1, carried
    assert re.search(r'name="q_staff_competence" value="5"[^>]*checked', page)
    assert f'name="token" value="{token}"' in page  # unused: the same page can be resent
    assert Response.objects.count() == 1


def _xff_client(xff: str, remote: str = "10.0.0.1"):
    from django.test import Client

    return Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=xff)


def test_without_trusted_proxies_the_rate_limit_ignores_x_forwarded_for(survey, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    settings.TRUSTED_PROXY_COUNT = 0
    first, second = _xff_client("203.0.113.1"), _xff_client("203.0.113.2")
    assert submit_all(first, start(first)[1]).status_code == 302
    # Same REMOTE_ADDR: a header anyone can send does not buy a fresh allowance.
    assert submit_all(second, start(second)[1]).status_code == 429


def test_behind_a_trusted_proxy_the_rate_limit_counts_each_client(survey, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy (10.0.0.1) appends the address it saw; what the client sent stays left.
    first = _xff_client("203.0.113.1")
    second = _xff_client("203.0.113.2")
    forged = _xff_client("198.51.100.7, 203.0.113.1")  # client 1 claiming another address
    assert submit_all(first, start(first)[1]).status_code == 302
    assert submit_all(second, start(second)[1]).status_code == 302
    assert submit_all(forged, start(forged)[1]).status_code == 429
    assert Response.objects.count() == 2


def test_closed_or_not_yet_open_survey(anonymous, survey):
    version = survey.active_version
    version.opens_on = version.opens_on.replace(year=2999)
    version.save()
    response = anonymous.get(URL)
    assert response.status_code == 404
    assert "nie jest obecnie otwarta" in response.content.decode()


def test_qr_link_prefills_channel_desk_and_service(anonymous, survey, card_a, unit_a):
    from surveys.models import Desk

    Desk.objects.create(code="bok-1", name="Stanowisko 1", unit=unit_a)
    page, token = start(anonymous, kanal="qr", stanowisko="bok-1", usluga="A-01")
    assert 'value="A-01" selected' in page
    anonymous.post(URL, {"token": token, "page": 1, "kanal": "qr", "stanowisko": "bok-1", **PAGE1})
    anonymous.post(
        URL, {"token": token, "page": 2, "kanal": "qr", "stanowisko": "bok-1", **PAGE1, **PAGE2}
    )
    stored = Response.objects.get()
    assert (stored.channel, stored.desk.code) == ("qr", "bok-1")


def test_pilot_responses_are_kept_apart(anonymous, survey):
    from surveys.services import version_start_pilot

    draft = version_create_draft(questionnaire=survey, copy_from=survey.active_version)
    version_start_pilot(version=draft)
    url = reverse("ankieta:pilot", args=[draft.pilot_token])
    page = anonymous.get(url).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    anonymous.post(url, {"token": token, "page": 1, **PAGE1})
    anonymous.post(
        url,
        {"token": token, "page": 2, **PAGE1, **PAGE2, "suggestion": "Dodajcie pytanie o parking"},
    )
    stored = Response.objects.get()
    assert stored.is_pilot and stored.version == draft
    assert Suggestion.objects.get().is_pilot
    assert draft.status == QuestionnaireVersion.Status.PILOT


def test_back_from_page_two_shows_page_one_with_answers_and_no_errors(anonymous, survey):
    _, token = start(anonymous)
    anonymous.post(URL, {"token": token, "page": 1, **PAGE1})
    response = anonymous.post(
        URL, {"token": token, "page": 2, "back": "1", **PAGE1, "q_comments": "Zostanie"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Strona 1 z 2" in page and 'id="error-summary"' not in page
    assert "Brak wzoru wniosku" in page  # page 1 answer shown again
    assert 'name="q_comments" value="Zostanie"' in page  # page 2 answer carried, not lost
    assert Response.objects.count() == 0


def test_switching_language_keeps_the_answers(anonymous, survey):
    _page, token = start(anonymous)
    response = anonymous.post(
        URL, {"token": token, "page": 1, "jezyk": "en", "switch_language": "1", **PAGE1}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Page 1 of 2" in html and 'id="error-summary"' not in html
    web = re.search(r'<input[^>]*name="q_card_read"[^>]*value="web"[^>]*>', html).group(0)
    assert "checked" in web
    assert 'value="Brak wzoru wniosku"' in html or "Brak wzoru wniosku</textarea>" in html


def test_revision_in_force_on_the_day_is_recorded(anonymous, survey, card_a):
    import datetime

    from django.utils import timezone

    from tests.factories import ServiceCardRevisionFactory

    today = timezone.localdate()
    in_force = ServiceCardRevisionFactory(card=card_a, number=2, published_on=today)
    ServiceCardRevisionFactory(card=card_a, number=3, published_on=today + datetime.timedelta(1))
    _, token = start(anonymous)
    submit_all(anonymous, token)
    assert Response.objects.get().service_revision == in_force


def test_a_closed_version_stops_taking_answers_at_once(anonymous, survey):
    from surveys.services import version_close

    _, token = start(anonymous)  # the open version is now remembered by this process
    version_close(version=survey.active_version)
    assert anonymous.get(URL).status_code == 404
    assert submit_all_status(anonymous, token) == 404
    assert Response.objects.count() == 0


def submit_all_status(client, token) -> int:
    return client.post(URL, {"token": token, "page": 2, **PAGE1, **PAGE2}).status_code


def test_frozen_version_fields_are_not_shared_between_forms(survey):
    from surveys.forms import ResponseForm

    version = survey.active_version
    first = ResponseForm(version=version, page=1)
    first.fields["q_settled"].label = "changed"
    first.fields["q_settled"].choices = []
    second = ResponseForm(version=version, page=1)
    assert second.fields["q_settled"].label != "changed"
    assert second.fields["q_settled"].choices


def test_field_labels_follow_the_language_of_each_request(anonymous, survey):
    english = anonymous.get(URL, {"jezyk": "en"}).content.decode()
    assert "What matter did you come" in english
    polish = anonymous.get(URL).content.decode()
    assert "W jakiej sprawie" in polish and "What matter did you come" not in polish


# --- the service search box and the error summary (issue 14, item 6) ----------------------

CSS = Path(__file__).resolve().parents[2] / "surveys/static/surveys/public.css"


def css_rule(selector: str) -> dict[str, str]:
    """The declarations of the rule whose selector list is exactly `selector`."""
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS.read_text()):
        names = {s.strip() for s in re.sub(r"/\*.*?\*/", "", selectors, flags=re.S).split(",")}
        if selector in names:
            pairs = (d.split(":", 1) for d in body.split(";") if ":" in d)
            return {k.strip(): v.strip() for k, v in pairs}
    raise AssertionError(f"no CSS rule for {selector}")


def css_px(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(px|rem|em)", value)
    assert found, value
    number, unit = found.groups()
    return float(number) * (1 if unit == "px" else 16)


def service_question(page: str) -> str:
    """The service question's markup: from its label to the end of its <select>."""
    start = page.index('id="id_q_service-label"')
    return page[start : page.index("</select>", start)]


def test_service_search_box_has_phone_sized_text_and_a_44px_target(anonymous, survey):
    rule = css_rule(".field-search")
    assert css_px(rule["font-size"]) >= 16  # iPhones zoom into inputs with smaller text
    assert css_px(rule["min-height"]) >= 44
    assert rule["width"] == "100%"
    box = re.search(r'<input type="search"[^>]*>', start(anonymous)[0]).group(0)
    assert 'class="field-search"' in box and 'id="id_q_service-filter"' in box


def test_service_question_has_one_hint(anonymous, survey):
    question = service_question(start(anonymous)[0])
    assert question.count('class="hint"') == 1
    assert "Wybierz usługę z katalogu" in question
    assert "wpisz fragment" not in question  # the search box's label is no second hint


def test_error_summary_reads_question_colon_message(anonymous, survey):
    _, token = start(anonymous)
    page = anonymous.post(URL, {"token": token, "page": 1}).content.decode()
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index("<ul"))]
    lines = [
        re.sub(r"\s+", " ", html.unescape(line))
        for line in re.findall(r"<a href=\"#[^\"]+\">(.*?)</a>", summary, flags=re.S)
    ]
    assert lines == [
        "W jakiej sprawie była Pani / był Pan w urzędzie: Prosimy odpowiedzieć na to pytanie.",
        "Czy przed załatwieniem sprawy zapoznał(a) się Pan/Pani z kartą usługi: "
        "Prosimy odpowiedzieć na to pytanie.",
    ]
    assert "?:" not in summary


def test_error_summary_in_english_has_no_question_mark_before_the_colon(anonymous, survey):
    _, token = start(anonymous)
    page = anonymous.post(URL, {"token": token, "page": 1, "jezyk": "en"}).content.decode()
    assert "What matter did you come to the office about: Please answer this question." in page
    assert "?:" not in page


def test_the_plain_language_question_fits_its_rating_scale(survey):
    question = survey.active_version.questions.get(key="plain_language")
    assert question.kind == "likert"
    assert question.text_pl.startswith("Jak ocenia Pan/Pani")
    assert question.text_en.startswith("How would you rate")


def test_a_new_default_wording_leaves_an_installed_version_as_it_was(survey, monkeypatch):
    from surveys import default_questionnaire

    question = survey.active_version.questions.get(key="plain_language")
    spec = next(q for q in default_questionnaire.QUESTIONS if q["key"] == "plain_language")
    monkeypatch.setitem(spec, "pl", "Inne brzmienie?")
    assert questionnaire_install_default() == survey  # installed once: nothing re-created
    question.refresh_from_db()
    assert question.text_pl != "Inne brzmienie?"
