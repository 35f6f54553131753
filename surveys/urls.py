from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("dziekujemy/", views.thanks, name="thanks"),
    path("pilot/<uuid:token>/", views.pilot_form, name="pilot"),
    path("<slug:slug>/", views.survey_form, name="form"),
]
