"""Service tokens an administrator may see and revoke: those granted on organisations they manage."""

from django.db.models import QuerySet
from django.http import Http404

from orgs.models import ServiceToken
from orgs.selectors.scope import orgs_managed_by


def service_tokens_managed_by(user) -> QuerySet[ServiceToken]:
    return (
        ServiceToken.objects.filter(org__in=orgs_managed_by(user))
        .select_related("org", "created_by")
        .order_by("-created_at", "-id")
    )


def service_token_managed_or_404(user, token_id) -> ServiceToken:
    try:
        return service_tokens_managed_by(user).get(pk=token_id)
    except (ServiceToken.DoesNotExist, ValueError, TypeError):
        raise Http404
