"""Staff pages for surveys: the coordinator's questionnaire editor, desks and QR codes,
paper and interviewer entry, staff observations and rounds, responses and exports.

Views stay thin: permission checks come from `surveys.selectors`, writes from
`surveys.services`. Another unit's object is never found (404), whatever the route.
"""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qms.models import AuditEntry
from qms.once import create_once
from qms.services import audit_record
from qms.views import AuthedRequest, apply_service_errors, require
from surveys import exports, qr, selectors, services
from surveys.forms import (
    ActivateForm,
    BatchCloseForm,
    BatchForm,
    NewDraftForm,
    NewQuestionnaireForm,
    ObservationForm,
    PaperSheetForm,
    QuestionForm,
    RoundForm,
    VersionForm,
    field_name,
)
from surveys.models import (
    Channel,
    Desk,
    PaperBatch,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    RoundParticipant,
    Suggestion,
)
from surveys.tokens import new_submission_token
from surveys.views import FormMode, _run_form


def index(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "can_manage": selectors.can_manage_surveys(user),
        "can_read": selectors.can_read_survey_data(user),
        "can_read_single": selectors.can_read_single_responses(user),
        "can_enter": selectors.can_enter_responses(user),
        "round_tasks": selectors.open_round_tasks(user),
        "versions": selectors.entry_versions(),
    }
    return render(request, "surveys/staff/index.html", context)


# --- questionnaires and versions (coordinator; auditor reads) ----------------------


def version_list(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_read_survey_data(request.user))
    questionnaires = Questionnaire.objects.prefetch_related("versions")
    versions = QuestionnaireVersion.objects.select_related("questionnaire").annotate(
        question_count=Count("questions", distinct=True),
        response_count=Count("responses", distinct=True),
        suggestion_count=Count("suggestions", distinct=True),
    )
    return render(
        request,
        "surveys/staff/version_list.html",
        {
            "questionnaires": questionnaires,
            "versions": versions,
            "can_manage": selectors.can_manage_surveys(request.user),
            "draft_form": NewDraftForm(),
        },
    )


def questionnaire_create(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    form = NewQuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.sent_before("questionnaire", request):
        messages.info(request, _("This form was sent already; it was saved once."))
        return redirect("surveys_staff:version_list")
    if request.method == "POST" and form.is_valid():
        key = form.take_key("questionnaire", request)
        draft = create_once(
            request,
            key,
            lambda: services.version_create_draft(questionnaire=form.save()),
        )
        if draft is None:  # sent twice: the first send created it
            return redirect("surveys_staff:version_list")
        messages.success(request, _("Questionnaire created with an empty draft version."))
        return redirect("surveys_staff:version_detail", pk=draft.pk)
    return render(
        request,
        "surveys/staff/form_page.html",
        {
            "form": form,
            "title": _("New questionnaire"),
            "back": reverse("surveys_staff:version_list"),
        },
    )


@require_POST
def version_create(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    form = NewDraftForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("surveys_staff:version_list")
    draft = create_once(
        request,
        form.take_key("draft", request),
        lambda: services.version_create_draft(
            questionnaire=form.cleaned_data["questionnaire"],
            copy_from=form.cleaned_data["copy_from"],
        ),
    )
    if draft is None:  # sent twice: the first send created it
        return redirect("surveys_staff:version_list")
    messages.success(request, _("Draft version %(n)s created.") % {"n": draft.number})
    return redirect("surveys_staff:version_detail", pk=draft.pk)


def _version(pk: int) -> QuestionnaireVersion:
    return get_object_or_404(QuestionnaireVersion.objects.select_related("questionnaire"), pk=pk)


def version_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(selectors.can_read_survey_data(request.user))
    version = _version(pk)
    others = version.questionnaire.versions.exclude(pk=pk)
    return render(
        request,
        "surveys/staff/version_detail.html",
        {
            "version": version,
            "questions": version.questions.prefetch_related("choices"),
            "others": others,
            "can_manage": selectors.can_manage_surveys(request.user),
            "activate_form": ActivateForm(),
            "pilot_url": request.build_absolute_uri(
                reverse("ankieta:pilot", args=[version.pilot_token])
            ),
            "pilot_responses": version.responses.filter(is_pilot=True).count(),
            "live_responses": version.responses.filter(is_pilot=False).count(),
            # A draft is where the next edition is written: show what respondents said
            # about every earlier version of this questionnaire (free text: the
            # coordinator only, not the auditor).
            "suggestions": (
                Suggestion.objects.filter(version__questionnaire=version.questionnaire)
                if version.is_editable
                else version.suggestions.all()
            ).select_related("version")[:100]
            if selectors.can_read_single_responses(request.user)
            else [],
        },
    )


def version_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    version = _version(pk)
    if version.status == QuestionnaireVersion.Status.CLOSED:
        messages.error(request, _("A closed version cannot change."))
        return redirect("surveys_staff:version_detail", pk=pk)
    form = VersionForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_update(version=version, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Version saved."))
            return redirect("surveys_staff:version_detail", pk=pk)
    return render(
        request,
        "surveys/staff/form_page.html",
        {
            "form": form,
            "title": _("Introduction and dates: %(version)s") % {"version": version},
            "back": reverse("surveys_staff:version_detail", args=[pk]),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def version_transition(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    version = _version(pk)
    try:
        if action == "pilot":
            services.version_start_pilot(version=version)
            messages.success(request, _("The pilot has started; share the pilot link."))
        elif action == "activate":
            form = ActivateForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give valid dates."))
            services.version_activate(version=version, **form.cleaned_data)
            messages.success(request, _("This version is now live."))
        elif action == "close":
            services.version_close(version=version)
            messages.success(request, _("The version is closed."))
        else:
            raise PermissionDenied
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("surveys_staff:version_detail", pk=pk)


def version_compare(request: AuthedRequest, pk: int, other: int) -> HttpResponse:
    require(selectors.can_read_survey_data(request.user))
    new, old = _version(pk), _version(other)
    if new.questionnaire_id != old.questionnaire_id:
        raise PermissionDenied
    if old.number > new.number:
        new, old = old, new
    return render(
        request,
        "surveys/staff/version_compare.html",
        {"old": old, "new": new, "diff": selectors.version_compare(old, new)},
    )


def version_preview(request: AuthedRequest, pk: int) -> HttpResponse:
    """The form exactly as respondents see it; it checks answers and stores nothing."""
    require(selectors.can_read_survey_data(request.user))
    version = _version(pk)
    mode = FormMode(
        channel=Channel.WEB,
        preview=True,
        rate_limited=False,
        thanks_url=reverse("surveys_staff:version_detail", args=[pk]),
    )
    return _run_form(request, version, mode)


def question_edit(request: AuthedRequest, pk: int, question_pk: int | None = None) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    version = _version(pk)
    question = get_object_or_404(version.questions, pk=question_pk) if question_pk else None
    if not version.is_editable:
        messages.error(
            request, _("Only a draft version can be changed; make a new draft by copying this one.")
        )
        return redirect("surveys_staff:version_detail", pk=pk)
    form = QuestionForm(
        request.POST or None, instance=question or Question(version=version), version=version
    )
    if request.method == "POST" and form.is_valid():
        key = form.take_key("question", request)
        save = functools.partial(
            services.question_save,
            version=version,
            question=question,
            choices=form.cleaned_data["choices_text"],
            **form.service_fields(),
        )
        try:
            # A new question is created once however often the page is sent.
            saved = save() if question else create_once(request, key, save)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if saved is None:
                return redirect(reverse("surveys_staff:version_detail", args=[pk]) + "#questions")
            messages.success(request, _("Question saved."))
            return redirect(reverse("surveys_staff:version_detail", args=[pk]) + "#questions")
    return render(
        request,
        "surveys/staff/question_form.html",
        {"form": form, "version": version, "question": question},
        status=422 if form.errors else 200,
    )


@require_POST
def question_action(request: AuthedRequest, pk: int, question_pk: int, action: str) -> HttpResponse:
    require(selectors.can_manage_surveys(request.user))
    version = _version(pk)
    question = get_object_or_404(version.questions, pk=question_pk)
    try:
        if action == "delete":
            services.question_delete(question=question)
            messages.success(request, _("Question deleted."))
        elif action in {"up", "down"}:
            services.question_move(question=question, up=action == "up")
        else:
            raise PermissionDenied
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(reverse("surveys_staff:version_detail", args=[pk]) + "#questions")


def suggestion_list(request: AuthedRequest) -> HttpResponse:
    """Respondents' own words about the questionnaire: free text, the coordinator only."""
    require(selectors.can_read_single_responses(request.user))
    suggestions = Suggestion.objects.select_related("version", "version__questionnaire")
    return render(request, "surveys/staff/suggestion_list.html", {"suggestions": suggestions[:500]})


# --- desks, QR codes and kiosk links -------------------------------------------------


def desk_list(request: AuthedRequest) -> HttpResponse:
    desks = selectors.desk_list(request.user)
    require(desks.exists() or selectors.can_manage_surveys(request.user))
    questionnaire = Questionnaire.objects.filter(versions__status="active").order_by("slug").first()
    return render(
        request,
        "surveys/staff/desk_list.html",
        {
            "desks": desks,
            "questionnaire": questionnaire,
            "can_manage": selectors.can_manage_surveys(request.user),
        },
    )


def _visible_desk(request: AuthedRequest, pk: int) -> Desk:
    return get_object_or_404(selectors.desk_list(request.user), pk=pk)


def qr_sheet(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """A printable A4 PDF of QR codes: the desk's own code and one per service of its unit,
    in Polish or English (`?jezyk=`), by default in the user's language."""
    desks = [_visible_desk(request, pk)] if pk else list(selectors.desk_list(request.user))
    require(bool(desks))
    questionnaire = Questionnaire.objects.filter(versions__status="active").order_by("slug").first()
    if questionnaire is None:
        raise Http404
    # The sheet's language: chosen on the desk list, else the language of the user's pages.
    language = request.GET.get("jezyk", "")
    if language not in {"pl", "en"}:
        language = "en" if translation.get_language() == "en" else "pl"
    pdf = qr.desk_sheet_pdf(questionnaire, desks, language)
    name = f"qr-{desks[0].code if pk else 'stanowiska'}-{language}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_POST
def desk_new_kiosk_key(request: AuthedRequest, pk: int) -> HttpResponse:
    """Retire a lost or stolen tablet's link: the desk gets a new kiosk address."""
    require(selectors.can_manage_surveys(request.user))
    desk = get_object_or_404(Desk, pk=pk)
    services.desk_new_kiosk_key(desk=desk)
    messages.success(request, _("Desk %(code)s has a new kiosk address.") % {"code": desk.code})
    return redirect("surveys_staff:desk_list")


# --- interviewer-assisted entry --------------------------------------------------------


def interview_start(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_enter_responses(request.user))
    return render(
        request,
        "surveys/staff/interview_start.html",
        {"desks": selectors.entry_desks(request.user), "versions": selectors.entry_versions()},
    )


def interview_form(request: AuthedRequest, pk: int, desk_pk: int) -> HttpResponse:
    """Staff read the questions to a client at a desk; staff member and desk are recorded."""
    require(selectors.can_enter_responses(request.user))
    desk = get_object_or_404(selectors.entry_desks(request.user), pk=desk_pk)
    version = next((v for v in selectors.entry_versions() if v.pk == pk), None)
    if version is None:
        messages.error(request, _("This questionnaire is not open for entry."))
        return redirect("surveys_staff:interview_start")
    here = reverse("surveys_staff:interview_form", args=[pk, desk_pk])
    mode = FormMode(
        channel=Channel.INTERVIEWER,
        desk=desk,
        entered_by=request.user,
        rate_limited=False,
        thanks_url=here + "?zapisano=1",
        extra={"staff_back": reverse("surveys_staff:interview_start")},
    )
    if request.GET.get("zapisano"):
        messages.success(request, _("Response saved. The form is ready for the next client."))
    return _run_form(request, version, mode)


# --- paper batches (§5) ----------------------------------------------------------------


def _visible_batch(request: AuthedRequest, pk: int) -> PaperBatch:
    return get_object_or_404(selectors.batch_list(request.user), pk=pk)


def batch_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require(selectors.can_enter_responses(user) or selectors.can_read_survey_data(user))
    versions = selectors.entry_versions()
    form = BatchForm(
        request.POST or None,
        versions=versions,
        desks=selectors.entry_desks(user),
        initial={"collected_on": timezone.localdate()},
    )
    if request.method == "POST":
        require(selectors.can_enter_responses(user))
        if form.is_valid():
            key = form.take_key("batch", request)
            try:
                batch = create_once(
                    request, key, lambda: services.batch_open(operator=user, **form.cleaned_data)
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if batch is None:  # sent twice: the first send opened it
                    return redirect("surveys_staff:batch_list")
                return redirect("surveys_staff:batch_enter", pk=batch.pk)
    return render(
        request,
        "surveys/staff/batch_list.html",
        {
            "batches": selectors.batch_list(user).order_by("-created_at")[:200],
            "form": form,
            "can_enter": selectors.can_enter_responses(user) and bool(versions),
        },
        status=422 if form.errors else 200,
    )


def batch_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _visible_batch(request, pk)
    form = BatchCloseForm(request.POST or None)
    if request.method == "POST":
        require(selectors.can_enter_responses(request.user))
        if form.is_valid():
            try:
                services.batch_close(batch=batch, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Batch closed."))
                return redirect("surveys_staff:batch_detail", pk=pk)
    entries = {e.sheet_number: e for e in batch.second_entries.all()}
    sheets = [
        (response, entries.get(response.sheet_number or 0))
        for response in batch.responses.select_related("service_card").order_by("sheet_number")
    ]
    return render(
        request,
        "surveys/staff/batch_detail.html",
        {
            "batch": batch,
            "sheets": sheets,
            "flagged": [e for e in entries.values() if e.needs_resolution],
            "form": form,
            "is_open": batch.status == PaperBatch.Status.OPEN,
        },
        status=422 if form.errors else 200,
    )


def _sheet_screen(request: AuthedRequest, pk: int, *, verify: bool) -> HttpResponse:
    """One paper form per screen, keyboard first; after saving, the next empty one."""
    require(selectors.can_enter_responses(request.user))
    batch = _visible_batch(request, pk)
    if batch.status != PaperBatch.Status.OPEN:
        messages.error(request, _("This batch is closed; nothing can be added to it."))
        return redirect("surveys_staff:batch_detail", pk=pk)
    here = reverse(
        "surveys_staff:batch_verify" if verify else "surveys_staff:batch_enter", args=[pk]
    )
    if request.method == "POST":
        form = PaperSheetForm(request.POST, version=batch.version)
        if form.is_valid():
            try:
                again = None
                if verify:
                    _verify_sheet(request, batch, form)
                else:
                    again = _enter_sheet(request, batch, form)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if again is None:
                    return redirect(here)
                form = again
    else:
        form = PaperSheetForm(
            version=batch.version,
            initial={
                "token": new_submission_token(batch.version),
                "sheet_number": _next_sheet(batch, verify=verify),
            },
        )
    entered = batch.responses.count()
    return render(
        request,
        "surveys/staff/sheet_form.html",
        {
            "batch": batch,
            "form": form,
            "verify": verify,
            "fields": [(q, form[field_name(q)]) for q in form.questions],
            "entered": entered,
            "checked": batch.second_entries.count(),
        },
        status=422 if form.errors else 200,
    )


def _verify_sheet(request: AuthedRequest, batch: PaperBatch, form: PaperSheetForm) -> None:
    entry = services.paper_sheet_verify(
        batch=batch,
        sheet_number=form.cleaned_data["sheet_number"],
        answers=form.cleaned_answers(),
        user=request.user,
    )
    if entry.differences:
        messages.warning(
            request,
            _("Sheet %(n)s differs from the first entry: flagged for checking.")
            % {"n": entry.sheet_number},
        )
    else:
        messages.success(request, _("Sheet %(n)s matches.") % {"n": entry.sheet_number})


def _enter_sheet(
    request: AuthedRequest, batch: PaperBatch, form: PaperSheetForm
) -> PaperSheetForm | None:
    """The typed sheet through the one submit sequence. None when the screen is done
    (stored now, or by the first of two presses); else the typing comes back with a
    fresh token and why nothing was stored."""
    number = form.cleaned_data["sheet_number"]
    outcome = services.submit_response(
        version=batch.version,
        token=form.cleaned_data["token"],
        answers=form.cleaned_answers(),
        source=services.ResponseSource.paper(batch=batch, sheet_number=number, typist=request.user),
        address=None,  # staff typing in a pile of forms: no per-address limit
        questions=form.questions,
    )
    if outcome == services.Submitted.STORED:
        messages.success(request, _("Sheet %(n)s saved.") % {"n": number})
        return None
    if outcome == services.Submitted.ALREADY_STORED:
        if batch.responses.filter(sheet_number=number).exists():
            # Enter pressed twice: the first press stored it; on to the next sheet.
            messages.info(
                request,
                _("Sheet %(n)s was saved already (the form was sent twice); it is stored once.")
                % {"n": number},
            )
            return None
        # This screen was saved as another sheet, then changed and sent again.
        problem = _(
            "This screen was saved already as another sheet, so sheet %(n)s "
            "was not stored. Check the answers and save again."
        ) % {"n": number}
    else:  # the token expired or was tampered with
        problem = _("The form could not be read. Please send it again.")
    resend = request.POST.copy()
    resend["token"] = new_submission_token(batch.version)
    again = PaperSheetForm(resend, version=batch.version)
    again.is_valid()
    again.add_error(None, problem)
    return again


def _next_sheet(batch: PaperBatch, *, verify: bool) -> int | None:
    if not verify:
        return services.next_sheet_number(batch)
    done = set(batch.second_entries.values_list("sheet_number", flat=True))
    waiting = batch.responses.exclude(sheet_number__in=done).order_by("sheet_number")
    first = waiting.values_list("sheet_number", flat=True).first()
    return first


def batch_enter(request: AuthedRequest, pk: int) -> HttpResponse:
    return _sheet_screen(request, pk, verify=False)


def batch_verify(request: AuthedRequest, pk: int) -> HttpResponse:
    return _sheet_screen(request, pk, verify=True)


@require_POST
def batch_resolve(request: AuthedRequest, pk: int, sheet: int) -> HttpResponse:
    require(selectors.can_enter_responses(request.user))
    batch = _visible_batch(request, pk)
    entry = get_object_or_404(batch.second_entries, sheet_number=sheet)
    try:
        services.paper_sheet_resolve(
            entry=entry, use_second=request.POST.get("use") == "second", user=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("surveys_staff:batch_detail", pk=pk)


# --- staff observations and rounds (§7) ----------------------------------------------


def observation_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    cards = selectors.observation_cards(user)
    can_record = cards.exists()
    require(can_record or selectors.can_read_survey_data(user))
    form = ObservationForm(request.POST or None, cards=cards)
    if request.method == "POST":
        require(can_record)
        if form.is_valid():
            key = form.take_key("observation", request)
            try:
                recorded = create_once(
                    request,
                    key,
                    lambda: services.observation_record(user=user, **form.cleaned_data),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if recorded is not None:
                    messages.success(request, _("Observation recorded. Thank you."))
                return redirect("surveys_staff:observation_list")
    observations = selectors.observation_list(user)
    query = request.GET.get("karta", "").strip()
    if query:
        observations = observations.filter(
            Q(card__code__icontains=query) | Q(card__title_pl__icontains=query)
        )
    return render(
        request,
        "surveys/staff/observation_list.html",
        {
            "form": form,
            "can_record": can_record,
            "observations": observations[:300],
            "round_tasks": selectors.open_round_tasks(user),
            "query": query,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def observation_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    observation = get_object_or_404(selectors.observation_list(request.user), pk=pk)
    services.observation_delete(observation=observation, user=request.user)
    messages.success(request, _("Observation deleted."))
    return redirect("surveys_staff:observation_list")


@require_POST
def round_nothing(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(RoundParticipant, round_id=pk, user=request.user)
    try:
        services.round_nothing_to_add(round_=task.round, user=request.user)
        messages.success(request, _("Noted: nothing to add in this round."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("surveys_staff:observation_list")


def round_list(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_read_survey_data(request.user))
    form = RoundForm(request.POST or None)
    if request.method == "POST":
        require(selectors.can_manage_surveys(request.user))
        if form.is_valid():
            key = form.take_key("round", request)
            try:
                round_ = create_once(
                    request,
                    key,
                    lambda: services.round_open(user=request.user, **form.cleaned_data),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if round_ is None:  # sent twice: the first send opened it
                    return redirect("surveys_staff:round_list")
                messages.success(request, _("Round opened; staff are being notified."))
                return redirect("surveys_staff:round_detail", pk=round_.pk)
    return render(
        request,
        "surveys/staff/round_list.html",
        {
            "rounds": selectors.round_list(),
            "form": form,
            "can_manage": selectors.can_manage_surveys(request.user),
        },
        status=422 if form.errors else 200,
    )


def round_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(selectors.can_read_survey_data(request.user))
    round_ = get_object_or_404(selectors.round_list(), pk=pk)
    if request.method == "POST":
        require(selectors.can_manage_surveys(request.user))
        services.round_close(round_=round_, user=request.user)
        messages.success(request, _("Round closed."))
        return redirect("surveys_staff:round_detail", pk=pk)
    participants = round_.participants.select_related("user", "unit").order_by(
        "unit__code", "user__last_name"
    )
    units: dict = {}
    for task in participants:
        units.setdefault(task.unit, []).append(task)
    return render(
        request,
        "surveys/staff/round_detail.html",
        {
            "round": round_,
            "units": units,
            "observations": round_.observations.select_related("card", "recorded_by")[:300],
            "can_manage": selectors.can_manage_surveys(request.user),
        },
    )


# --- responses and exports -----------------------------------------------------------


RESPONSES_LISTED = 100


def response_list(request: AuthedRequest) -> HttpResponse:
    """The latest single responses: the coordinator only, and every view is logged."""
    require(selectors.can_read_single_responses(request.user))
    responses = selectors.response_list(request.user)
    total = responses.count()
    audit_record(
        user=request.user,
        action=AuditEntry.Action.RESPONSE_LIST,
        route=request.path,
        params={},
        rows=min(total, RESPONSES_LISTED),
    )
    return render(
        request,
        "surveys/staff/response_list.html",
        {
            "responses": responses[:RESPONSES_LISTED],
            "total": total,
            "can_export": True,
            "min_group": selectors.min_group(),
        },
    )


def response_export(request: AuthedRequest, fmt: str) -> StreamingHttpResponse:
    """Every live response as CSV (codes; `?labels=1`: labelled; streamed) or XLSX
    (labelled sheet, then codes), in the user's language: the coordinator only, every
    export logged."""
    require(selectors.can_read_single_responses(request.user))
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    labels = request.GET.get("labels") == "1"
    response, rows = exports.export(selectors.response_list(request.user), fmt, labels=labels)
    audit_record(
        user=request.user,
        action=AuditEntry.Action.RESPONSE_EXPORT,
        route=request.path,
        params={"format": fmt, "labels": labels},
        rows=rows,
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="odpowiedzi-{stamp}.{fmt}"'
    return response
