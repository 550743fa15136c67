from django.urls import path

from anbiao.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_edit, name="create"),
    path("new/from-template/", views.campaign_from_template, name="from_template"),
    path("<slug:slug>/", views.campaign_detail, name="detail"),
    path("<slug:slug>/edit/", views.campaign_edit, name="edit"),
    path("<slug:slug>/dashboard/", views.campaign_dashboard, name="dashboard"),
    path("<slug:slug>/targets/new/", views.target_edit, name="target_create"),
    path("<slug:slug>/targets/<int:pk>/", views.target_edit, name="target_edit"),
    path("<slug:slug>/tasks/", views.task_list, name="tasks"),
    path("<slug:slug>/tasks/new/", views.task_edit, name="task_create"),
    path("<slug:slug>/tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<slug:slug>/tasks/<int:pk>/update/", views.task_update, name="task_update"),
    path("<slug:slug>/tasks/<int:pk>/files/<int:update_pk>/", views.task_file, name="task_file"),
    path("<slug:slug>/enterprises/<str:metric>/", views.enterprises, name="enterprises"),
    path("<slug:slug>/report.xlsx", views.progress_report, name="report"),
    path("<slug:slug>/print/", views.print_summary, name="print"),
    path("<slug:slug>/summary.docx", views.summary_report, name="summary"),
]
