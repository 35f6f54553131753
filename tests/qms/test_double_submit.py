"""Every staff form that creates something creates it once, however often the same page is
sent (double click, Back + resend): a one-time key from the page, claimed in qms.FormKey
in the same transaction as the row, kept for good (not purged like survey tokens)."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from qms.models import FormKey, ServiceCardRevision
from review.models import Cycle, Standard
from surveys.models import (
    Desk,
    ObservationRound,
    PaperBatch,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    StaffObservation,
)
from surveys.services import questionnaire_install_default, version_create_draft
from surveys.tasks import purge_submission_tokens
from workflows.models import Nonconformity


def once_from(page: str, name: str = "once") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, "the page carries no one-time key"
    return match.group(1)


def send_twice(client, get_url: str, post_url: str, data: dict):
    key = once_from(client.get(get_url).content.decode())
    first = client.post(post_url, {**data, "once": key})
    assert first.status_code == 302, first.content.decode()[:2000]
    return client.post(post_url, {**data, "once": key}, follow=True)


SAVED_ONCE = "wysłany już wcześniej"


@pytest.fixture
def survey(card_a):
    return questionnaire_install_default()


def _observation(ctx):
    return (
        "staff",
        "/surveys/observations/",
        "/surveys/observations/",
        {
            "card": ctx["card_a"].pk,
            "kind": "document_error",
            "summary": "Brak podpisu",
            "frequency": "3",
            "period": "week",
        },
        StaffObservation.objects.count,
    )


def _batch(ctx):
    desk = Desk.objects.create(code="A-1", name="Stanowisko A1", unit=ctx["unit_a"])
    return (
        "staff",
        "/surveys/paper/",
        "/surveys/paper/",
        {
            "version": ctx["survey"].active_version.pk,
            "desk": desk.pk,
            "collected_on": timezone.localdate().isoformat(),
            "declared_count": "5",
        },
        PaperBatch.objects.count,
    )


def _round(ctx):
    return (
        "coordinator",
        "/surveys/rounds/",
        "/surveys/rounds/",
        {"title": "Runda", "due_on": "2030-01-01"},
        ObservationRound.objects.count,
    )


def _questionnaire(ctx):
    return (
        "coordinator",
        "/surveys/questionnaires/new/",
        "/surveys/questionnaires/new/",
        {"slug": "kasa", "title_pl": "Ankieta kasy", "title_en": "Cashier survey"},
        Questionnaire.objects.count,
    )


def _draft(ctx):
    return (
        "coordinator",
        "/surveys/versions/",
        "/surveys/versions/new/",
        {"questionnaire": ctx["survey"].pk, "copy_from": ctx["survey"].active_version.pk},
        QuestionnaireVersion.objects.count,
    )


def _question(ctx):
    draft = version_create_draft(
        questionnaire=ctx["survey"], copy_from=ctx["survey"].active_version
    )
    url = f"/surveys/versions/{draft.pk}/questions/new/"
    return (
        "coordinator",
        url,
        url,
        {
            "key": "queue_app",
            "page": "2",
            "kind": "single",
            "text_pl": "Czy korzystał(a) Pan(i) z aplikacji kolejkowej?",
            "text_en": "Did you use the queue app?",
            "max_length": "1000",
            "choices_text": "yes | Tak | Yes\nno | Nie | No",
        },
        Question.objects.count,
    )


def _standard(ctx):
    return (
        "coordinator",
        "/review/standards/new/",
        "/review/standards/new/",
        {
            "name_pl": "Przydatność",
            "kind": Standard.Kind.SHARE_AT_LEAST,
            "key": "card_useful",
            "target": "0.8",
            "minimum_sample": "30",
            "severity": "minor",
            "is_active": "on",
        },
        Standard.objects.count,
    )


def _cycle(ctx):
    year = 2031
    return (
        "coordinator",
        "/review/cycles/new/",
        "/review/cycles/new/",
        {
            "year": str(year),
            "version": ctx["survey"].active_version.pk,
            "survey_opens_on": f"{year}-01-01",
            "survey_closes_on": f"{year}-07-31",
            "observations_due_on": f"{year}-07-31",
            "analysis_due_on": f"{year}-08-30",
            "catalogue_due_on": f"{year}-10-31",
            "reminder_days": "14,7,1",
            "acknowledgement_days": "10",
        },
        Cycle.objects.count,
    )


def _revision(ctx):
    url = f"/catalogue/cards/{ctx['card_a'].pk}/publish/"
    return (
        "head_a",
        url,
        url,
        {
            "required_documents": "Wniosek",
            "fees": "Bezpłatnie",
            "time_limit": "7 dni",
            "where_to_apply": "pokój 5",
            "legal_basis": "Ustawa",
            "appeal_route": "Brak",
            "change_note": "Dodano wzór wniosku",
        },
        ServiceCardRevision.objects.count,
    )


def _nonconformity(ctx):
    return (
        "coordinator",
        "/nonconformities/new/",
        "/nonconformities/new/",
        {
            "title": "Podwójny klik",
            "description": "x",
            "source": "audit",
            "severity": "minor",
            "unit": ctx["unit_a"].pk,
        },
        Nonconformity.objects.count,
    )


FORMS = {
    "observation": _observation,
    "paper batch": _batch,
    "observation round": _round,
    "questionnaire": _questionnaire,
    "draft version": _draft,
    "question": _question,
    "quality standard": _standard,
    "review cycle": _cycle,
    "card revision": _revision,
    "nonconformity": _nonconformity,
}


@pytest.fixture
def ctx(cast, survey, card_a, unit_a):
    return {**cast, "survey": survey, "card_a": card_a, "unit_a": unit_a}


@pytest.mark.parametrize("form", FORMS)
def test_a_page_sent_twice_creates_once_and_says_so(ctx, client_for, form):
    who, get_url, post_url, data, count = FORMS[form](ctx)
    client = client_for(ctx[who])
    before = count()
    again = send_twice(client, get_url, post_url, data)
    assert count() == before + 1
    assert again.status_code == 200
    assert SAVED_ONCE in again.content.decode()


@pytest.mark.parametrize("form", ["observation", "nonconformity"])
def test_the_guard_outlives_the_survey_token_purge(ctx, client_for, form):
    who, get_url, post_url, data, count = FORMS[form](ctx)
    client = client_for(ctx[who])
    before = count()
    key = once_from(client.get(get_url).content.decode())
    assert client.post(post_url, {**data, "once": key}).status_code == 302
    later = timezone.now() + datetime.timedelta(days=60)
    with time_machine.travel(later, tick=False):
        purge_submission_tokens()
        client.force_login(ctx[who])
        client.post(post_url, {**data, "once": key})
    assert count() == before + 1
    assert FormKey.objects.filter(key__endswith=key).count() == 1


def test_a_refused_send_keeps_the_key_free_for_the_corrected_page(ctx, client_for):
    """A refused send (bad input) leaves the key unclaimed: fixing the page and
    sending it again with the same key creates the row."""
    client = client_for(ctx["coordinator"])
    page = client.get("/review/standards/new/").content.decode()
    key = once_from(page)
    _who, _get, url, data, count = FORMS["quality standard"](ctx)
    before = count()
    refused = client.post(url, {**data, "key": "card_usefull", "once": key})
    assert refused.status_code == 200 and count() == before
    assert client.post(url, {**data, "once": key}).status_code == 302
    assert count() == before + 1


def test_two_users_never_share_a_key(ctx, client_for):
    """The claimed key names the user: another person sending a page with the same random
    part (a copied URL, a shared template) is not refused as a double send."""
    _who, get_url, post_url, data, count = FORMS["observation"](ctx)
    first = client_for(ctx["staff"])
    key = once_from(first.get(get_url).content.decode())
    before = count()
    assert first.post(post_url, {**data, "once": key}).status_code == 302
    assert client_for(ctx["head_a"]).post(post_url, {**data, "once": key}).status_code == 302
    assert count() == before + 2


def test_a_service_refusal_releases_the_key_with_everything_else(ctx, client_for):
    """batch_open refuses a collection date in the future inside the claiming transaction:
    the key is rolled back with it, so the corrected page goes through."""
    _who, get_url, post_url, data, count = FORMS["paper batch"](ctx)
    client = client_for(ctx["staff"])
    key = once_from(client.get(get_url).content.decode())
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    refused = client.post(post_url, {**data, "collected_on": future, "once": key})
    assert refused.status_code == 422 and count() == 0
    assert future in refused.content.decode()  # nothing typed is lost
    assert client.post(post_url, {**data, "once": key}).status_code == 302
    assert count() == 1
