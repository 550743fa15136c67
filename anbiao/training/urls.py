from django.urls import path

from anbiao.training import views

app_name = "training"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("export/", views.session_export, name="export"),
    path("new/", views.session_create, name="create"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export/", views.coverage_export, name="coverage_export"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.session_edit, name="edit"),
    path("<int:pk>/attend/", views.attendee_add, name="attend"),
    path("<int:pk>/import/", views.sign_in_import, name="import"),
    path("<int:pk>/sign-in.xlsx", views.sign_in_export, name="sign_in_export"),
    path("attendance/<int:pk>/remove/", views.attendee_remove, name="attendee_remove"),
    path("files/<int:pk>/", views.file_download, name="file"),
]
