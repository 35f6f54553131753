from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCardRevision, User
from workflows import selectors
from workflows.models import (
    OPEN_STATUSES,
    Action,
    CauseCategory,
    Nonconformity,
    Severity,
    TriageDecision,
)
from workflows.selectors import visible_nonconformities
from workflows.stepkit import StepForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_size(upload):
    if upload and upload.size > settings.EVIDENCE_MAX_BYTES:
        raise forms.ValidationError(
            _("The file is too large (at most %(mb)s MB).")
            % {"mb": settings.EVIDENCE_MAX_BYTES // 1_000_000}
        )
    return upload


class RegisterForm(forms.ModelForm):
    # One-time key: a double click registers one nonconformity, not two.
    once = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Nonconformity
        fields = [
            "title",
            "description",
            "source",
            "severity",
            "unit",
            "service_card",
            "evidence_summary",
            "evidence_file",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "evidence_summary": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_evidence_file(self):
        upload = _check_size(self.cleaned_data.get("evidence_file"))
        if upload:
            Nonconformity._meta.get_field("evidence_file").run_validators(upload)
        return upload

    def clean(self):
        super().clean()
        data = self.cleaned_data
        card, unit = data.get("service_card"), data.get("unit")
        if card and unit and card.unit_id != unit.pk:
            self.add_error("service_card", _("The service card belongs to another unit."))
        return data

    def _post_clean(self):
        pass  # nonconformity_register validates and saves


class ObservationRegisterForm(RegisterForm):
    """Staff raising a nonconformity from their unit's observation: source, unit and card
    come from the observation."""

    class Meta(RegisterForm.Meta):
        fields = ["title", "description", "severity"]


# The forms of the flow's human steps (named beside each step in workflows.flows); the
# task page builds each through `for_step` and passes `service_kwargs()` to its service.


class TriageForm(StepForm, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=TriageDecision.choices, widget=forms.RadioSelect
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    merge_into = forms.CharField(
        label=_("Merge into (the number of an open nonconformity)"),
        required=False,
        max_length=20,
        help_text=_("For example NC/2026/0042; the similar items below show their numbers."),
    )
    reason = forms.CharField(
        label=_("Reason or note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    similar: list[Nonconformity] = []

    def __init__(self, *args, nc: Nonconformity, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("severity", nc.severity)
        self.nc, self.user = nc, user

    @classmethod
    def for_step(cls, data, files, *, artifact, task, user):
        form = cls(data, nc=artifact, user=user)
        # Earlier items like this one, to merge a duplicate (only those the user may see).
        form.similar = list(selectors.similar_items(artifact, user))
        return form

    def clean_merge_into(self) -> Nonconformity | None:
        """A typed number rather than a list of every open item (thousands of options).
        Only items the user may see: the message must not reveal others' numbers."""
        number = self.cleaned_data["merge_into"].strip().upper()
        if not number:
            return None
        target = visible_nonconformities(self.user).filter(number=number).first()
        if target is None:
            raise forms.ValidationError(
                _("There is no nonconformity numbered %(number)s."), params={"number": number}
            )
        if target.pk == self.nc.pk:
            raise forms.ValidationError(
                _(
                    "This is the number of the nonconformity being triaged; give the number of"
                    " the other one."
                )
            )
        if target.status not in OPEN_STATUSES:
            raise forms.ValidationError(
                _("%(number)s is no longer open (%(status)s); merge only into an open one."),
                params={"number": number, "status": target.get_status_display()},
            )
        return target


class AnalysisForm(StepForm, forms.Form):
    immediate_correction = forms.CharField(
        label=_("Immediate correction (what was done at once)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    why_1 = forms.CharField(label=_("Why? (1)"), max_length=500)
    why_2 = forms.CharField(label=_("Why? (2)"), max_length=500, required=False)
    why_3 = forms.CharField(label=_("Why? (3)"), max_length=500, required=False)
    why_4 = forms.CharField(label=_("Why? (4)"), max_length=500, required=False)
    why_5 = forms.CharField(label=_("Why? (5)"), max_length=500, required=False)
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}))
    cause_category = forms.ModelChoiceField(
        label=_("Cause category"), queryset=CauseCategory.objects.filter(is_active=True)
    )
    occurs_elsewhere = forms.ChoiceField(
        label=_("Could it occur elsewhere?"),
        choices=[(Nonconformity.Elsewhere.NO, _("no")), (Nonconformity.Elsewhere.YES, _("yes"))],
        widget=forms.RadioSelect,
    )
    occurs_elsewhere_note = forms.CharField(
        label=_("Where else, and what was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "immediate_correction": data["immediate_correction"],
            "why_chain": [data[f"why_{n}"] for n in range(1, 6)],
            "root_cause": data["root_cause"],
            "cause_category": data["cause_category"],
            "occurs_elsewhere": data["occurs_elsewhere"],
            "occurs_elsewhere_note": data["occurs_elsewhere_note"],
        }


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["kind", "description", "owner", "due_on"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "due_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = User.objects.filter(is_active=True).order_by("last_name", "username")

    def _post_clean(self):
        pass  # nonconformity_plan validates and saves


class BaseActionFormSet(StepForm, forms.BaseFormSet):
    @classmethod
    def for_step(cls, data, files, *, artifact, task, user):
        # The current plan pre-fills the empty form only; a posted form is read as posted.
        initial = [
            {"kind": a.kind, "description": a.description, "owner": a.owner_id, "due_on": a.due_on}
            for a in artifact.actions.filter(plan_round=artifact.plan_round, done_on__isnull=True)
        ]
        return cls(data, initial=None if data else initial, prefix="actions")

    def service_kwargs(self) -> dict:
        return {"actions": [form.cleaned_data for form in self.forms if form.cleaned_data]}


ActionFormSet = forms.formset_factory(
    ActionForm,
    formset=BaseActionFormSet,
    extra=3,
    max_num=20,
    min_num=1,
    validate_min=True,
)


class PlanReviewForm(StepForm, forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve the plan")), ("0", _("Return it to the head"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionDoneForm(StepForm, forms.Form):
    evidence = forms.CharField(
        label=_("Evidence of completion"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_("PDF, image or office document, at most 10 MB."),
    )
    revision = forms.ModelChoiceField(
        label=_("Service card revision it produced"),
        queryset=ServiceCardRevision.objects.none(),
        required=False,
    )

    def __init__(self, *args, nc: Nonconformity, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["revision"]
        assert isinstance(field, forms.ModelChoiceField)
        if nc.service_card_id:
            field.queryset = ServiceCardRevision.objects.filter(card_id=nc.service_card_id)
        else:
            del self.fields["revision"]

    @classmethod
    def for_step(cls, data, files, *, artifact, task, user):
        return cls(data, files, nc=artifact)

    def clean_evidence_file(self):
        upload = _check_size(self.cleaned_data.get("evidence_file"))
        if upload:
            Action._meta.get_field("evidence_file").run_validators(upload)
        return upload


class VerifyForm(StepForm, forms.Form):
    verdict = forms.ChoiceField(
        label=_("Were the actions effective?"),
        choices=Nonconformity.Verdict.choices[1:],
        widget=forms.RadioSelect,
    )
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Hand the step to"),
        queryset=User.objects.filter(is_active=True).order_by("last_name", "username"),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
