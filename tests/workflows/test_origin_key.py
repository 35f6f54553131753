"""An origin (a finding of the annual cycle) registers at most one nonconformity: the
origin key is a unique column of the item itself, not a purgeable token row."""

import pytest
from django.db import IntegrityError, transaction

from workflows.models import Nonconformity, Source
from workflows.services import AlreadyRegistered, nonconformity_register


def _register(card, key):
    return nonconformity_register(
        user=None,
        title="A-01: standard niespełniony",
        description="x",
        source=Source.SURVEY,
        unit=card.unit,
        service_card=card,
        origin_key=key,
    )


def test_the_same_origin_registers_once(coordinator, card_a):
    first = _register(card_a, "finding:1")
    with pytest.raises(AlreadyRegistered):
        _register(card_a, "finding:1")
    assert Nonconformity.objects.get(origin_key="finding:1") == first
    _register(card_a, "finding:2")  # another origin is another item
    assert Nonconformity.objects.count() == 2


def test_the_database_refuses_a_second_item_for_an_origin(coordinator, card_a):
    first = _register(card_a, "finding:7")
    copy = Nonconformity.objects.get(pk=first.pk)
    copy.pk = None
    copy.number, copy.sequence = "NC/2099/0001", 1
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_items_without_an_origin_need_no_key(coordinator, card_a):
    _register(card_a, None)
    _register(card_a, "")
    assert Nonconformity.objects.filter(origin_key__isnull=True).count() == 2
