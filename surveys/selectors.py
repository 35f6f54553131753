"""Reads for surveys. Who may see or enter what is decided here, in one place.

The access policy:
- the coordinator manages questionnaires, desks, rounds and exports; sees everything,
  and is the only one who reads single responses (answers, desk, date, free text) —
  `can_read_single_responses` is the one question every page, export and API asks;
- the auditor reads everything else and changes nothing; of the responses, only
  aggregates of at least `analysis.MIN_SHOWN` respondents, like everyone else;
- a department head works with the desks and observations of the units they head or
  deputise for; staff with those of their own unit;
- whoever types in paper forms sees the batches they typed themselves (their sheets and
  the second-entry comparison), nothing more;
- a client needs no account and sees only the public form.
"""

import datetime
import time

import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCard, ServiceCardRevision, User
from qms.roles import can_read_everything, is_coordinator
from qms.selectors import managed_unit_ids
from surveys.analysis import ANSWER_COLUMNS
from surveys.models import (
    Answer,
    Desk,
    ObservationRound,
    PaperBatch,
    Question,
    QuestionnaireVersion,
    Response,
    RoundParticipant,
    StaffObservation,
)

# The public form asks for the active version on every request. Each process remembers
# it for this long: a version activated, closed or re-dated by the coordinator shows in
# that process at once (the services call `forget_open_versions`), in the other
# processes within these seconds. Only found versions are kept, so the memo is bounded
# by the number of live questionnaires, whatever slugs clients type.
OPEN_VERSION_SECONDS = 5.0
_open_versions: dict[str, tuple[float, QuestionnaireVersion]] = {}


def open_version(slug: str) -> QuestionnaireVersion | None:
    """The active version of a questionnaire if it is open today, else None.

    The returned instance may be shared by later requests of this process: read it,
    never change it."""
    now = time.monotonic()
    remembered = _open_versions.get(slug)
    if remembered and remembered[0] > now:
        version: QuestionnaireVersion | None = remembered[1]
    else:
        version = (
            QuestionnaireVersion.objects.select_related("questionnaire")
            .filter(questionnaire__slug=slug, status=QuestionnaireVersion.Status.ACTIVE)
            .first()
        )
        if version:
            _open_versions[slug] = (now + OPEN_VERSION_SECONDS, version)
        else:
            _open_versions.pop(slug, None)
    if version and version.is_open_on(timezone.localdate()):
        return version
    return None


def forget_open_versions() -> None:
    _open_versions.clear()


def card_with_revision_in_force(code: str, day: datetime.date) -> ServiceCard | None:
    """An active service card by code, with the revision in force on `day` fetched in
    the same query: `card.revision_in_force_id`, and `card.revision_day = day`.

    Only the id and code are loaded (the other fields are deferred): a submission needs
    nothing else. Raw SQL because it runs on every public submission: the ORM spent
    ~0.6 ms building this query (a Subquery annotation), ten times what it costs."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT card.id, card.code, (
                SELECT revision.id FROM {ServiceCardRevision._meta.db_table} revision
                WHERE revision.card_id = card.id AND revision.published_on <= %s
                ORDER BY revision.number DESC LIMIT 1
            )
            FROM {ServiceCard._meta.db_table} card
            WHERE card.code = %s AND card.is_active
            """,  # noqa: S608 - table names from the models; values are parameters
            [day, code],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    card = ServiceCard.from_db(connection.alias, ["id", "code"], row[:2])
    card.revision_in_force_id = row[2]  # type: ignore[attr-defined]
    card.revision_day = day  # type: ignore[attr-defined]
    return card


def pilot_version(token) -> QuestionnaireVersion | None:
    return (
        QuestionnaireVersion.objects.select_related("questionnaire")
        .filter(pilot_token=token, status=QuestionnaireVersion.Status.PILOT)
        .first()
    )


def entry_versions() -> list[QuestionnaireVersion]:
    """Versions staff may type paper or interviewer responses into: active and open today."""
    today = timezone.localdate()
    return [
        version
        for version in QuestionnaireVersion.objects.select_related("questionnaire").filter(
            status=QuestionnaireVersion.Status.ACTIVE
        )
        if version.is_open_on(today)
    ]


# --- who may do what ---------------------------------------------------------------


def can_manage_surveys(user: User) -> bool:
    """Questionnaires, desks, QR sheets, kiosk links, observation rounds."""
    return is_coordinator(user)


def can_read_survey_data(user: User) -> bool:
    """Questionnaires, versions and observation rounds (coordinator and auditor).

    Not single responses, suggestions or exports: see `can_read_single_responses`."""
    return can_read_everything(user)


def work_unit_ids(user: User) -> set[int]:
    """The units a user works for: their own and those they head or deputise for."""
    ids = managed_unit_ids(user)
    if user.is_authenticated and user.unit_id:
        ids.add(user.unit_id)
    return ids


def can_read_single_responses(user: User) -> bool:
    """Row-level responses (answers, desk, date, free text): the quality coordinator only.

    Everyone else, the auditor included, reads aggregates of at least the minimum group
    (`analysis.MIN_SHOWN`); staff see only the sheets they typed in themselves.
    """
    return is_coordinator(user)


def min_group() -> int:
    """The smallest group of respondents any result is shown for (ANONYMITY_MIN_GROUP)."""
    return settings.ANONYMITY_MIN_GROUP


def can_read_responses(user: User) -> bool:
    """The response list and exports: single responses, so the coordinator only.

    (Heads and the auditor read them before the anonymity rule; kept as a name.)"""
    return can_read_single_responses(user)


def can_enter_responses(user: User) -> bool:
    return is_coordinator(user) or bool(work_unit_ids(user))


# --- querysets filtered by who asks ------------------------------------------------


def desk_list(user: User) -> QuerySet[Desk]:
    desks = Desk.objects.select_related("unit").order_by("code")
    if can_read_everything(user):
        return desks
    return desks.filter(unit_id__in=work_unit_ids(user))


def entry_desks(user: User) -> QuerySet[Desk]:
    """Desks the user may enter paper or interviewer responses for."""
    desks = Desk.objects.select_related("unit").order_by("code")
    if is_coordinator(user):
        return desks
    return desks.filter(unit_id__in=work_unit_ids(user))


def batch_list(user: User) -> QuerySet[PaperBatch]:
    """Paper batches: all for the coordinator; for anyone else, the ones they typed in
    themselves (their sheets are single responses: not their head's, not the auditor's)."""
    batches = PaperBatch.objects.select_related("desk", "desk__unit", "operator", "version")
    batches = batches.annotate(
        entered=Count("responses", distinct=True),
        checked=Count("second_entries", distinct=True),
    )
    if can_read_single_responses(user):
        return batches
    if not user.is_authenticated:
        return batches.none()
    return batches.filter(operator=user)


def observation_cards(user: User) -> QuerySet[ServiceCard]:
    """Cards the user may record observations for."""
    cards = ServiceCard.objects.filter(is_active=True).select_related("unit").order_by("code")
    if is_coordinator(user):
        return cards
    return cards.filter(unit_id__in=work_unit_ids(user))


def observation_list(user: User) -> QuerySet[StaffObservation]:
    observations = StaffObservation.objects.select_related(
        "card", "card__unit", "recorded_by", "round"
    )
    if can_read_everything(user):
        return observations
    return observations.filter(card__unit_id__in=work_unit_ids(user))


def response_list(user: User) -> QuerySet[Response]:
    """Live (non-pilot) single responses a user may read: all for the coordinator,
    none for anyone else (they read aggregates: the results packs)."""
    responses = (
        Response.objects.filter(is_pilot=False)
        .select_related(
            "version",
            "version__questionnaire",
            "service_card",
            "service_card__unit",
            "service_revision",
            "desk",
        )
        .prefetch_related("answers", "answers__question", "answers__choice")
        .order_by("-submitted_on", "-pk")
    )
    if can_read_single_responses(user):
        return responses
    return responses.none()


def open_round_tasks(user: User) -> QuerySet[RoundParticipant]:
    """Open observation rounds that still wait for this user's contribution."""
    return RoundParticipant.objects.filter(
        user=user, completed_on__isnull=True, round__closed_on__isnull=True
    ).select_related("round")


def round_list() -> QuerySet[ObservationRound]:
    return ObservationRound.objects.annotate(
        asked=Count("participants", distinct=True),
        done=Count(
            "participants", filter=Q(participants__completed_on__isnull=False), distinct=True
        ),
        recorded=Count("observations", distinct=True),
    )


# --- comparing versions ------------------------------------------------------------


def _question_signature(question: Question) -> dict:
    return {
        "kind": question.kind,
        "text_pl": question.text_pl,
        "text_en": question.text_en,
        "required": question.required,
        "page": question.page,
        "condition": (question.show_if_key, sorted(question.show_if_values)),
        "choices": [
            (c.value, c.label_pl, c.label_en, c.is_not_applicable) for c in question.choices.all()
        ],
    }


CHANGE_LABELS = {
    "kind": _("type"),
    "text_pl": _("wording (Polish)"),
    "text_en": _("wording (English)"),
    "required": _("required"),
    "page": _("page"),
    "condition": _("condition"),
    "choices": _("answer options"),
}


def version_compare(old: QuestionnaireVersion, new: QuestionnaireVersion) -> dict[str, list]:
    """Questions added, removed, changed (with what changed) and unchanged, by stable key."""
    before = {q.key: q for q in old.questions.prefetch_related("choices")}
    after = {q.key: q for q in new.questions.prefetch_related("choices")}
    changed: list[tuple[Question, Question, list]] = []
    unchanged: list[tuple[Question, Question, list]] = []
    for key, question in after.items():
        if key not in before:
            continue
        a, b = _question_signature(before[key]), _question_signature(question)
        what = [CHANGE_LABELS[field] for field in a if a[field] != b[field]]
        (changed if what else unchanged).append((before[key], question, what))
    return {
        "added": [q for key, q in after.items() if key not in before],
        "removed": [q for key, q in before.items() if key not in after],
        "changed": changed,
        "unchanged": unchanged,
    }


def answer_frame(
    *,
    years: list[int] | None = None,
    include_pilot: bool = False,
    period: tuple[datetime.date, datetime.date] | None = None,
    questionnaire: int | None = None,
):
    """Live answers as the analysis frame (surveys.analysis.ANSWER_COLUMNS), one query.

    Service answers are stored on the response, so every answer row carries its card
    and unit; the year is the response date's year (the annual cycle's survey period).
    """
    rows = Answer.objects.filter(response__is_pilot=include_pilot)
    if years:
        rows = rows.filter(response__submitted_on__year__in=years)
    if period:
        rows = rows.filter(response__submitted_on__range=period)
    if questionnaire:
        rows = rows.filter(response__version__questionnaire_id=questionnaire)
    values = rows.values_list(
        "response_id",
        "response__submitted_on",
        "response__service_card__code",
        "response__service_card__unit__code",
        "response__channel",
        "question__key",
        "choice__value",
        "number",
        "text",
        "choice__is_not_applicable",
    )
    frame = pd.DataFrame.from_records(
        values,
        columns=[
            "response",
            "date",
            "card",
            "unit",
            "channel",
            "key",
            "choice",
            "number",
            "text",
            "na",
        ],
    )
    if frame.empty:
        return pd.DataFrame(columns=ANSWER_COLUMNS)
    dates = pd.to_datetime(frame["date"])
    frame["year"] = dates.dt.year
    frame["month"] = dates.dt.strftime("%Y-%m")
    frame["value"] = frame["choice"].where(
        frame["choice"].notna(),
        frame["number"].astype("string").where(frame["number"].notna(), frame["text"]),
    )
    frame["na"] = frame["na"].fillna(False).astype(bool)
    return frame[ANSWER_COLUMNS]
