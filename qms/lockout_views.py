"""Login throttling's pages: the login page for a refused sign-in, and unlocking."""

import math

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms import lockouts
from qms.roles import is_coordinator
from qms.views import AuthedRequest, LoginView, require


def cooloff_minutes() -> int:
    """How long a lockout lasts after the last failure, as axes enforces it."""
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page again when django-axes refuses a sign-in (AXES_LOCKOUT_CALLABLE):
    the typed username kept, and what to do instead of trying again; 429."""
    minutes = cooloff_minutes()
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute or ask the "
        "quality coordinator to unlock your account.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes or ask the "
        "quality coordinator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}
    view = LoginView()
    view.setup(request)
    # An unbound form: a bound one would check the password again (one more failure).
    username = get_client_username(request, credentials) or ""
    form = view.get_form_class()(request, initial={"username": username})
    context = view.get_context_data(form=form, lockout_message=message)
    return TemplateResponse(request, view.get_template_names(), context, status=429).render()


def lockout_list(request: AuthedRequest) -> HttpResponse:
    """Sign-ins refused now; the quality coordinator (or an administrator) unlocks them."""
    require(is_coordinator(request.user))
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        ip_address = request.POST.get("ip_address", "")[:45]
        try:
            lockouts.login_unlock(
                by=request.user, username=username, ip_address=ip_address, route=request.path
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Unlocked: %(username)s, %(address)s.")
                % {"username": username or "—", "address": ip_address or "—"},
            )
        return redirect("dashboard:lockouts")
    return render(
        request,
        "qms/lockouts.html",
        {
            "lockouts": lockouts.current_lockouts(),
            "limit": settings.AXES_FAILURE_LIMIT,
            "cooloff": cooloff_minutes(),
        },
    )
