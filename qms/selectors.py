"""Reads. Every query that depends on who is asking goes through here."""

from django.db.models import Count, Prefetch, Q, QuerySet

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.roles import Role, is_coordinator, user_roles


def managed_unit_ids(user: User) -> set[int]:
    """Units the user heads or deputises for, from the org chart."""
    if not user.is_authenticated:
        return set()
    return set(OrgUnit.objects.filter(Q(head=user) | Q(deputy=user)).values_list("pk", flat=True))


def landing_role(user: User) -> str:
    """The role whose landing page the user sees (the most powerful one they hold)."""
    roles = user_roles(user)
    if user.is_superuser or Role.COORDINATOR in roles:
        return Role.COORDINATOR
    for role in (Role.AUDITOR, Role.HEAD, Role.STAFF):
        if role in roles:
            return role
    return Role.STAFF


def unit_list() -> QuerySet[OrgUnit]:
    return (
        OrgUnit.objects.filter(is_active=True)
        .select_related("parent", "head", "deputy")
        .annotate(card_count=Count("service_cards", filter=Q(service_cards__is_active=True)))
        .order_by("code")
    )


def card_list(*, unit: OrgUnit | None = None, query: str = "") -> QuerySet[ServiceCard]:
    cards = ServiceCard.objects.filter(is_active=True).select_related("unit")
    if unit is not None:
        cards = cards.filter(unit=unit)
    if query:
        cards = cards.filter(
            Q(code__icontains=query) | Q(title_pl__icontains=query) | Q(title_en__icontains=query)
        )
    return cards.with_current_revision_number().order_by("code")


def card_detail(pk: int) -> ServiceCard:
    revisions = ServiceCardRevision.objects.select_related("created_by").order_by("-number")
    return (
        ServiceCard.objects.select_related("unit", "unit__head")
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .get(pk=pk)
    )


def can_publish_revision(user: User, card: ServiceCard) -> bool:
    """The coordinator, or the head / deputy of the unit that owns the card."""
    if not user.has_perm("qms.add_servicecardrevision"):
        return False
    return is_coordinator(user) or card.unit_id in managed_unit_ids(user)


def catalogue_stats() -> dict[str, int]:
    """Counts for the coordinator's and auditor's landing pages (three queries)."""
    units = OrgUnit.objects.filter(is_active=True).aggregate(
        total=Count("pk"),
        without_head=Count("pk", filter=Q(head__isnull=True)),
    )
    cards = ServiceCard.objects.filter(is_active=True).aggregate(
        # distinct: the join to revisions repeats each card once per revision
        total=Count("pk", distinct=True),
        without_revision=Count("pk", filter=Q(revisions__isnull=True), distinct=True),
    )
    return {
        "units": units["total"],
        "units_without_head": units["without_head"],
        "cards": cards["total"],
        "cards_without_revision": cards["without_revision"],
        "users": User.objects.filter(is_active=True).count(),
    }
