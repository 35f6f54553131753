from django.contrib import admin

from review.models import Cycle, Finding, Pack, PeerFile, Standard, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    can_delete = False
    readonly_fields = ("name", "due_on", "done_at", "skipped", "detail")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ("year", "survey_opens_on", "survey_closes_on", "analysis_due_on", "closed_on")
    inlines = [StepInline]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = (
        "name_pl",
        "kind",
        "key",
        "target",
        "minimum_sample",
        "unit",
        "card",
        "is_active",
    )
    list_filter = ("kind", "is_active")


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("cycle", "card", "standard", "nonconformity")
    list_filter = ("cycle",)
    readonly_fields = (
        "cycle",
        "standard",
        "card",
        "indicator",
        "target",
        "summary",
        "nonconformity",
    )

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin):
    list_display = ("cycle", "unit", "delivered_at", "acknowledged_at", "catalogue_done_at")
    list_filter = ("cycle",)
    readonly_fields = ("pdf", "xlsx", "delivered_at", "acknowledged_at", "acknowledged_by")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PeerFile)
class PeerFileAdmin(admin.ModelAdmin):
    list_display = ("office_name", "year", "schema_version", "imported_at", "imported_by")
