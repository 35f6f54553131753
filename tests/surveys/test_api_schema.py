"""The API keeps its own schema: schemathesis' default checks on every operation, as an
anonymous client and as the quality coordinator, in process over WSGI (no server).

The schema is loaded when this module is collected (schemathesis' lazy
`from_fixture` loader does not run under pytest 9); the data the operations read (an open
questionnaire, a desk, the coordinator) comes from fixtures, per test.
"""

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings

from qms.wsgi import application
from surveys.models import Channel
from surveys.services import response_submit

CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                # A body can match the schema and still be refused: the token must be one
                # the questionnaire endpoint signed, the answers fit this version's
                # questions, the desk and kiosk exist. None of that is in a schema.
                "include-operation-id": "response_submit",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

FAST = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same cases on every run
    database=None,  # no .hypothesis/ examples database in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def _connection_kept_open():
    """Django's WSGI handler closes the database connection after each request
    (`close_old_connections`): inside the test's transaction that would drop it and the
    test's data. Django's test Client unhooks it the same way. (`transaction=True`
    would work too, but its flush also wipes the role groups the migrations create.)"""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(survey, desk_a, card_a, settings, _connection_kept_open):
    """The default questionnaire open at its example slug (karty-uslug) with two
    responses (one at a desk about a card, one with neither: null in the listing), and a
    rate limit the run cannot reach."""
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 1_000_000
    version = survey.active_version
    likert = version.questions.get(key="staff_competence").choices.get(value="5")
    answers = {"staff_competence": likert, "comments": "Dziękuję"}
    response_submit(
        version=version,
        channel=Channel.KIOSK,
        answers=answers,
        nonce="at-the-desk",
        service_card=card_a,
        desk=desk_a,
    )
    response_submit(version=version, channel=Channel.WEB, answers=answers, nonce="at-home")


# Schemathesis builds some cases when the tests are collected, before any database: the
# cases carry this fixed session key, which `coordinator_signed_in` makes real per test.
COORDINATOR_SESSION = "schemathesis-coordinator"


@pytest.fixture
def coordinator_signed_in(coordinator):
    client = Client()
    client.force_login(coordinator)
    Session.objects.filter(pk=client.session.session_key).update(session_key=COORDINATOR_SESSION)


class CoordinatorSession:
    """The coordinator's session cookie, and the CSRF cookie and header that
    SessionAuthentication asks of a signed-in user's unsafe methods."""

    def get(self, case, context):
        return COORDINATOR_SESSION

    def set(self, case, session, context):
        csrf = get_random_string(32)
        case.cookies = {
            **(case.cookies or {}),
            django_settings.SESSION_COOKIE_NAME: session,
            django_settings.CSRF_COOKIE_NAME: csrf,
        }
        case.headers = {**(case.headers or {}), "X-CSRFToken": csrf}


@pytest.mark.django_db
@schema.parametrize()
@FAST
def test_api_keeps_its_schema_for_anonymous_clients(case, api_data):
    case.call_and_validate()


@pytest.mark.django_db
@schema.auth.apply(CoordinatorSession)
@schema.parametrize()
@FAST
def test_api_keeps_its_schema_for_the_coordinator(case, api_data, coordinator_signed_in):
    case.call_and_validate()
