from django.urls import path

from anbiao.benchmarks import views

app_name = "benchmarks"
urlpatterns = [
    path("", views.benchmark_list, name="list"),
    path("form4.xlsx", views.form4_export, name="form4"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/form5.xlsx", views.form5_export, name="form5"),
    path("new/", views.benchmark_choose, name="create"),
    path("<int:pk>/", views.benchmark_detail, name="detail"),
    path("<int:pk>/stage/", views.benchmark_stage, name="stage"),
    path("<int:pk>/meeting/", views.benchmark_meeting, name="meeting"),
    path("<int:pk>/withdraw/", views.benchmark_withdraw, name="withdraw"),
    path("<int:pk>/edit/", views.benchmark_edit, name="edit"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/export/", views.visit_export, name="visit_export"),
    path("visits/new/", views.visit_create, name="visit_create"),
]
