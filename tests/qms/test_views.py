import pytest
from django.urls import reverse

from qms.models import ServiceCardRevision

pytestmark = pytest.mark.django_db

LANDING_MARKERS = {
    "coordinator": 'data-stat="units"',
    "auditor": 'data-stat="units"',
    "head_a": "Wydział A",
    "staff": "Wydanie zaświadczenia",
}


@pytest.mark.parametrize("who", LANDING_MARKERS)
def test_each_role_lands_on_its_page(cast, card_a, client_for, who):
    client = client_for(cast[who])
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert LANDING_MARKERS[who] in response.content.decode()


def test_landing_templates_differ_per_role(cast, client_for):
    templates = {
        who: client_for(cast[who]).get("/dashboard/").templates[0].name
        for who in ("coordinator", "head_a", "staff", "auditor")
    }
    assert templates == {
        "coordinator": "qms/home_quality_coordinator.html",
        "head_a": "qms/home_department_head.html",
        "staff": "qms/home_staff.html",
        "auditor": "qms/home_auditor.html",
    }


@pytest.mark.parametrize("url", ["/", "/dashboard/", "/catalogue/", "/catalogue/cards/"])
def test_anonymous_is_sent_to_login(anonymous, url):
    response = anonymous.get(url, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_login_page_is_polish_by_default_with_our_subtitle(anonymous):
    page = anonymous.get("/accounts/login/").content.decode()
    assert "Zaloguj się" in page
    assert "System zarządzania jakością" in page
    assert "Viewflow Demo" not in page


def test_login_sets_the_users_language(anonymous, head_a):
    head_a.language = "en"
    head_a.save()
    anonymous.post("/accounts/login/", {"username": "head_a", "password": "password"})
    page = anonymous.get("/catalogue/").content.decode()
    assert "Organisational units" in page


def test_language_switch_to_english_and_back(client_for, head_a, card_a):
    client = client_for(head_a)
    assert "Jednostki organizacyjne" in client.get("/catalogue/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/catalogue/"})
    assert response.status_code == 302 and response["Location"] == "/catalogue/"
    page = client.get("/catalogue/").content.decode()
    assert "Organisational units" in page and "Department A" in page
    assert "Log out" in page
    head_a.refresh_from_db()
    assert head_a.language == "en"
    client.post("/i18n/setlang/", {"language": "pl", "next": "/catalogue/"})
    page = client.get("/catalogue/").content.decode()
    assert "Wyloguj się" in page  # viewflow's own string, in our Polish translation


def test_language_switch_rejects_foreign_redirects(client_for, staff):
    response = client_for(staff).post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_catalogue_browse_units_cards_revisions(client_for, staff, card_a, card_b):
    client = client_for(staff)
    units = client.get(reverse("catalogue:index")).content.decode()
    assert "Wydział A" in units and "Wydział B" in units
    unit_page = client.get(reverse("catalogue:unit_detail", args=[card_a.unit_id])).content.decode()
    assert card_a.code in unit_page and card_b.code not in unit_page
    card_page = client.get(reverse("catalogue:card_detail", args=[card_a.pk])).content.decode()
    assert "Wymagane dokumenty" in card_page and "Historia wersji" in card_page
    revision = client.get(reverse("catalogue:revision_detail", args=[card_a.pk, 1]))
    assert revision.status_code == 200
    assert client.get(reverse("catalogue:revision_detail", args=[card_a.pk, 99])).status_code == 404
    assert client.get(reverse("catalogue:card_detail", args=[999999])).status_code == 404


def test_card_search(client_for, staff, card_a, card_b):
    page = (
        client_for(staff).get(reverse("catalogue:card_list"), {"q": "zaświadcz"}).content.decode()
    )
    assert card_a.code in page and card_b.code not in page
    page = (
        client_for(staff)
        .get(reverse("catalogue:card_list"), {"unit": card_b.unit_id})
        .content.decode()
    )
    assert card_b.code in page and card_a.code not in page


@pytest.mark.parametrize(
    ("who", "card", "expected"),
    [
        ("coordinator", "card_a", 200),
        ("coordinator", "card_b", 200),
        ("head_a", "card_a", 200),  # own unit
        ("head_a", "card_b", 403),  # other unit
        ("head_b", "card_a", 403),
        ("staff", "card_a", 403),
        ("auditor", "card_a", 403),
    ],
)
def test_publish_revision_page_access(cast, client_for, card_a, card_b, who, card, expected):
    target = {"card_a": card_a, "card_b": card_b}[card]
    url = reverse("catalogue:revision_publish", args=[target.pk])
    assert client_for(cast[who]).get(url).status_code == expected
    assert client_for(cast[who]).post(url, {}).status_code == expected
    assert target.revisions.count() == 1 or expected == 200


def test_publish_revision_keeps_typed_text_on_error_and_publishes_when_valid(
    client_for, head_a, card_a
):
    client = client_for(head_a)
    url = reverse("catalogue:revision_publish", args=[card_a.pk])
    form = client.get(url).context["form"]
    assert form.initial["fees"] == "Bezpłatnie"  # pre-filled from the revision in force

    data = {
        "required_documents": "Wniosek i zdjęcie",
        "fees": "",
        "time_limit": "7 dni",
        "where_to_apply": "pokój 5",
        "legal_basis": "ustawa",
        "appeal_route": "brak",
        "change_note": "",
        "once": "revision-1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Wniosek i zdjęcie" in page  # nothing typed is lost
    assert "To pole jest wymagane." in page
    assert card_a.revisions.count() == 1

    response = client.post(url, {**data, "fees": "17 zł", "change_note": "Po ankiecie"})
    assert response.status_code == 302
    latest = card_a.revisions.order_by("-number").first()
    assert (latest.number, latest.fees, latest.created_by) == (2, "17 zł", head_a)
    assert ServiceCardRevision.objects.get(card=card_a, number=1).fees == "Bezpłatnie"


def test_card_list_query_count_does_not_grow(client_for, staff, django_assert_max_num_queries):
    from tests.factories import ServiceCardFactory, ServiceCardRevisionFactory

    client = client_for(staff)
    for _ in range(3):
        ServiceCardRevisionFactory(card=ServiceCardFactory())
    client.get(reverse("catalogue:card_list"))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("catalogue:card_list"))
    for _ in range(30):
        ServiceCardRevisionFactory(card=ServiceCardFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("catalogue:card_list"))
