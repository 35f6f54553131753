"""The survey API: the same rules as the web form, access as in the staff pages."""

import pytest
from django.test import Client

from surveys.models import Channel, Response, Suggestion

pytestmark = pytest.mark.django_db

URL = "/api/v1/questionnaires/karty-uslug/"

API_ANSWERS = {
    "service": "A-01",
    "card_read": "web",
    "card_useful": "yes",
    "card_clear": "yes",
    "card_complete": "no",
    "card_missing": ["fees", "sample_form"],
    "settled": "yes",
    "staff_competence": "5",
    "staff_courtesy": "4",
    "plain_language": "na",
    "waiting_time": "3",
    "comments": "Dziękuję",
}


def fetch(client, lang="pl"):
    response = client.get(URL, {"jezyk": lang})
    assert response.status_code == 200
    return response.json()


def submit(client, body, lang="pl"):
    return client.post(f"{URL}responses/?jezyk={lang}", body, content_type="application/json")


def test_active_questionnaire_for_kiosk_apps(anonymous, survey):
    body = fetch(anonymous)
    keys = [q["key"] for q in body["version"]["questions"]]
    assert keys[:3] == ["service", "card_read", "card_useful"]
    likert = next(q for q in body["version"]["questions"] if q["key"] == "staff_competence")
    assert {"value": "na", "label": "Nie dotyczy", "not_applicable": True} in likert["choices"]
    assert body["services"][0]["code"] == "A-01"
    assert body["submission_token"]
    english = fetch(anonymous, "en")
    assert english["version"]["questions"][0]["text"].startswith("What")
    assert not anonymous.cookies


def test_submit_stores_one_response(anonymous, survey, desk_a):
    token = fetch(anonymous)["submission_token"]
    body = {
        "token": token,
        "channel": "kiosk",
        "kiosk_key": str(desk_a.kiosk_key),
        "answers": API_ANSWERS,
    }
    first = submit(anonymous, {**body, "suggestion": "Krótsza ankieta"})
    assert first.status_code == 201
    again = submit(anonymous, body)
    assert again.status_code == 200 and again.json()["status"] == "already stored"
    stored = Response.objects.get()
    assert (stored.channel, stored.desk, stored.service_card.code) == (
        Channel.KIOSK,
        desk_a,
        "A-01",
    )
    assert stored.answers.filter(question__key="card_missing").count() == 2
    assert Suggestion.objects.get().text == "Krótsza ankieta"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"answers": {**API_ANSWERS, "service": ""}}, "service", "Prosimy odpowiedzieć"),
        ({"answers": {**API_ANSWERS, "staff_competence": "9"}}, "staff_competence", "poprawną"),
        ({"answers": {**API_ANSWERS, "service": "NO-SUCH"}}, "service", "poprawną"),
        ({"answers": {**API_ANSWERS, "nope": "1"}}, "nope", "Nie ma takiego pytania"),
        ({"desk": "X-9"}, "desk", "Nie ma takiego stanowiska"),
        ({"token": "tampered"}, "token", "zbyt długo"),
        ({"channel": "paper"}, "channel", "poprawnym wyborem"),
        ({"channel": "kiosk", "desk": "A-1"}, "kiosk_key", "Nie znamy tego kiosku"),
    ],
)
def test_bad_input_is_a_clear_400_and_stores_nothing(
    anonymous, survey, desk_a, change, field, message
):
    token = fetch(anonymous)["submission_token"]
    response = submit(anonymous, {"token": token, "answers": API_ANSWERS, **change})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert message in " ".join(errors[field]), errors
    assert not Response.objects.exists()


def test_errors_in_english(anonymous, survey):
    token = fetch(anonymous)["submission_token"]
    response = submit(anonymous, {"token": token, "answers": {"service": ""}}, lang="en")
    assert response.json()["errors"]["service"] == ["Please answer this question."]


def test_closed_survey_is_404(anonymous, survey):
    survey.active_version.__class__.objects.update(status="closed")
    assert anonymous.get(URL).status_code == 404
    assert submit(anonymous, {"token": "x", "answers": {}}).status_code == 404


def test_rate_limit_applies_to_the_api(anonymous, survey, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    for expected in (201, 429):
        token = fetch(anonymous)["submission_token"]
        assert submit(anonymous, {"token": token, "answers": API_ANSWERS}).status_code == expected


def _stored(client):
    token = fetch(client)["submission_token"]
    submit(client, {"token": token, "answers": API_ANSWERS})
    return Response.objects.get()


@pytest.mark.parametrize(
    ("who", "listed", "export"),
    [
        ("coordinator", True, 200),
        ("auditor", True, 200),
        ("head_a", True, 403),  # card A-01 belongs to unit A
        ("head_b", False, 403),
        ("staff", None, 403),
    ],
)
def test_staff_endpoints_follow_the_access_policy(cast, client_for, survey, who, listed, export):
    response = _stored(Client())
    client = client_for(cast[who])
    listing = client.get("/api/v1/responses/")
    if listed is None:
        assert listing.status_code == 403
    else:
        ids = [r["id"] for r in listing.json()["results"]]
        assert (response.pk in ids) is listed
    assert client.get("/api/v1/responses/export/?as=csv").status_code == export


def test_response_detail_in_listing(client_for, coordinator, survey):
    response = _stored(Client())
    item = client_for(coordinator).get("/api/v1/responses/?channel=web").json()["results"][0]
    assert item["id"] == response.pk and item["service_card"] == "A-01"
    assert item["answers"]["card_missing"] == ["fees", "sample_form"]
    bad = client_for(coordinator).get("/api/v1/responses/?since=wczoraj")
    assert bad.status_code == 400


def test_staff_endpoints_need_a_login(anonymous):
    assert anonymous.get("/api/v1/responses/").status_code == 403
    assert anonymous.get("/api/v1/responses/export/").status_code == 403


def test_schema_documents_the_endpoints(anonymous):
    schema = anonymous.get("/api/schema/?format=json").json()
    assert {
        "/api/v1/questionnaires/{slug}/",
        "/api/v1/questionnaires/{slug}/responses/",
        "/api/v1/responses/",
        "/api/v1/responses/export/",
    } <= set(schema["paths"])
