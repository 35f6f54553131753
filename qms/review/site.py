"""The annual review in viewflow's frontend: /review/…"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from qms.review import views
from qms.roles import is_authenticated


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
    cycle_run_path = path("run/", views.cycle_run, name="run")
    remeasure_path = path("remeasurements/<int:pk>/", views.remeasurement_decide, name="remeasure")
    standards_path = path("standards/", views.standard_list, name="standards")
    standard_new_path = path("standards/new/", views.standard_edit, name="standard_new")
    standard_edit_path = path("standards/<int:pk>/", views.standard_edit, name="standard_edit")
    task_path = path("tasks/<int:task_pk>/", views.task_page, name="task")
