"""The survey API: the same rules as the web form, access as in the staff pages."""

import pytest
from django.test import Client

from qms.models import AuditEntry
from surveys.exports import response_ref
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
        ({"answers": {**API_ANSWERS, "service": ""}}, "answers.service", "Prosimy odpowiedzieć"),
        (
            {"answers": {**API_ANSWERS, "staff_competence": "9"}},
            "answers.staff_competence",
            "poprawną",
        ),
        ({"answers": {**API_ANSWERS, "service": "NO-SUCH"}}, "answers.service", "poprawną"),
        ({"answers": {**API_ANSWERS, "nope": "1"}}, "answers.nope", "Nie ma takiego pytania"),
        (
            {"answers": {**API_ANSWERS, "comments": {"a": 1}}},
            "answers.comments",
            "liczbę albo tekst",
        ),
        ({"answers": [1, 2]}, "answers", "słownik"),
        ({"desk": "X-9"}, "desk", "Nie ma takiego stanowiska"),
        ({"token": "tampered"}, "token", "zbyt długo"),
        ({"token": ""}, "token", "nie może być puste"),
        ({"channel": "paper"}, "channel", "poprawnym wyborem"),
        ({"channel": "kiosk", "desk": "A-1"}, "kiosk_key", "Nie znamy tego kiosku"),
        ({"kiosk_key": "not-a-uuid"}, "kiosk_key", "UUID"),
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
    assert response.json()["errors"]["answers.service"] == ["Please answer this question."]


def test_closed_survey_is_404(anonymous, survey):
    survey.active_version.__class__.objects.update(status="closed")
    response = anonymous.get(URL)
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["Pod tym adresem nie ma otwartej ankiety."]}}
    assert submit(anonymous, {"token": "x", "answers": {}}, lang="en").json() == {
        "errors": {"detail": ["No questionnaire is open at this address."]}
    }


def test_rate_limit_applies_to_the_api(anonymous, survey, settings):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    for expected in (201, 429):
        token = fetch(anonymous)["submission_token"]
        response = submit(anonymous, {"token": token, "answers": API_ANSWERS})
        assert response.status_code == expected
    assert "Zbyt wiele ankiet" in response.json()["errors"]["detail"][0]


def _stored(client):
    token = fetch(client)["submission_token"]
    submit(client, {"token": token, "answers": API_ANSWERS})
    return Response.objects.get()


@pytest.mark.parametrize("who", ["auditor", "head_a", "head_b", "staff"])
def test_single_responses_are_for_the_coordinator_only(cast, client_for, survey, who):
    """The auditor and heads read aggregates like everyone else (card A-01 is unit A's)."""
    _stored(Client())
    client = client_for(cast[who])
    for url in ("/api/v1/responses/", "/api/v1/responses/export/?as=csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "tylko dla koordynatora" in response.json()["errors"]["detail"][0]
    assert not AuditEntry.objects.exists()


def test_staff_endpoints_need_a_login(anonymous):
    for url in ("/api/v1/responses/", "/api/v1/responses/export/"):
        response = anonymous.get(url)
        assert response.status_code == 403
        assert response.json()["errors"]["detail"]


def test_coordinator_reads_responses_by_reference_and_it_is_audited(
    client_for, coordinator, survey
):
    response = _stored(Client())
    listing = client_for(coordinator).get("/api/v1/responses/?channel=web&since=2000-01-01")
    assert listing.status_code == 200
    item = listing.json()["results"][0]
    assert "id" not in item
    assert item["ref"] == response_ref(response) != str(response.pk)
    assert item["service_card"] == "A-01" and item["desk"] is None
    assert item["answers"]["card_missing"] == ["fees", "sample_form"]
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.route, entry.rows) == (
        coordinator,
        AuditEntry.Action.RESPONSE_LIST,
        "/api/v1/responses/",
        1,
    )
    assert entry.params == {"channel": "web", "since": "2000-01-01"}


def test_coordinator_export_is_audited(client_for, coordinator, survey):
    response = _stored(Client())
    export = client_for(coordinator).get("/api/v1/responses/export/?as=csv&labels=1")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert response_ref(response) in export.content.decode("utf-8-sig")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.params, entry.rows) == (
        AuditEntry.Action.RESPONSE_EXPORT,
        {"as": "csv", "labels": "1"},
        1,
    )


def test_listing_is_not_in_order_of_submission(client_for, coordinator, survey):
    for _ in range(12):
        token = fetch(Client())["submission_token"]
        submit(Client(), {"token": token, "answers": API_ANSWERS})
    stored = [response_ref(r) for r in Response.objects.order_by("pk")]

    def listed():
        results = client_for(coordinator).get("/api/v1/responses/").json()["results"]
        return [r["ref"] for r in results]

    refs = listed()
    assert sorted(refs) == sorted(stored)
    assert refs not in (stored, stored[::-1])  # ids count up; the listing must not
    assert listed() == refs  # and pages stay put


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/responses/?channel=nonsense", "channel"),
        ("/api/v1/responses/?channel=", "channel"),
        ("/api/v1/responses/?since=", "since"),
        ("/api/v1/responses/?until=", "until"),
        ("/api/v1/responses/?since=wczoraj", "since"),
        ("/api/v1/responses/?until=20240131", "until"),
        ("/api/v1/responses/?until=2024-02-30", "until"),
        ("/api/v1/responses/?page=abc", "page"),
        ("/api/v1/responses/?page=0", "page"),
        ("/api/v1/responses/?page=1.0", "page"),
        ("/api/v1/responses/export/?labels=AAA", "labels"),
        ("/api/v1/responses/export/?as=pdf", "as"),
        ("/api/v1/responses/export/?as=", "as"),
    ],
)
def test_bad_query_parameters_are_a_400_with_a_message(client_for, coordinator, url, param):
    client = client_for(coordinator)
    polish = client.get(url)
    assert polish.status_code == 400
    assert list(polish.json()["errors"]) == [param]
    english = client.get(url, headers={"Accept-Language": "en"})
    assert english.status_code == 400
    assert english.json()["errors"][param] != polish.json()["errors"][param]
    assert not AuditEntry.objects.exists()


def test_bad_query_messages_in_both_languages(client_for, coordinator, anonymous, survey):
    client = client_for(coordinator)
    assert client.get("/api/v1/responses/?since=").json()["errors"]["since"] == [
        "Użyj formatu daty RRRR-MM-DD."
    ]
    english = client.get("/api/v1/responses/?since=", headers={"Accept-Language": "en"})
    assert english.json()["errors"]["since"] == ["Use the date format YYYY-MM-DD."]
    labels = client.get("/api/v1/responses/export/?labels=AAA").json()["errors"]["labels"]
    assert labels == ['"AAA" nie jest poprawnym wyborem.']
    language = anonymous.get(URL, {"jezyk": "de"}, headers={"Accept-Language": "en"})
    assert language.status_code == 400
    assert language.json()["errors"]["jezyk"] == ['"de" is not a valid choice.']


def test_page_past_the_last_is_a_404(client_for, coordinator):
    response = client_for(coordinator).get("/api/v1/responses/?page=2")
    assert response.status_code == 404 and response.json()["errors"]["detail"]


def test_every_error_has_the_one_shape(anonymous, survey):
    """DRF's own errors too: malformed JSON, a body that is not JSON, a wrong method, an
    address the API does not have."""
    malformed = anonymous.post(f"{URL}responses/", "{", content_type="application/json")
    text = anonymous.post(f"{URL}responses/", "token=x", content_type="text/plain")
    method = anonymous.delete(URL)
    nowhere = anonymous.get("/api/v1/nowhere/")
    no_slash = anonymous.post(f"{URL}responses", {}, content_type="application/json")
    for response, code in ((malformed, 400), (text, 415), (method, 405), (nowhere, 404)):
        assert response.status_code == code
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == ["errors"]
        assert response.json()["errors"]["detail"][0]
    assert no_slash.status_code == 404
    assert method["Allow"] == "GET, HEAD, OPTIONS"


def test_schema_documents_the_endpoints(anonymous):
    schema = anonymous.get("/api/schema/?format=json").json()
    assert {
        "/api/v1/questionnaires/{slug}/",
        "/api/v1/questionnaires/{slug}/responses/",
        "/api/v1/responses/",
        "/api/v1/responses/export/",
    } == set(schema["paths"])
    listing = schema["paths"]["/api/v1/responses/"]["get"]
    assert {"200", "400", "403", "404"} == set(listing["responses"])
    assert "Errors" in schema["components"]["schemas"]
