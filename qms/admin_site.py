from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qms.roles import can_use_admin


class QmsAdminSite(admin.AdminSite):
    """Admin access follows the roles, not the `is_staff` flag.

    Administrators (superusers), the quality coordinator and the auditor (who only
    gets view permissions) may open the admin; heads and front-desk staff work in
    the main UI only.
    """

    site_header = _("Quality management — administration")
    site_title = _("QMS administration")
    index_title = _("Administration")

    def has_permission(self, request):
        return request.user.is_active and can_use_admin(request.user)
