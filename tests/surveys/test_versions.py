import pytest
from django.core.exceptions import ValidationError

from surveys.models import QuestionnaireVersion
from surveys.services import (
    questionnaire_install_default,
    version_activate,
    version_close,
    version_create_draft,
    version_start_pilot,
)

pytestmark = pytest.mark.django_db
Status = QuestionnaireVersion.Status


def test_default_questionnaire_is_installed_once_and_active():
    questionnaire = questionnaire_install_default()
    questionnaire_install_default()
    assert questionnaire.versions.count() == 1
    version = questionnaire.active_version
    keys = set(version.questions.values_list("key", flat=True))
    assert {
        "service",
        "card_read",
        "card_useful",
        "card_missing",
        "staff_courtesy",
        "waiting_time",
        "comments",
    } <= keys
    assert (
        version.questions.get(key="staff_competence")
        .choices.filter(is_not_applicable=True)
        .exists()
    )


def test_editing_means_a_new_draft_copied_with_stable_keys():
    questionnaire = questionnaire_install_default()
    active = questionnaire.active_version
    draft = version_create_draft(questionnaire=questionnaire, copy_from=active)
    assert draft.number == 2 and draft.is_editable and not active.is_editable
    assert list(draft.questions.values_list("key", flat=True)) == list(
        active.questions.values_list("key", flat=True)
    )
    assert draft.questions.get(key="card_missing").choices.count() == 7


def test_lifecycle_draft_pilot_active_closed():
    questionnaire = questionnaire_install_default()
    first = questionnaire.active_version
    draft = version_create_draft(questionnaire=questionnaire, copy_from=first)
    version_start_pilot(version=draft)
    version_activate(version=draft)
    first.refresh_from_db()
    assert (first.status, draft.status) == (Status.CLOSED, Status.ACTIVE)
    with pytest.raises(ValidationError):
        version_start_pilot(version=draft)  # an active version never goes back
    version_close(version=draft)
    assert questionnaire.active_version is None


def test_empty_draft_cannot_be_piloted_or_activated():
    questionnaire = questionnaire_install_default()
    empty = version_create_draft(questionnaire=questionnaire)
    with pytest.raises(ValidationError):
        version_start_pilot(version=empty)
    with pytest.raises(ValidationError):
        version_activate(version=empty)
