"""Organisation endpoints under /api/v1/."""

from django.urls import path

from orgs.api import views

app_name = "orgs_api"

urlpatterns = [
    path("orgs/<int:org_id>/progress/", views.ProgressView.as_view(), name="progress"),
    path("service-tokens/", views.ServiceTokenListView.as_view(), name="service_tokens"),
    path("service-tokens/<int:pk>/revoke/", views.ServiceTokenRevokeView.as_view(), name="service_token_revoke"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/revoke/", views.WebhookRevokeView.as_view(), name="webhook_revoke"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(), name="webhook_deliveries"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views.WebhookRedeliverView.as_view(), name="webhook_redeliver"),
]
