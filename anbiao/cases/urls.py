from django.urls import path

from anbiao.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_board, name="board"),
    path("standards/", views.standards, name="standards"),
    path("export.xlsx", views.case_export, name="export"),
    path("enterprise/<int:pk>/", views.case_detail, name="detail"),
    path("enterprise/<int:pk>/record/", views.case_record, name="record"),
    path("enterprise/<int:pk>/decide/", views.case_decide, name="decide"),
    path("enterprise/<int:pk>/correct/", views.case_correct, name="correct"),
    path("enterprise/<int:pk>/self-assessment/", views.self_assessment, name="self_assessment"),
    path("enterprise/<int:pk>/review/", views.assign_review, name="assign_review"),
    path("enterprise/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("assessments/<int:pk>/", views.assessment_page, name="assessment"),
    path("assessments/<int:pk>/item/", views.assessment_item, name="assessment_item"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="assessment_submit"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("rectifications/<int:pk>/close/", views.rectification_close, name="rectification_close"),
]
