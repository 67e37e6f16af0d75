"""Organisation endpoints under /api/v1/."""

from django.urls import path

from orgs.api import views

app_name = "orgs_api"

urlpatterns = [
    path("orgs/<int:org_id>/progress/", views.ProgressView.as_view(), name="progress"),
    path("service-tokens/", views.ServiceTokenListView.as_view(), name="service_tokens"),
    path("service-tokens/<int:pk>/revoke/", views.ServiceTokenRevokeView.as_view(), name="service_token_revoke"),
]
