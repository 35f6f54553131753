from django import forms
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCardRevision


class OnceForm(forms.Form):
    """A form that creates something: a one-time key in a hidden field (double submit).

    The key is made when the empty form is shown and posted back with it; the view runs
    its service through `qms.once.create_once`, which claims the key in the same
    transaction.
    """

    once = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", get_random_string(32))


class RevisionForm(forms.ModelForm):
    """Content of a new service-card revision, pre-filled from the current one."""

    class Meta:
        model = ServiceCardRevision
        fields = [*ServiceCardRevision.CONTENT_FIELDS, "change_note"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "required_documents",
                "fees",
                "where_to_apply",
                "legal_basis",
                "appeal_route",
                "change_note",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change_note"].required = True
        self.fields["change_note"].help_text = _(
            "What changed and why, e.g. the survey finding it answers."
        )
