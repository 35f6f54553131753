import re

import pytest

from surveys.models import Desk
from surveys.services import questionnaire_install_default


@pytest.fixture
def survey(card_a):
    """The default questionnaire, live; card A-01 exists for its service question."""
    return questionnaire_install_default()


@pytest.fixture
def version(survey):
    return survey.active_version


@pytest.fixture
def desk_a(unit_a):
    return Desk.objects.create(code="A-1", name="Stanowisko A1", unit=unit_a)


@pytest.fixture
def desk_b(unit_b):
    return Desk.objects.create(code="B-1", name="Stanowisko B1", unit=unit_b)


def token_from(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "the page has no submission token"
    return match.group(1)


# A complete valid response to the default questionnaire (both pages).
ANSWERS = {
    "q_service": "A-01",
    "q_card_read": "web",
    "q_card_useful": "yes",
    "q_card_clear": "yes",
    "q_card_complete": "no",
    "q_card_missing": ["fees", "sample_form"],
    "q_card_missing_text": "Brak wzoru wniosku",
    "q_settled": "yes",
    "q_staff_competence": "5",
    "q_staff_courtesy": "4",
    "q_plain_language": "na",
    "q_waiting_time": "3",
    "q_comments": "Dziękuję",
}


@pytest.fixture(autouse=True)
def _fresh_open_versions():
    """The public form remembers open versions per process; each test starts without."""
    from surveys.selectors import forget_open_versions

    forget_open_versions()
    yield
    forget_open_versions()
