"""The coordinator's review of a cycle's free-text answers: read, mask more, release.

Free-text answers are single answers, so these pages are the quality coordinator's only
(403 for everyone else, the auditor included). Every page that shows answers, every
mask and the release are written to the audit log. Writes: review.services
(`free_text_mask`, `free_text_release`); what units then see: review.packs.
"""

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as KombuOperationalError

from qms.models import AuditEntry, OrgUnit
from qms.services import audit_record
from qms.views import AuthedRequest, apply_service_errors, require
from review import selectors, services, tasks
from review.models import Cycle, FreeTextMask
from surveys import privacy
from surveys.models import Answer
from surveys.selectors import min_group

log = logging.getLogger(__name__)

PAGE_SIZE = 50


class FreeTextMaskForm(forms.Form):
    """One answer as the units are to read it (the original is never changed)."""

    text = forms.CharField(
        label=gettext_lazy("Text shown to the units"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=gettext_lazy(
            "Starts as the automatically masked text. Replace anything that could point "
            "at a person, e.g. with […]; what is still recognised as personal data is "
            "masked again on the way out."
        ),
    )
    words = forms.CharField(
        label=gettext_lazy("Also mask these words"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy(
            "Separated by commas; each is replaced by […] wherever it occurs in the text."
        ),
    )
    withheld = forms.BooleanField(
        label=gettext_lazy("Withhold this answer from the units"), required=False
    )


def _cycle(request: AuthedRequest, year: int) -> Cycle:
    require(selectors.can_review_free_text(request.user))
    return get_object_or_404(Cycle, year=year)


def _shown(answer: Answer, mask: FreeTextMask | None) -> str:
    """What the units read of this answer ("" when withheld)."""
    if mask is not None and mask.withheld:
        return ""
    return privacy.shown_text(answer.text, mask.text if mask else None)


def _initial(answer: Answer, mask: FreeTextMask | None) -> dict:
    return {
        "text": mask.text if mask else privacy.mask(answer.text),
        "withheld": bool(mask and mask.withheld),
    }


def _filters(data) -> dict[str, str]:
    """The list's filters from a query string or a posted form, checked."""
    found = "1" if data.get("found") == "1" else ""
    unit = data.get("unit", "").strip()
    unit = unit if OrgUnit.objects.filter(code=unit).exists() else ""
    page = data.get("page", "")
    return {
        key: value
        for key, value in (
            ("unit", unit),
            ("found", found),
            ("page", page if page.isdigit() else ""),
        )
        if value
    }


def _list_url(year: int, filters: dict[str, str], answer: int | None = None) -> str:
    url = reverse("review:free_text", args=[year])
    if filters:
        url += "?" + urlencode(filters)
    return url + (f"#answer-{answer}" if answer else "")


def _rebuild_packs_soon(request: AuthedRequest) -> None:
    """Queue the cycle sweep, which rebuilds the packs waiting for free text; if the
    worker is down, the next daily run does it (nothing is lost)."""
    try:
        tasks.advance_cycles.delay()
    except (OSError, KombuOperationalError):
        log.exception("could not queue the review cycle sweep")
        messages.warning(
            request,
            _(
                "The background worker cannot be reached: the packs get the free text at "
                "the next daily run of the cycle."
            ),
        )


def free_text_list(request: AuthedRequest, year: int) -> HttpResponse:
    """The cycle's free-text answers, original and masked, with a mask form each."""
    cycle = _cycle(request, year)
    filters = _filters(request.GET)
    answers = selectors.free_text_answers(cycle).order_by(
        "response__service_card__unit__code", "pk"
    )
    if "unit" in filters:
        answers = answers.filter(response__service_card__unit__code=filters["unit"])
    rows = list(answers)
    if "found" in filters:
        rows = [answer for answer in rows if privacy.has_personal_data(answer.text)]
    page = Paginator(rows, PAGE_SIZE).get_page(filters.get("page"))
    masks = selectors.free_text_masks([answer.pk for answer in page])
    items = [
        {
            "answer": answer,
            "found": privacy.find(answer.text),
            "auto": privacy.mask(answer.text),
            "mask": masks.get(answer.pk),
            "shown": _shown(answer, masks.get(answer.pk)),
            "form": FreeTextMaskForm(
                initial=_initial(answer, masks.get(answer.pk)), prefix=f"a{answer.pk}"
            ),
        }
        for answer in page
    ]
    audit_record(
        user=request.user,
        action=AuditEntry.Action.FREE_TEXT_REVIEW,
        route=request.path,
        params={"year": year, **filters},
        rows=len(items),
    )
    return render(
        request,
        "review/free_text.html",
        {
            "cycle": cycle,
            "items": items,
            "page": page,
            "filters": filters,
            "page_filters": urlencode({k: v for k, v in filters.items() if k != "page"}),
            "units": OrgUnit.objects.filter(is_active=True).order_by("code"),
            "can_release": cycle.free_text_released_at is None
            and timezone.localdate() > cycle.survey_closes_on,
            "min_group": min_group(),
        },
    )


def free_text_mask(request: AuthedRequest, year: int, pk: int) -> HttpResponse:
    """One answer: mask more by hand, or withhold it. Bad input keeps what was typed."""
    cycle = _cycle(request, year)
    answer = get_object_or_404(selectors.free_text_answers(cycle), pk=pk)
    mask = selectors.free_text_masks([answer.pk]).get(answer.pk)
    prefix = f"a{answer.pk}"
    filters = _filters(request.POST if request.method == "POST" else request.GET)
    form = FreeTextMaskForm(request.POST or None, initial=_initial(answer, mask), prefix=prefix)
    if request.method == "POST" and form.is_valid():
        try:
            services.free_text_mask(
                cycle=cycle, answer=answer, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            audit_record(
                user=request.user,
                action=AuditEntry.Action.FREE_TEXT_MASK,
                route=request.path,
                params={"year": year, "answer": answer.pk},
                rows=1,
            )
            if cycle.free_text_released_at is not None:
                transaction.on_commit(lambda: _rebuild_packs_soon(request))
            messages.success(request, _("The answer is masked as you set it."))
            return redirect(_list_url(year, filters, answer.pk))
    audit_record(
        user=request.user,
        action=AuditEntry.Action.FREE_TEXT_REVIEW,
        route=request.path,
        params={"year": year, "answer": answer.pk},
        rows=1,
    )
    return render(
        request,
        "review/free_text_mask.html",
        {
            "cycle": cycle,
            "answer": answer,
            "found": privacy.find(answer.text),
            "auto": privacy.mask(answer.text),
            "shown": _shown(answer, mask),
            "mask": mask,
            "form": form,
            "filters": filters,
            "back": _list_url(year, filters, answer.pk),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def free_text_release(request: AuthedRequest, year: int) -> HttpResponse:
    """Release the cycle's free text to the units (once); packs already built are
    rebuilt with it in the background."""
    cycle = _cycle(request, year)
    try:
        first = services.free_text_release(cycle=cycle, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("review:free_text", year=year)
    if first:
        audit_record(
            user=request.user,
            action=AuditEntry.Action.FREE_TEXT_RELEASE,
            route=request.path,
            params={"year": year},
            rows=selectors.free_text_answers(cycle).count(),
        )
        transaction.on_commit(lambda: _rebuild_packs_soon(request))
        messages.success(
            request,
            _(
                "The free text is released. Packs built from now on include it; packs "
                "already built are rebuilt with it in the background."
            ),
        )
    else:
        messages.info(request, _("The free text of this cycle was already released."))
    return redirect("review:free_text", year=year)
