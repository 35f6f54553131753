"""The response form, built from a questionnaire version's questions."""

from typing import Any

from django import forms
from django.core import signing
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCard
from surveys.models import Question, QuestionnaireVersion

TOKEN_SALT = "surveys.submit"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 24 * 3600  # a form left open overnight gets a fresh token, answers kept


def new_submission_token(version: QuestionnaireVersion) -> str:
    return signing.dumps({"v": version.pk, "n": get_random_string(32)}, salt=TOKEN_SALT)


def read_submission_token(token: str, version: QuestionnaireVersion) -> str | None:
    """The nonce inside a valid, unexpired token for this version, else None."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("n") if data.get("v") == version.pk else None


def field_name(question: Question) -> str:
    return f"q_{question.key}"


class ResponseForm(forms.Form):
    """All questions of a version; `page` limits which ones are checked now.

    Fields are optional at field level: "required" depends on conditions between
    questions, so it is enforced in `clean()` for the questions actually shown.
    """

    token = forms.CharField(widget=forms.HiddenInput)
    # Honeypot: hidden from people (CSS + aria-hidden), filled in by bots.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, version: QuestionnaireVersion, page: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        self.questions = list(version.questions.prefetch_related("choices"))
        self.page = page or max((q.page for q in self.questions), default=1)
        for question in self.questions:
            self.fields[field_name(question)] = self._field_for(question)

    def _field_for(self, question: Question) -> forms.Field:
        label = question.text
        common: dict[str, Any] = {"label": label, "required": False, "help_text": question.help}
        kind = Question.Kind
        if question.kind == kind.SERVICE:
            return forms.ChoiceField(choices=self._service_choices(), **common)
        if question.kind == kind.TEXT:
            return forms.CharField(
                max_length=question.max_length,
                widget=forms.Textarea(attrs={"rows": 4, "maxlength": question.max_length}),
                **common,
            )
        if question.kind == kind.SCALE:
            return forms.TypedChoiceField(
                choices=[(str(n), str(n)) for n in range(11)],
                coerce=int,
                widget=forms.RadioSelect,
                **common,
            )
        choices = [(c.value, c.label) for c in question.choices.all()]
        if question.kind == kind.MULTIPLE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)

    @staticmethod
    def _service_choices() -> list:
        groups: dict[str, list[tuple[str, str]]] = {}
        for card in ServiceCard.objects.filter(is_active=True).select_related("unit"):
            groups.setdefault(card.unit.name, []).append((card.code, card.title))
        return [("", _("— choose the matter —")), *sorted(groups.items())]

    def is_shown(self, question: Question, data: dict[str, Any]) -> bool:
        if not question.show_if_key:
            return True
        given = data.get(f"q_{question.show_if_key}")
        given = given if isinstance(given, list) else [given]
        return any(value in question.show_if_values for value in given)

    def questions_on_page(self, page: int) -> list[Question]:
        return [q for q in self.questions if q.page == page]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for question in self.questions:
            name = field_name(question)
            if question.page > self.page:
                data.pop(name, None)
                self.errors.pop(name, None)
                continue
            if not self.is_shown(question, data):
                # Hidden by its condition: whatever arrived is ignored, never stored.
                data[name] = None
                self.errors.pop(name, None)
                continue
            if question.required and data.get(name) in (None, "", []) and name not in self.errors:
                self.add_error(name, _("Please answer this question."))
        return data

    def cleaned_answers(self) -> dict[str, Any]:
        """Question key → Choice / list of Choices / ServiceCard / int / str."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value in (None, "", []):
                continue
            by_value = {c.value: c for c in question.choices.all()}
            if question.kind == Question.Kind.SERVICE:
                answers[question.key] = ServiceCard.objects.get(code=value)
            elif question.kind == Question.Kind.MULTIPLE:
                answers[question.key] = [by_value[v] for v in value]
            elif question.has_choices:
                answers[question.key] = by_value[value]
            else:
                answers[question.key] = value
        return answers
