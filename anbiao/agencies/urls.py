from django.urls import path

from anbiao.agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.index, name="list"),
]
