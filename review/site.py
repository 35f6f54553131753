"""The annual review in viewflow's frontend: /review/…"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from qms.roles import is_authenticated
from review import benchmark_views, free_text_views, pack_views, views


class ReviewApp(Application):
    title = _("Annual review")
    icon = "event_repeat"
    app_name = "review"
    permission = staticmethod(is_authenticated)
    menu_template_name = "review/menu.html"

    index_path = path("", views.cycle_list, name="index")
    cycle_new_path = path("cycles/new/", views.cycle_edit, name="cycle_new")
    cycle_detail_path = path("cycles/<int:year>/", views.cycle_detail, name="cycle")
    cycle_edit_path = path("cycles/<int:year>/edit/", views.cycle_edit, name="cycle_edit")
    # Free-text answers: the coordinator reviews, masks and releases them (audited).
    free_text_path = path(
        "cycles/<int:year>/free-text/", free_text_views.free_text_list, name="free_text"
    )
    free_text_mask_path = path(
        "cycles/<int:year>/free-text/<int:pk>/",
        free_text_views.free_text_mask,
        name="free_text_mask",
    )
    free_text_release_path = path(
        "cycles/<int:year>/free-text/release/",
        free_text_views.free_text_release,
        name="free_text_release",
    )
    cycle_run_path = path("run/", views.cycle_run, name="run")
    remeasure_path = path("remeasurements/<int:pk>/", views.remeasurement_decide, name="remeasure")
    standards_path = path("standards/", views.standard_list, name="standards")
    standard_new_path = path("standards/new/", views.standard_edit, name="standard_new")
    standard_edit_path = path("standards/<int:pk>/", views.standard_edit, name="standard_edit")
    task_path = path("tasks/<int:task_pk>/", views.task_page, name="task")
    packs_path = path("packs/", pack_views.pack_list, name="packs")
    pack_file_path = path("packs/<int:pk>.<str:fmt>", pack_views.pack_file, name="pack_file")
    benchmark_path = path("benchmark/", benchmark_views.benchmark_index, name="benchmark")
    benchmark_schema_path = path(
        "benchmark/schema.json", benchmark_views.benchmark_schema, name="benchmark_schema"
    )
    benchmark_import_path = path(
        "benchmark/import/", benchmark_views.benchmark_import, name="benchmark_import"
    )
    benchmark_export_path = path(
        "benchmark/<int:year>.json", benchmark_views.benchmark_export, name="benchmark_export"
    )
    benchmark_year_path = path(
        "benchmark/<int:year>/", benchmark_views.benchmark_index, name="benchmark_year"
    )
    benchmark_indicator_path = path(
        "benchmark/<int:year>/<slug:key>/<slug:measure>/",
        benchmark_views.benchmark_indicator,
        name="benchmark_indicator",
    )
    benchmark_funnel_path = path(
        "benchmark/<int:year>/<slug:key>/<slug:measure>/funnel.svg",
        benchmark_views.benchmark_funnel,
        name="benchmark_funnel",
    )
