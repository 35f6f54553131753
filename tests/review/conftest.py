import datetime

import pytest
from django.utils import timezone

from qms.review.models import Cycle, Standard
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
    """Accept → analyse → plan → approve → implement, as the real users."""
    from tests.workflows.conftest import open_task
    from workflows import services as s
    from workflows.models import CauseCategory

    coordinator = s.coordinator_user()
    [t] = open_task(nc, "triage")
    s.nonconformity_triage(task=t, user=coordinator, decision="accept")
    [t] = open_task(nc, "analysis")
    head = t.owner
    s.nonconformity_analyse(
        task=t,
        user=head,
        immediate_correction="",
        why_chain=["Karta nie podaje wzoru wniosku"],
        root_cause="Brak wzoru",
        cause_category=CauseCategory.objects.first(),
        occurs_elsewhere="no",
    )
    [t] = open_task(nc, "planning")
    s.nonconformity_plan(
        task=t,
        user=head,
        actions=[
            {
                "kind": "corrective",
                "description": "Dodać wzór",
                "owner": head,
                "due_on": datetime.date.today() + datetime.timedelta(days=20),
            }
        ],
    )
    [t] = open_task(nc, "plan_review")
    s.nonconformity_review_plan(task=t, user=coordinator, approve=True)
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
