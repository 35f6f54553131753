"""The staff side of surveys in viewflow's frontend: /surveys/…"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from qms.roles import is_authenticated
from surveys import staff_views as views


class SurveysApp(Application):
    title = _("Surveys")
    icon = "poll"
    app_name = "surveys"  # URL prefix /surveys/; the public form is /ankieta/
    namespace = "surveys_staff"
    permission = staticmethod(is_authenticated)
    menu_template_name = "surveys/staff/menu.html"

    index_path = path("", views.index, name="index")
    # Questionnaires (coordinator; auditor reads)
    version_list_path = path("versions/", views.version_list, name="version_list")
    questionnaire_create_path = path(
        "questionnaires/new/", views.questionnaire_create, name="questionnaire_create"
    )
    version_create_path = path("versions/new/", views.version_create, name="version_create")
    version_detail_path = path("versions/<int:pk>/", views.version_detail, name="version_detail")
    version_edit_path = path("versions/<int:pk>/edit/", views.version_edit, name="version_edit")
    version_transition_path = path(
        "versions/<int:pk>/status/<str:action>/",
        views.version_transition,
        name="version_transition",
    )
    version_preview_path = path(
        "versions/<int:pk>/preview/", views.version_preview, name="version_preview"
    )
    version_compare_path = path(
        "versions/<int:pk>/compare/<int:other>/", views.version_compare, name="version_compare"
    )
    question_create_path = path(
        "versions/<int:pk>/questions/new/", views.question_edit, name="question_create"
    )
    question_edit_path = path(
        "versions/<int:pk>/questions/<int:question_pk>/", views.question_edit, name="question_edit"
    )
    question_action_path = path(
        "versions/<int:pk>/questions/<int:question_pk>/<str:action>/",
        views.question_action,
        name="question_action",
    )
    suggestion_list_path = path("suggestions/", views.suggestion_list, name="suggestion_list")
    # Desks, QR codes, kiosk links
    desk_list_path = path("desks/", views.desk_list, name="desk_list")
    qr_all_path = path("desks/qr.pdf", views.qr_sheet, name="qr_all")
    qr_sheet_path = path("desks/<int:pk>/qr.pdf", views.qr_sheet, name="qr_sheet")
    desk_kiosk_key_path = path(
        "desks/<int:pk>/new-kiosk-address/", views.desk_new_kiosk_key, name="desk_kiosk_key"
    )
    # Interviewer-assisted and paper entry
    interview_start_path = path("interview/", views.interview_start, name="interview_start")
    interview_form_path = path(
        "interview/<int:pk>/desk/<int:desk_pk>/", views.interview_form, name="interview_form"
    )
    batch_list_path = path("paper/", views.batch_list, name="batch_list")
    batch_detail_path = path("paper/<int:pk>/", views.batch_detail, name="batch_detail")
    batch_enter_path = path("paper/<int:pk>/enter/", views.batch_enter, name="batch_enter")
    batch_verify_path = path("paper/<int:pk>/verify/", views.batch_verify, name="batch_verify")
    batch_resolve_path = path(
        "paper/<int:pk>/sheets/<int:sheet>/resolve/", views.batch_resolve, name="batch_resolve"
    )
    # Staff observations and rounds
    observation_list_path = path("observations/", views.observation_list, name="observation_list")
    observation_delete_path = path(
        "observations/<int:pk>/delete/", views.observation_delete, name="observation_delete"
    )
    round_list_path = path("rounds/", views.round_list, name="round_list")
    round_detail_path = path("rounds/<int:pk>/", views.round_detail, name="round_detail")
    round_nothing_path = path(
        "rounds/<int:pk>/nothing-to-add/", views.round_nothing, name="round_nothing"
    )
    # Responses
    response_list_path = path("responses/", views.response_list, name="response_list")
    response_export_path = path(
        "responses/export.<str:fmt>", views.response_export, name="response_export"
    )
