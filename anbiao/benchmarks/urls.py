from django.urls import path

from anbiao.benchmarks import views

app_name = "benchmarks"
urlpatterns = [
    path("", views.index, name="list"),
]
