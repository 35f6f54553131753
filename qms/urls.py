from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from viewflow.contrib.auth import AuthViewset

from qms import views
from qms.site import site
from surveys import views as survey_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", survey_views.favicon, name="favicon"),  # browsers ask for it at /
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("ankieta/", include("surveys.urls")),
    path("api/", include("surveys.api_urls")),
    path("accounts/", AuthViewset(login_view=views.LoginView.as_view()).urls),
    path("", RedirectView.as_view(url="/dashboard/", permanent=False), name="home"),
    path("", site.urls),
]
