"""Writes: one function per domain transition (see CONVENTIONS.md §2)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qms.models import ServiceCard, ServiceCardRevision, User
from qms.selectors import can_publish_revision


@transaction.atomic
def service_card_publish_revision(
    *,
    card: ServiceCard,
    published_by: User | None,
    required_documents: str,
    fees: str,
    time_limit: str,
    where_to_apply: str,
    legal_basis: str,
    appeal_route: str,
    change_note: str = "",
    published_on: datetime.date | None = None,
) -> ServiceCardRevision:
    """Publish the next revision of a card; earlier revisions stay exactly as they were.

    `published_by=None` is for system loaders (demo data, imports) only.
    """
    if published_by is not None and not can_publish_revision(published_by, card):
        raise PermissionDenied
    # Lock the card row so two publishers cannot take the same number.
    ServiceCard.objects.select_for_update().filter(pk=card.pk).first()
    last = card.revisions.aggregate(last=Max("number"))["last"] or 0
    return ServiceCardRevision.objects.create(
        card=card,
        number=last + 1,
        required_documents=required_documents,
        fees=fees,
        time_limit=time_limit,
        where_to_apply=where_to_apply,
        legal_basis=legal_basis,
        appeal_route=appeal_route,
        change_note=change_note,
        published_on=published_on or timezone.localdate(),
        created_by=published_by,
    )
