"""Who may open which admin page.

The admin is for administrators, the coordinator and (read-only) the auditor.
"""

import pytest

from qms.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN_REDIRECT = 302


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)


# (role, url, expected status)
MATRIX = [
    # coordinator: org chart and catalogue, not user accounts' editing
    ("coordinator", "/admin/", 200),
    ("coordinator", "/admin/qms/orgunit/", 200),
    ("coordinator", "/admin/qms/orgunit/add/", 200),
    ("coordinator", "/admin/qms/orgunit/{unit}/change/", 200),
    ("coordinator", "/admin/qms/servicecard/add/", 200),
    (
        "coordinator",
        "/admin/qms/servicecardrevision/add/",
        403,
    ),  # revisions are published, not typed in
    ("coordinator", "/admin/qms/user/", 200),
    ("coordinator", "/admin/qms/user/add/", 403),
    ("coordinator", "/admin/auth/group/", 403),
    # auditor: read-only
    ("auditor", "/admin/", 200),
    ("auditor", "/admin/qms/orgunit/", 200),
    ("auditor", "/admin/qms/orgunit/{unit}/change/", 200),  # rendered as a view-only page
    ("auditor", "/admin/qms/orgunit/add/", 403),
    ("auditor", "/admin/qms/orgunit/{unit}/delete/", 403),
    ("auditor", "/admin/auth/group/", 403),
    # heads and staff work in the main UI only
    ("head_a", "/admin/", LOGIN_REDIRECT),
    ("head_a", "/admin/qms/orgunit/", LOGIN_REDIRECT),
    ("head_a", "/admin/qms/servicecard/", LOGIN_REDIRECT),
    ("staff", "/admin/", LOGIN_REDIRECT),
    ("staff", "/admin/qms/user/", LOGIN_REDIRECT),
    ("anonymous", "/admin/", LOGIN_REDIRECT),
    # the administrator manages users and groups
    ("admin", "/admin/qms/user/add/", 200),
    ("admin", "/admin/auth/group/", 200),
]


@pytest.mark.parametrize(("who", "url", "expected"), MATRIX)
def test_admin_access_matrix(cast, admin_user, client_for, unit_a, who, url, expected):
    user = {**cast, "admin": admin_user, "anonymous": None}[who]
    response = client_for(user).get(url.format(unit=unit_a.pk))
    assert response.status_code == expected
    if expected == LOGIN_REDIRECT:
        assert "/admin/login/" in response["Location"]


def test_auditor_cannot_change_through_admin(auditor, client_for, unit_a):
    response = client_for(auditor).post(
        f"/admin/qms/orgunit/{unit_a.pk}/change/",
        {"code": "X", "name_pl": "Zmienione", "kind": "wydzial"},
    )
    assert response.status_code == 403
    unit_a.refresh_from_db()
    assert unit_a.name_pl == "Wydział A"


def test_revision_is_read_only_in_admin(coordinator, client_for, card_a):
    revision = card_a.revisions.get()
    page = client_for(coordinator).get(f"/admin/qms/servicecardrevision/{revision.pk}/change/")
    assert page.status_code == 200
    assert b'name="fees"' not in page.content  # shown as text, no input


SURVEY_MATRIX = [
    ("coordinator", "/admin/surveys/response/", 200),
    ("coordinator", "/admin/surveys/desk/add/", 200),
    ("coordinator", "/admin/surveys/response/{response}/delete/", 403),  # evidence
    # single responses and clients' suggestions: the coordinator's only (anonymity rule)
    ("auditor", "/admin/surveys/response/", 403),
    ("auditor", "/admin/surveys/suggestion/", 403),
    ("auditor", "/admin/qms/auditentry/", 200),  # who read them: the auditor checks
    ("coordinator", "/admin/qms/auditentry/", 403),
    ("auditor", "/admin/surveys/desk/add/", 403),
    ("head_a", "/admin/surveys/response/", LOGIN_REDIRECT),
    ("staff", "/admin/surveys/response/", LOGIN_REDIRECT),
]


@pytest.mark.parametrize(("who", "url", "expected"), SURVEY_MATRIX)
def test_survey_admin_access_matrix(cast, client_for, card_a, who, url, expected):
    from surveys.models import Response
    from surveys.services import questionnaire_install_default

    version = questionnaire_install_default().active_version
    response = Response.objects.create(version=version, channel="web", submitted_on="2026-05-04")
    status = client_for(cast[who]).get(url.format(response=response.pk)).status_code
    if who == "coordinator" and url == "/admin/surveys/response/":
        entry = AuditEntry.objects.get(user=cast[who])  # the read is in the audit log
        assert entry.action == AuditEntry.Action.RESPONSE_LIST
    assert status == expected
