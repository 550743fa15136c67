from django.urls import path

from anbiao.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_board, name="board"),
]
