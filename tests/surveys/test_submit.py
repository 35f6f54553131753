"""submit_response: the one sequence of the public form, kiosk, API and paper entry —
one-time token, rate limit, the response stored once, the respondent's suggestion."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from surveys.models import (
    Answer,
    Channel,
    Choice,
    PaperBatch,
    Response,
    Suggestion,
    UsedSubmissionToken,
)
from surveys.services import (
    ResponseSource,
    Submitted,
    batch_close,
    batch_open,
    submit_response,
)
from surveys.tokens import new_submission_token
from tests.surveys.test_storage import cleaned

pytestmark = pytest.mark.django_db

COLLECTED = datetime.date(2026, 11, 2)


def send(version, token, *, address="10.0.0.1", suggestion=""):
    return submit_response(
        version=version,
        token=token,
        answers=cleaned(version),
        source=ResponseSource(channel=Channel.WEB),
        address=address,
        suggestion=suggestion,
    )


def test_a_page_is_stored_once_with_its_suggestion(version, card_a):
    token = new_submission_token(version)
    assert send(version, token, suggestion="Za długa ankieta") == Submitted.STORED
    assert send(version, token, suggestion="Za długa ankieta") == Submitted.ALREADY_STORED
    assert Response.objects.count() == 1
    assert list(Suggestion.objects.values_list("text", flat=True)) == ["Za długa ankieta"]


def test_a_forged_or_foreign_token_stores_nothing(version, card_a):
    assert send(version, "forged") == Submitted.TOKEN_INVALID
    other = version.questionnaire.versions.create(number=99)
    assert send(version, new_submission_token(other)) == Submitted.TOKEN_INVALID
    assert not Response.objects.exists()


def test_over_the_rate_limit_nothing_is_stored_and_the_page_can_be_sent_later(
    version, card_a, settings
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1
    assert send(version, new_submission_token(version)) == Submitted.STORED
    later = new_submission_token(version)
    assert send(version, later) == Submitted.RATE_LIMITED
    assert Response.objects.count() == 1
    # Another address is counted on its own, and no address (an interviewer) never is.
    assert send(version, new_submission_token(version), address="10.0.0.2") == Submitted.STORED
    assert send(version, new_submission_token(version), address=None) == Submitted.STORED
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 100
    assert send(version, later) == Submitted.STORED  # its token was never spent
    assert Response.objects.count() == 4


# --- paper entry: the same sequence, with the batch as the source -------------------


@pytest.fixture
def batch(staff, version, desk_a):
    return batch_open(
        operator=staff, version=version, desk=desk_a, collected_on=COLLECTED, declared_count=2
    )


def send_sheet(batch, sheet, token, *, typist=None, answers=None, suggestion=""):
    version = batch.version
    return submit_response(
        version=version,
        token=token,
        answers=cleaned(version) if answers is None else answers,
        source=ResponseSource.paper(
            batch=batch, sheet_number=sheet, typist=typist or batch.operator
        ),
        address=None,
        suggestion=suggestion,
    )


def test_a_paper_sheet_keeps_its_batch_desk_typist_and_collection_day(
    batch, coordinator, desk_a, card_a
):
    token = new_submission_token(batch.version)
    assert send_sheet(batch, 1, token, typist=coordinator) == Submitted.STORED
    stored = Response.objects.get()
    assert (stored.channel, stored.desk, stored.entered_by, stored.batch, stored.sheet_number) == (
        Channel.PAPER,
        desk_a,
        coordinator,  # whoever typed it, not necessarily the batch's operator
        batch,
        1,
    )
    assert stored.submitted_on == COLLECTED and not stored.is_pilot
    assert stored.service_card == card_a
    assert stored.service_revision == card_a.revision_on(COLLECTED)
    assert stored.answers.count() == 13
    assert UsedSubmissionToken.objects.count() == 1


def test_a_paper_sheet_sent_twice_is_stored_once(batch, card_a):
    token = new_submission_token(batch.version)
    assert send_sheet(batch, 1, token, suggestion="Mało miejsca") == Submitted.STORED
    assert send_sheet(batch, 1, token, suggestion="Mało miejsca") == Submitted.ALREADY_STORED
    # The same screen changed to another sheet number: still that one screen, stored once.
    assert send_sheet(batch, 2, token) == Submitted.ALREADY_STORED
    assert (Response.objects.count(), Answer.objects.count(), Suggestion.objects.count()) == (
        1,
        13,
        1,
    )


def test_a_paper_sheet_carries_its_suggestion_dated_with_the_batch(batch, card_a):
    token = new_submission_token(batch.version)
    assert send_sheet(batch, 1, token, suggestion="  Za mała czcionka ") == Submitted.STORED
    suggestion = Suggestion.objects.get()
    assert (suggestion.version, suggestion.text, suggestion.submitted_on) == (
        batch.version,
        "Za mała czcionka",
        COLLECTED,
    )


def test_a_refused_paper_sheet_stores_nothing_and_keeps_its_token(batch, card_a):
    send_sheet(batch, 1, new_submission_token(batch.version))
    token = new_submission_token(batch.version)
    with pytest.raises(ValidationError) as refused:
        send_sheet(batch, 1, token, suggestion="Nie zapisuj")
    assert "sheet_number" in refused.value.error_dict
    assert (Response.objects.count(), UsedSubmissionToken.objects.count()) == (1, 1)
    assert not Suggestion.objects.exists()
    # The typist corrects the number: the same screen (token) is stored now.
    assert send_sheet(batch, 2, token) == Submitted.STORED

    batch_close(batch=batch, user=batch.operator)
    late = new_submission_token(batch.version)
    with pytest.raises(ValidationError, match="partia jest zamknięta"):
        send_sheet(batch, 3, late)
    assert (Response.objects.count(), UsedSubmissionToken.objects.count()) == (2, 2)


def test_a_batch_closed_after_the_screen_was_loaded_takes_nothing(batch, card_a):
    stale = PaperBatch.objects.get(pk=batch.pk)  # the screen's copy: still open
    batch_close(batch=batch, user=batch.operator, note="Pusta partia")
    with pytest.raises(ValidationError):
        send_sheet(stale, 1, new_submission_token(batch.version))
    assert not Response.objects.exists()


def test_a_paper_sheet_with_a_forged_token_stores_nothing(batch, card_a):
    assert send_sheet(batch, 1, "forged") == Submitted.TOKEN_INVALID
    other = batch.version.questionnaire.versions.create(number=99)
    assert send_sheet(batch, 1, new_submission_token(other)) == Submitted.TOKEN_INVALID
    assert not Response.objects.exists() and not UsedSubmissionToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_paper_sheet_that_cannot_be_stored_leaves_nothing_half_saved(staff, desk_a, card_a):
    from surveys.services import questionnaire_install_default

    version = questionnaire_install_default().active_version
    batch = batch_open(
        operator=staff, version=version, desk=desk_a, collected_on=COLLECTED, declared_count=1
    )
    answers = cleaned(version)
    answers["settled"] = Choice(pk=10**9, value="ghost")  # no such choice: the FK fails
    token = new_submission_token(version)
    with pytest.raises(IntegrityError):
        send_sheet(batch, 1, token, answers=answers, suggestion="Nie zapisuj")
    assert (UsedSubmissionToken.objects.count(), Response.objects.count()) == (0, 0)
    assert (Answer.objects.count(), Suggestion.objects.count()) == (0, 0)
    assert send_sheet(batch, 1, token) == Submitted.STORED  # the same token is still free
    assert Response.objects.get().sheet_number == 1
