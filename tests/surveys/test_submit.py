"""submit_response: the one sequence of the public form, kiosk and API — one-time token,
rate limit, the response stored once, the respondent's suggestion."""

import pytest

from surveys.models import Channel, Response, Suggestion
from surveys.services import Submitted, submit_response
from surveys.tokens import new_submission_token
from tests.surveys.test_storage import cleaned

pytestmark = pytest.mark.django_db


def send(version, token, *, address="10.0.0.1", suggestion=""):
    return submit_response(
        version=version,
        token=token,
        answers=cleaned(version),
        channel=Channel.WEB,
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
