from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("bench/submit/", views.application_submit_view, name="bench_submit"),
    path("", include("kexie.urls")),
]
