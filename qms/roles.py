"""Roles are Django groups; this module is the single place that names them.

The groups and their model permissions are created by migration
`qms/migrations/0002_roles.py`, which reads `ROLE_PERMISSIONS` as it stood then;
change permissions with a new migration that calls `sync_role_permissions`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "quality_coordinator", _("Quality coordinator")
    HEAD = "department_head", _("Department head")
    STAFF = "staff", _("Staff")
    AUDITOR = "auditor", _("Auditor (read-only)")


_VIEW_CATALOGUE = [
    "qms.view_office",
    "qms.view_orgunit",
    "qms.view_servicecard",
    "qms.view_servicecardrevision",
]

_VIEW_SURVEYS = [
    "surveys.view_questionnaire",
    "surveys.view_questionnaireversion",
    "surveys.view_question",
    "surveys.view_desk",
]
# Single responses and clients' own words: the coordinator's only (the anonymity rule).
_VIEW_SINGLE_RESPONSES = ["surveys.view_response", "surveys.view_suggestion"]

_VIEW_NONCONFORMITIES = [
    "workflows.view_nonconformity",
    "workflows.view_action",
    "workflows.view_event",
    "workflows.view_causecategory",
    "workflows.view_deadlinepolicy",
    "workflows.view_absence",
]

_VIEW_REVIEW = [
    "review.view_cycle",
    "review.view_step",
    "review.view_standard",
    "review.view_finding",
    "review.view_pack",
    "review.view_peerfile",
]

# app_label.codename per role. Object-level limits (a head acts only on their own
# unit) are enforced by selectors and services, not by these model permissions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COORDINATOR: [
        *_VIEW_CATALOGUE,
        "qms.change_office",
        "qms.add_orgunit",
        "qms.change_orgunit",
        "qms.add_servicecard",
        "qms.change_servicecard",
        "qms.add_servicecardrevision",
        "qms.view_user",
        *_VIEW_SURVEYS,
        *_VIEW_SINGLE_RESPONSES,
        "surveys.add_desk",
        "surveys.change_desk",
        *_VIEW_NONCONFORMITIES,
        "workflows.add_causecategory",
        "workflows.change_causecategory",
        "workflows.change_deadlinepolicy",
        "workflows.add_absence",
        "workflows.change_absence",
        "workflows.delete_absence",
        *_VIEW_REVIEW,
        "review.add_cycle",
        "review.change_cycle",
        "review.add_standard",
        "review.change_standard",
    ],
    Role.HEAD: [*_VIEW_CATALOGUE, "qms.add_servicecardrevision"],
    Role.STAFF: [*_VIEW_CATALOGUE],
    Role.AUDITOR: [
        *_VIEW_CATALOGUE,
        "qms.view_user",
        "qms.view_auditentry",  # who read single responses: for the auditor to check
        *_VIEW_SURVEYS,
        *_VIEW_NONCONFORMITIES,
        *_VIEW_REVIEW,
    ],
}

# Roles that may open the Django admin (besides superusers).
ADMIN_ROLES = {Role.COORDINATOR, Role.AUDITOR}


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_qms_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._qms_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return role in user_roles(user)


def is_authenticated(user) -> bool:
    """The permission of every staff application: any logged-in user; pages scope further."""
    return user.is_authenticated


def is_coordinator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.COORDINATOR))


def can_read_everything(user) -> bool:
    """Coordinator, auditor and administrators see every unit's data."""
    return is_coordinator(user) or has_role(user, Role.AUDITOR)


def can_use_admin(user) -> bool:
    return user.is_superuser or bool(user_roles(user) & ADMIN_ROLES)


def sync_role_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """Create the role groups and set exactly these permissions (migration-safe).

    Migrations pass their own frozen copy of the mapping, so editing
    `ROLE_PERMISSIONS` later never changes what an old migration did.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; create them now so a
    # fresh database can grant them inside the migration.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
