"""The survey form, anonymous and cookie-free (WCAG 2.1 AA), in every channel.

One engine (`_run_form`) serves the public web/QR form, the pilot link, the desk
tablet (kiosk), the coordinator's preview and interviewer-assisted entry; a
`FormMode` says what differs: channel, desk, who enters, and what happens after.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qms.http import client_address
from qms.models import Office, User
from surveys import selectors
from surveys.forms import (
    ResponseForm,
    desk_service_units,
    field_name,
    version_questions,
)
from surveys.models import Channel, Desk, Question, QuestionnaireVersion, UsedSubmissionToken
from surveys.services import (
    ResponseSource,
    Submitted,
    submit_response,
)
from surveys.tokens import new_submission_token, read_submission_token

PUBLIC_CHANNELS = {Channel.WEB, Channel.QR}


@dataclass
class FormMode:
    channel: str
    thanks_url: str
    desk: Desk | None = None
    entered_by: User | None = None
    preview: bool = False
    kiosk: bool = False
    rate_limited: bool = True
    # A desk tablet offers its unit's service cards only (None: the whole catalogue).
    service_units: frozenset[int] | None = None
    extra: dict = field(default_factory=dict)


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("jezyk") or request.POST.get("jezyk") or "pl"
    return lang if lang in {"pl", "en"} else "pl"


def _with_language(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}jezyk={lang}"


@login_not_required
@csrf_exempt  # no cookies on the public form; the signed one-time token guards submission
@never_cache
@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest, slug: str) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    channel = params.get("kanal", Channel.WEB)
    mode = FormMode(
        channel=channel if channel in PUBLIC_CHANNELS else Channel.WEB,
        # An unknown desk code in a QR link is ignored: the client still gets the form.
        desk=Desk.objects.filter(code=code).first() if (code := params.get("stanowisko")) else None,
        thanks_url=reverse("ankieta:thanks"),
    )
    return _run_form(request, selectors.open_version(slug), mode, closed_page=True)


@login_not_required
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def pilot_form(request: HttpRequest, token: str) -> HttpResponse:
    mode = FormMode(channel=Channel.WEB, thanks_url=reverse("ankieta:thanks"))
    return _run_form(request, selectors.pilot_version(token), mode)


@login_not_required
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_form(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The desk tablet: one client after another; nobody sees the previous answers."""
    desk = get_object_or_404(Desk, kiosk_key=key)
    start = reverse("ankieta:kiosk", args=[slug, key])
    mode = FormMode(
        channel=Channel.KIOSK,
        desk=desk,
        kiosk=True,
        # One tablet serves a whole queue from one address; its link is the desk's secret.
        rate_limited=False,
        service_units=desk_service_units(desk),
        thanks_url=reverse("ankieta:kiosk_thanks", args=[slug, key]),
        extra={"kiosk_start": start},
    )
    version = selectors.open_version(slug)
    if request.method == "POST" and version and _token_used(request, version):
        # Back button + "resend": that form is stored already; start afresh, show nothing.
        return redirect(_with_language(start, _language(request)))
    return _run_form(request, version, mode, closed_page=True)


def _token_used(request: HttpRequest, version: QuestionnaireVersion) -> bool:
    nonce = read_submission_token(request.POST.get("token", ""), version)
    return nonce is not None and UsedSubmissionToken.objects.filter(nonce=nonce).exists()


@login_not_required
@never_cache
def kiosk_thanks(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    get_object_or_404(Desk, kiosk_key=key)
    lang = _language(request)
    with translation.override(lang):
        return render(
            request,
            "surveys/kiosk_thanks.html",
            {
                "lang": lang,
                "office": Office.current(),
                "kiosk": True,  # no links out of the tablet's survey
                "start": _with_language(reverse("ankieta:kiosk", args=[slug, key]), lang),
                "seconds": settings.SURVEY_KIOSK_THANKS_SECONDS,
            },
        )


def _run_form(
    request: HttpRequest,
    version: QuestionnaireVersion | None,
    mode: FormMode,
    *,
    closed_page: bool = False,
) -> HttpResponse:
    lang = _language(request)
    with translation.override(lang):
        if version is None:
            if not closed_page:
                raise Http404
            context = {"lang": lang, "office": Office.current(), "kiosk": mode.kiosk}
            return render(request, "surveys/closed.html", context, status=404)
        if request.method == "GET":
            service = next(
                (q for q in version_questions(version) if q.kind == Question.Kind.SERVICE), None
            )
            initial = {"token": new_submission_token(version)}
            if service and request.GET.get("usluga"):
                initial[field_name(service)] = request.GET["usluga"]
            form = ResponseForm(
                version=version, page=1, initial=initial, service_units=mode.service_units
            )
            return _render(request, form, 1, mode, lang)

        page = _int(request.POST.get("page"), 1)
        form = ResponseForm(
            request.POST, version=version, page=page, service_units=mode.service_units
        )
        if "back" in request.POST:
            return _render(request, form, page - 1, mode, lang, validate=False)
        if "switch_language" in request.POST:
            # The language switch posts the form: same page, answers kept, nothing judged.
            return _render(request, form, page, mode, lang, validate=False)
        if not form.is_valid():
            return _render(request, form, page, mode, lang, status=422)
        if page < max((q.page for q in form.questions), default=1):
            # The same bound form shows the next page; its answers are not judged yet.
            return _render(request, form, page + 1, mode, lang, validate=False)

        thanks = _with_language(mode.thanks_url, lang)
        if form.cleaned_data.get("website"):
            return redirect(thanks)  # a bot: looks like success, stores nothing
        if mode.preview:
            return _render(request, form, page, mode, lang, preview_done=True)
        outcome = submit_response(
            version=version,
            token=form.cleaned_data["token"],
            answers=form.cleaned_answers(),
            source=ResponseSource(channel=mode.channel, desk=mode.desk, entered_by=mode.entered_by),
            address=client_address(request) if mode.rate_limited else None,
            questions=form.questions,
            suggestion=request.POST.get("suggestion", ""),
        )
        if outcome == Submitted.TOKEN_INVALID:
            # Expired or forged: the answers come back with a fresh token, so sending
            # the page again works.
            data = request.POST.copy()
            data["token"] = new_submission_token(version)
            form = ResponseForm(data, version=version, page=page, service_units=mode.service_units)
            return _render(request, form, page, mode, lang, status=422, notice="token_expired")
        if outcome == Submitted.RATE_LIMITED:
            # Nothing stored and the token unused: the same page can be sent again later.
            return _render(request, form, page, mode, lang, status=429, notice="rate_limited")
        # Stored, or stored already (a double click or a resent page): the same thanks.
        return redirect(thanks)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _render(
    request,
    form: ResponseForm,
    page: int,
    mode: FormMode,
    lang: str,
    *,
    status=200,
    validate=True,
    notice="",
    preview_done=False,
):
    """The form page. `notice` ("token_expired", "rate_limited") says why valid answers
    come back unsent; it is announced like an error summary."""
    page = min(max(page, 1), form.version.page_count)
    shown = form.questions_on_page(page)
    carried = [q for q in form.questions if q.page != page]
    # The short privacy notice goes right after the first free-text box, before anyone
    # can type something personal, and beside the suggestions box on the last page.
    first_text = min(
        (q for q in form.questions if q.kind == Question.Kind.TEXT),
        key=lambda q: (q.page, q.position),
        default=None,
    )
    context = {
        "form": form,
        "version": form.version,
        "page": page,
        "pages": form.version.page_count,
        "questions": [(q, form[field_name(q)]) for q in shown],
        "error_lines": _error_lines([(q, form[field_name(q)]) for q in shown]),
        "carried": [form[field_name(q)] for q in carried],
        "rodo_after": first_text.key if first_text else "",
        "rodo_among_questions": first_text is not None and first_text.page == page,
        "kiosk": mode.kiosk,
        "channel": mode.channel,
        "desk": mode.desk,
        "mode": mode,
        "lang": lang,
        "office": Office.current(),
        "show_errors": bool(notice) or (validate and form.is_bound and bool(form.errors)),
        "notice": notice,
        "preview_done": preview_done,
        "filter_messages": json.dumps(_("Matching matters: %s")),
        "kiosk_idle": settings.SURVEY_KIOSK_IDLE_SECONDS,
        "kiosk_warning": settings.SURVEY_KIOSK_WARNING_SECONDS,
        **mode.extra,
    }
    return render(request, "surveys/form.html", context, status=status)


def _error_lines(questions) -> list[tuple[str, str, str]]:
    """The error summary's lines: (anchor, question, message), read as "question: message".

    The question loses its own closing "?" so that the line does not read "…?: Please…"."""
    return [
        (f"#{field.auto_id}-label", question.text.strip().rstrip("?:.!… "), field.errors[0])
        for question, field in questions
        if field.errors
    ]


@login_not_required
@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    lang = _language(request)
    with translation.override(lang):
        return render(request, "surveys/thanks.html", {"lang": lang, "office": Office.current()})


@login_not_required
@require_http_methods(["GET", "HEAD"])
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page that names no icon (staff pages).

    Served from the app's static folder (a few kB), so it works without collectstatic."""
    path = finders.find("surveys/favicon.ico")
    if not isinstance(path, str):
        raise Http404
    response = HttpResponse(Path(path).read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
