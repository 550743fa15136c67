from django.urls import path

from anbiao.filings import views

app_name = "filings"
urlpatterns = [
    path("", views.filing_list, name="list"),
    path("new/", views.filing_create, name="create"),
    path("rollup/", views.rollup, name="rollup"),
    path("rollup.xlsx", views.rollup_export, name="rollup_export"),
    path("<int:pk>/", views.filing_detail, name="detail"),
    path("<int:pk>/enterprises.xlsx", views.filing_lists, name="lists"),
    path("<int:pk>/files/<int:file_pk>/", views.filing_file, name="file"),
    path("<int:pk>/receive/", views.filing_receive, name="receive"),
    path("<int:pk>/return/", views.filing_return, name="return"),
]
