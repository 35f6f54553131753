"""Writes for surveys: one function per transition (CONVENTIONS.md §2)."""

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify_once
from qms.models import OrgUnit, ServiceCard, User
from qms.roles import Role, is_coordinator
from surveys import default_questionnaire as default
from surveys import ratelimit, selectors
from surveys.models import (
    Answer,
    Channel,
    Choice,
    Desk,
    ObservationRound,
    PaperBatch,
    PaperSecondEntry,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    RoundParticipant,
    StaffObservation,
    Suggestion,
    UsedSubmissionToken,
)
from surveys.selectors import observation_cards
from surveys.tokens import read_submission_token

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
    selectors.forget_open_versions()
    return version


@transaction.atomic
def version_close(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    _require_status(version, Status.ACTIVE, Status.PILOT)
    version.status = Status.CLOSED
    version.save(update_fields=["status"])
    selectors.forget_open_versions()
    return version


class Submitted(models.TextChoices):
    """What became of one submission of the public form, kiosk, API or a paper sheet."""

    STORED = "stored", _("stored")
    ALREADY_STORED = "already_stored", _("stored already (sent twice)")
    TOKEN_INVALID = "token_invalid", _("the one-time token is expired or forged")
    RATE_LIMITED = "rate_limited", _("too many submissions from this address")


@dataclass(frozen=True)
class ResponseSource:
    """Where a response comes from, as stored with it: the channel, the desk, who entered
    it (an interviewer or a paper typist) and, for a paper form, the batch it was typed in
    from and the number written on the sheet. A client's own form leaves the rest empty."""

    channel: str
    desk: Desk | None = None
    entered_by: User | None = None
    batch: PaperBatch | None = None
    sheet_number: int | None = None

    @classmethod
    def paper(cls, *, batch: PaperBatch, sheet_number: int, typist: User) -> "ResponseSource":
        """One sheet of a batch, typed in by `typist`, at the batch's desk."""
        return cls(
            channel=Channel.PAPER,
            desk=batch.desk,
            entered_by=typist,
            batch=batch,
            sheet_number=sheet_number,
        )


def submit_response(
    *,
    version: QuestionnaireVersion,
    token: str,
    answers: dict[str, Any],
    source: ResponseSource,
    address: str | None,
    questions: list[Question] | None = None,
    suggestion: str = "",
) -> Submitted:
    """The one sequence every way in follows (web, QR, kiosk, API, interviewer, paper):
    the one-time token, the rate limit for `address` (None: not limited, e.g. staff
    entering responses), the response stored once, then the respondent's suggestion
    about the questionnaire.

    Nothing is stored unless the outcome is STORED; a refused page keeps its token
    unused, so it can be sent again. A paper sheet is dated the day its batch was
    collected and stored under the batch's lock; a closed batch or a sheet number
    entered already raises ValidationError (nothing stored, the token unused).
    """
    nonce = read_submission_token(token, version)
    if nonce is None:
        return Submitted.TOKEN_INVALID
    if address is not None and ratelimit.submission_rate_exceeded(address):
        return Submitted.RATE_LIMITED
    try:
        response = _store_once(
            version=version,
            source=source,
            answers=answers,
            nonce=nonce,
            service_card=service_card_of(answers),
            questions=questions,
        )
    except DuplicateSubmission:
        return Submitted.ALREADY_STORED  # a double click: the first one is stored
    if suggestion.strip():
        suggestion_submit(version=version, text=suggestion, today=response.submitted_on)
    return Submitted.STORED


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
    """Store one response for a known nonce, dated `today`: the store step of
    `submit_response` without a token, rate limit or suggestion, for loaders of past
    responses (bench/, tests/route_dataset.py). Pages and the API use `submit_response`.
    Raises DuplicateSubmission when the nonce was used before."""
    return _store_once(
        version=version,
        source=ResponseSource(channel=channel, desk=desk, entered_by=entered_by),
        answers=answers,
        nonce=nonce,
        service_card=service_card,
        today=today,
    )


def _store_once(
    *,
    version: QuestionnaireVersion,
    source: ResponseSource,
    answers: dict[str, Any],
    nonce: str,
    service_card: ServiceCard | None,
    questions: list[Question] | None = None,
    today: datetime.date | None = None,
) -> Response:
    """Store one complete response, once for `nonce`.

    `answers` maps question keys to cleaned values (a Choice, a list of Choices, a
    ServiceCard, an int or a str) — see `surveys.forms.ResponseForm`. Raises
    DuplicateSubmission when the nonce was used before; nothing is stored then. Reads
    and row building happen before the transaction, which holds only the INSERTs (on
    SQLite it is the database-wide write lock) and, for a paper sheet, its checks.
    """
    batch = source.batch
    if batch is not None and batch.version_id != version.pk:
        raise ValueError("A paper sheet is stored in its batch's questionnaire version.")
    day = today or (batch.collected_on if batch is not None else timezone.localdate())
    response = Response(
        version=version,
        channel=source.channel,
        submitted_on=day,
        is_pilot=version.status == Status.PILOT,
        desk=source.desk,
        entered_by=source.entered_by,
        batch=batch,
        sheet_number=source.sheet_number,
        service_card=service_card,
        service_revision_id=_revision_in_force_id(service_card, day),
    )
    rows = _answer_values(answers, questions or list(version.questions.all()))
    try:
        if batch is None:
            response_store(response=response, rows=rows, nonce=nonce)
        else:
            _paper_sheet_store(batch=batch, response=response, rows=rows, nonce=nonce)
    except IntegrityError:
        if UsedSubmissionToken.objects.filter(nonce=nonce).exists():
            raise DuplicateSubmission from None
        raise
    return response


# One answer row as written: question id, choice id, number, text.
AnswerValues = tuple[int, int | None, int | None, str]


def response_store(*, response: Response, rows: list[AnswerValues], nonce: str) -> Response:
    """Store the used token, the response and its answers: all of them or nothing.

    The one writer of responses (web, QR, kiosk, API, interviewer, paper): the token's
    unique nonce makes a repeated submission fail, and then nothing of it is written.
    Inside a caller's transaction this is a savepoint, which leaves that transaction
    usable after a duplicate.
    """
    with transaction.atomic():
        UsedSubmissionToken.objects.create(nonce=nonce, used_on=timezone.localdate())
        response.save(force_insert=True)
        Answer.objects.bulk_create(_answer_rows(response, rows))
    return response


def _answer_rows(response: Response, rows: list[AnswerValues]) -> list[Answer]:
    return [
        Answer(response=response, question_id=q, choice_id=c, number=n, text=t)
        for q, c, n, t in rows
    ]


def _revision_in_force_id(card: ServiceCard | None, day: datetime.date) -> int | None:
    if card is None:
        return None
    if getattr(card, "revision_day", None) == day:
        # The form looked the card up with its revision in force that day (one query).
        return card.revision_in_force_id  # type: ignore[attr-defined]
    revision = card.revision_on(day)
    return revision.pk if revision else None


def _store_answers(
    response: Response, answers: dict[str, Any], service_card: ServiceCard | None
) -> None:
    response.service_card = service_card
    response.service_revision = (
        service_card.revision_on(response.submitted_on) if service_card else None
    )
    response.save(update_fields=["service_card", "service_revision"])
    rows = _answer_values(answers, list(response.version.questions.all()))
    Answer.objects.bulk_create(_answer_rows(response, rows))


def _answer_values(answers: dict[str, Any], questions: list[Question]) -> list[AnswerValues]:
    """The rows of `answers` (see `_store_once`); the service card is not among
    them (it is stored on the response itself)."""
    by_key = {q.key: q for q in questions}
    rows: list[AnswerValues] = []
    for key, value in answers.items():
        question_id = by_key[key].pk
        for item in value if isinstance(value, list) else [value]:
            if item in (None, "", []) or isinstance(item, ServiceCard):
                continue
            if isinstance(item, Choice):
                rows.append((question_id, item.pk, None, ""))
            elif isinstance(item, int):
                rows.append((question_id, None, item, ""))
            else:
                rows.append((question_id, None, None, str(item)))
    return rows


def service_card_of(answers: dict[str, Any]) -> ServiceCard | None:
    """The service card picked in a response's answers, whatever its question's key."""
    return next((v for v in answers.values() if isinstance(v, ServiceCard)), None)


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

    A token is valid for at most a day (tokens.TOKEN_MAX_AGE), so rows older than two
    days can no longer stop a duplicate; keeping them would only grow the table.
    """
    cutoff = (today or timezone.localdate()) - datetime.timedelta(days=2)
    deleted, _rows = UsedSubmissionToken.objects.filter(used_on__lt=cutoff).delete()
    return deleted


# --- editing drafts ----------------------------------------------------------------

ChoiceSpec = tuple[str, str, str, bool]  # value, label (Polish), label (English), not applicable

KINDS_WITH_CHOICES = {
    Question.Kind.SINGLE,
    Question.Kind.MULTIPLE,
    Question.Kind.YES_NO,
    Question.Kind.LIKERT,
}


def default_choices(kind: str) -> list[ChoiceSpec]:
    """Answer options a new yes/no or rating question starts with."""
    if kind == Question.Kind.YES_NO:
        return [("yes", "Tak", "Yes", False), ("no", "Nie", "No", False)]
    if kind == Question.Kind.LIKERT:
        return [
            ("1", "1 – bardzo źle", "1 – very poor", False),
            ("2", "2", "2", False),
            ("3", "3", "3", False),
            ("4", "4", "4", False),
            ("5", "5 – bardzo dobrze", "5 – very good", False),
            ("na", "nie dotyczy", "not applicable", True),
        ]
    return []


@transaction.atomic
def version_update(
    *,
    version: QuestionnaireVersion,
    intro_pl: str,
    intro_en: str,
    opens_on: datetime.date | None,
    closes_on: datetime.date | None,
) -> QuestionnaireVersion:
    """Introduction (drafts only) and the open period (any version not yet closed)."""
    _require_status(version, Status.DRAFT, Status.PILOT, Status.ACTIVE)
    if opens_on and closes_on and closes_on < opens_on:
        raise ValidationError(
            {"closes_on": _("The closing date must not be before the opening date.")}
        )
    fields = ["opens_on", "closes_on"]
    if version.is_editable:
        version.intro_pl, version.intro_en = intro_pl, intro_en
        fields += ["intro_pl", "intro_en"]
    elif (intro_pl, intro_en) != (version.intro_pl, version.intro_en):
        raise ValidationError(
            _("Only a draft version can be changed; make a new draft by copying this one.")
        )
    version.opens_on, version.closes_on = opens_on, closes_on
    version.save(update_fields=fields)
    selectors.forget_open_versions()
    return version


def _check_question(
    version: QuestionnaireVersion,
    question: Question,
    choices: list[ChoiceSpec],
    old_key: str | None,
) -> None:
    errors: dict[str, list[str]] = {}
    others = {
        q.key: q for q in version.questions.prefetch_related("choices") if q.pk != question.pk
    }
    if question.key in others:
        errors.setdefault("key", []).append(
            _("Another question of this version already has the key “%(key)s”.")
            % {"key": question.key}
        )
    if old_key and old_key != question.key:
        dependants = [q.key for q in others.values() if q.show_if_key == old_key]
        if dependants:
            errors.setdefault("key", []).append(
                _("Questions %(keys)s depend on this key; change their conditions first.")
                % {"keys": ", ".join(dependants)}
            )
    if question.kind == Question.Kind.SERVICE and any(
        q.kind == Question.Kind.SERVICE for q in others.values()
    ):
        errors.setdefault("kind", []).append(
            _("A version can have only one question about the service card.")
        )
    if question.kind in KINDS_WITH_CHOICES:
        values = [c[0] for c in choices]
        if len(values) < 2:
            errors.setdefault("choices", []).append(
                _("A choice question needs at least two answer options.")
            )
        if len(set(values)) != len(values):
            errors.setdefault("choices", []).append(_("Each answer option needs its own value."))
        for q in others.values():
            if q.show_if_key == (old_key or question.key):
                missing = set(q.show_if_values) - set(values)
                if missing:
                    errors.setdefault("choices", []).append(
                        _("Question “%(key)s” shows only after the answer(s) %(values)s.")
                        % {"key": q.key, "values": ", ".join(sorted(missing))}
                    )
    if question.show_if_key:
        parent = others.get(question.show_if_key)
        if parent is None or parent.kind not in KINDS_WITH_CHOICES:
            errors.setdefault("show_if_key", []).append(
                _("A condition must name another choice question of this version.")
            )
        elif (parent.page, parent.position) > (question.page, question.position or 10**6):
            errors.setdefault("show_if_key", []).append(
                _("A condition can only depend on a question asked before this one.")
            )
        else:
            allowed = {c.value for c in parent.choices.all()}
            if not question.show_if_values or not set(question.show_if_values) <= allowed:
                errors.setdefault("show_if_values", []).append(
                    _("Choose the answers of “%(key)s” that show this question: %(values)s.")
                    % {"key": parent.key, "values": ", ".join(sorted(allowed))}
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_save(
    *,
    version: QuestionnaireVersion,
    question: Question | None,
    choices: list[ChoiceSpec],
    **fields: Any,
) -> Question:
    """Add a question to a draft, or change one; its answer options are replaced."""
    _require_status(version, Status.DRAFT)
    old_key = question.key if question and question.pk else None
    if question is None:
        question = Question(version=version)
    for name, value in fields.items():
        setattr(question, name, value)
    if not question.show_if_key:
        question.show_if_values = []
    if question.kind not in KINDS_WITH_CHOICES:
        choices = []
    _check_question(version, question, choices, old_key)
    if question.position is None:
        last = version.questions.aggregate(n=Max("position"))["n"] or 0
        question.position = last + 1
    question.save()
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            value=value,
            label_pl=label_pl,
            label_en=label_en,
            position=i,
            is_not_applicable=na,
        )
        for i, (value, label_pl, label_en, na) in enumerate(choices, start=1)
    )
    return question


@transaction.atomic
def question_delete(*, question: Question) -> None:
    _require_status(question.version, Status.DRAFT)
    dependants = question.version.questions.filter(show_if_key=question.key)
    if dependants.exists():
        raise ValidationError(
            _("Questions %(keys)s depend on this one; change their conditions first.")
            % {"keys": ", ".join(dependants.values_list("key", flat=True))}
        )
    question.choices.all().delete()
    question.delete()


@transaction.atomic
def question_move(*, question: Question, up: bool) -> None:
    """Swap a draft question with its neighbour (a question never moves above its condition)."""
    _require_status(question.version, Status.DRAFT)
    siblings = question.version.questions.order_by("position")
    neighbour = (
        siblings.filter(position__lt=question.position).last()
        if up
        else siblings.filter(position__gt=question.position).first()
    )
    if neighbour is None:
        return
    first, second = (neighbour, question) if up else (question, neighbour)
    if second.show_if_key == first.key:
        raise ValidationError(
            _("“%(key)s” depends on the question above it and cannot move above it.")
            % {"key": second.key}
        )
    question.position, neighbour.position = neighbour.position, question.position
    question.save(update_fields=["position"])
    neighbour.save(update_fields=["position"])


# --- paper forms (§5) --------------------------------------------------------------


def _require_open_batch(batch: PaperBatch) -> None:
    if batch.status != PaperBatch.Status.OPEN:
        raise ValidationError(_("This batch is closed; nothing can be added to it."))


@transaction.atomic
def batch_open(
    *,
    operator: User,
    version: QuestionnaireVersion,
    desk: Desk,
    collected_on: datetime.date,
    declared_count: int,
    double_entry: bool = False,
    note: str = "",
) -> PaperBatch:
    if collected_on > timezone.localdate():
        raise ValidationError({"collected_on": _("The collection date cannot be in the future.")})
    if declared_count < 1:
        raise ValidationError({"declared_count": _("A batch has at least one form.")})
    return PaperBatch.objects.create(
        operator=operator,
        version=version,
        desk=desk,
        collected_on=collected_on,
        declared_count=declared_count,
        double_entry=double_entry,
        note=note,
    )


def next_sheet_number(batch: PaperBatch) -> int:
    last = batch.responses.aggregate(n=Max("sheet_number"))["n"] or 0
    return last + 1


@transaction.atomic
def _paper_sheet_store(
    *, batch: PaperBatch, response: Response, rows: list[AnswerValues], nonce: str
) -> None:
    """Store a typed sheet under its batch's lock: the batch still open, this screen not
    saved before (Enter pressed twice) and its sheet number not entered yet."""
    _require_open_batch(PaperBatch.objects.select_for_update().get(pk=batch.pk))
    if UsedSubmissionToken.objects.filter(nonce=nonce).exists():
        # Before the sheet-number check: a second press is "stored already", not a clash.
        raise DuplicateSubmission
    if batch.responses.filter(sheet_number=response.sheet_number).exists():
        raise ValidationError(
            {
                "sheet_number": _("Sheet %(n)s of this batch is entered already.")
                % {"n": response.sheet_number}
            }
        )
    response_store(response=response, rows=rows, nonce=nonce)


def answer_values(answers: dict[str, Any]) -> dict[str, list[str]]:
    """Cleaned answers as plain strings per question key, for comparing two entries."""
    values: dict[str, list[str]] = {}
    for key, value in answers.items():
        items = value if isinstance(value, list) else [value]
        strings = []
        for item in items:
            if isinstance(item, Choice):
                strings.append(item.value)
            elif isinstance(item, ServiceCard):
                strings.append(item.code)
            elif item not in (None, ""):
                strings.append(str(item).strip())
        if strings:
            values[key] = sorted(strings)
    return values


def stored_values(response: Response) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for answer in response.answers.select_related("question", "choice"):
        if answer.choice is not None:
            item = answer.choice.value
        elif answer.number is not None:
            item = str(answer.number)
        else:
            item = answer.text.strip()
        values.setdefault(answer.question.key, []).append(item)
    service = response.version.questions.filter(kind=Question.Kind.SERVICE).first()
    if service and response.service_card is not None:
        values[service.key] = [response.service_card.code]
    return {key: sorted(items) for key, items in values.items()}


@transaction.atomic
def paper_sheet_verify(
    *, batch: PaperBatch, sheet_number: int, answers: dict[str, Any], user: User
) -> PaperSecondEntry:
    """Second, blind entry of a sheet; every difference from the first is flagged."""
    PaperBatch.objects.select_for_update().filter(pk=batch.pk).first()
    _require_open_batch(batch)
    response = batch.responses.filter(sheet_number=sheet_number).first()
    if response is None:
        raise ValidationError(
            {"sheet_number": _("Sheet %(n)s has no first entry yet.") % {"n": sheet_number}}
        )
    if batch.second_entries.filter(sheet_number=sheet_number).exists():
        raise ValidationError(
            {"sheet_number": _("Sheet %(n)s is verified already.") % {"n": sheet_number}}
        )
    second = answer_values(answers)
    first = stored_values(response)
    differences = [
        {"key": key, "first": first.get(key, []), "second": second.get(key, [])}
        for key in sorted(set(first) | set(second))
        if first.get(key, []) != second.get(key, [])
    ]
    return PaperSecondEntry.objects.create(
        batch=batch,
        sheet_number=sheet_number,
        answers=second,
        differences=differences,
        entered_by=user,
    )


def _answers_from_values(
    version: QuestionnaireVersion, values: dict[str, list[str]]
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in version.questions.prefetch_related("choices"):
        items = values.get(question.key, [])
        if not items:
            continue
        by_value = question.choice_by_value
        if question.kind == Question.Kind.SERVICE:
            answers[question.key] = ServiceCard.objects.get(code=items[0])
        elif question.kind == Question.Kind.MULTIPLE:
            answers[question.key] = [by_value[v] for v in items]
        elif question.kind in KINDS_WITH_CHOICES:
            answers[question.key] = by_value[items[0]]
        elif question.kind == Question.Kind.SCALE:
            answers[question.key] = int(items[0])
        else:
            answers[question.key] = items[0]
    return answers


@transaction.atomic
def paper_sheet_resolve(*, entry: PaperSecondEntry, use_second: bool, user: User) -> None:
    """After checking the paper: keep the first entry, or replace it with the second."""
    batch = entry.batch
    _require_open_batch(batch)
    if not entry.needs_resolution:
        raise ValidationError(_("This sheet has nothing to resolve."))
    if use_second:
        response = batch.responses.get(sheet_number=entry.sheet_number)
        answers = _answers_from_values(batch.version, entry.answers)
        response.answers.all().delete()
        _store_answers(response, answers, service_card_of(answers))
    entry.resolution = "second" if use_second else "first"
    entry.resolved_by = user
    entry.save(update_fields=["resolution", "resolved_by"])


@transaction.atomic
def batch_close(*, batch: PaperBatch, user: User, note: str = "") -> PaperBatch:
    """Close a batch; a count that differs from the declared one needs an explanation."""
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    _require_open_batch(batch)
    entered = batch.responses.count()
    if batch.double_entry:
        checked = batch.second_entries.count()
        if checked < entered:
            raise ValidationError(
                _("%(n)s sheet(s) still wait for their second entry.") % {"n": entered - checked}
            )
        if any(e.needs_resolution for e in batch.second_entries.all()):
            raise ValidationError(_("Resolve every flagged difference before closing."))
    if entered != batch.declared_count and not note.strip():
        raise ValidationError(
            {
                "note": _(
                    "%(entered)s form(s) entered but %(declared)s declared: "
                    "explain the difference in the note."
                )
                % {"entered": entered, "declared": batch.declared_count}
            }
        )
    batch.status = PaperBatch.Status.CLOSED
    if note.strip():
        batch.note = "\n".join(filter(None, [batch.note, note.strip()]))
    batch.save(update_fields=["status", "note"])
    return batch


# --- staff observations (§7) -------------------------------------------------------


@transaction.atomic
def observation_record(
    *,
    user: User,
    card: ServiceCard,
    kind: str,
    summary: str,
    frequency: int,
    period: str,
    example: str = "",
    today: datetime.date | None = None,
) -> StaffObservation:
    """Record one observation; it counts toward the open round the user was asked in."""
    if not observation_cards(user).filter(pk=card.pk).exists():
        raise PermissionDenied
    today = today or timezone.localdate()
    task = (
        RoundParticipant.objects.select_for_update()
        .filter(user=user, round__closed_on__isnull=True)
        .select_related("round")
        .order_by("round__due_on")
        .first()
    )
    observation = StaffObservation.objects.create(
        card=card,
        kind=kind,
        summary=summary.strip(),
        frequency=frequency,
        period=period,
        example=example.strip(),
        round=task.round if task else None,
        recorded_by=user,
        recorded_on=today,
    )
    if task and task.completed_on is None:
        task.completed_on = today
        task.save(update_fields=["completed_on"])
    return observation


@transaction.atomic
def observation_delete(*, observation: StaffObservation, user: User) -> None:
    """The author (or the coordinator) removes a mistaken entry."""
    if observation.recorded_by_id != user.pk and not is_coordinator(user):
        raise PermissionDenied
    observation.delete()


def _round_participants(round_: ObservationRound) -> list[RoundParticipant]:
    """Staff of every unit, and every head and deputy (by the org chart or their unit)."""
    participants: dict[int, RoundParticipant] = {}
    for unit in OrgUnit.objects.filter(is_active=True).select_related("head", "deputy"):
        for person in (unit.head, unit.deputy):
            if person is not None and person.is_active:
                participants.setdefault(
                    person.pk, RoundParticipant(round=round_, user=person, unit=unit)
                )
    people = User.objects.filter(
        is_active=True, unit__isnull=False, groups__name__in=[Role.STAFF, Role.HEAD]
    ).select_related("unit")
    for person in people.distinct():
        participants.setdefault(
            person.pk, RoundParticipant(round=round_, user=person, unit=person.unit)
        )
    return list(participants.values())


@transaction.atomic
def round_open(
    *,
    user: User,
    title: str,
    due_on: datetime.date,
    message: str = "",
    today: datetime.date | None = None,
) -> ObservationRound:
    """Ask every staff member of every unit to record observations by the due date."""
    if not is_coordinator(user):
        raise PermissionDenied
    today = today or timezone.localdate()
    if due_on <= today:
        raise ValidationError({"due_on": _("The due date must be after today.")})
    round_ = ObservationRound.objects.create(
        title=title.strip(), opened_on=today, due_on=due_on, opened_by=user, message=message
    )
    RoundParticipant.objects.bulk_create(_round_participants(round_))
    # In this transaction: everyone asked has the inbox entry if and only if the round
    # opened (the outbox e-mails them after commit; nothing a crash could skip).
    round_notify(round_id=round_.pk, today=today)
    return round_


@transaction.atomic
def round_nothing_to_add(*, round_: ObservationRound, user: User) -> RoundParticipant:
    task = RoundParticipant.objects.select_for_update().get(round=round_, user=user)
    if not round_.is_open:
        raise ValidationError(_("This round is closed."))
    if task.completed_on is None:
        task.completed_on = timezone.localdate()
        task.nothing_to_add = True
        task.save(update_fields=["completed_on", "nothing_to_add"])
    return task


@transaction.atomic
def round_close(*, round_: ObservationRound, user: User) -> ObservationRound:
    if not is_coordinator(user):
        raise PermissionDenied
    if round_.is_open:
        round_.closed_on = timezone.localdate()
        round_.save(update_fields=["closed_on"])
    return round_


def round_notify(*, round_id: int, today: datetime.date | None = None) -> int:
    """Tell each participant once that the round is open (inbox + e-mail; idempotent,
    concurrency-safe): the claim and the notification commit together."""
    today = today or timezone.localdate()
    sent = 0
    for task in RoundParticipant.objects.filter(
        round_id=round_id, notified_on__isnull=True
    ).select_related("round", "user"):
        with transaction.atomic():
            # Claim the row: a second sweep (or worker) finds it claimed and skips it.
            if RoundParticipant.objects.filter(pk=task.pk, notified_on__isnull=True).update(
                notified_on=today
            ):
                sent += _round_notify(task, "round_opened", "opened")
    return sent


def _round_notify(task: RoundParticipant, template: str, what: str) -> bool:
    return notify_once(
        task.user,
        template,
        {"round": task.round},
        key=f"round:{task.round_id}:{what}:{task.user_id}",
        url=reverse("surveys_staff:observation_list"),
    )


REMIND_DAYS_BEFORE_DUE = 3


def round_send_reminders(*, today: datetime.date | None = None) -> int:
    """Remind, once, everyone who has not contributed when the due date is near or past."""
    today = today or timezone.localdate()
    due = RoundParticipant.objects.filter(
        round__closed_on__isnull=True,
        round__due_on__lte=today + datetime.timedelta(days=REMIND_DAYS_BEFORE_DUE),
        completed_on__isnull=True,
        reminded_on__isnull=True,
    ).select_related("round", "user")
    sent = 0
    for task in due:
        with transaction.atomic():
            if RoundParticipant.objects.filter(pk=task.pk, reminded_on__isnull=True).update(
                reminded_on=today
            ):
                sent += _round_notify(task, "round_reminder", "remind")
    return sent


def desk_new_kiosk_key(*, desk: Desk) -> Desk:
    desk.kiosk_key = uuid.uuid4()
    desk.save(update_fields=["kiosk_key"])
    return desk
