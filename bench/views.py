"""The baseline: what any Django form POST costs in this server.

Validate a 10-field form, INSERT one row, redirect with 302 — the same shape as a
successful survey submission, without the survey's own work.
"""

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import BaselineSubmission

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
