"""Fee collection of organisations and the fee lines of one person."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from members.models import DuesPayment, Fee, FeeInstructions, FeePayment, FeeReceipt, Membership
from members.services.memberships import LIVE_STATUSES
from orgs.figures import Figures
from orgs.models import Org
from orgs.selectors.scope import orgs_administered_directly, orgs_managed_by, orgs_visible_to

FEE_KEYS = ("fee_due", "fee_paid", "fee_exempt")


def fee_counts(*, year: int, org_ids: set[int] | None = None) -> dict[int, dict[str, int]]:
    """fee_due, fee_paid and fee_exempt (defined in orgs.figures) of each org with anyone owing, in one
    GROUP BY: active or 待续期 members who joined by the end of `year` and whose org charges their category a non-zero
    fee that year, split by whether a payment or an exemption of that year is recorded."""
    charged = Fee.objects.filter(org=OuterRef("org"), category=OuterRef("category"), year=year, amount__gt=0)
    settled = FeePayment.objects.filter(membership=OuterRef("pk"), year=year)
    # 待续期 members have not renewed, typically because the year's fee is unpaid: they still owe it.
    owing = Membership.objects.filter(
        status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING_RENEWAL], joined_on__lt=date(year + 1, 1, 1)
    )
    if org_ids is not None:
        owing = owing.filter(org_id__in=org_ids)
    rows = (
        owing.filter(Exists(charged))
        .annotate(
            paid=Exists(settled.filter(kind=FeePayment.Kind.PAID)),
            exempt=Exists(settled.filter(kind=FeePayment.Kind.EXEMPT)),
        )
        .values_list("org_id", "paid", "exempt")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FEE_KEYS, 0))
    for org_id, paid, exempt, n in rows:
        counts[org_id]["fee_due"] += n
        counts[org_id]["fee_paid"] += n if paid else 0
        counts[org_id]["fee_exempt"] += n if exempt else 0
    return dict(counts)


def fee_figures(*, org: Org, year: int, subtree: bool = False) -> Figures:
    """The fee figures of one org (or its subtree) for one year; `["fee_collection_rate"]` is the reform
    indicator 会费收缴率, None when nobody owes a fee."""
    org_ids = set(Org.objects.in_subtree(org).values_list("pk", flat=True)) if subtree else {org.pk}
    total = dict.fromkeys(FEE_KEYS, 0)
    for counts in fee_counts(year=year, org_ids=org_ids).values():
        for key in FEE_KEYS:
            total[key] += counts[key]
    return Figures(total)


@dataclass
class FeeLine:
    membership: Membership
    year: int
    fee: Fee | None
    payment: FeePayment | None
    # The member's latest own report of paying this year (pending, confirmed with its receipt, or rejected).
    dues: DuesPayment | None = None

    @property
    def can_pay(self) -> bool:
        return (
            self.payment is None
            and self.fee is not None
            and not self.fee.is_waived
            and self.membership.status in LIVE_STATUSES
            and (self.dues is None or self.dues.status == DuesPayment.Status.REJECTED)
        )

    @property
    def status(self) -> str:
        if self.payment:
            return self.payment.get_kind_display()
        if self.dues and self.dues.status == DuesPayment.Status.SUBMITTED:
            return "待组织确认"
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
    dues: dict[tuple[int, int], DuesPayment] = {}
    # Oldest first, so the latest report of each year wins.
    for d in DuesPayment.objects.filter(membership__in=memberships).select_related("receipt").order_by("submitted_at", "pk"):
        dues[(d.membership_id, d.year)] = d
    lines = []
    for m in memberships:
        for year in range(this_year, m.joined_on.year - 1, -1):
            fee = fees.get((m.org_id, m.category, year))
            payment = payments.get((m.pk, year))
            if fee or payment:
                lines.append(FeeLine(membership=m, year=year, fee=fee, payment=payment, dues=dues.get((m.pk, year))))
    return lines


def dues_payments_to_confirm(org: Org) -> QuerySet[DuesPayment]:
    """Reported payments of an org's members waiting for its confirmation, oldest first."""
    return (
        DuesPayment.objects.filter(membership__org=org, status=DuesPayment.Status.SUBMITTED)
        .select_related("membership__person")
        .order_by("submitted_at", "pk")
    )


def dues_payments_decided(org: Org, *, limit: int = 50) -> list[DuesPayment]:
    return list(
        DuesPayment.objects.filter(membership__org=org)
        .exclude(status=DuesPayment.Status.SUBMITTED)
        .select_related("membership__person", "receipt", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def _dues_payment_in(orgs, payment_id) -> DuesPayment:
    try:
        return DuesPayment.objects.select_related("membership__org", "membership__person").get(
            pk=payment_id, membership__org__in=orgs
        )
    except (DuesPayment.DoesNotExist, ValueError, TypeError):
        raise Http404


def dues_payment_visible_or_404(user, payment_id) -> DuesPayment:
    return _dues_payment_in(orgs_visible_to(user), payment_id)


def dues_payment_managed_or_404(user, payment_id) -> DuesPayment:
    return _dues_payment_in(orgs_managed_by(user), payment_id)


def _receipts():
    return FeeReceipt.objects.select_related("org", "payment__membership__person", "payment__membership__org")


def receipt_visible_or_404(user, receipt_id) -> FeeReceipt:
    try:
        return _receipts().get(pk=receipt_id, org__in=orgs_visible_to(user))
    except (FeeReceipt.DoesNotExist, ValueError, TypeError):
        raise Http404


def receipt_of_user_or_404(user, receipt_id) -> FeeReceipt:
    try:
        return _receipts().get(pk=receipt_id, payment__membership__person__user=user)
    except (FeeReceipt.DoesNotExist, ValueError, TypeError):
        raise Http404


# --- an organisation's fee roster: who owes what for a year -------------------------------------------------

ROSTER_STATES = ("due", "paid", "exempt", "free")


def fee_roster(org: Org, *, year: int, state: str = "", search: str = "") -> QuerySet[Membership]:
    """The organisation's members who owe fees in `year` (as fee_counts counts them), each with `fee_amount` (their category's fee
    that year; None when none is set) and `payment_kind`, `payment_amount`, `payment_paid_on` (None when nothing
    is recorded), and `dues_reported` (the member reported paying and waits for the confirmation on the dues
    page). `state`: "due" (a fee and nothing recorded), "paid", "exempt", "free" (no fee or zero)."""
    fee = Fee.objects.filter(org=OuterRef("org"), category=OuterRef("category"), year=year)
    payment = FeePayment.objects.filter(membership=OuterRef("pk"), year=year)
    reported = DuesPayment.objects.filter(membership=OuterRef("pk"), year=year, status=DuesPayment.Status.SUBMITTED)
    # The members fee_counts counts as owing: active or 待续期, joined by the end of the year.
    members = Membership.objects.filter(
        org=org,
        status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING_RENEWAL],
        joined_on__lt=date(year + 1, 1, 1),
    )
    rows = members.annotate(
        fee_amount=Subquery(fee.values("amount")[:1]),
        payment_kind=Subquery(payment.values("kind")[:1]),
        payment_amount=Subquery(payment.values("amount")[:1]),
        payment_paid_on=Subquery(payment.values("paid_on")[:1]),
        dues_reported=Exists(reported),
    )
    if state == "due":
        rows = rows.filter(fee_amount__gt=0, payment_kind__isnull=True)
    elif state in ("paid", "exempt"):
        rows = rows.filter(payment_kind=state)
    elif state == "free":
        rows = rows.filter(Q(fee_amount__isnull=True) | Q(fee_amount=0), payment_kind__isnull=True)
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(person__name__icontains=search) | Q(person__mobile__contains=search) | Q(number__icontains=search)
        )
    return rows.select_related("person").order_by("number", "id")


def fee_instructions_of(org_ids) -> dict[int, FeeInstructions]:
    """How to pay, by organisation id, for the organisations that have written it down."""
    return {i.org_id: i for i in FeeInstructions.objects.filter(org_id__in=list(org_ids))}


def dues_reported_to(user) -> QuerySet[DuesPayment]:
    """Payments members reported to the administrator's own organisations, waiting for confirmation, oldest
    first (the workbench)."""
    return (
        DuesPayment.objects.filter(
            membership__org__in=orgs_administered_directly(user), status=DuesPayment.Status.SUBMITTED
        )
        .select_related("membership__person", "membership__org")
        .order_by("submitted_at", "pk")
    )
