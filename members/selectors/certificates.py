"""Memberships a certificate is downloaded or verified for."""

from django.http import Http404

from members.models import Membership


def membership_of_user_or_404(user, membership_id) -> Membership:
    """The signed-in person's own membership; anyone else's is 404."""
    try:
        return Membership.objects.select_related("person", "org").get(pk=membership_id, person__user=user)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404


def membership_by_id(membership_id: int) -> Membership | None:
    return Membership.objects.select_related("person", "org").filter(pk=membership_id).first()
