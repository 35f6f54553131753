from django import forms
from django.utils.translation import gettext_lazy as _

from qms.models import ServiceCardRevision


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
