"""Unit members (团体会员) of an organisation."""

from django.db.models import QuerySet

from members.models import UnitMember
from orgs.models import Org


def units_of(org: Org) -> QuerySet[UnitMember]:
    return UnitMember.objects.filter(org=org).order_by("name", "id")
