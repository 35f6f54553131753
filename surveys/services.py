"""Writes for surveys: one function per transition (CONVENTIONS.md §2)."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.models import ServiceCard, User
from surveys import default_questionnaire as default
from surveys.models import (
    Answer,
    Choice,
    Desk,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Suggestion,
    UsedSubmissionToken,
)

Status = QuestionnaireVersion.Status


class DuplicateSubmission(Exception):
    """The one-time token was already used: the response is stored already."""


def _require_status(version: QuestionnaireVersion, *allowed: str) -> None:
    if version.status not in allowed:
        raise ValidationError(
            _("This action is not possible for a version that is %(status)s.")
            % {"status": version.get_status_display()}
        )


def _require_questions(version: QuestionnaireVersion) -> None:
    if not version.questions.exists():
        raise ValidationError(_("A version needs at least one question."))


def _copy_questions(source: QuestionnaireVersion, target: QuestionnaireVersion) -> None:
    for question in source.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        question.pk = None
        question.version = target
        question.save()
        Choice.objects.bulk_create(
            Choice(
                question=question,
                value=c.value,
                label_pl=c.label_pl,
                label_en=c.label_en,
                position=c.position,
                is_not_applicable=c.is_not_applicable,
            )
            for c in choices
        )


@transaction.atomic
def version_create_draft(
    *, questionnaire: Questionnaire, copy_from: QuestionnaireVersion | None = None
) -> QuestionnaireVersion:
    """A new draft: empty, or a copy of an earlier version (the only way to 'edit' one)."""
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    last = questionnaire.versions.aggregate(n=Max("number"))["n"] or 0
    draft = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire,
        number=last + 1,
        copied_from=copy_from,
        intro_pl=copy_from.intro_pl if copy_from else "",
        intro_en=copy_from.intro_en if copy_from else "",
    )
    if copy_from is not None:
        _copy_questions(copy_from, draft)
    return draft


@transaction.atomic
def version_start_pilot(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """§4a: staff and invited outsiders answer through the pilot link; kept apart."""
    _require_status(version, Status.DRAFT)
    _require_questions(version)
    version.status = Status.PILOT
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def version_activate(
    *,
    version: QuestionnaireVersion,
    opens_on: datetime.date | None = None,
    closes_on: datetime.date | None = None,
) -> QuestionnaireVersion:
    """Make the version the live one; the previously active version is closed (superseded)."""
    _require_status(version, Status.DRAFT, Status.PILOT)
    _require_questions(version)
    if opens_on and closes_on and closes_on < opens_on:
        raise ValidationError(_("The closing date must not be before the opening date."))
    QuestionnaireVersion.objects.filter(
        questionnaire=version.questionnaire, status=Status.ACTIVE
    ).update(status=Status.CLOSED)
    version.status = Status.ACTIVE
    version.opens_on = opens_on or timezone.localdate()
    version.closes_on = closes_on
    version.save(update_fields=["status", "opens_on", "closes_on"])
    return version


@transaction.atomic
def version_close(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    _require_status(version, Status.ACTIVE, Status.PILOT)
    version.status = Status.CLOSED
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def response_submit(
    *,
    version: QuestionnaireVersion,
    channel: str,
    answers: dict[str, Any],
    nonce: str,
    service_card: ServiceCard | None = None,
    desk: Desk | None = None,
    entered_by: User | None = None,
    today: datetime.date | None = None,
) -> Response:
    """Store one complete response, once.

    `answers` maps question keys to cleaned values (a Choice, a list of Choices, an
    int or a str) — see `surveys.forms.ResponseForm`. Raises DuplicateSubmission
    when the form's one-time nonce was used before; nothing is stored then.
    """
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            UsedSubmissionToken.objects.create(nonce=nonce, used_on=today)
    except IntegrityError:
        raise DuplicateSubmission from None
    response = Response.objects.create(
        version=version,
        channel=channel,
        submitted_on=today,
        is_pilot=version.status == Status.PILOT,
        service_card=service_card,
        service_revision=service_card.revision_on(today) if service_card else None,
        desk=desk,
        entered_by=entered_by,
    )
    questions = {q.key: q for q in version.questions.all()}
    rows = []
    for key, value in answers.items():
        question = questions[key]
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item in (None, "", []):
                continue
            if isinstance(item, Choice):
                rows.append(Answer(response=response, question=question, choice=item))
            elif isinstance(item, ServiceCard):
                continue  # stored on the response itself
            elif isinstance(item, int):
                rows.append(Answer(response=response, question=question, number=item))
            else:
                rows.append(Answer(response=response, question=question, text=str(item)))
    Answer.objects.bulk_create(rows)
    return response


def suggestion_submit(
    *, version: QuestionnaireVersion, text: str, today: datetime.date | None = None
) -> Suggestion:
    return Suggestion.objects.create(
        version=version,
        text=text.strip()[:2000],
        submitted_on=today or timezone.localdate(),
        is_pilot=version.status == Status.PILOT,
    )


@transaction.atomic
def questionnaire_install_default(*, slug: str = "karty-uslug") -> Questionnaire:
    """Install the default service-card survey as an active version (once)."""
    questionnaire, created = Questionnaire.objects.get_or_create(
        slug=slug,
        defaults={"title_pl": default.TITLE[0], "title_en": default.TITLE[1]},
    )
    if not created and questionnaire.versions.exists():
        return questionnaire
    version = version_create_draft(questionnaire=questionnaire)
    version.intro_pl, version.intro_en = default.INTRO
    version.save(update_fields=["intro_pl", "intro_en"])
    for position, spec in enumerate(default.QUESTIONS, start=1):
        show_if_key, show_if_values = spec.get("show_if", ("", []))
        question = Question.objects.create(
            version=version,
            key=spec["key"],
            position=position,
            page=spec["page"],
            kind=spec["kind"],
            text_pl=spec["pl"],
            text_en=spec["en"],
            help_pl=spec.get("help_pl", ""),
            help_en=spec.get("help_en", ""),
            required=spec.get("required", False),
            max_length=spec.get("max_length", 1000),
            show_if_key=show_if_key,
            show_if_values=show_if_values,
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                value=value,
                label_pl=pl,
                label_en=en,
                position=i,
                is_not_applicable=value == "na",
            )
            for i, (value, pl, en) in enumerate(spec.get("choices", []), start=1)
        )
    version_activate(version=version)
    return questionnaire


def submission_tokens_purge(*, today: datetime.date | None = None) -> int:
    """Forget used one-time tokens older than any token could still be (idempotent).

    A token is valid for at most a day (forms.TOKEN_MAX_AGE), so rows older than two
    days can no longer stop a duplicate; keeping them would only grow the table.
    """
    cutoff = (today or timezone.localdate()) - datetime.timedelta(days=2)
    deleted, _rows = UsedSubmissionToken.objects.filter(used_on__lt=cutoff).delete()
    return deleted
