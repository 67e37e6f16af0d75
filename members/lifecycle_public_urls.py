"""Member-facing lifecycle pages: one's own fees, and the re-registration page reached from an invitation."""

from django.urls import path

from members import lifecycle_views as views

app_name = "lifecycle_public"

urlpatterns = [
    path("me/fees/", views.me_fees, name="me_fees"),
    path("rereg/<str:token>/", views.claim, name="claim"),
]
