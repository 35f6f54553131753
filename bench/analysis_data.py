"""Three years of survey responses and staff observations, for `make bench-analysis`.

Submitting 100,000 responses through the public form would take hours, so the rows are
written directly (COPY on PostgreSQL, `executemany` on SQLite, explicit keys, sequences
reset afterwards) — in the shape `surveys.services.response_submit` leaves them in.
Every response is first *planned* (`plan_response`: channel, desk, interviewer, card,
day, and the answers as the form's cleaned values would be, by question key) and then
written as rows; `submit_plan` sends the same plan through the real `response_submit`,
and `response_signature` compares the two (the driver stops on any difference).

The office: `load_demo` (12 units, 80 cards, the default questionnaire) plus `add_cards`
(70 more cards, one published revision each, through `qms.services`). Each card gets a
profile (`card_profiles`): how many clients answer about it a year (a long tail, a few
cards so rare that their figures are suppressed) and how they rate it — most cards
meet the default standards (review/migrations/0002_defaults.py), some are weak on one
or two questions (clearly below the 80 % / 70 % targets), some borderline.

The questionnaire (surveys/default_questionnaire.py), as a client fills it in: the
service (stored on the response), whether they read the card (85 % did); if they read
it, whether it was useful, clear and complete; if incomplete, what was missing (1-3 of
7 options, one row each) and sometimes in their own words; whether the matter was
settled; four 1-5 ratings with "not applicable"; sometimes a comment. That is ~9
answer rows a response.

Staff observations: per year, 0-4 per card (document errors and frequent questions),
recorded by the unit's head in June and July; a few cards report more than the
standard's 10 document errors a month.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from bench.workflow_data import Table

GENERATED_CARDS = 70
FIRST_PUBLISHED = datetime.date(2024, 3, 1)  # as load_demo publishes its cards
MEAN_ANSWERS = 9.0  # answer rows per response, from the probabilities below (measured: ~9.0)

# Probabilities of the questionnaire's answers.
READ = {"web": 0.40, "office": 0.25, "staff": 0.20, "no": 0.15}
SETTLED = {"yes": 0.75, "partly": 0.15, "no": 0.10}
MISSING = {
    "documents": 30,
    "fees": 15,
    "time_limit": 20,
    "where": 8,
    "appeal": 7,
    "sample_form": 15,
    "other": 5,
}
MISSING_TEXT = 0.35
COMMENT = 0.15
NOT_APPLICABLE = {
    "staff_competence": 0.02,
    "staff_courtesy": 0.02,
    "plain_language": 0.03,
    "waiting_time": 0.05,
}
# Share of positive answers ("yes", or 4-5) of a card that is fine on that question.
GOOD = {
    "card_useful": 0.91,
    "card_clear": 0.90,
    "card_complete": 0.88,
    "staff_competence": 0.89,
    "staff_courtesy": 0.91,
    "plain_language": 0.85,
    "waiting_time": 0.80,
}
# Share of cards that are weak on a question (their rate: 0.55-0.72), or borderline (0.76-0.80).
WEAK = {
    "card_useful": 0.10,
    "card_clear": 0.06,
    "card_complete": 0.12,
    "staff_courtesy": 0.05,
    "waiting_time": 0.10,
}
BORDERLINE = 0.08
RARE_CARDS = 8  # 2-8 responses a year: their figures are suppressed
SMALL_CARDS = 20  # 12-60 a year: indicative, or too small for a standard (30)

MISSING_TEXTS = [
    "Nie było informacji, czy można złożyć wniosek przez ePUAP.",
    "Brakowało wzoru wypełnionego wniosku.",
    "Nie wiedziałem, ile kosztuje wydanie dokumentu.",
    "Karta nie mówi, co zrobić, gdy brakuje jednego załącznika.",
    "Nie podano, w którym pokoju złożyć dokumenty.",
    "Brak terminu odbioru decyzji.",
]
COMMENTS = [
    "Bardzo miła obsługa, dziękuję.",
    "Za długo czekałam w kolejce, tylko jedno stanowisko było czynne.",
    "Proszę o więcej miejsc do siedzenia w poczekalni.",
    "Wszystko sprawnie i szybko.",
    "Pani w okienku wszystko dokładnie wyjaśniła.",
    "Strona internetowa jest nieczytelna na telefonie.",
    "Brak parkingu przy urzędzie.",
    "Można by wydłużyć godziny pracy w poniedziałki.",
]
OBSERVATION_SUMMARIES = {
    "document_error": [
        "Brak podpisu na wniosku",
        "Nieaktualny formularz wniosku",
        "Brak wymaganego załącznika",
        "Błędnie wpisany numer PESEL",
    ],
    "question": [
        "Czy można złożyć wniosek elektronicznie?",
        "Ile trwa załatwienie sprawy?",
        "Gdzie wnieść opłatę?",
        "Czy potrzebne jest pełnomocnictwo?",
    ],
}


def weighted(rng: random.Random, table: Mapping[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


# --- the office -------------------------------------------------------------------------


def add_cards(count: int = GENERATED_CARDS) -> int:
    """`count` more active cards spread over the demo units (one revision each, published
    through qms.services like load_demo's); their content is a demo card's of the unit."""
    from qms.demo_data import CARDS
    from qms.models import OrgUnit, ServiceCard, ServiceCardRevision
    from qms.services import service_card_publish_revision

    units = list(OrgUnit.objects.filter(is_active=True).order_by("code"))
    template = {row["unit"]: row for row in CARDS}
    made = 0
    with transaction.atomic():
        for number in range(count):
            unit = units[number % len(units)]
            card, created = ServiceCard.objects.get_or_create(
                code=f"{unit.code}-B{number // len(units) + 1:02d}",
                defaults={
                    "title_pl": f"Usługa dodatkowa {number + 1} ({unit.code})",
                    "title_en": f"Additional service {number + 1} ({unit.code})",
                    "unit": unit,
                },
            )
            if not created:
                continue
            row = template[unit.code]
            service_card_publish_revision(
                card=card,
                published_by=None,
                published_on=FIRST_PUBLISHED,
                change_note="Pierwsza publikacja karty.",
                **{name: row[name] for name in ServiceCardRevision.CONTENT_FIELDS},
            )
            made += 1
    return made


@dataclass
class CardProfile:
    code: str
    per_year: float  # expected responses a year
    rates: dict[str, float]  # question key -> share of positive answers
    errors_per_month: float  # staff estimate of document errors
    tier: str  # rare, small, common


def card_profiles(codes: Sequence[str], rng: random.Random, per_year: float) -> list[CardProfile]:
    """Who answers about which card, and how they rate it (fixed for the three years)."""
    codes = sorted(codes)
    order = list(codes)
    rng.shuffle(order)
    rare = set(order[:RARE_CARDS])
    small = set(order[RARE_CARDS : RARE_CARDS + SMALL_CARDS])
    profiles = []
    for code in codes:
        if code in rare:
            tier, expected = "rare", float(rng.randint(2, 8))
        elif code in small:
            tier, expected = "small", float(rng.randint(12, 60))
        else:
            tier, expected = "common", rng.lognormvariate(0, 0.8)  # scaled below
        rates = dict(GOOD)
        for key in rates:
            rates[key] = min(0.97, max(0.5, rates[key] + rng.gauss(0, 0.02)))
        for key, share in WEAK.items():
            draw = rng.random()
            if draw < share:
                rates[key] = (
                    rng.uniform(0.55, 0.72) if key != "waiting_time" else rng.uniform(0.45, 0.62)
                )
            elif draw < share + BORDERLINE:
                target = 0.7 if key == "waiting_time" else 0.8
                rates[key] = rng.uniform(target - 0.04, target)
        errors = rng.uniform(12, 25) if rng.random() < 0.06 else rng.uniform(0.5, 6)
        profiles.append(CardProfile(code, expected, rates, errors, tier))
    fixed = sum(p.per_year for p in profiles if p.tier != "common")
    common = [p for p in profiles if p.tier == "common"]
    scale = (per_year - fixed) / sum(p.per_year for p in common)
    for profile in common:
        profile.per_year *= scale
    return profiles


# --- one response -----------------------------------------------------------------------


@dataclass
class Plan:
    """One response as the form would hand it to `response_submit` (values by key)."""

    card: str
    day: datetime.date
    channel: str
    desk: str | None  # desk code
    entered_by: str | None  # username
    answers: dict[str, str | list[str]]  # choice value(s), or text


def plan_answers(rng: random.Random, rates: dict[str, float]) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    read = weighted(rng, READ)
    answers["card_read"] = read
    if read != "no":
        for key in ("card_useful", "card_clear", "card_complete"):
            answers[key] = "yes" if rng.random() < rates[key] else "no"
        if answers["card_complete"] == "no":
            picked = set(
                rng.choices(list(MISSING), weights=list(MISSING.values()), k=rng.randint(1, 3))
            )
            answers["card_missing"] = [value for value in MISSING if value in picked]
            if rng.random() < MISSING_TEXT:
                answers["card_missing_text"] = rng.choice(MISSING_TEXTS)
    answers["settled"] = weighted(rng, SETTLED)
    for key, not_applicable in NOT_APPLICABLE.items():
        if rng.random() < not_applicable:
            answers[key] = "na"
        elif rng.random() < rates[key]:
            answers[key] = "5" if rng.random() < 0.55 else "4"
        else:
            answers[key] = rng.choices(["3", "2", "1"], weights=[60, 25, 15])[0]
    if rng.random() < COMMENT:
        answers["comments"] = rng.choice(COMMENTS)
    return answers


CHANNELS = {"web": 50, "qr": 25, "kiosk": 15, "interviewer": 10}


@dataclass
class Office:
    """What a plan refers to, by code: desks per unit, interviewers per unit."""

    unit_of_card: dict[str, str]
    desks: dict[str, list[str]]  # unit code -> desk codes ("" key: every desk)
    interviewers: dict[str, str]  # unit code -> username

    @classmethod
    def load(cls) -> Office:
        from qms.models import OrgUnit, ServiceCard
        from surveys.models import Desk

        desks: dict[str, list[str]] = {"": []}
        for code, unit in Desk.objects.order_by("code").values_list("code", "unit__code"):
            desks.setdefault(unit, []).append(code)
            desks[""].append(code)
        return cls(
            unit_of_card=dict(ServiceCard.objects.values_list("code", "unit__code")),
            desks=desks,
            interviewers=dict(
                OrgUnit.objects.filter(head__isnull=False).values_list("code", "head__username")
            ),
        )

    def plan(self, rng: random.Random, profile: CardProfile, day: datetime.date) -> Plan:
        channel = weighted(rng, CHANNELS)
        unit = self.unit_of_card[profile.code]
        desk = entered_by = None
        if channel != "web":
            desk = rng.choice(self.desks.get(unit) or self.desks[""])
        if channel == "interviewer":
            entered_by = self.interviewers[unit]
        return Plan(profile.code, day, channel, desk, entered_by, plan_answers(rng, profile.rates))


# --- writing rows -------------------------------------------------------------------------


def working_days(year: int, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@dataclass
class Stats:
    responses: Counter = field(default_factory=Counter)  # by year
    answers: Counter = field(default_factory=Counter)  # by year
    observations: Counter = field(default_factory=Counter)  # by year
    by_tier: Counter = field(default_factory=Counter)  # (year, tier) -> responses
    plans: list[Plan] = field(default_factory=list)  # a sample, for the checks


class Writer:
    """Rows of planned responses, with the keys and ids the real write path would use."""

    def __init__(self, version_id: int):
        from django.contrib.auth import get_user_model

        from qms.models import ServiceCard, ServiceCardRevision
        from surveys.models import Answer, Desk, Question, Response

        self.version_id = version_id
        self.questions: dict[str, int] = {}
        self.choices: dict[tuple[str, str], int] = {}
        for question in Question.objects.filter(version_id=version_id).prefetch_related("choices"):
            self.questions[question.key] = question.pk
            for choice in question.choices.all():
                self.choices[question.key, choice.value] = choice.pk
        self.cards = dict(ServiceCard.objects.values_list("code", "pk"))
        self.revisions: dict[int, list[tuple[int, datetime.date, int]]] = {}
        for card, number, published, pk in ServiceCardRevision.objects.values_list(
            "card_id", "number", "published_on", "pk"
        ):
            self.revisions.setdefault(card, []).append((number, published, pk))
        for revisions in self.revisions.values():
            revisions.sort(reverse=True)
        self.desks = dict(Desk.objects.values_list("code", "pk"))
        self.users = dict(get_user_model().objects.values_list("username", "pk"))
        self.responses = Table(
            Response,
            [
                "id",
                "version_id",
                "channel",
                "submitted_on",
                "service_card_id",
                "service_revision_id",
                "desk_id",
                "entered_by_id",
            ],
        )
        self.answers = Table(Answer, ["id", "response_id", "question_id", "choice_id", "text"])
        self.next_response = (Response.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.next_answer = (Answer.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.models: list[type[models.Model]] = [Response, Answer]

    def revision_on(self, card_id: int, day: datetime.date) -> int | None:
        """ServiceCard.revision_on: the highest number published by `day`."""
        for _number, published, pk in self.revisions.get(card_id, []):
            if published <= day:
                return pk
        return None

    def add(self, plan: Plan) -> int:
        """The rows of one response; returns the number of answer rows."""
        response_id = self.next_response
        self.next_response += 1
        card_id = self.cards[plan.card]
        self.responses.add(
            response_id,
            self.version_id,
            plan.channel,
            plan.day,
            card_id,
            self.revision_on(card_id, plan.day),
            self.desks[plan.desk] if plan.desk else None,
            self.users[plan.entered_by] if plan.entered_by else None,
        )
        written = 0
        for key, value in plan.answers.items():
            question = self.questions[key]
            for item in value if isinstance(value, list) else [value]:
                choice = self.choices.get((key, item))
                self.answers.add(
                    self.next_answer, response_id, question, choice, "" if choice else item
                )
                self.next_answer += 1
                written += 1
        return written

    def flush(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            self.responses.flush(cursor)
            self.answers.flush(cursor)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def generate(
    *,
    years: Sequence[int],
    answers_total: int,
    seed: int,
    version_id: int,
    progress: Callable[[str], None],
) -> tuple[Stats, list[CardProfile]]:
    """Responses of the survey periods (1 January-31 July) of `years`, ~answers_total rows."""
    from qms.models import ServiceCard

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    per_year = answers_total / len(years) / MEAN_ANSWERS
    profiles = card_profiles(
        list(ServiceCard.objects.filter(is_active=True).values_list("code", flat=True)),
        rng,
        per_year,
    )
    office = Office.load()
    writer = Writer(version_id)
    stats = Stats()
    for year in years:
        days = working_days(year, datetime.date(year, 1, 1), datetime.date(year, 7, 31))
        slots: list[tuple[datetime.date, CardProfile]] = []
        for profile in profiles:
            expected = profile.per_year * rng.uniform(0.9, 1.1)
            count = int(expected) + (rng.random() < expected - int(expected))
            slots.extend((rng.choice(days), profile) for _ in range(count))
        slots.sort(key=lambda slot: slot[0])  # ids grow with the date, as submitted
        for number, (day, profile) in enumerate(slots, 1):
            plan = office.plan(rng, profile, day)
            stats.answers[year] += writer.add(plan)
            stats.responses[year] += 1
            stats.by_tier[year, profile.tier] += 1
            if len(stats.plans) < 400 and rng.random() < 0.01:
                stats.plans.append(plan)
            if number % 10_000 == 0:
                writer.flush()
                progress(f"{year}: {number}/{len(slots)} responses")
        writer.flush()
        stats.observations[year] = write_observations(year, profiles, rng)
        progress(
            f"{year}: {stats.responses[year]} responses, {stats.answers[year]} answers, "
            f"{stats.observations[year]} observations"
        )
    writer.finish()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("surveys_response", "surveys_answer", "surveys_staffobservation"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return stats, profiles


@dataclass
class ObservationPlan:
    card: str
    kind: str
    summary: str
    frequency: int
    period: str
    example: str
    recorded_by: str
    recorded_on: datetime.date


def plan_observations(
    year: int, profiles: Iterable[CardProfile], rng: random.Random, office: Office
) -> list[ObservationPlan]:
    plans = []
    days = working_days(year, datetime.date(year, 6, 1), datetime.date(year, 7, 31))
    for profile in profiles:
        unit = office.unit_of_card[profile.code]
        head = office.interviewers[unit]
        # Document errors: the card's rate split over 1-2 staff estimates.
        reports = rng.randint(1, 2) if rng.random() < 0.7 or profile.errors_per_month > 10 else 0
        for _ in range(reports):
            monthly = profile.errors_per_month / reports * rng.uniform(0.85, 1.15)
            if monthly >= 8:
                frequency, period = max(1, round(monthly * 12 / 52)), "week"
            elif monthly >= 1:
                frequency, period = max(1, round(monthly)), "month"
            else:
                frequency, period = max(1, round(monthly * 12)), "year"
            plans.append(
                ObservationPlan(
                    profile.code,
                    "document_error",
                    rng.choice(OBSERVATION_SUMMARIES["document_error"]),
                    frequency,
                    period,
                    "",
                    head,
                    rng.choice(days),
                )
            )
        for _ in range(rng.randint(0, 2)):
            plans.append(
                ObservationPlan(
                    profile.code,
                    "question",
                    rng.choice(OBSERVATION_SUMMARIES["question"]),
                    rng.randint(1, 20),
                    rng.choice(["week", "month"]),
                    "",
                    head,
                    rng.choice(days),
                )
            )
    return plans


def observation_rows(plans: Iterable[ObservationPlan]) -> list[Any]:
    """StaffObservation rows of planned observations (no round: none is open)."""
    from django.contrib.auth import get_user_model

    from qms.models import ServiceCard
    from surveys.models import StaffObservation

    cards = dict(ServiceCard.objects.values_list("code", "pk"))
    users = dict(get_user_model().objects.values_list("username", "pk"))
    return [
        StaffObservation(
            card_id=cards[plan.card],
            kind=plan.kind,
            summary=plan.summary,
            frequency=plan.frequency,
            period=plan.period,
            example=plan.example,
            round=None,
            recorded_by_id=users[plan.recorded_by],
            recorded_on=plan.recorded_on,
        )
        for plan in plans
    ]


def write_observations(year: int, profiles: Iterable[CardProfile], rng: random.Random) -> int:
    from surveys.models import StaffObservation

    rows = observation_rows(plan_observations(year, profiles, rng, Office.load()))
    StaffObservation.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --- the checks: generated rows = what the services store ------------------------------


def submit_plan(plan: Plan, version_id: int) -> int:
    """The plan through the real write path (surveys.services.response_submit), as the
    form's `cleaned_answers` would hand it over; returns the response's pk."""
    import secrets

    from django.contrib.auth import get_user_model

    from qms.models import ServiceCard
    from surveys.models import Desk, QuestionnaireVersion
    from surveys.services import response_submit

    version = QuestionnaireVersion.objects.get(pk=version_id)
    questions = {q.key: q for q in version.questions.prefetch_related("choices")}
    card = ServiceCard.objects.get(code=plan.card)
    answers: dict[str, Any] = {"service": card}
    for key, value in plan.answers.items():
        choices = questions[key].choice_by_value
        if isinstance(value, list):
            answers[key] = [choices[v] for v in value]
        else:
            answers[key] = choices.get(value, value)
    response = response_submit(
        version=version,
        channel=plan.channel,
        answers=answers,
        nonce=secrets.token_hex(16),
        service_card=card,
        desk=Desk.objects.get(code=plan.desk) if plan.desk else None,
        entered_by=get_user_model().objects.get(username=plan.entered_by)
        if plan.entered_by
        else None,
        today=plan.day,
    )
    return response.pk


def response_signature(pk: int) -> dict[str, Any]:
    """A response and its answers without keys: equal for a generated and a submitted twin."""
    from surveys.models import Answer, Response

    response: dict[str, Any] = dict(Response.objects.filter(pk=pk).values().get())
    response.pop("id")
    answers = sorted(
        Answer.objects.filter(response_id=pk).values_list(
            "question__key", "choice__value", "number", "text"
        ),
        key=lambda row: tuple(str(v) for v in row),
    )
    return {"response": response, "answers": answers}


def find_generated(plan: Plan) -> int | None:
    """The generated response of a plan (the first that matches day, card, channel and
    answers)."""
    from surveys.models import Response

    candidates = Response.objects.filter(
        submitted_on=plan.day, service_card__code=plan.card, channel=plan.channel
    ).values_list("pk", flat=True)
    wanted = sorted(
        (key, item)
        for key, value in plan.answers.items()
        for item in (value if isinstance(value, list) else [value])
    )
    from surveys.models import Answer

    for pk in candidates:
        rows = sorted(
            (key, choice if choice is not None else text)
            for key, choice, text in Answer.objects.filter(response_id=pk).values_list(
                "question__key", "choice__value", "text"
            )
        )
        if rows == wanted:
            return pk
    return None


def observation_signature(pk: int) -> dict[str, Any]:
    from surveys.models import StaffObservation

    row: dict[str, Any] = dict(StaffObservation.objects.filter(pk=pk).values().get())
    row.pop("id")
    return row


def submit_observation(plan: ObservationPlan) -> int:
    from django.contrib.auth import get_user_model

    from qms.models import ServiceCard
    from surveys.services import observation_record

    return observation_record(
        user=get_user_model().objects.get(username=plan.recorded_by),
        card=ServiceCard.objects.get(code=plan.card),
        kind=plan.kind,
        summary=plan.summary,
        frequency=plan.frequency,
        period=plan.period,
        example=plan.example,
        today=plan.recorded_on,
    ).pk


def expected_breaches(cycle_pk: int) -> set[tuple[int, str]]:
    """(standard pk, card code) of every breach of a cycle, computed straight from SQL
    aggregates and statsmodels' Wilson interval — independently of review."""
    from django.db.models import Count, F, Q, Sum
    from statsmodels.stats.proportion import proportion_confint

    from qms.models import ServiceCard
    from review.models import Cycle, Standard
    from surveys.analysis import POSITIVE
    from surveys.models import Answer, StaffObservation

    cycle = Cycle.objects.select_related("version").get(pk=cycle_pk)
    standards = list(Standard.objects.filter(is_active=True))
    assert all(s.unit_id is None and s.card_id is None for s in standards), "overrides"
    units = dict(ServiceCard.objects.values_list("code", "unit__code"))
    breaches: set[tuple[int, str]] = set()
    for standard in standards:
        if standard.is_upper_limit:
            kind = "document_error" if standard.kind == Standard.Kind.ERRORS_AT_MOST else "question"
            per_month = {str(k): v for k, v in StaffObservation.PER_MONTH.items()}
            monthly: dict[str, float] = {}
            for code, frequency, period in StaffObservation.objects.filter(
                kind=kind,
                recorded_on__range=(datetime.date(cycle.year, 1, 1), cycle.analysis_due_on),
            ).values_list("card__code", "frequency", "period"):
                monthly[code] = monthly.get(code, 0.0) + frequency * per_month[period]
            breaches |= {
                (standard.pk, code) for code, value in monthly.items() if value > standard.target
            }
            continue
        assert standard.kind == Standard.Kind.SHARE_AT_LEAST, standard.kind
        rows = (
            Answer.objects.filter(
                response__is_pilot=False,
                response__version__questionnaire_id=cycle.version.questionnaire_id,
                response__submitted_on__range=(cycle.survey_opens_on, cycle.survey_closes_on),
                question__key=standard.key,
                response__service_card__isnull=False,
            )
            .exclude(choice__is_not_applicable=True)
            .values(code=F("response__service_card__code"))
            .annotate(
                n=Count("pk"),
                positive=Sum(
                    models.Case(
                        models.When(Q(choice__value__in=POSITIVE), then=1),
                        default=0,
                        output_field=models.IntegerField(),
                    )
                ),
            )
        )
        for row in rows:
            n, positive = row["n"], row["positive"]
            if n < max(standard.minimum_sample, 10) or row["code"] not in units:
                continue
            _low, high = proportion_confint(positive, n, alpha=0.05, method="wilson")
            if high < standard.target:
                breaches.add((standard.pk, row["code"]))
    return breaches
