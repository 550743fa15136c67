from django.urls import path

from anbiao.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_create, name="create"),
    path("<int:pk>/", views.round_detail, name="detail"),
    path("<int:pk>/add/", views.finding_add, name="finding_add"),
    path("<int:round_pk>/findings/<int:pk>/", views.finding_edit, name="finding_edit"),
    path("<int:pk>/close/", views.round_close, name="close"),
    path("<int:pk>/report/", views.round_report, name="report"),
    path("<int:pk>/report.xlsx", views.round_report_export, name="report_export"),
    path("<int:pk>/workbook.xlsx", views.round_workbook, name="workbook"),
    path("<int:pk>/import/", views.round_import, name="import"),
]
