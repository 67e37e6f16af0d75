"""Webhook endpoints and deliveries an administrator may see and act on: those of organisations they manage."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from orgs.models import WebhookDelivery, WebhookEndpoint
from orgs.selectors.scope import orgs_managed_by


def webhook_endpoints_managed_by(user) -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.filter(org__in=orgs_managed_by(user))
        .select_related("org", "created_by")
        .annotate(failed_deliveries=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)))
        .order_by("-created_at", "-id")
    )


def webhook_endpoint_managed_or_404(user, endpoint_id) -> WebhookEndpoint:
    try:
        return webhook_endpoints_managed_by(user).get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError):
        raise Http404


def webhook_deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first; the caller has fetched `endpoint` through webhook_endpoint_managed_or_404."""
    return endpoint.deliveries.select_related("redelivery_of").order_by("-created_at", "-id")


def webhook_delivery_managed_or_404(user, delivery_id) -> WebhookDelivery:
    try:
        return (
            WebhookDelivery.objects.select_related("endpoint", "endpoint__org")
            .filter(endpoint__org__in=orgs_managed_by(user))
            .get(pk=delivery_id)
        )
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404
