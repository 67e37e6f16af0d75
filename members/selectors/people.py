"""Reads of one's own person: profile, awards, memberships and notices. Another person's id answers 404."""

from django.db.models import QuerySet
from django.http import Http404

from members.models import Award, Membership, Notice, Person


def notices_for(user):
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def person_for(user) -> Person | None:
    if not user.is_authenticated:
        return None
    # The user rides along: services write it as the actor of audit rows and notices.
    return Person.objects.select_related("user").filter(user=user).first()


def awards_of(person: Person | None) -> QuerySet[Award]:
    if person is None:
        return Award.objects.none()
    return Award.objects.filter(person=person).order_by("-year", "id")


def award_of_or_404(person: Person | None, award_id) -> Award:
    """Another person's award and a missing one look the same."""
    try:
        return awards_of(person).get(pk=award_id)
    except (Award.DoesNotExist, ValueError, TypeError):
        raise Http404


def memberships_of(person: Person | None) -> QuerySet[Membership]:
    if person is None:
        return Membership.objects.none()
    return Membership.objects.filter(person=person).select_related("org").order_by("-joined_on", "-id")
