"""Certificate pages outside the console: the member's own download and the public verification page."""

from django.urls import path

from approvals import views

app_name = "certificates"

urlpatterns = [
    path("me/certificates/<int:membership_id>.pdf", views.my_certificate, name="download"),
    path("verify/<str:token>/", views.certificate_verify, name="verify"),
]
