from django import forms
from django.utils.translation import gettext_lazy as _

from qms.forms import OnceForm
from review.models import Cycle, Standard
from surveys.models import Question, QuestionnaireVersion
from workflows.stepkit import StepForm

RATED = [Question.Kind.YES_NO, Question.Kind.LIKERT, Question.Kind.SCALE]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CycleForm(OnceForm, forms.ModelForm):
    class Meta:
        model = Cycle
        fields = [
            "year",
            "version",
            "survey_opens_on",
            "survey_closes_on",
            "observations_due_on",
            "analysis_due_on",
            "catalogue_due_on",
            "reminder_days",
            "acknowledgement_days",
        ]
        widgets = {
            name: DateInput()
            for name in (
                "survey_opens_on",
                "survey_closes_on",
                "observations_due_on",
                "analysis_due_on",
                "catalogue_due_on",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = (  # type: ignore[attr-defined]
            QuestionnaireVersion.objects.exclude(
                status=QuestionnaireVersion.Status.CLOSED
            ).select_related("questionnaire")
        )
        if self.instance.pk:
            self.fields["year"].disabled = True


class StandardForm(OnceForm, forms.ModelForm):
    class Meta:
        model = Standard
        fields = [
            "name_pl",
            "name_en",
            "kind",
            "key",
            "target",
            "minimum_sample",
            "unit",
            "card",
            "severity",
            "is_active",
        ]

    def clean(self):
        data = super().clean() or {}
        kind = data.get("kind")
        upper = kind in (Standard.Kind.ERRORS_AT_MOST, Standard.Kind.QUESTIONS_AT_MOST)
        key = data.get("key")
        if kind and not upper and not key:
            self.add_error("key", _("Give the key of the question this standard measures."))
        elif kind and not upper and not Question.objects.filter(key=key, kind__in=RATED).exists():
            self.add_error(
                "key",
                _("No yes/no or rating question has the key “%(key)s”.") % {"key": key},
            )
        target = data.get("target")
        if target is not None:
            if kind == Standard.Kind.SHARE_AT_LEAST and not 0 < target <= 1:
                self.add_error("target", _("A share is a fraction between 0 and 1 (0.8 = 80 %)."))
            elif target < 0:
                self.add_error("target", _("The target cannot be negative."))
        if data.get("unit") and data.get("card"):
            self.add_error("card", _("Choose a unit or a card, not both."))
        return data


class NoteForm(StepForm, forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, required=False
    )


class AcknowledgeForm(StepForm, forms.Form):
    note = forms.CharField(
        label=_("Results considered; catalogue updates planned"),
        help_text=_("Which cards will be updated and how, or why no update is needed."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
    )


class RemeasurementForm(forms.Form):
    effective = forms.TypedChoiceField(
        label=_("Verdict"),
        choices=[("1", _("effective: close the item")), ("0", _("not effective: plan again"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Evidence (leave empty to use the measured figures)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
