"""The response form, built from a questionnaire version's questions."""

import functools
from typing import Any

from django import forms
from django.core.validators import slug_re
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qms.forms import OnceForm
from qms.models import OrgUnit, ServiceCard
from surveys.models import (
    Desk,
    PaperBatch,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    StaffObservation,
)
from surveys.selectors import card_with_revision_in_force
from surveys.services import KINDS_WITH_CHOICES, default_choices


class ServiceCardField(forms.ChoiceField):
    """The catalogue (grouped by unit) is built only to render the field; checking a
    submitted code is one indexed query that brings the revision in force today along."""

    card: ServiceCard | None = None
    unit_ids: frozenset[int] | None = None  # None: the whole catalogue

    def valid_value(self, value):
        self.card = card_with_revision_in_force(value, timezone.localdate())
        if self.card and self.unit_ids is not None and self.card.unit_id not in self.unit_ids:
            self.card = None  # another unit's card, sent to a desk tablet
        return self.card is not None

    def limit_to_units(self, unit_ids: frozenset[int]) -> None:
        """Offer (and accept) only these units' cards: a desk tablet lists its own."""
        self.unit_ids = unit_ids
        self.choices = functools.partial(_service_choices, unit_ids=unit_ids)


def version_questions(version: QuestionnaireVersion) -> list[Question]:
    """A version's questions with their choices; memoised per process once the version
    is no longer a draft (from then on its questions never change)."""
    if version.is_editable:
        return list(version.questions.prefetch_related("choices"))
    return list(_frozen_questions(version.pk, version.created_at))  # callers may reorder it


@functools.lru_cache(maxsize=16)
def _frozen_questions(version_pk: int, created_at) -> list[Question]:
    return list(Question.objects.filter(version_id=version_pk).prefetch_related("choices"))


def field_name(question: Question) -> str:
    return f"q_{question.key}"


def question_field(question: Question) -> forms.Field:
    """The form field for one question, labelled in the active language."""
    common: dict[str, Any] = {"label": question.text, "required": False, "help_text": question.help}
    kind = Question.Kind
    if question.kind == kind.SERVICE:
        return ServiceCardField(choices=_service_choices, **common)
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


def _service_choices(unit_ids: frozenset[int] | None = None) -> list:
    cards = ServiceCard.objects.filter(is_active=True).select_related("unit")
    if unit_ids is not None:
        cards = cards.filter(unit_id__in=unit_ids)
    groups: dict[str, list[tuple[str, str]]] = {}
    for card in cards:
        groups.setdefault(card.unit.name, []).append((card.code, card.title))
    return [("", _("— choose the matter —")), *sorted(groups.items())]


def desk_service_units(desk: Desk) -> frozenset[int] | None:
    """The units whose cards a desk's tablet offers: the desk's unit and the units under
    it. None (the whole catalogue) when they have no active card, so that a tablet
    never shows an empty list that cannot be answered."""
    units = {desk.unit_id}
    level = units
    while level:  # the org chart is a few levels deep: one query per level
        level = set(OrgUnit.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        level -= units
        units |= level
    if not ServiceCard.objects.filter(is_active=True, unit_id__in=units).exists():
        return None
    return frozenset(units)


def version_fields(version: QuestionnaireVersion) -> dict[str, forms.Field]:
    """Fresh form fields for a version's questions, in the active language.

    A non-draft version's fields are built once per process and language; each form
    gets copies (see `_copy_field`)."""
    if version.is_editable:
        return {field_name(q): question_field(q) for q in version_questions(version)}
    frozen = _frozen_fields(version.pk, version.created_at, get_language())
    return {name: _copy_field(field) for name, field in frozen.items()}


def _copy_field(field: forms.Field) -> forms.Field:
    """A field of its own for one form: the field and its widget copied, with their own
    attrs, so that a form may set `field.choices`, `field.disabled`, `widget.attrs[...]`
    or (ServiceCardField) `field.card` without touching other forms. What is shared is
    never changed in place by Django or by this project: the choices lists, validators
    and error messages. Django deep-copies all of that for every form; here that was a
    fifth of the CPU time of a submission (bench/README.md)."""
    copied = _shallow_copy(field)
    copied.widget = _shallow_copy(field.widget)
    copied.widget.attrs = dict(field.widget.attrs)
    return copied


def _shallow_copy(obj):
    # What copy.copy() does for these classes, without its generic (slower) protocol.
    copied = obj.__class__.__new__(obj.__class__)
    copied.__dict__.update(obj.__dict__)
    return copied


@functools.lru_cache(maxsize=16)
def _frozen_fields(version_pk: int, created_at, language: str) -> dict[str, forms.Field]:
    return {field_name(q): question_field(q) for q in _frozen_questions(version_pk, created_at)}


class ResponseForm(forms.Form):
    """All questions of a version; `page` limits which ones are checked now.

    Fields are optional at field level: "required" depends on conditions between
    questions, so it is enforced in `clean()` for the questions actually shown.
    """

    token = forms.CharField(widget=forms.HiddenInput)
    # Honeypot: hidden from people (CSS + aria-hidden), filled in by bots.
    website = forms.CharField(required=False, max_length=200)

    def __init__(
        self,
        *args,
        version: QuestionnaireVersion,
        page: int | None = None,
        enforce_required: bool = True,
        service_units: frozenset[int] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.version = version
        self.enforce_required = enforce_required
        self.questions = version_questions(version)
        self.page = page or max((q.page for q in self.questions), default=1)
        self.fields.update(version_fields(version))
        if service_units is not None:
            for question in self.questions:
                field = self.fields[field_name(question)]
                if isinstance(field, ServiceCardField):
                    field.limit_to_units(service_units)

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
            if (
                self.enforce_required
                and question.required
                and data.get(name) in (None, "", [])
                and name not in self.errors
            ):
                self.add_error(name, _("Please answer this question."))
        return data

    def cleaned_answers(self) -> dict[str, Any]:
        """Question key → Choice / list of Choices / ServiceCard / int / str."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if value in (None, "", []):
                continue
            by_value = question.choice_by_value
            if question.kind == Question.Kind.SERVICE:
                field = self.fields[field_name(question)]
                card = getattr(field, "card", None)
                answers[question.key] = (
                    card if card and card.code == value else (ServiceCard.objects.get(code=value))
                )
            elif question.kind == Question.Kind.MULTIPLE:
                answers[question.key] = [by_value[v] for v in value]
            elif question.has_choices:
                answers[question.key] = by_value[value]
            else:
                answers[question.key] = value
        return answers


class PaperSheetForm(ResponseForm):
    """One paper form on one screen. A client may have skipped a "required" question on
    paper, so nothing is required here: the operator types what is on the sheet."""

    sheet_number = forms.IntegerField(
        label=_("Sheet number"),
        min_value=1,
        help_text=_("Write the same number on the paper form."),
    )

    def __init__(self, *args, version: QuestionnaireVersion, **kwargs):
        super().__init__(*args, version=version, page=None, enforce_required=False, **kwargs)
        self.fields.pop("website")
        for question in self.questions:
            if question.kind == Question.Kind.SERVICE:
                # Operators type the card code from the sheet: the select jumps to it.
                cards = ServiceCard.objects.filter(is_active=True).order_by("code")
                field = self.fields[field_name(question)]
                assert isinstance(field, forms.ChoiceField)
                field.choices = [("", "—")] + [(c.code, f"{c.code} {c.title}") for c in cards]


class NewQuestionnaireForm(OnceForm, forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["slug", "title_pl", "title_en"]
        help_texts = {"slug": _("Part of the public address: /ankieta/<address>/")}


class NewDraftForm(OnceForm):
    questionnaire = forms.ModelChoiceField(
        queryset=Questionnaire.objects.all(), label=_("Questionnaire")
    )
    copy_from = forms.ModelChoiceField(
        queryset=QuestionnaireVersion.objects.select_related("questionnaire"),
        required=False,
        label=_("Copy the questions of"),
        empty_label=_("— start empty —"),
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        source, target = data.get("copy_from"), data.get("questionnaire")
        if source and target and source.questionnaire_id != target.pk:
            self.add_error("copy_from", _("Choose a version of the same questionnaire."))
        return data


class VersionForm(forms.ModelForm):
    class Meta:
        model = QuestionnaireVersion
        fields = ["intro_pl", "intro_en", "opens_on", "closes_on"]
        widgets = {
            "intro_pl": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
            "opens_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closes_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.is_editable:
            for name in ("intro_pl", "intro_en"):
                self.fields[name].disabled = True


class ActivateForm(forms.Form):
    opens_on = forms.DateField(
        label=_("Open from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: from today."),
    )
    closes_on = forms.DateField(
        label=_("Open until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: until the next version replaces it."),
    )


def parse_choices(text: str) -> list[tuple[str, str, str, bool]]:
    """One option per line: `value | Polish label | English label`; value `na` = not applicable."""
    choices = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise forms.ValidationError(
                _("Line %(n)s: write “value | Polish label | English label”.") % {"n": number}
            )
        value = parts[0]
        if not slug_re.fullmatch(value):
            raise forms.ValidationError(
                _("Line %(n)s: the value may use only letters, digits, - and _.") % {"n": number}
            )
        choices.append((value, parts[1], parts[2] if len(parts) > 2 else "", value == "na"))
    return choices


def format_choices(question: Question) -> str:
    return "\n".join(
        " | ".join(filter(None, [c.value, c.label_pl, c.label_en])) for c in question.choices.all()
    )


class QuestionForm(OnceForm, forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Answer options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false"}),
        help_text=_(
            "For single, multiple, yes/no and rating questions: one option per line, "
            "“value | Polish label | English label”. The value na marks “not applicable” "
            "(kept out of the results' denominators). Empty for yes/no or rating: the "
            "standard options."
        ),
    )
    show_if_values_text = forms.CharField(
        label=_("…was answered"),
        required=False,
        help_text=_("Values of that question's options, separated by spaces."),
    )

    class Meta:
        model = Question
        fields = [
            "key",
            "page",
            "kind",
            "text_pl",
            "text_en",
            "help_pl",
            "help_en",
            "required",
            "max_length",
            "show_if_key",
        ]

    def __init__(self, *args, version: QuestionnaireVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        others = version.questions.exclude(pk=self.instance.pk).filter(
            kind__in=["single", "multiple", "yes_no", "likert"]
        )
        self.fields["show_if_key"] = forms.ChoiceField(
            label=_("Show only if question"),
            required=False,
            choices=[("", _("— always shown —"))] + [(q.key, f"{q.key}: {q.text}") for q in others],
        )
        if self.instance.pk:
            self.initial["choices_text"] = format_choices(self.instance)
            self.initial["show_if_values_text"] = " ".join(self.instance.show_if_values)

    def clean_choices_text(self):
        return parse_choices(self.cleaned_data["choices_text"])

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("kind") in KINDS_WITH_CHOICES and not data.get("choices_text"):
            data["choices_text"] = default_choices(data["kind"])
        data["show_if_values"] = data.get("show_if_values_text", "").split()
        return data

    def _post_clean(self):
        pass  # the service validates and saves; it owns the rules between questions

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["show_if_values"] = data["show_if_values"]
        return fields


class BatchForm(OnceForm, forms.ModelForm):
    class Meta:
        model = PaperBatch
        fields = ["version", "desk", "collected_on", "declared_count", "double_entry", "note"]
        widgets = {
            "collected_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, versions, desks, **kwargs):
        super().__init__(*args, **kwargs)
        version_field = self.fields["version"]
        assert isinstance(version_field, forms.ModelChoiceField)
        version_field.queryset = QuestionnaireVersion.objects.filter(
            pk__in=[v.pk for v in versions]
        ).select_related("questionnaire")
        desk_field = self.fields["desk"]
        assert isinstance(desk_field, forms.ModelChoiceField)
        desk_field.queryset = desks
        if len(versions) == 1:
            self.initial.setdefault("version", versions[0].pk)

    def _post_clean(self):
        pass  # batch_open validates


class BatchCloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the number entered differs from the number declared."),
    )


class CardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.title}"


class ObservationForm(OnceForm, forms.ModelForm):
    class Meta:
        model = StaffObservation
        fields = ["card", "kind", "summary", "frequency", "period", "example"]
        field_classes = {"card": CardChoiceField}
        widgets = {"example": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, cards, **kwargs):
        super().__init__(*args, **kwargs)
        card_field = self.fields["card"]
        assert isinstance(card_field, forms.ModelChoiceField)
        card_field.queryset = cards
        self.fields["frequency"].widget.attrs["min"] = 1

    def clean_frequency(self):
        value = self.cleaned_data["frequency"]
        if value is not None and value < 1:
            raise forms.ValidationError(_("Give an estimate of at least 1."))
        return value

    def _post_clean(self):
        pass  # observation_record validates and saves


class RoundForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    message = forms.CharField(
        label=_("Message to staff"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
