from django.urls import path

from surveys import views

app_name = "ankieta"  # the public survey: /ankieta/…
urlpatterns = [
    path("dziekujemy/", views.thanks, name="thanks"),
    path("pilot/<uuid:token>/", views.pilot_form, name="pilot"),
    path("<slug:slug>/kiosk/<uuid:key>/", views.kiosk_form, name="kiosk"),
    path("<slug:slug>/kiosk/<uuid:key>/dziekujemy/", views.kiosk_thanks, name="kiosk_thanks"),
    path("<slug:slug>/", views.survey_form, name="form"),
]
