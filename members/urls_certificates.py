"""Certificate pages outside the console: the member's own download and the public verification page."""

from django.urls import path

from members.views import certificates

app_name = "certificates"

urlpatterns = [
    path("me/certificates/<int:membership_id>.pdf", certificates.my_certificate, name="download"),
    path("verify/<str:token>/", certificates.certificate_verify, name="verify"),
]
