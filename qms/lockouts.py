"""Login throttling (django-axes): the check before a password is tried, the sign-ins
locked out now, and lifting a lockout.

axes keeps one AccessAttempt row per username, client address and browser, with the
failures counted and the time of the last one. A username is locked out when its rows
within the cool-off add up to the limit; so is an address (AXES_LOCKOUT_PARAMETERS).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.models import AuditEntry, User
from qms.services import audit_record


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' lockout check, first in AUTHENTICATION_BACKENDS; it logs nobody in itself.

    Only a sign-in over HTTP is throttled (and counted): axes needs the request for the
    client's address. `authenticate()` without one (the test client's `login()`, a shell)
    goes on to the password check, where axes would raise instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


@dataclass(frozen=True)
class Lockout:
    """A username at an address whose sign-in is refused now: because of the username's
    failures (`by_username`), the address's (`by_address`), or both."""

    username: str
    ip_address: str
    failures: int
    last_failure: datetime
    locked_until: datetime
    by_username: bool
    by_address: bool


def current_lockouts() -> list[Lockout]:
    """Every username × address pair refused now, the latest failure first."""
    cooloff = settings.AXES_COOLOFF_TIME
    rows = list(
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last", "username")
    )
    per_username: Counter[str] = Counter()
    per_address: Counter[str] = Counter()
    last_username: dict[str, datetime] = {}
    last_address: dict[str, datetime] = {}
    for row in rows:
        username, address = row["username"] or "", row["ip_address"] or ""
        per_username[username] += row["failures"]
        per_address[address] += row["failures"]
        last_username[username] = max(last_username.get(username, row["last"]), row["last"])
        last_address[address] = max(last_address.get(address, row["last"]), row["last"])
    limit = settings.AXES_FAILURE_LIMIT
    lockouts = []
    for row in rows:
        username, address = row["username"] or "", row["ip_address"] or ""
        by_username = per_username[username] >= limit
        by_address = per_address[address] >= limit
        if not (by_username or by_address):
            continue
        # A lock lasts until its newest failure is older than the cool-off.
        newest = max(
            last_username[username] if by_username else row["last"],
            last_address[address] if by_address else row["last"],
        )
        lockouts.append(
            Lockout(
                username=username,
                ip_address=address,
                failures=row["failures"],
                last_failure=row["last"],
                locked_until=newest + cooloff,
                by_username=by_username,
                by_address=by_address,
            )
        )
    return lockouts


@transaction.atomic
def login_unlock(*, by: User, username: str, ip_address: str, route: str = "") -> int:
    """Lift the lockout of `username` and of `ip_address`: forget every failure of that
    username (from any address) and from that address (for any username). Audited.

    Returns the number of attempt records removed.
    """
    if not (username or ip_address):
        # axes' reset() with neither would forget every failure of everyone.
        raise ValidationError(_("Say which sign-in to unlock."))
    removed = reset(
        ip=ip_address or None,
        username=username or None,
        ip_or_username=bool(username and ip_address),
    )
    audit_record(
        user=by,
        action=AuditEntry.Action.LOGIN_UNLOCK,
        route=route,
        params={"username": username, "ip": ip_address},
        rows=removed,
    )
    return removed
