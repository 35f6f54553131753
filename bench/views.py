"""The baseline: what any Django form POST costs in this server.

Validate a 10-field form, INSERT one row, redirect with 302 — the same shape as a
successful survey submission, without the survey's own work.
"""

import functools

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import BaselineSubmission
from qms.http import client_address
from surveys import ratelimit, selectors
from surveys.models import Channel, Question, Response
from surveys.services import response_store

YES_NO = [("yes", "yes"), ("no", "no")]
LIKERT = [(v, v) for v in ("5", "4", "3", "2", "1", "na")]


class BaselineForm(forms.Form):
    service = forms.CharField(max_length=30)
    card_read = forms.ChoiceField(choices=[(v, v) for v in ("web", "office", "staff", "no")])
    card_useful = forms.ChoiceField(choices=YES_NO)
    card_clear = forms.ChoiceField(choices=YES_NO)
    card_complete = forms.ChoiceField(choices=YES_NO)
    settled = forms.ChoiceField(choices=[(v, v) for v in ("yes", "partly", "no")])
    staff_competence = forms.ChoiceField(choices=LIKERT)
    staff_courtesy = forms.ChoiceField(choices=LIKERT)
    waiting_time = forms.ChoiceField(choices=LIKERT)
    comments = forms.CharField(max_length=2000, required=False)


@login_not_required
@csrf_exempt
@never_cache
@require_POST
def baseline(request: HttpRequest) -> HttpResponse:
    form = BaselineForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=422, content_type="text/plain")
    BaselineSubmission.objects.create(**form.cleaned_data, submitted_on=timezone.localdate())
    return redirect("bench_baseline_done")


@login_not_required
@never_cache
def baseline_done(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@csrf_exempt
@never_cache
@require_POST
def floor(request: HttpRequest) -> HttpResponse:
    """(c) The survey's floor, `--floor`: the database and cache work a submission cannot
    skip, without the form. Counts the address in the rate limit, checks the service
    card (with its revision in force), stores a one-time token, a response and ten
    answer rows in the app's own store, and redirects. No form, no signed token, no
    conditions: what (a) would cost if its Python were free. Diagnostic only."""
    version = selectors.open_version(FLOOR_SLUG)
    if version is None:
        return HttpResponse("no open survey", status=422, content_type="text/plain")
    today = timezone.localdate()
    ratelimit.hit(f"bench-floor:{client_address(request)}", timeout=3600)
    card = selectors.card_with_revision_in_force(request.POST.get("service", ""), today)
    if card is None:
        return HttpResponse("unknown card", status=422, content_type="text/plain")
    response = Response(
        version=version,
        channel=Channel.WEB,
        submitted_on=today,
        service_card=card,
        service_revision_id=card.revision_in_force_id,  # type: ignore[attr-defined]
    )
    # The same store as response_submit.
    response_store(response=response, rows=_floor_rows(version.pk), nonce=get_random_string(32))
    return redirect("bench_baseline_done")


FLOOR_SLUG = "karty-uslug"


@functools.lru_cache(maxsize=4)
def _floor_rows(version_pk: int) -> list[tuple[int, int | None, int | None, str]]:
    """Ten answer rows: the first choice of the version's first ten choice questions."""
    questions = Question.objects.filter(version_id=version_pk).prefetch_related("choices")
    choice_questions = [q for q in questions if q.has_choices][:10]
    return [
        (q.pk, q.choice_by_value[next(iter(q.choice_by_value))].pk, None, "")
        for q in choice_questions
    ]
