from django.urls import path

from anbiao.training import views

app_name = "training"
urlpatterns = [
    path("", views.index, name="list"),
]
