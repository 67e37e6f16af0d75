"""The site's landing page, outside any namespace (LOGIN_REDIRECT_URL and templates name it "home")."""

from django.urls import path

from orgs import views

urlpatterns = [
    path("", views.home, name="home"),
]
