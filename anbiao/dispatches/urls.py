from django.urls import path

from anbiao.dispatches import views

app_name = "dispatches"
urlpatterns = [
    path("", views.dispatch_list, name="list"),
    path("export.xlsx", views.dispatch_export, name="export"),
    path("new/", views.dispatch_create, name="create"),
    path("<int:pk>/", views.dispatch_detail, name="detail"),
    path("<int:pk>/reply/", views.dispatch_reply, name="reply"),
    path("<int:pk>/accept/", views.dispatch_accept, name="accept"),
    path("<int:pk>/return/", views.dispatch_return, name="return"),
    path("<int:pk>/print/", views.dispatch_print, name="print"),
    path("files/<int:pk>/", views.file_download, name="file"),
]
