"""The public survey form: anonymous, cookie-free, accessible (WCAG 2.1 AA)."""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qms.models import Office
from surveys import selectors
from surveys.forms import ResponseForm, field_name, new_submission_token, read_submission_token
from surveys.models import Channel, Desk, QuestionnaireVersion
from surveys.services import DuplicateSubmission, response_submit, suggestion_submit

PUBLIC_CHANNELS = {Channel.WEB, Channel.QR}


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("jezyk") or request.POST.get("jezyk") or "pl"
    return lang if lang in {"pl", "en"} else "pl"


def _rate_limited(request: HttpRequest) -> bool:
    """Count submissions per client address in the cache only: hashed, expiring, never stored."""
    address = request.META.get("REMOTE_ADDR", "")
    day_salt = f"{settings.SECRET_KEY}:{timezone.localdate()}"
    key = "survey-rate:" + hashlib.sha256(f"{day_salt}:{address}".encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.SURVEY_RATE_LIMIT_PER_HOUR


@login_not_required
@csrf_exempt  # no cookies on the public form; the signed one-time token guards submission
@never_cache
@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest, slug: str) -> HttpResponse:
    return _form(request, selectors.open_version(slug), slug=slug)


@login_not_required
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def pilot_form(request: HttpRequest, token: str) -> HttpResponse:
    return _form(request, selectors.pilot_version(token), slug=None)


def _form(request: HttpRequest, version: QuestionnaireVersion | None, *, slug: str | None):
    lang = _language(request)
    with translation.override(lang):
        if version is None:
            if slug is None:
                raise Http404
            return render(request, "surveys/closed.html", {"lang": lang}, status=404)
        params = request.POST if request.method == "POST" else request.GET
        channel = params.get("kanal", Channel.WEB)
        if channel not in PUBLIC_CHANNELS:
            channel = Channel.WEB
        desk = Desk.objects.filter(code=params.get("stanowisko", "")).first()

        if request.method == "GET":
            initial = {"token": new_submission_token(version)}
            if request.GET.get("usluga"):
                initial["q_service"] = request.GET["usluga"]
            form = ResponseForm(version=version, page=1, initial=initial)
            return _render(request, form, 1, channel, desk, lang)

        page = _int(request.POST.get("page"), 1)
        form = ResponseForm(request.POST, version=version, page=page)
        if "back" in request.POST:
            return _render(request, form, page - 1, channel, desk, lang, validate=False)
        if not form.is_valid():
            return _render(request, form, page, channel, desk, lang, status=422)
        if page < version.page_count:
            # The same bound form shows the next page; its answers are not judged yet.
            return _render(request, form, page + 1, channel, desk, lang, validate=False)

        thanks = reverse("surveys:thanks") + f"?jezyk={lang}"
        if form.cleaned_data.get("website"):
            return redirect(thanks)  # a bot: looks like success, stores nothing
        nonce = read_submission_token(form.cleaned_data["token"], version)
        if nonce is None:
            form = ResponseForm(
                request.POST,
                version=version,
                page=page,
                initial={"token": new_submission_token(version)},
            )
            return _render(request, form, page, channel, desk, lang, status=422, token_expired=True)
        if _rate_limited(request):
            return render(request, "surveys/rate_limited.html", {"lang": lang}, status=429)
        answers = form.cleaned_answers()
        try:
            response_submit(
                version=version,
                channel=channel,
                answers=answers,
                nonce=nonce,
                service_card=answers.get("service"),
                desk=desk,
            )
        except DuplicateSubmission:
            # A double click or a resubmitted page: the first one is stored; same thanks.
            return redirect(thanks)
        suggestion = request.POST.get("suggestion", "").strip()
        if suggestion:
            suggestion_submit(version=version, text=suggestion)
        return redirect(thanks, permanent=False)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _render(
    request,
    form: ResponseForm,
    page: int,
    channel,
    desk,
    lang,
    *,
    status=200,
    validate=True,
    token_expired=False,
):
    page = min(max(page, 1), form.version.page_count)
    shown = form.questions_on_page(page)
    carried = [q for q in form.questions if q.page != page]
    context = {
        "form": form,
        "version": form.version,
        "page": page,
        "pages": form.version.page_count,
        "questions": [(q, form[field_name(q)]) for q in shown],
        "carried": [form[field_name(q)] for q in carried],
        "channel": channel,
        "desk": desk,
        "lang": lang,
        "office": Office.current(),
        "show_errors": validate and form.is_bound and bool(form.errors),
        "token_expired": token_expired,
    }
    return render(request, "surveys/form.html", context, status=status)


@login_not_required
@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    lang = _language(request)
    with translation.override(lang):
        return render(request, "surveys/thanks.html", {"lang": lang, "office": Office.current()})
