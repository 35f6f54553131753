from django.urls import path

from bench import views
from qms.urls import urlpatterns as qms_urlpatterns

urlpatterns = [
    path("bench/baseline/", views.baseline, name="bench_baseline"),
    path("bench/floor/", views.floor, name="bench_floor"),
    path("bench/baseline/done/", views.baseline_done, name="bench_baseline_done"),
    *qms_urlpatterns,
]
