"""Double-submit guard for staff forms that create something (see qms.models.FormKey)."""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qms.services import FormKeyUsed, form_key_claim

T = TypeVar("T")


def create_once(request: HttpRequest, key: str, create: Callable[[], T]) -> T | None:
    """Run `create()` once for the form key `key`, in one transaction with its claim.

    Answers None (with a message saying it was saved once) when the same page was sent
    before; the caller then redirects to where the first send led. A ValidationError
    from `create` releases the key with everything else, so the corrected form can be
    sent again with the same key.
    """
    try:
        with transaction.atomic():
            form_key_claim(key=key, user=request.user if request.user.is_authenticated else None)
            return create()
    except FormKeyUsed:
        messages.info(request, _("This form was sent already; it was saved once."))
        return None


def form_key(prefix: str, request: HttpRequest, once: str) -> str:
    """A claimed key names the form and the user, so two people's keys never collide."""
    return f"{prefix}:{getattr(request.user, 'pk', '-')}:{once}"
