"""Scoped reads of the member lifecycle: directory, fellow places, fee collection, census progress, annual report."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from members.lifecycle_services import LIVE_STATUSES, fellow_cap
from members.models import CensusImport, CensusRow, Fee, FeePayment, Membership, UnitMember
from orgs.models import Org
from orgs.selectors import orgs_granted_directly, orgs_managed_by, orgs_visible_to


def memberships_visible_to(user) -> QuerySet[Membership]:
    return Membership.objects.filter(org__in=orgs_visible_to(user))


def membership_visible_or_404(user, membership_id) -> Membership:
    try:
        return memberships_visible_to(user).select_related("person", "org", "unit").get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404


def membership_managed_or_404(user, membership_id) -> Membership:
    try:
        return (
            Membership.objects.filter(org__in=orgs_managed_by(user))
            .select_related("person", "org", "org__parent")
            .get(pk=membership_id)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404


def directory_scope(user, *, org: Org | None = None, include_subtree: bool = False) -> QuerySet[Org]:
    """Orgs whose members the directory lists. `org` must already be one the user may see; without it the
    list starts from the orgs the user holds a grant on, and "include the subtree" widens it to all visible."""
    if org is not None:
        return Org.objects.in_subtree(org) if include_subtree else Org.objects.filter(pk=org.pk)
    return orgs_visible_to(user) if include_subtree else orgs_granted_directly(user)


def member_directory(
    user, *, org: Org | None = None, include_subtree: bool = False, status: str = "", search: str = ""
) -> QuerySet[Membership]:
    """The member directory: memberships in the scope above, by status, searched by name, mobile or number."""
    qs = Membership.objects.filter(org__in=directory_scope(user, org=org, include_subtree=include_subtree))
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(person__name__icontains=search) | Q(person__mobile__contains=search) | Q(number__icontains=search)
        )
    return qs.select_related("person", "org", "unit").order_by("org__tree_id", "org__lft", "number", "id")


# --- fellows ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FellowPlaces:
    members: int
    fellows: int
    cap: int

    @property
    def remaining(self) -> int:
        return max(self.cap - self.fellows, 0)


def fellow_places(org: Org) -> FellowPlaces:
    counts = Membership.objects.filter(org=org, status__in=LIVE_STATUSES).aggregate(
        members=Count("id"), fellows=Count("id", filter=Q(grade=Membership.Grade.FELLOW))
    )
    return FellowPlaces(members=counts["members"], fellows=counts["fellows"], cap=fellow_cap(counts["members"]))


# --- fees ---------------------------------------------------------------------------------------------------


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


def units_of(org: Org) -> QuerySet[UnitMember]:
    return UnitMember.objects.filter(org=org).order_by("name", "id")


# --- census -------------------------------------------------------------------------------------------------


def census_imports_of(org: Org) -> QuerySet[CensusImport]:
    return CensusImport.objects.filter(org__in=Org.objects.in_subtree(org)).select_related("org", "uploaded_by")


def census_visible_or_404(user, census_id) -> CensusImport:
    try:
        return CensusImport.objects.filter(org__in=orgs_visible_to(user)).select_related("org").get(pk=census_id)
    except (CensusImport.DoesNotExist, ValueError, TypeError):
        raise Http404


def census_managed_or_404(user, census_id) -> CensusImport:
    try:
        return CensusImport.objects.filter(org__in=orgs_managed_by(user)).select_related("org").get(pk=census_id)
    except (CensusImport.DoesNotExist, ValueError, TypeError):
        raise Http404


def census_error_rows(census: CensusImport) -> QuerySet[CensusRow]:
    return CensusRow.objects.filter(census=census).exclude(errors=[]).order_by("row_number")


@dataclass(frozen=True)
class CampaignProgress:
    org: Org
    imported: int
    reregistered: int

    @property
    def pending(self) -> int:
        return self.imported - self.reregistered


def census_campaign_progress(org: Org) -> list[CampaignProgress]:
    """Per org of the subtree that imported a list: imported, re-registered and still pending."""
    rows = (
        CensusRow.objects.filter(census__org__in=Org.objects.in_subtree(org), membership__isnull=False)
        .values("census__org")
        .annotate(imported=Count("id"), reregistered=Count("id", filter=Q(claimed_at__isnull=False)))
    )
    orgs = Org.objects.in_subtree(org).in_bulk([r["census__org"] for r in rows])
    result = [
        CampaignProgress(org=orgs[r["census__org"]], imported=r["imported"], reregistered=r["reregistered"]) for r in rows
    ]
    return sorted(result, key=lambda p: p.org.lft)


# --- annual report ------------------------------------------------------------------------------------------


@dataclass
class AnnualReport:
    org: Org
    year: int
    subtree: bool
    by_grade_category: list[tuple[str, list[int], int]]
    category_labels: list[str]
    category_totals: list[int]
    total_members: int
    new_members: int
    unit_members: int
    recommendations_made: int
    recommendations_accepted: int
    fees: FeeCollection


def annual_report(*, org: Org, year: int, subtree: bool = False) -> AnnualReport:
    """年报 of one org (or its whole subtree) for a year. Membership counts are as of today: members whose
    membership started by the end of that year and is still live."""
    from approvals.models import Application, Recommendation

    orgs = Org.objects.in_subtree(org) if subtree else Org.objects.filter(pk=org.pk)
    members = Membership.objects.filter(org__in=orgs, status__in=LIVE_STATUSES, joined_on__year__lte=year)
    counts = {(r["grade"], r["category"]): r["n"] for r in members.values("grade", "category").annotate(n=Count("id"))}
    categories = Membership.Category.choices
    table = []
    for grade, grade_label in Membership.Grade.choices:
        cells = [counts.get((grade, c), 0) for c, _label in categories]
        table.append((str(grade_label), cells, sum(cells)))
    recommendations = Recommendation.objects.filter(from_org__in=orgs, created_at__year=year)
    fees = fee_collection(org=org, year=year, subtree=subtree)
    return AnnualReport(
        org=org,
        year=year,
        subtree=subtree,
        by_grade_category=table,
        category_labels=[str(label) for _c, label in categories],
        category_totals=[sum(row[1][i] for row in table) for i in range(len(categories))],
        total_members=sum(row[2] for row in table),
        new_members=Membership.objects.filter(org__in=orgs, joined_on__year=year)
        .exclude(status=Membership.Status.PENDING_REREGISTRATION)
        .count(),
        unit_members=UnitMember.objects.filter(org__in=orgs, status=UnitMember.Status.ACTIVE, joined_on__year__lte=year).count(),
        recommendations_made=recommendations.count(),
        recommendations_accepted=recommendations.filter(application__status=Application.Status.APPROVED).count(),
        fees=fees,
    )
