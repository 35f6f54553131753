"""Admin: the coordinator maintains cause categories, deadline policies and absences;
nonconformities themselves are changed only through the process (read-only here)."""

from django.contrib import admin

from surveys.admin import ReadOnlyAdmin
from workflows.models import Absence, Action, CauseCategory, DeadlinePolicy, Event, Nonconformity


@admin.register(CauseCategory)
class CauseCategoryAdmin(admin.ModelAdmin):
    list_display = ("name_pl", "name_en", "is_active")
    list_filter = ("is_active",)

    def has_delete_permission(self, request, obj=None):
        return False  # categories in use are history; switch them off instead


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "severity",
        "triage_days",
        "analysis_days",
        "planning_days",
        "action_days",
        "verification_days",
        "reminder_days",
        "escalation_every",
    )

    def has_add_permission(self, request):
        return False  # one policy per severity, created by a migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_on", "ends_on", "note")
    list_select_related = ("user",)
    autocomplete_fields = ()
    date_hierarchy = "starts_on"


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    can_delete = False
    fields = ("kind", "description", "owner", "due_on", "done_on", "plan_round")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ("at", "actor", "transition", "from_status", "to_status", "meaning", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Nonconformity)
class NonconformityAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "unit", "status", "severity", "step_due_on")
    list_filter = ("status", "severity", "source", "unit")
    search_fields = ("number", "title")
    list_select_related = ("unit",)
    inlines = [ActionInline, EventInline]
