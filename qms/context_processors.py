from datetime import timedelta

from django.utils.functional import SimpleLazyObject
from django.utils.timesince import timesince
from django.utils.timezone import now
from django.utils.translation import gettext as _

from qms import health
from qms.models import Office
from qms.roles import can_use_admin, is_coordinator


def office(request):
    """The office's name for page headers, and whether to show the admin link."""
    user = getattr(request, "user", None)
    return {
        "office": SimpleLazyObject(Office.current),
        "show_admin_link": bool(user and user.is_authenticated and can_use_admin(user)),
        "show_lockouts_link": bool(user and is_coordinator(user)),
        # Merged here so it needs no entry of its own in settings.TEMPLATES.
        **background_alert(request),
    }


def background_alert(request):
    """For whoever can run the review cycle (the quality coordinator): one line per
    background process (worker, beat) whose heartbeat is stale, missing or unreadable.

    Lazy, and cache reads only (qms.health.report of the heartbeat parts; no broker, no
    database): a page that does not show the banner reads nothing.
    """
    user = getattr(request, "user", None)
    if not (user and is_coordinator(user)):  # = review.selectors.can_run_cycles
        return {"background_alert": []}
    return {"background_alert": SimpleLazyObject(_background_alert_lines)}


def _background_alert_lines() -> list[str]:
    checks = health.report(health.HEARTBEAT_PARTS)["checks"]
    names = {"worker": _("Task worker"), "beat": _("Scheduler (beat)")}
    lines: list[str] = []
    for part in health.HEARTBEAT_PARTS:
        check = checks[part]
        if check["status"] == "ok":
            continue
        age = check["age_seconds"]
        if age is not None:
            since = timesince(now() - timedelta(seconds=age))
            detail = _("last seen %(since)s ago") % {"since": since}
        elif check["reason"].startswith("unknown"):
            detail = _("cannot be checked (the cache does not answer)")
        else:
            detail = _("no heartbeat yet (not started, or the cache was cleared)")
        lines.append(f"{names[part]}: {detail}.")
    return lines
