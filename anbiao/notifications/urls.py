from django.urls import path

from anbiao.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("open/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("schedule/", views.run_list, name="runs"),
]
