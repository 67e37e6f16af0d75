from django.urls import path

from orgs import views

app_name = "progress"

urlpatterns = [
    path("", views.progress_public, name="index"),
    path("definitions/", views.progress_definitions, name="definitions"),
]
