"""Three years of generated survey responses and their review cycles, for the demo.

The two past cycles are carried from open to closed by the real sweep (as if the
machine had been off: one catch-up run each); the current year's cycle is analysed and
its packs wait for the units' acknowledgement. Deterministic (a fixed seed).
"""

import datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from qms.models import ServiceCard
from review import benchmarking, services
from review.models import Cycle
from surveys.models import Answer, Channel, Question, QuestionnaireVersion, Response
from workflows.steps import coordinator_user

RESPONSES_PER_YEAR = 2400
CHANNELS = [Channel.WEB, Channel.QR, Channel.KIOSK, Channel.PAPER, Channel.INTERVIEWER]
CHANNEL_WEIGHTS = [0.35, 0.2, 0.15, 0.2, 0.1]
COMMENTS = [
    "Proszę o dłuższe godziny otwarcia w czwartki.",
    "Bardzo miła obsługa, dziękuję.",
    "Na stronie brakuje wzoru wypełnionego wniosku.",
    "Długo czekałem na swoją kolej.",
]


def _answers_for(
    response: Response, questions: list[Question], quality: float, rng: np.random.Generator
) -> list[Answer]:
    rows = []
    for question in questions:
        choices = list(question.choices.all())
        if question.kind == Question.Kind.SERVICE:
            continue
        if question.kind == Question.Kind.YES_NO:
            value = "yes" if rng.random() < quality else "no"
            chosen = [c for c in choices if c.value == value]
        elif question.kind == Question.Kind.LIKERT:
            if rng.random() < 0.05:
                chosen = [c for c in choices if c.is_not_applicable]
            else:
                score = int(np.clip(round(rng.normal(1 + 4 * quality, 0.9)), 1, 5))
                chosen = [c for c in choices if c.value == str(score)]
        elif question.kind == Question.Kind.MULTIPLE:
            if rng.random() < quality:
                continue
            picked = rng.choice(len(choices), size=int(rng.integers(1, 3)), replace=False)
            chosen = [choices[i] for i in picked]
        elif question.kind == Question.Kind.SINGLE:
            chosen = [choices[int(rng.integers(len(choices)))]] if choices else []
        elif question.kind == Question.Kind.TEXT:
            if rng.random() < 0.06:
                text = COMMENTS[int(rng.integers(len(COMMENTS)))]
                rows.append(Answer(response=response, question=question, text=text))
            continue
        elif question.kind == Question.Kind.SCALE:
            number = int(np.clip(round(rng.normal(10 * quality, 2)), 0, 10))
            rows.append(Answer(response=response, question=question, number=number))
            continue
        else:  # pragma: no cover - every kind is listed above
            continue
        rows.extend(Answer(response=response, question=question, choice=c) for c in chosen)
    return rows


def generate_responses(version: QuestionnaireVersion, year: int, seed: int) -> int:
    """`RESPONSES_PER_YEAR` live responses dated January–July of `year`."""
    rng = np.random.default_rng(seed)
    cards = list(ServiceCard.objects.filter(is_active=True).order_by("code"))
    questions = list(version.questions.prefetch_related("choices").order_by("position"))
    revisions = {card.pk: card.revisions.order_by("number").first() for card in cards}
    # Popular services get most visits; each card has its own quality, improving a little.
    popularity = rng.dirichlet(np.full(len(cards), 0.6))
    quality = {card.pk: float(np.clip(rng.normal(0.82, 0.1), 0.4, 0.98)) for card in cards}
    responses = []
    for index in rng.choice(len(cards), size=RESPONSES_PER_YEAR, p=popularity):
        card = cards[int(index)]
        day = datetime.date(year, 1, 1) + datetime.timedelta(days=int(rng.integers(0, 212)))
        responses.append(
            Response(
                version=version,
                channel=CHANNELS[int(rng.choice(len(CHANNELS), p=CHANNEL_WEIGHTS))],
                submitted_on=day,
                service_card=card,
                service_revision=revisions[card.pk],
            )
        )
    with transaction.atomic():
        Response.objects.bulk_create(responses, batch_size=500)
        answers = []
        for response in responses:
            assert response.service_card_id is not None
            trend = 0.01 * (year - 2024)
            level = min(quality[response.service_card_id] + trend, 0.99)
            answers.extend(_answers_for(response, questions, level, rng))
        Answer.objects.bulk_create(answers, batch_size=2000)
    return len(responses)


PEERS = [
    ("Urząd Miasta Rybnik", "Rybnik"),
    ("Urząd Miasta Tychy", "Tychy"),
    ("Urząd Miejski w Gliwicach", "Gliwice"),
    ("Urząd Miasta Zabrze", "Zabrze"),
    ("Urząd Miasta Bytom", "Bytom"),
    ("Urząd Miasta Chorzów", "Chorzów"),
]


def load_peers(cycle: Cycle, seed: int = 7) -> int:
    """Benchmark files of six made-up peer offices, derived from this office's export
    (other sample sizes, shares moved a little), imported through the real import."""
    import json

    coordinator = coordinator_user()
    rng = np.random.default_rng(seed)
    own = benchmarking.export_document(cycle)
    for name, city in PEERS:
        rows = []
        for row in own["indicators"]:
            n = max(10, int(row["n"] * rng.uniform(0.3, 2.5)))
            if row["measure"] == "share":
                value = float(np.clip(row["value"] + rng.normal(0, 0.06), 0, 1))
            else:
                value = float(np.clip(row["value"] + rng.normal(0, 0.3), 0, 10))
            rows.append({**row, "n": n, "value": round(value, 6)})
        document = {**own, "office": {"name": name, "city": city}, "indicators": rows}
        benchmarking.import_document(data=json.dumps(document).encode(), user=coordinator)
    return len(PEERS)


def load(today: datetime.date | None = None) -> int:
    """Create the three demo cycles once; returns how many were created."""
    if Cycle.objects.exists():
        return 0
    today = today or timezone.localdate()
    version = QuestionnaireVersion.objects.filter(status=QuestionnaireVersion.Status.ACTIVE).first()
    if version is None:
        return 0
    created = 0
    for offset in (2, 1, 0):
        year = today.year - offset
        generate_responses(version, year, seed=year)
        defaults = services.cycle_defaults(year)
        defaults["version"] = version
        if offset == 0:
            # The current cycle stays open: its units still have to acknowledge.
            defaults["catalogue_due_on"] = max(
                defaults["catalogue_due_on"], today + datetime.timedelta(days=30)
            )
        cycle = Cycle.objects.create(**defaults)
        created += 1
        last_due = max(due for _name, due in services.step_plan(cycle))
        services.advance(today=min(today, last_due), cycle=cycle)
    if cycle.indicators.exists():
        load_peers(cycle)
    return created
