from django.urls import path

from anbiao.core.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/<str:kind>/", views.import_upload, name="upload"),
    path("template/<str:kind>.xlsx", views.import_template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/columns/", views.import_remap, name="remap"),
    path("<int:pk>/skip-invalid/", views.import_skip_invalid, name="skip_invalid"),
    path("<int:pk>/cancel/", views.import_cancel, name="cancel"),
    path("<int:pk>/file/", views.import_file, name="file"),
]
