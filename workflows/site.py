"""Nonconformities in viewflow's frontend: /nonconformities/…"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from qms.roles import is_authenticated
from workflows import views


class NonconformitiesApp(Application):
    title = _("Nonconformities")
    icon = "report_problem"
    app_name = "nonconformities"
    permission = staticmethod(is_authenticated)
    menu_template_name = "workflows/menu.html"

    index_path = path("", views.nc_list, name="index")
    export_path = path("export.<str:fmt>", views.nc_export, name="export")
    my_tasks_path = path("my-tasks/", views.my_tasks, name="my_tasks")
    inbox_path = path("inbox/", views.inbox, name="inbox")
    register_path = path("new/", views.nc_register, name="register")
    detail_path = path("<int:pk>/", views.nc_detail, name="detail")
    record_path = path("<int:pk>/record.pdf", views.nc_record_pdf, name="record")
    evidence_path = path("<int:pk>/evidence/", views.evidence_file, name="evidence")
    action_evidence_path = path(
        "<int:pk>/actions/<int:action_pk>/evidence/", views.evidence_file, name="action_evidence"
    )
    reopen_path = path("<int:pk>/reopen/", views.nc_reopen, name="reopen")
    task_path = path("tasks/<int:task_pk>/", views.task_page, name="task")
    reassign_path = path("tasks/<int:task_pk>/reassign/", views.task_reassign, name="reassign")
