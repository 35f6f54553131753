import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qms.models import OrgUnit, ServiceCardRevision
from qms.services import service_card_publish_revision
from tests.factories import OrgUnitFactory, ServiceCardFactory

CONTENT = {
    "required_documents": "Wniosek",
    "fees": "10 zł",
    "time_limit": "do 7 dni",
    "where_to_apply": "pokój 12",
    "legal_basis": "ustawa",
    "appeal_route": "nie przysługuje",
}


def test_publishing_a_revision_never_alters_the_previous_one(card_a, coordinator):
    first = card_a.revisions.get()
    snapshot = {f: getattr(first, f) for f in ServiceCardRevision.CONTENT_FIELDS}

    second = service_card_publish_revision(
        card=card_a,
        published_by=coordinator,
        change_note="Nowa opłata",
        **{**CONTENT, "fees": "20 zł"},
    )

    first.refresh_from_db()
    assert second.number == first.number + 1
    assert {f: getattr(first, f) for f in ServiceCardRevision.CONTENT_FIELDS} == snapshot
    assert card_a.current_revision == second


def test_saved_revision_cannot_be_edited_or_deleted(card_a):
    revision = card_a.revisions.get()
    revision.fees = "changed"
    with pytest.raises(ValidationError):
        revision.save()
    with pytest.raises(ValidationError):
        revision.delete()
    revision.refresh_from_db()
    assert revision.fees != "changed"


def test_current_revision_is_the_latest_published_by_today(card_a, coordinator):
    future = service_card_publish_revision(
        card=card_a, published_by=coordinator, published_on=datetime.date(2999, 1, 1), **CONTENT
    )
    assert card_a.current_revision.number == 1
    assert card_a.revision_on(datetime.date(2999, 1, 2)) == future


def test_head_publishes_only_for_own_unit(card_a, card_b, head_a):
    assert service_card_publish_revision(card=card_a, published_by=head_a, **CONTENT).number == 2
    with pytest.raises(PermissionDenied):
        service_card_publish_revision(card=card_b, published_by=head_a, **CONTENT)
    assert card_b.revisions.count() == 1


def test_deputy_may_publish_for_the_unit(card_a, head_a, head_b):
    card_a.unit.deputy = head_b
    card_a.unit.save()
    assert service_card_publish_revision(card=card_a, published_by=head_b, **CONTENT).number == 2


@pytest.mark.parametrize("who", ["staff", "auditor"])
def test_staff_and_auditor_cannot_publish(card_a, cast, who):
    with pytest.raises(PermissionDenied):
        service_card_publish_revision(card=card_a, published_by=cast[who], **CONTENT)


def test_org_chart_rejects_cycles_and_head_as_deputy(head_a):
    parent = OrgUnitFactory()
    child = OrgUnitFactory(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError) as error:
        parent.full_clean()
    assert "parent" in error.value.message_dict
    unit = OrgUnitFactory(head=head_a, deputy=head_a)
    with pytest.raises(ValidationError):
        unit.full_clean()


def test_names_follow_the_active_language(unit_a):
    from django.utils import translation

    with translation.override("pl"):
        assert unit_a.name == "Wydział A"
    with translation.override("en"):
        assert unit_a.name == "Department A"
    unit_a.name_en = ""
    with translation.override("en"):
        assert unit_a.name == "Wydział A"  # falls back to Polish


def test_card_list_annotation_matches_derived_current_revision(card_a, coordinator):
    from qms.selectors import card_list

    service_card_publish_revision(card=card_a, published_by=coordinator, **CONTENT)
    ServiceCardFactory(unit=card_a.unit)  # a card with no revision
    numbers = {c.code: c.current_revision_number for c in card_list(unit=card_a.unit)}
    assert numbers[card_a.code] == 2
    assert None in numbers.values()
    assert OrgUnit.objects.count() == 1
