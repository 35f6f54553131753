from django.utils import timezone

from surveys.models import QuestionnaireVersion


def open_version(slug: str) -> QuestionnaireVersion | None:
    """The active version of a questionnaire if it is open today, else None."""
    version = (
        QuestionnaireVersion.objects.select_related("questionnaire")
        .filter(questionnaire__slug=slug, status=QuestionnaireVersion.Status.ACTIVE)
        .first()
    )
    if version and version.is_open_on(timezone.localdate()):
        return version
    return None


def pilot_version(token) -> QuestionnaireVersion | None:
    return (
        QuestionnaireVersion.objects.select_related("questionnaire")
        .filter(pilot_token=token, status=QuestionnaireVersion.Status.PILOT)
        .first()
    )
