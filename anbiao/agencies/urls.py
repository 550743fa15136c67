from django.urls import path

from anbiao.agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.agency_list, name="list"),
    path("export/", views.agency_export, name="export"),
    path("new/", views.agency_edit, name="create"),
    path("<int:pk>/", views.agency_detail, name="detail"),
    path("<int:pk>/edit/", views.agency_edit, name="edit"),
    path("<int:pk>/assign/", views.assignment_create, name="assign"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("guidance/", views.guidance_list, name="guidance"),
    path("guidance/new/", views.guidance_create, name="guidance_create"),
    path("guidance/<int:pk>/", views.guidance_detail, name="guidance_detail"),
    path("guidance/files/<int:pk>/", views.guidance_file, name="guidance_file"),
    path("experts/", views.expert_list, name="experts"),
    path("experts/export/", views.expert_export, name="expert_export"),
    path("experts/new/", views.expert_edit, name="expert_create"),
    path("experts/<int:pk>/", views.expert_detail, name="expert_detail"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("workload/", views.workload, name="workload"),
]
