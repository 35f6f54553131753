"""The staff UI: viewflow's Material frontend (Site → Applications → pages)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, Site

from qms import lockout_views, views
from qms.roles import is_authenticated
from review.site import ReviewApp
from surveys.site import SurveysApp
from workflows.site import NonconformitiesApp


class DashboardApp(Application):
    title = _("Dashboard")
    icon = "dashboard"
    app_name = "dashboard"
    permission = staticmethod(is_authenticated)
    menu_template_name = "qms/menu_dashboard.html"

    index_path = path("", views.home, name="index")
    # Login throttling: lift a lockout (quality coordinator, administrators).
    lockouts_path = path("lockouts/", lockout_views.lockout_list, name="lockouts")


class CatalogueApp(Application):
    title = _("Service catalogue")
    icon = "menu_book"
    app_name = "catalogue"
    permission = staticmethod(is_authenticated)
    menu_template_name = "qms/menu_catalogue.html"

    index_path = path("", views.unit_list, name="index")
    unit_detail_path = path("units/<int:pk>/", views.unit_detail, name="unit_detail")
    card_list_path = path("cards/", views.card_list, name="card_list")
    card_detail_path = path("cards/<int:pk>/", views.card_detail, name="card_detail")
    revision_detail_path = path(
        "cards/<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision_detail"
    )
    revision_publish_path = path(
        "cards/<int:pk>/publish/", views.revision_publish, name="revision_publish"
    )


site = Site(
    title=_("Quality management"),
    primary_color="#1a4d8f",
    secondary_color="#c8102e",
    viewsets=[DashboardApp(), NonconformitiesApp(), CatalogueApp(), SurveysApp(), ReviewApp()],
)
