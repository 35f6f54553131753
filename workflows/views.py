"""Pages for nonconformities. Thin: the access policy comes from workflows.selectors,
every change from one service in workflows.services. Another unit's item is a 404."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications import texts as notification_texts
from qms.models import OrgUnit
from qms.once import create_once, form_key
from qms.views import AuthedRequest, apply_service_errors, require
from surveys.exports import csv_response, write_xlsx, xlsx_response
from surveys.selectors import observation_cards, observation_list
from workflows import exports, forms, history, records, selectors, services, stepkit, task_layer
from workflows.models import Action, Nonconformity, Severity, Source, Status
from workflows.workdays import working_days_between


def _visible(request: AuthedRequest, pk: int) -> Nonconformity:
    return get_object_or_404(selectors.visible_nonconformities(request.user), pk=pk)


# --- lists --------------------------------------------------------------------------


def nc_list(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    items, chosen = selectors.filtered_list(request.user, request.GET, today=today)
    page = [
        (nc, working_days_between(nc.created_on, nc.closed_on or today), nc.is_overdue_on(today))
        for nc in items[:200]
    ]
    counts = selectors.counts(items)
    return render(
        request,
        "workflows/list.html",
        {
            "items": page,
            "total": counts["total"],
            "chosen": chosen,
            "counts": counts,
            "statuses": Status.choices,
            "severities": Severity.choices,
            "sources": Source.choices,
            "units": OrgUnit.objects.filter(is_active=True).order_by("code"),
            "my_tasks": selectors.open_tasks(request.user)[:50],
            "can_register": selectors.can_register(request.user),
            "query": request.GET.urlencode(),
        },
    )


def nc_export(request: AuthedRequest, fmt: str) -> StreamingHttpResponse:
    """The monitoring list with its filters: CSV streamed as it is read, XLSX sent once
    complete; both in constant memory."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    today = timezone.localdate()
    items, _chosen = selectors.filtered_list(request.user, request.GET, today=today)
    rows = exports.nonconformity_rows(exports.nonconformity_records(items), today=today)
    stamp = today.isoformat()
    response: StreamingHttpResponse
    if fmt == "xlsx":
        sheets = [(_("Nonconformities"), exports.COLUMNS)]
        response = xlsx_response(write_xlsx(sheets, ((row,) for row in rows)))
    else:
        response = csv_response(exports.COLUMNS, rows)
    response["Content-Disposition"] = f'attachment; filename="niezgodnosci-{stamp}.{fmt}"'
    return response


def my_tasks(request: AuthedRequest) -> HttpResponse:
    """The user's open steps, earliest due first (a fixed number of queries)."""
    tasks = selectors.open_tasks(request.user)  # every flow's steps, not only ours
    due = task_layer.due_dates(tasks)  # every open step, light: pk -> due date
    first = sorted(due, key=lambda pk: (due[pk] or datetime.date.max, pk))[:MY_TASKS_SHOWN]
    rows = task_layer.task_rows(tasks.filter(pk__in=first))
    rows.sort(key=lambda row: (row.due or datetime.date.max, row.task.pk))
    context = {"rows": rows, "total": len(due), "today": timezone.localdate()}
    return render(request, "workflows/my_tasks.html", context)


MY_TASKS_SHOWN = 200  # the earliest due; the rest wait their turn (the count is shown)


# --- one item -------------------------------------------------------------------------


def nc_register(request: AuthedRequest) -> HttpResponse:
    """The coordinator registers from any source; staff raise one from an observation."""
    observation = _observation(request)
    require(selectors.can_register(request.user) or observation is not None)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    once = {"once": get_random_string(32)}
    if observation is not None:
        form: forms.RegisterForm = forms.ObservationRegisterForm(
            data,
            initial={
                **once,
                "title": observation.summary[:200],
                "description": observation.example,
            },
        )
    else:
        form = forms.RegisterForm(data, files, initial=once)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        key = form_key("nc-register", request, fields.pop("once"))
        if observation is not None:
            fields.update(
                source=Source.OBSERVATION,
                observation=observation,
                unit=observation.card.unit,
                service_card=observation.card,
                evidence_summary=_("%(what)s: about %(n)s per month (staff estimate)")
                % {"what": observation.get_kind_display(), "n": observation.per_month},
            )
        try:
            nc = create_once(
                request,
                key,
                lambda: services.nonconformity_register(user=request.user, **fields),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if nc is None:  # sent twice: the first send registered it
                return redirect("nonconformities:index")
            messages.success(request, _("Registered as %(number)s.") % {"number": nc.number})
            if selectors.visible_nonconformities(request.user).filter(pk=nc.pk).exists():
                return redirect("nonconformities:detail", pk=nc.pk)
            return redirect("surveys_staff:observation_list")
    return render(
        request,
        "workflows/register.html",
        {"form": form, "observation": observation},
        status=422 if form.errors else 200,
    )


def _observation(request: AuthedRequest):
    pk = request.GET.get("obserwacja", "")
    if not pk.isdigit():
        return None
    observation = observation_list(request.user).filter(pk=int(pk)).first()
    if (
        observation is None
        or not observation_cards(request.user).filter(pk=observation.card_id).exists()
    ):
        raise Http404
    return observation


def nc_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    nc = _visible(request, pk)
    today = timezone.localdate()
    tasks = task_layer.task_rows(records.open_tasks_of(nc))
    return render(
        request,
        "workflows/detail.html",
        {
            "nc": nc,
            "actions": nc.actions.select_related("owner", "revision"),
            "events": history.entries(nc.events.select_related("actor")),
            "tasks": tasks,
            "age": working_days_between(nc.created_on, nc.closed_on or today),
            "overdue": nc.is_overdue_on(today),
            "can_manage": selectors.can_manage(request.user),
            "reassign_form": forms.ReassignForm(),
            "reopen_form": forms.ReasonForm(),
        },
    )


def nc_record_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    nc = _visible(request, pk)
    response = HttpResponse(records.record_pdf(nc), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{nc.number.replace("/", "-")}.pdf"'
    return response


def evidence_file(request: AuthedRequest, pk: int, action_pk: int | None = None) -> FileResponse:
    """Evidence files are served only to those who may see the item."""
    nc = _visible(request, pk)
    field = (
        get_object_or_404(Action, pk=action_pk, nonconformity=nc).evidence_file
        if action_pk
        else nc.evidence_file
    )
    if not field:
        raise Http404
    name = (field.name or "evidence").rsplit("/", 1)[-1]
    return FileResponse(field.open("rb"), as_attachment=True, filename=name)


@require_POST
def nc_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    require(selectors.can_manage(request.user))
    nc = _visible(request, pk)
    form = forms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the reason."))
        services.nonconformity_reopen(nc=nc, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Reopened: the unit analyses it again."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("nonconformities:detail", pk=pk)


# --- tasks ----------------------------------------------------------------------------


class NonconformityTaskPage(stepkit.TaskPage):
    """Every human step of an item: the record and the step's form (workflows.stepkit)."""

    template_name = "workflows/task.html"

    def load_task(self, user, task_pk):
        return selectors.task_for(user, task_pk)

    def artifact(self, task):
        return Nonconformity.objects.select_related("unit", "service_card").get(
            pk=task.process.artifact_object_id
        )

    def done_url(self, task, artifact):
        return reverse("nonconformities:detail", args=[artifact.pk])

    def context(self, task, artifact, form):
        mine = task.owner_id == self.request.user.pk and task.finished is None
        action = task.data.get("action") if task.data else None
        return {
            "nc": artifact,
            "similar": getattr(form, "similar", []) if mine else [],
            "action": Action.objects.get(pk=action) if action else None,
            "actions": artifact.actions.filter(plan_round=artifact.plan_round).select_related(
                "owner"
            ),
        }


task_page = NonconformityTaskPage.as_view()


@require_POST
def task_reassign(request: AuthedRequest, task_pk: int) -> HttpResponse:
    require(selectors.can_manage(request.user))
    task = selectors.task_for(request.user, task_pk)
    if task is None:
        raise Http404
    form = forms.ReassignForm(request.POST)
    nc_pk = task.process.artifact_object_id
    if not form.is_valid():
        messages.error(request, _("Choose the person and give the reason."))
        return redirect("nonconformities:detail", pk=nc_pk)
    try:
        services.task_reassign(task=task, by=request.user, **form.cleaned_data)
        messages.success(request, _("Step handed over."))
    except stepkit.StepAlreadyDone:
        messages.error(request, _("This step was completed already; nothing was changed."))
    except stepkit.StepBusy:
        messages.error(
            request, _("Someone is completing a step of this item right now. Send it again.")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("nonconformities:detail", pk=nc_pk)


# --- inbox ----------------------------------------------------------------------------


def inbox(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        read = request.POST.get("read", "")
        if not read.isdigit():
            raise Http404
        notification = get_object_or_404(notification_selectors.inbox(request.user), pk=int(read))
        notification_services.notification_mark_read(notification=notification, user=request.user)
        if notification.url:
            return redirect(notification.url)
        return redirect(reverse("nonconformities:inbox"))
    entries = list(notification_selectors.inbox(request.user).select_related("user")[:200])
    subjects = notification_texts.subjects(entries, language=get_language())
    return render(
        request,
        "workflows/inbox.html",
        {"notifications": [(n, subjects[n.pk]) for n in entries]},
    )
