"""Fee collection of an organisation and the fee lines of one person."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from members.models import Fee, FeePayment, Membership
from members.services.memberships import LIVE_STATUSES
from orgs.models import Org


@dataclass(frozen=True)
class FeeCollection:
    due: int
    paid: int
    exempt: int

    @property
    def rate(self) -> float | None:
        """(paid + exempt) / due; None when nobody owes a fee that year (no fee set, or 暂时不收取会费)."""
        if not self.due:
            return None
        return (self.paid + self.exempt) / self.due


def fee_collection(*, org: Org, year: int, subtree: bool = False) -> FeeCollection:
    """Fee collection of one org (or its subtree) for one year: active members whose org charges their
    category a non-zero fee that year, and how many of them paid or were exempted. Two queries."""
    orgs = Org.objects.in_subtree(org) if subtree else Org.objects.filter(pk=org.pk)
    charged = Fee.objects.filter(org=OuterRef("org"), category=OuterRef("category"), year=year, amount__gt=0)
    owing = Membership.objects.filter(
        org__in=orgs, status=Membership.Status.ACTIVE, joined_on__year__lte=year
    ).filter(Exists(charged))
    settled = FeePayment.objects.filter(membership__in=owing, year=year).aggregate(
        paid=Count("id", filter=Q(kind=FeePayment.Kind.PAID)), exempt=Count("id", filter=Q(kind=FeePayment.Kind.EXEMPT))
    )
    return FeeCollection(due=owing.count(), paid=settled["paid"], exempt=settled["exempt"])


def fee_collection_rate(*, org: Org, year: int, subtree: bool = False) -> float | None:
    """The reform indicator 会费收缴率 for progress snapshots: (paid + exempt) / due, or None if nothing is due."""
    return fee_collection(org=org, year=year, subtree=subtree).rate


@dataclass
class FeeLine:
    membership: Membership
    year: int
    fee: Fee | None
    payment: FeePayment | None

    @property
    def status(self) -> str:
        if self.payment:
            return self.payment.get_kind_display()
        if self.fee is None:
            return "尚未公布"
        if self.fee.is_waived:
            return "暂时不收取会费"
        return "待缴纳"


def fees_of_person(person, *, this_year: int) -> list[FeeLine]:
    """What a member owes and has paid: one line per membership and year since joining that has a fee."""
    memberships = list(
        Membership.objects.filter(person=person, status__in=(*LIVE_STATUSES, Membership.Status.LAPSED)).select_related("org")
    )
    fees = {
        (f.org_id, f.category, f.year): f
        for f in Fee.objects.filter(org_id__in=[m.org_id for m in memberships], year__lte=this_year)
    }
    payments = {(p.membership_id, p.year): p for p in FeePayment.objects.filter(membership__in=memberships)}
    lines = []
    for m in memberships:
        for year in range(this_year, m.joined_on.year - 1, -1):
            fee = fees.get((m.org_id, m.category, year))
            payment = payments.get((m.pk, year))
            if fee or payment:
                lines.append(FeeLine(membership=m, year=year, fee=fee, payment=payment))
    return lines
