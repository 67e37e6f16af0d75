"""Census imports in scope, their error rows, and the re-registration campaign's progress."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from members.models import CensusImport, CensusRow, Membership
from orgs.models import Org
from orgs.selectors.scope import orgs_administered_directly, orgs_managed_by, orgs_visible_to


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


# --- what waits for an administrator (the workbench) -------------------------------------------------------


def census_imports_to_commit(user) -> QuerySet[CensusImport]:
    """Checked member lists of the administrator's own organisations waiting to be imported, oldest first."""
    return (
        CensusImport.objects.filter(org__in=orgs_administered_directly(user), status=CensusImport.Status.VALIDATED)
        .select_related("org", "uploaded_by")
        .order_by("created_at", "id")
    )


def invitations_unanswered(user) -> QuerySet[CensusRow]:
    """Imported people of the administrator's own organisations who have not re-registered yet."""
    return CensusRow.objects.unanswered().filter(census__org__in=orgs_administered_directly(user))


def census_imports_with_unanswered(user) -> QuerySet[CensusImport]:
    """Imports of the administrator's own organisations with people still to re-register, oldest first, each
    with `unanswered`, the number of those people."""
    return (
        CensusImport.objects.filter(org__in=orgs_administered_directly(user), status=CensusImport.Status.COMMITTED)
        .annotate(
            unanswered=Count(
                "rows",
                filter=Q(
                    rows__claimed_at__isnull=True, rows__membership__status=Membership.Status.PENDING_REREGISTRATION
                ),
            )
        )
        .filter(unanswered__gt=0)
        .select_related("org")
        .order_by("committed_at", "id")
    )


# --- the follow-up of an import: the imported people and their re-registration ------------------------------

REREGISTRATION_STATES = ("pending", "reregistered", "ended")


def census_people(
    org: Org, *, include_subtree: bool = False, census: CensusImport | None = None, state: str = "", search: str = ""
) -> QuerySet[CensusRow]:
    """The people imported by the census of `org` (or its subtree), by import, re-registration state and name,
    mobile or member number; `org` and `census` must already be in the user's scope."""
    orgs = Org.objects.in_subtree(org) if include_subtree else Org.objects.filter(pk=org.pk)
    rows = CensusRow.objects.filter(census__org__in=orgs, membership__isnull=False)
    if census is not None:
        rows = rows.filter(census=census)
    if state == "pending":
        rows = rows.unanswered()
    elif state == "reregistered":
        rows = rows.filter(claimed_at__isnull=False)
    elif state == "ended":
        rows = rows.filter(claimed_at__isnull=True).exclude(
            membership__status=Membership.Status.PENDING_REREGISTRATION
        )
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(name__icontains=search) | Q(mobile__contains=search) | Q(membership__number__icontains=search)
        )
    return rows.select_related("membership", "census", "census__org").order_by(
        "census__created_at", "census_id", "row_number"
    )


def census_imports_committed(org: Org, *, include_subtree: bool = True) -> QuerySet[CensusImport]:
    """Imports of `org` (and its subtree) whose people are in the system: the choices of the follow-up list."""
    orgs = Org.objects.in_subtree(org) if include_subtree else Org.objects.filter(pk=org.pk)
    return (
        CensusImport.objects.filter(org__in=orgs, status=CensusImport.Status.COMMITTED)
        .select_related("org")
        .order_by("-committed_at", "-id")
    )


@dataclass(frozen=True)
class InvitationReach:
    """How the invitations of an import reach people: by email, or by SMS sent from the exported list."""

    imported: int
    reregistered: int
    pending: int
    pending_with_email: int

    @property
    def pending_sms_only(self) -> int:
        return self.pending - self.pending_with_email


def census_invitation_reach(census: CensusImport) -> InvitationReach:
    rows = CensusRow.objects.filter(census=census, membership__isnull=False)
    pending = CensusRow.objects.filter(census=census).unanswered()
    counts = rows.aggregate(imported=Count("id"), reregistered=Count("id", filter=Q(claimed_at__isnull=False)))
    waiting = pending.aggregate(pending=Count("id"), with_email=Count("id", filter=~Q(email="")))
    return InvitationReach(
        imported=counts["imported"],
        reregistered=counts["reregistered"],
        pending=waiting["pending"],
        pending_with_email=waiting["with_email"],
    )
