import datetime

import pytest
from django.utils import timezone

from review.models import Cycle, Standard
from surveys.models import Answer, Channel, Response
from surveys.services import questionnaire_install_default

YEAR = 2026


def at(day: datetime.date, hour: int = 7) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def survey(card_a, card_b):
    return questionnaire_install_default()


@pytest.fixture
def cycle(survey, coordinator, head_a, head_b):
    """The 2026 cycle: survey Jan–Jul, analysis 30 August, catalogue updates by 31 October."""
    return Cycle.objects.create(
        year=YEAR,
        version=survey.active_version,
        survey_opens_on=datetime.date(YEAR, 1, 1),
        survey_closes_on=datetime.date(YEAR, 7, 31),
        observations_due_on=datetime.date(YEAR, 7, 31),
        analysis_due_on=datetime.date(YEAR, 8, 30),
        catalogue_due_on=datetime.date(YEAR, 10, 31),
    )


@pytest.fixture
def useful_standard(db):
    """Only one standard in force, so each test knows what breaches."""
    Standard.objects.all().delete()
    return Standard.objects.create(
        name_pl="Karta przydatna (80%)",
        name_en="Card useful (80%)",
        kind=Standard.Kind.SHARE_AT_LEAST,
        key="card_useful",
        target=0.8,
        minimum_sample=30,
    )


def answer(version, card, *, useful: int, not_useful: int, day: datetime.date) -> None:
    """Responses about `card` with the given numbers of yes/no to "card useful"."""
    question = version.questions.get(key="card_useful")
    choices = {c.value: c for c in question.choices.all()}
    revision = card.revisions.order_by("-number").first()
    values = ["yes"] * useful + ["no"] * not_useful
    responses = Response.objects.bulk_create(
        [
            Response(
                version=version,
                channel=Channel.WEB,
                submitted_on=day,
                service_card=card,
                service_revision=revision,
            )
            for _ in values
        ]
    )
    Answer.objects.bulk_create(
        [
            Answer(response=r, question=question, choice=choices[value])
            for r, value in zip(responses, values, strict=True)
        ]
    )


def _walk_to_verification(nc):
    """Through the real services: accepted, analysed, one action by the head, done."""
    from tests.workflows.conftest import open_task, walk_to_implementation
    from workflows import services as s
    from workflows import steps
    from workflows.models import CauseCategory

    coordinator = steps.coordinator_user()
    head = steps.responsible_for(nc.unit)
    walk_to_implementation(
        nc,
        coordinator=coordinator,
        head=head,
        owners=[head],
        category=CauseCategory.objects.first(),
    )
    [t] = open_task(nc, "implement")
    s.action_complete(task=t, user=head, evidence="Wzór dodany")
    [t] = open_task(nc, "verification")
    return t, coordinator


def walk_to_measurement(nc):
    from workflows import services as s
    from workflows.models import Nonconformity

    task, coordinator = _walk_to_verification(nc)
    s.nonconformity_verify(
        task=task,
        user=coordinator,
        verdict=Nonconformity.Verdict.NEXT_MEASUREMENT,
        evidence="Sprawdzimy w następnym badaniu",
    )


def walk_to_closed(nc):
    from workflows import services as s
    from workflows.models import Nonconformity

    task, coordinator = _walk_to_verification(nc)
    s.nonconformity_verify(
        task=task, user=coordinator, verdict=Nonconformity.Verdict.EFFECTIVE, evidence="OK"
    )
