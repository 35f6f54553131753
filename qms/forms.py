from django import forms
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCardRevision


class OnceForm(forms.Form):
    """A form that creates something: a one-time key in a hidden field (double submit).

    The key is made when the empty form is shown and posted back with it; the view hands
    `form_key(prefix, user)` to its service, which claims it with `form_key_claim`.
    """

    once = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", get_random_string(32))

    def form_key(self, prefix: str, user) -> str:
        """The claimed key: the form's kind and the user, so keys never collide."""
        return f"{prefix}:{getattr(user, 'pk', '-')}:{self.cleaned_data['once']}"


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
