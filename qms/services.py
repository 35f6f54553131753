"""Writes: one function per domain transition (see CONVENTIONS.md §2)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from qms.models import AuditEntry, FormKey, ServiceCard, ServiceCardRevision, User
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


class FormKeyUsed(Exception):
    """The page was sent before: its one-time key is taken, nothing was created."""


def form_key_claim(*, key: str, user: User | None) -> None:
    """Take a staff form's one-time key inside the caller's transaction, or raise FormKeyUsed.

    Call it in the same `atomic()` block as the write it guards: if that write fails, the
    key is released with it. An empty key (an old page without one) is refused too.
    """
    if not key:
        raise FormKeyUsed
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            FormKey.objects.create(key=key[:100], user=user)
    except IntegrityError:
        raise FormKeyUsed from None


def audit_record(
    *, user: User, action: str, route: str = "", params: dict | None = None, rows: int | None = None
) -> AuditEntry:
    """Write one audit-log line (who, when, what, with which filter)."""
    return AuditEntry.objects.create(
        user=user, action=action, route=route[:200], params=params or {}, rows=rows
    )
