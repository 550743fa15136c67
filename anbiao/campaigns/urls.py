from django.urls import path

from anbiao.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="list"),
]
