"""Unit members (团体会员) of an organisation."""

from django.db.models import QuerySet

from members.models import UnitMember
from orgs.models import Org
from orgs.selectors.scope import orgs_managed_by


def units_of(org: Org) -> QuerySet[UnitMember]:
    return UnitMember.objects.filter(org=org).order_by("name", "id")


def units_managed_by(user) -> QuerySet[UnitMember]:
    """The unit members an administrator may link a member to: those of the organisations they manage (the
    page's form and the API accept exactly these; the service checks each one again under its lock)."""
    return UnitMember.objects.filter(org__in=orgs_managed_by(user))
