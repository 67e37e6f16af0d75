"""The API's own documents; the endpoints come from each app's `api/urls.py`, composed in kexie/urls.py."""

from django.urls import path

from kexie.api import views

app_name = "api"

urlpatterns = [
    path("schema/", views.schema, name="schema"),
    path("docs/", views.swagger, name="docs"),
    path("redoc/", views.redoc, name="redoc"),
]
