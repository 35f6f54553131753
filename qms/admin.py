from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from qms.models import AuditEntry, Office, OrgUnit, ServiceCard, ServiceCardRevision, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Office"), {"fields": ("unit", "language")}),
    )
    list_display = ("username", "first_name", "last_name", "unit", "is_active")
    list_filter = ("groups", "unit", "is_active")
    list_select_related = ("unit",)


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "bip_url")

    def has_add_permission(self, request):
        # One office per deployment.
        return super().has_add_permission(request) and not Office.objects.exists()


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name_pl", "kind", "parent", "head", "deputy", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_pl", "name_en")
    list_select_related = ("parent", "head", "deputy")
    autocomplete_fields = ("parent",)
    raw_id_fields = ("head", "deputy")


class RevisionInline(admin.TabularInline):
    """Revisions are shown, never edited here: publish a new one from the catalogue."""

    model = ServiceCardRevision
    fields = ("number", "published_on", "change_note", "created_by")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceCard)
class ServiceCardAdmin(admin.ModelAdmin):
    list_display = ("code", "title_pl", "unit", "is_active")
    list_filter = ("unit", "is_active")
    search_fields = ("code", "title_pl", "title_en")
    list_select_related = ("unit",)
    inlines = [RevisionInline]


@admin.register(ServiceCardRevision)
class ServiceCardRevisionAdmin(admin.ModelAdmin):
    """Read-only: a published revision is immutable."""

    list_display = ("card", "number", "published_on", "created_by")
    list_select_related = ("card", "created_by")
    search_fields = ("card__code", "card__title_pl")
    date_hierarchy = "published_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log is read, never written or changed by hand."""

    list_display = ("at", "user", "action", "route", "rows")
    list_filter = ("action",)
    date_hierarchy = "at"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
