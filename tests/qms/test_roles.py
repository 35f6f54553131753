from django.contrib.auth.models import Group

from qms.roles import ROLE_PERMISSIONS, Role


def test_migrations_create_every_role_with_exactly_its_permissions(db):
    """Catches a change to ROLE_PERMISSIONS that no migration applied."""
    for role in Role:
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(ROLE_PERMISSIONS[role]), role


def test_auditor_gets_only_view_permissions():
    assert all(".view_" in perm for perm in ROLE_PERMISSIONS[Role.AUDITOR])
