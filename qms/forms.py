from django import forms
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from qms.models import FormKey, ServiceCardRevision
from qms.once import form_key


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

    def sent_before(self, prefix: str, request) -> bool:
        """This very page was sent and saved already: for forms whose own validation
        (a unique year or slug) would otherwise answer a double click with an error."""
        once = self.data.get("once", "") if self.is_bound else ""
        return bool(once) and FormKey.objects.filter(key=form_key(prefix, request, once)).exists()

    def take_key(self, prefix: str, request) -> str:
        """The claimed key (form kind, user, random part), taken out of cleaned_data so
        the rest can go to the service as it is."""
        return form_key(prefix, request, self.cleaned_data.pop("once"))


class RevisionForm(OnceForm, forms.ModelForm):
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
