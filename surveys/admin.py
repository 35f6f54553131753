"""Admin for surveys: desks are managed here; survey data is read-only evidence."""

from django.contrib import admin

from surveys.models import Desk, Question, Questionnaire, QuestionnaireVersion, Response, Suggestion


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


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "version", "channel", "submitted_on", "is_pilot", "service_card", "desk")
    list_filter = ("channel", "is_pilot", "version")
    list_select_related = ("version__questionnaire", "service_card", "desk")
    date_hierarchy = "submitted_on"


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ("submitted_on", "version", "is_pilot", "text")
    list_filter = ("is_pilot", "version")
    list_select_related = ("version__questionnaire",)
