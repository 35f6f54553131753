"""Who may open which nonconformity route: (role, route, own/other unit) → status.

Objects belong to unit A; head_b is the other unit's head. Another unit's item is a
404 (or 403 for a coordinator-only action), never data. viewflow's own flow URLs
(assign, unassign, undo, cancel, revive, chart…) are not mounted at all.
"""

import pytest
from django.urls import get_resolver

from tests.workflows.conftest import open_task, walk_to_implementation
from workflows.models import Nonconformity, Source
from workflows.services import nonconformity_register, nonconformity_triage

pytestmark = pytest.mark.django_db

LOGIN = 302
WHO = ("coordinator", "auditor", "head_a", "head_b", "staff", "anonymous")


def row(url, *statuses, method="get"):
    return [(method, url, who, status) for who, status in zip(WHO, (*statuses, LOGIN), strict=True)]


MATRIX = [
    # lists are filtered, never refused
    *row("/nonconformities/", 200, 200, 200, 200, 200),
    *row("/nonconformities/my-tasks/", 200, 200, 200, 200, 200),
    *row("/nonconformities/inbox/", 200, 200, 200, 200, 200),
    *row("/nonconformities/export.csv", 200, 200, 200, 200, 200),
    *row("/nonconformities/export.xlsx", 200, 200, 200, 200, 200),
    *row("/nonconformities/new/", 200, 403, 403, 403, 403),
    # one item of unit A
    *row("/nonconformities/{nc}/", 200, 200, 200, 404, 404),
    *row("/nonconformities/{nc}/record.pdf", 200, 200, 200, 404, 404),
    *row("/nonconformities/{nc}/evidence/", 200, 200, 200, 404, 404),
    *row("/nonconformities/{nc}/reopen/", 302, 403, 403, 403, 403, method="post"),
    # the triage task (the coordinator's) and the analysis task (head A's)
    *row("/nonconformities/tasks/{triage}/", 200, 200, 200, 404, 404),
    *row("/nonconformities/tasks/{analysis}/", 200, 200, 200, 404, 404),
    *row("/nonconformities/tasks/{analysis}/", 403, 403, 422, 404, 404, method="post"),
    *row("/nonconformities/tasks/{analysis}/reassign/", 302, 403, 403, 403, 403, method="post"),
    # administration: the coordinator (and read-only the auditor), never heads or staff
    *row("/admin/workflows/nonconformity/", 200, 200, LOGIN, LOGIN, LOGIN),
    *row("/admin/workflows/nonconformity/{nc}/change/", 200, 200, LOGIN, LOGIN, LOGIN),
    *row("/admin/workflows/causecategory/add/", 200, 403, LOGIN, LOGIN, LOGIN),
]


@pytest.fixture
def objects(coordinator, head_a, card_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    waiting = nonconformity_register(
        user=coordinator,
        title="W kolejce",
        description="x",
        source=Source.AUDIT,
        unit=card_a.unit,
        service_card=card_a,
        evidence_file=SimpleUploadedFile("dowod.pdf", b"%PDF-1.4 test"),
    )
    accepted = nonconformity_register(
        user=coordinator, title="Przyjęta", description="x", source=Source.AUDIT, unit=card_a.unit
    )
    [triage] = open_task(accepted, "triage")
    nonconformity_triage(task=triage, user=coordinator, decision="accept", severity="minor")
    [waiting_triage] = open_task(waiting, "triage")
    [analysis] = open_task(accepted, "analysis")
    return {"nc": waiting.pk, "triage": waiting_triage.pk, "analysis": analysis.pk}


@pytest.mark.parametrize(("method", "url", "who", "expected"), MATRIX)
def test_nonconformity_access_matrix(cast, client_for, objects, method, url, who, expected):
    client = client_for(cast.get(who))
    response = getattr(client, method)(url.format(**objects))
    assert response.status_code == expected, f"{who} {method.upper()} {url}"


def test_lists_show_only_the_units_items(client_for, head_a, head_b, staff, objects):
    for user, sees in ((head_a, True), (head_b, False), (staff, False)):
        page = client_for(user).get("/nonconformities/").content.decode()
        assert ("NC/" in page) is sees, user
        export = client_for(user).get("/nonconformities/export.csv").content.decode("utf-8-sig")
        assert ("NC/" in export) is sees, user


def test_action_owner_sees_their_task_and_the_item_read_only(
    client_for, coordinator, head_a, staff, card_a, category
):
    nc = nonconformity_register(
        user=coordinator, title="Akcja", description="x", source=Source.AUDIT, unit=card_a.unit
    )
    walk_to_implementation(
        nc, coordinator=coordinator, head=head_a, owners=[staff], category=category, due_in_days=10
    )
    [implement] = open_task(nc, "implement")
    client = client_for(staff)
    assert client.get(f"/nonconformities/{nc.pk}/").status_code == 200
    assert client.get(f"/nonconformities/tasks/{implement.pk}/").status_code == 200
    assert (
        f"/nonconformities/tasks/{implement.pk}/"
        in client.get("/nonconformities/my-tasks/").content.decode()
    )
    assert client.post(f"/nonconformities/{nc.pk}/reopen/", {"reason": "x"}).status_code == 403


def test_item_page_queries_do_not_grow_with_its_actions(
    client_for, coordinator, head_a, staff, card_a, category, django_assert_max_num_queries
):

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def with_actions(n):
        nc = nonconformity_register(
            user=coordinator, title="A", description="x", source=Source.AUDIT, unit=card_a.unit
        )
        return walk_to_implementation(
            nc, coordinator=coordinator, head=head_a, owners=[staff] * n, category=category
        )

    small, large = with_actions(1), with_actions(6)
    client = client_for(head_a)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/nonconformities/{small.pk}/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/nonconformities/{large.pk}/")


def test_viewflow_flow_urls_are_not_mounted():
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    routes = [r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")]
    for word in ("/assign/", "/unassign/", "/undo/", "/revive/", "/cancel/", "chart/", "/execute/"):
        assert not [r for r in routes if word in r], word


def test_triage_page_lists_only_similar_items_the_viewer_may_see(
    client_for, coordinator, head_a, card_a, card_b, category
):

    other = nonconformity_register(
        user=coordinator,
        title="Inna komórka",
        description="x",
        source=Source.AUDIT,
        unit=card_b.unit,
    )
    Nonconformity.objects.filter(pk=other.pk).update(cause_category=category)
    mine = nonconformity_register(
        user=coordinator, title="Moja", description="x", source=Source.AUDIT, unit=card_a.unit
    )
    Nonconformity.objects.filter(pk=mine.pk).update(cause_category=category)
    [triage] = open_task(mine, "triage")
    assert (
        other.number
        in client_for(coordinator).get(f"/nonconformities/tasks/{triage.pk}/").content.decode()
    )
    page = client_for(head_a).get(f"/nonconformities/tasks/{triage.pk}/").content.decode()
    assert other.number not in page  # head A never learns of unit B's items


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/nonconformities/inbox/", {"read": "abc"}),
        ("get", "/nonconformities/?unit=9999999999999999999999999", None),
        ("get", "/nonconformities/export.csv?unit=99999999999999999999&year=123456789", None),
    ],
)
def test_bad_parameters_never_cause_a_server_error(client_for, coordinator, method, url, data):
    response = getattr(client_for(coordinator), method)(url, data or {})
    assert response.status_code in (200, 404)


def test_registration_refuses_an_executable_as_evidence(client_for, coordinator, card_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(coordinator).post(
        "/nonconformities/new/",
        {
            "title": "T",
            "description": "Opis zostaje",
            "source": "audit",
            "severity": "minor",
            "unit": card_a.unit.pk,
            "evidence_file": SimpleUploadedFile("x.exe", b"MZ"),
        },
    )
    assert response.status_code == 422 and "Opis zostaje" in response.content.decode()


@pytest.mark.parametrize("ids_max", [500, 0])  # the outside items as ids, or by subquery
def test_head_who_owns_an_action_in_another_unit_sees_that_item_only(
    monkeypatch, client_for, coordinator, head_a, head_b, card_a, card_b, category, ids_max
):

    from workflows import selectors

    monkeypatch.setattr(selectors, "OUTSIDE_IDS_MAX", ids_max)

    def register(card, title):
        return nonconformity_register(
            user=coordinator, title=title, description="x", source=Source.AUDIT, unit=card.unit
        )

    with_action, without = register(card_a, "Akcja B"), register(card_a, "Bez akcji B")
    own = register(card_b, "Własna B")
    walk_to_implementation(
        with_action, coordinator=coordinator, head=head_a, owners=[head_b], category=category
    )

    client = client_for(head_b)
    page = client.get("/nonconformities/").content.decode()
    assert with_action.number in page and own.number in page
    assert without.number not in page
    assert client.get(f"/nonconformities/{with_action.pk}/").status_code == 200
    assert client.get(f"/nonconformities/{without.pk}/").status_code == 404
    [implement] = open_task(with_action, "implement")
    [other_step] = open_task(without, "triage")
    assert client.get(f"/nonconformities/tasks/{implement.pk}/").status_code == 200  # theirs
    assert client.get(f"/nonconformities/tasks/{other_step.pk}/").status_code == 404
