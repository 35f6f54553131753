from io import StringIO

import pytest
from django.core.management import call_command

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.roles import Role
from surveys.models import Desk

pytestmark = pytest.mark.django_db


def counts():
    return (
        OrgUnit.objects.count(),
        ServiceCard.objects.count(),
        ServiceCardRevision.objects.count(),
        User.objects.count(),
        Desk.objects.count(),
    )


def test_demo_office_is_realistic_and_loading_twice_duplicates_nothing():
    call_command("load_demo", "--no-history", stdout=StringIO())
    first = counts()
    units, cards, revisions, _users, desks = first
    assert desks >= 5
    assert 10 <= units <= 14
    assert 70 <= cards <= 90
    assert revisions > cards  # some cards have a history
    for role in Role:
        assert User.objects.filter(groups__name=role).exists(), role
    assert not OrgUnit.objects.filter(head__isnull=True).exists()
    assert OrgUnit.objects.filter(code="SO", deputy__username="zastepca.so").exists()

    call_command("load_demo", "--no-history", stdout=StringIO())
    assert counts() == first


def test_demo_users_can_log_in(client):
    call_command("load_demo", "--no-history", stdout=StringIO())
    for username in ("koordynator", "kierownik.so", "pracownik.bok", "audytor", "admin"):
        assert client.login(username=username, password="demo"), username
