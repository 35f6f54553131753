"""Admin for surveys: desks are managed here; survey data is read-only evidence."""

from django.contrib import admin

from qms.models import AuditEntry
from qms.services import audit_record
from surveys.models import Desk, Question, Questionnaire, QuestionnaireVersion, Response, Suggestion
from surveys.selectors import can_read_single_responses


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit")
    list_filter = ("unit",)
    search_fields = ("code", "name")
    list_select_related = ("unit",)


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnlyAdmin):
    list_display = ("slug", "title_pl")


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "page", "key", "kind", "text_pl", "required", "show_if_key")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(ReadOnlyAdmin):
    list_display = ("questionnaire", "number", "status", "opens_on", "closes_on")
    list_filter = ("status", "questionnaire")
    inlines = [QuestionInline]


class SingleResponsesAdmin(ReadOnlyAdmin):
    """Clients' single answers: the quality coordinator's only, and every read is in the
    audit log, as on /surveys/responses/ (the anonymity rule)."""

    def has_view_permission(self, request, obj=None):
        return can_read_single_responses(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        audit_record(
            user=request.user,
            action=AuditEntry.Action.RESPONSE_LIST,
            route=request.path,
            params=request.GET.dict(),
        )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        audit_record(
            user=request.user,
            action=AuditEntry.Action.RESPONSE_DETAIL,
            route=request.path,
            params={"id": object_id},
        )
        return response


@admin.register(Response)
class ResponseAdmin(SingleResponsesAdmin):
    list_display = ("pk", "version", "channel", "submitted_on", "is_pilot", "service_card", "desk")
    list_filter = ("channel", "is_pilot", "version")
    list_select_related = ("version__questionnaire", "service_card", "desk")
    date_hierarchy = "submitted_on"


@admin.register(Suggestion)
class SuggestionAdmin(SingleResponsesAdmin):
    list_display = ("submitted_on", "version", "is_pilot", "text")
    list_filter = ("is_pilot", "version")
    list_select_related = ("version__questionnaire",)
