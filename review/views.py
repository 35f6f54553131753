"""Pages of the annual review. Thin: access from review.selectors, changes from one
service each in review.services. Heads see only their own units' packs and tasks."""

import functools
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as KombuOperationalError

from qms import health
from qms.once import create_once
from qms.views import AuthedRequest, apply_service_errors, require
from review import forms, selectors, services, tasks
from review.models import Cycle, Remeasurement, Standard
from workflows import stepkit

log = logging.getLogger(__name__)


def cycle_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "review/cycle_list.html",
        {
            "cycles": Cycle.objects.all() if selectors.can_read_cycles(user) else [],
            "can_run": selectors.can_run_cycles(user),
            "can_read": selectors.can_read_cycles(user),
            "offer_year": services.next_cycle_offer() if selectors.can_run_cycles(user) else None,
            "tasks": selectors.open_pack_tasks(user),
        },
    )


def cycle_detail(request: AuthedRequest, year: int) -> HttpResponse:
    require(selectors.can_read_cycles(request.user))
    cycle = get_object_or_404(Cycle, year=year)
    done = {step.name: step for step in cycle.steps.all()}
    timeline = [
        {
            "name": name,
            "title": services.step_title(name),
            "due": due,
            "step": done.get(name),
            "overdue": name not in done and due < timezone.localdate(),
        }
        for name, due in services.step_plan(cycle)
    ]
    return render(
        request,
        "review/cycle_detail.html",
        {
            "cycle": cycle,
            "timeline": timeline,
            "findings": selectors.cycle_findings(cycle),
            "remeasurements": cycle.remeasurements.select_related(
                "nonconformity", "before__cycle", "after"
            ),
            "packs": cycle.packs.select_related("unit", "acknowledged_by").order_by("unit__code"),
            "can_run": selectors.can_run_cycles(request.user),
            "remeasure_form": forms.RemeasurementForm(),
        },
    )


def cycle_edit(request: AuthedRequest, year: int | None = None) -> HttpResponse:
    require(selectors.can_run_cycles(request.user))
    if year is None:
        offer = services.next_cycle_offer() or timezone.localdate().year
        cycle = Cycle(**{k: v for k, v in services.cycle_defaults(offer).items() if v})
    else:
        cycle = get_object_or_404(Cycle, year=year)
    form = forms.CycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and year is None and form.sent_before("cycle", request):
        messages.info(request, _("This form was sent already; it was saved once."))
        return redirect("review:index")
    if request.method == "POST" and form.is_valid():
        key = form.take_key("cycle", request)
        save = functools.partial(
            services.cycle_save, cycle=form.save(commit=False), user=request.user
        )
        try:
            # A new cycle is created once however often the page is sent.
            saved = create_once(request, key, save) if year is None else save()
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if saved is None:
                return redirect("review:index")
            cycle = saved
            messages.success(request, _("The cycle is saved."))
            return redirect("review:cycle", year=cycle.year)
    heading = (
        _("Review cycle %(year)s") % {"year": cycle.year} if cycle.pk else _("New review cycle")
    )
    return render(request, "review/cycle_edit.html", {"form": form, "heading": heading})


@require_POST
def cycle_run(request: AuthedRequest) -> HttpResponse:
    """Run the sweep now, in the worker (the page says when it cannot be queued, and
    when it is queued but no worker's heartbeat is fresh)."""
    require(selectors.can_run_cycles(request.user))
    try:
        tasks.advance_cycles.delay()
    except (OSError, KombuOperationalError):  # the broker is down; the daily run catches up
        log.exception("could not queue the review cycle sweep")
        messages.error(
            request,
            _(
                "The background worker cannot be reached, so the cycle was not run now. "
                "Nothing is lost: the next daily run will do every step that is due."
            ),
        )
    else:
        if tasks.advance_cycles.app.conf.task_always_eager or health.worker_is_running():
            messages.success(
                request, _("The cycle runs in the background; reload this page in a moment.")
            )
        else:  # queued, but nobody consumes it: say so rather than promise
            messages.warning(
                request,
                _(
                    "The cycle is queued, but the background process is not running: it "
                    "will run only when the background process is back. Ask the "
                    "administrator to restart it."
                ),
            )
    return redirect(request.POST.get("next") or "review:index")


@require_POST
def remeasurement_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    require(selectors.can_run_cycles(request.user))
    item = get_object_or_404(Remeasurement.objects.select_related("cycle"), pk=pk)
    form = forms.RemeasurementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a verdict."))
    else:
        try:
            services.remeasurement_decide(
                item=item,
                user=request.user,
                effective=form.cleaned_data["effective"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The verdict is recorded."))
    return redirect("review:cycle", year=item.cycle.year)


# --- standards ------------------------------------------------------------------------


def standard_list(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_read_cycles(request.user))
    return render(
        request,
        "review/standard_list.html",
        {
            "standards": Standard.objects.select_related("unit", "card"),
            "can_edit": selectors.can_run_cycles(request.user),
        },
    )


def standard_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    require(selectors.can_run_cycles(request.user))
    standard = get_object_or_404(Standard, pk=pk) if pk else Standard()
    form = forms.StandardForm(request.POST or None, instance=standard)
    if request.method == "POST" and form.is_valid():
        key = form.take_key("standard", request)
        # A new standard is created once however often the page is sent.
        if create_once(request, key, form.save) if pk is None else form.save():
            messages.success(request, _("The standard is saved."))
        return redirect("review:standards")
    heading = str(standard) if standard.pk else _("New quality standard")
    return render(request, "review/standard_edit.html", {"form": form, "heading": heading})


# --- a unit's pack tasks --------------------------------------------------------------


class PackTaskPage(stepkit.TaskPage):
    """A unit's pack step (workflows.stepkit): the pack and the step's form."""

    template_name = "review/task.html"

    def load_task(self, user, task_pk):
        return selectors.pack_task_for(user, task_pk)

    def done_url(self, task, artifact):
        return reverse("review:index")

    def context(self, task, artifact, form):
        catalogue = task.flow_task.name == "catalogue"
        return {
            "pack": artifact,
            "revisions": selectors.revisions_since(artifact) if catalogue else [],
        }


task_page = PackTaskPage.as_view()
