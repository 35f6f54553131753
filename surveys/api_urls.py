"""API routes. DRF decides access (403 as JSON), not the login redirect middleware; any
other address under /api/ is a JSON 404 in the API's error shape (surveys.api_errors)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from surveys import api

app_name = "api"
urlpatterns = [
    path(
        "v1/questionnaires/<slug:slug>/",
        login_not_required(api.QuestionnaireView.as_view()),
        name="questionnaire",
    ),
    path(
        "v1/questionnaires/<slug:slug>/responses/",
        login_not_required(api.SubmitView.as_view()),
        name="submit",
    ),
    path("v1/responses/", login_not_required(api.ResponseListView.as_view()), name="responses"),
    path(
        "v1/responses/export/",
        login_not_required(api.ResponseExportView.as_view()),
        name="export",
    ),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # Last: everything the routes above do not match.
    re_path(r"", login_not_required(api.NoSuchEndpoint.as_view()), name="not_found"),
]
