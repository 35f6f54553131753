from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class QmsConfig(AppConfig):
    name = "qms"
    verbose_name = _("Quality management")

    def ready(self) -> None:
        from django.core import checks

        from qms.checks import SERVICES, check_services

        # Only with `manage.py check --tag services` (see qms/checks.py).
        checks.register(check_services, SERVICES)


class QmsAdminConfig(AdminConfig):
    default_site = "qms.admin_site.QmsAdminSite"
