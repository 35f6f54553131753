"""Who may open which survey page, as a table: (role, route) → status.

Objects belong to unit A. head_b is the "other unit": another unit's object answers
404, never data. Anonymous visitors are sent to the login page.
"""

import datetime

import pytest

from surveys.models import ObservationRound
from surveys.services import batch_open, version_create_draft

pytestmark = pytest.mark.django_db

LOGIN = 302
ALL_STAFF = ("coordinator", "auditor", "head_a", "head_b", "staff")


def row(url, coordinator, auditor, head_a, head_b, staff, method="get"):
    return [
        (method, url, who, status)
        for who, status in zip(
            (*ALL_STAFF, "anonymous"),
            (coordinator, auditor, head_a, head_b, staff, LOGIN),
            strict=True,
        )
    ]


MATRIX = [
    *row("/surveys/", 200, 200, 200, 200, 200),
    # questionnaires: the coordinator manages, the auditor reads
    *row("/surveys/versions/", 200, 200, 403, 403, 403),
    *row("/surveys/versions/{version}/", 200, 200, 403, 403, 403),
    *row("/surveys/versions/{version}/edit/", 200, 403, 403, 403, 403),
    *row("/surveys/versions/{version}/preview/", 200, 200, 403, 403, 403),
    *row("/surveys/versions/{draft}/compare/{version}/", 200, 200, 403, 403, 403),
    *row("/surveys/versions/{draft}/questions/new/", 200, 403, 403, 403, 403),
    *row("/surveys/versions/{draft}/questions/{question}/", 200, 403, 403, 403, 403),
    *row("/surveys/questionnaires/new/", 200, 403, 403, 403, 403),
    # respondents' free text about the questionnaire: the coordinator only
    *row("/surveys/suggestions/", 200, 403, 403, 403, 403),
    *row("/surveys/versions/{draft}/status/pilot/", 302, 403, 403, 403, 403, method="post"),
    *row("/surveys/versions/new/", 302, 403, 403, 403, 403, method="post"),
    *row(
        "/surveys/versions/{draft}/questions/{question}/delete/",
        302,
        403,
        403,
        403,
        403,
        method="post",
    ),
    # desks, QR sheets, kiosk addresses
    *row("/surveys/desks/", 200, 200, 200, 200, 200),
    *row("/surveys/desks/{desk}/qr.pdf", 200, 200, 200, 404, 200),
    *row("/surveys/desks/{desk}/new-kiosk-address/", 302, 403, 403, 403, 403, method="post"),
    # interviewer-assisted and paper entry: own unit's desks only; a batch (its sheets
    # are single responses) only for whoever typed it in, and the coordinator
    *row("/surveys/interview/", 200, 403, 200, 200, 200),
    *row("/surveys/interview/{version}/desk/{desk}/", 200, 403, 200, 404, 200),
    *row("/surveys/paper/", 200, 200, 200, 200, 200),
    *row("/surveys/paper/{batch}/", 200, 404, 404, 404, 200),
    *row("/surveys/paper/{batch}/enter/", 200, 403, 404, 404, 200),
    *row("/surveys/paper/{batch}/verify/", 200, 403, 404, 404, 200),
    *row("/surveys/paper/{batch}/sheets/1/resolve/", 404, 403, 404, 404, 404, method="post"),
    # observations and rounds
    *row("/surveys/observations/", 200, 200, 200, 200, 200),
    *row("/surveys/rounds/", 200, 200, 403, 403, 403),
    *row("/surveys/rounds/{round}/", 200, 200, 403, 403, 403),
    *row("/surveys/rounds/{round}/", 302, 403, 403, 403, 403, method="post"),
    # single responses and their exports: the quality coordinator only
    *row("/surveys/responses/", 200, 403, 403, 403, 403),
    *row("/surveys/responses/export.csv", 200, 403, 403, 403, 403),
    *row("/surveys/responses/export.xlsx", 200, 403, 403, 403, 403),
]


@pytest.fixture
def objects(survey, version, desk_a, desk_b, card_b, staff, coordinator):
    draft = version_create_draft(questionnaire=survey, copy_from=version)
    batch = batch_open(
        operator=staff,
        version=version,
        desk=desk_a,
        collected_on=datetime.date(2026, 11, 2),
        declared_count=1,
    )
    round_ = ObservationRound.objects.create(
        title="R",
        opened_on=datetime.date(2026, 11, 1),
        due_on=datetime.date(2026, 12, 1),
        opened_by=coordinator,
    )
    return {
        "version": version.pk,
        "draft": draft.pk,
        "question": draft.questions.get(key="comments").pk,
        "desk": desk_a.pk,
        "batch": batch.pk,
        "round": round_.pk,
    }


@pytest.mark.parametrize(("method", "url", "who", "expected"), MATRIX)
def test_survey_access_matrix(cast, client_for, objects, method, url, who, expected):
    client = client_for(cast.get(who))
    response = getattr(client, method)(url.format(**objects))
    assert response.status_code == expected, f"{who} {method.upper()} {url}"
