from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from viewflow.contrib.auth import AuthenticationForm

from qms import health, selectors
from qms.forms import RevisionForm
from qms.models import Language, OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.once import create_once
from qms.roles import Role
from qms.services import service_card_publish_revision


class AuthedRequest(HttpRequest):
    """Every view below runs behind LoginRequiredMiddleware."""

    user: User


def require(allowed: bool) -> None:
    """403 unless the access policy allows it (object scoping gives 404 elsewhere)."""
    if not allowed:
        raise PermissionDenied


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it can, else on top.

    A formset gets them as its non-form errors.
    """
    if isinstance(form, BaseFormSet):
        form._non_form_errors = form.error_class(error.messages)  # type: ignore[attr-defined]
        return
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        for message in error.messages:
            form.add_error(None, message)


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember the interface language in Django's language cookie, with its settings
    (Secure unless developing)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )


class LoginView(auth_views.LoginView):
    """viewflow's login page; after login the interface follows the user's language."""

    form_class = AuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        set_language_cookie(response, form.get_user().language)
        return response


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the account when logged in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in Language.values:
        set_language_cookie(response, language)
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The whole system's health as JSON, never a 500: 200 when every part is ok, else
    503 naming each failed part (qms/health.py: database, broker, cache, worker, beat).
    `?parts=database,cache` checks only those (the web container's own healthcheck: a
    dead worker must not take the site's proxy down with it)."""
    asked = [p for p in request.GET.get("parts", "").split(",") if p]
    unknown = set(asked) - set(health.ALL_PARTS)
    if unknown:
        return JsonResponse({"status": "error", "unknown_parts": sorted(unknown)}, status=400)
    body = health.report(asked or health.ALL_PARTS)
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def home(request: AuthedRequest) -> HttpResponse:
    """The landing page: one per role, each showing what that role works on."""
    role = selectors.landing_role(request.user)
    context: dict[str, object] = {"role": role}
    if role == Role.HEAD:
        unit_ids = selectors.managed_unit_ids(request.user)
        context["units"] = selectors.unit_list().filter(pk__in=unit_ids)
        context["cards"] = selectors.card_list().filter(unit_id__in=unit_ids)
    elif role == Role.STAFF:
        unit = request.user.unit
        context["unit"] = unit
        context["cards"] = selectors.card_list(unit=unit) if unit else []
    else:
        context["stats"] = selectors.catalogue_stats()
    return render(request, f"qms/home_{role}.html", context)


def unit_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "qms/unit_list.html", {"units": selectors.unit_list()})


def unit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(selectors.unit_list(), pk=pk)
    cards = selectors.card_list(unit=unit)
    return render(request, "qms/unit_detail.html", {"unit": unit, "cards": cards})


def card_list(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = OrgUnit.objects.filter(pk=int(request.GET["unit"])).first()
    cards = selectors.card_list(unit=unit, query=query)
    return render(
        request,
        "qms/card_list.html",
        {"cards": cards, "query": query, "unit": unit, "units": selectors.unit_list()},
    )


def card_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        card = selectors.card_detail(pk)
    except ServiceCard.DoesNotExist:
        raise Http404 from None
    revisions = list(card.revisions.all())  # prefetched, newest first
    today = timezone.localdate()
    current = next((r for r in revisions if r.published_on <= today), None)
    return render(
        request,
        "qms/card_detail.html",
        {
            "card": card,
            "revisions": revisions,
            "current": current,
            "can_publish": selectors.can_publish_revision(request.user, card),
        },
    )


def revision_detail(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    revision = get_object_or_404(
        ServiceCardRevision.objects.select_related("card", "card__unit", "created_by"),
        card_id=pk,
        number=number,
    )
    previous = revision.card.revisions.filter(number__lt=number).order_by("-number").first()
    return render(
        request,
        "qms/revision_detail.html",
        {"revision": revision, "card": revision.card, "previous": previous},
    )


def revision_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(ServiceCard.objects.select_related("unit"), pk=pk)
    if not selectors.can_publish_revision(request.user, card):
        raise PermissionDenied
    current = card.current_revision
    if request.method == "POST":
        form = RevisionForm(request.POST)
        if form.is_valid():
            key = form.take_key("revision", request)
            revision = create_once(
                request,
                key,
                lambda: service_card_publish_revision(
                    card=card, published_by=request.user, **form.cleaned_data
                ),
            )
            if revision is None:  # sent twice: the first send published it
                return redirect("catalogue:card_detail", pk=card.pk)
            messages.success(
                request, _("Revision %(number)s published.") % {"number": revision.number}
            )
            return redirect("catalogue:card_detail", pk=card.pk)
    else:
        initial = (
            {f: getattr(current, f) for f in ServiceCardRevision.CONTENT_FIELDS} if current else {}
        )
        form = RevisionForm(initial=initial)
    return render(
        request, "qms/revision_form.html", {"card": card, "form": form, "current": current}
    )
