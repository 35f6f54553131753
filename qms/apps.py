from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class QmsConfig(AppConfig):
    name = "qms"
    verbose_name = _("Quality management")


class QmsAdminConfig(AdminConfig):
    default_site = "qms.admin_site.QmsAdminSite"
