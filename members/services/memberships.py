"""Writes on memberships: admission, grade and category (with the fellow cap), transfer, lapse, withdrawal,
and the directory export."""

import copy
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from members.exports import members_workbook
from members.models import Membership, Person, PersonAccess
from members.signals import memberships_changed
from members.services.access import person_access_record
from members.services.numbers import member_number_issue
from orgs.models import Org
from orgs.selectors.scope import orgs_managed_by
from orgs.services.audit import audit_record
from members.webhooks import Event, membership_event
from orgs.services.progress import progress_announce, progress_schedule


# Still members: awaiting census re-registration or this year's renewal does not end a membership.
LIVE_STATUSES = (
    Membership.Status.ACTIVE, Membership.Status.PENDING_REREGISTRATION, Membership.Status.PENDING_RENEWAL
)


# The fellow cap: 会士 may not exceed 1% of an organisation's individual members (rounded down).
FELLOW_CAP_PERCENT = 1


# The one transition table of membership status changes made by administrators (transfer has its own verb).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Membership.Status.ACTIVE: frozenset({Membership.Status.LAPSED, Membership.Status.WITHDRAWN}),
    Membership.Status.PENDING_REREGISTRATION: frozenset({Membership.Status.LAPSED, Membership.Status.WITHDRAWN}),
    Membership.Status.PENDING_RENEWAL: frozenset(
        {Membership.Status.ACTIVE, Membership.Status.LAPSED, Membership.Status.WITHDRAWN}
    ),
    Membership.Status.LAPSED: frozenset({Membership.Status.ACTIVE, Membership.Status.WITHDRAWN}),
    Membership.Status.WITHDRAWN: frozenset(),
    Membership.Status.TRANSFERRED: frozenset(),
}


def org_manage_check(actor, org: Org) -> None:
    if actor.is_superuser:
        return
    if not orgs_managed_by(actor).filter(pk=org.pk).exists():
        raise OutOfScope()


def progress_changed(*orgs: Org) -> None:
    """Counts of these orgs changed in a way no delta records (fees, units, renewals, the census): recount their
    progress after commit."""
    org_ids = [o.pk for o in orgs]
    transaction.on_commit(lambda: progress_schedule(org_ids=org_ids))


def memberships_changed_announce(changes: list[tuple[Membership | None, Membership | None]], *, wake: bool = True) -> None:
    """Tell the progress computation what changed, in this transaction (it records the counted deltas), and wake
    its recompute after commit; `wake=False` when the caller's own verb wakes it (an approval)."""
    memberships_changed.send(sender=Membership, changes=changes)
    if wake:
        org_ids = sorted({m.org_id for pair in changes for m in pair if m is not None})
        transaction.on_commit(lambda: progress_announce(org_ids=org_ids))


def fellow_cap(individual_members: int) -> int:
    return individual_members * FELLOW_CAP_PERCENT // 100


def membership_grant(*, person: Person, org: Org, application=None, joined_on: date | None = None) -> Membership:
    if Membership.objects.filter(person=person, org=org, status__in=LIVE_STATUSES).exists():
        raise DomainError(_("该人员已是“%(org)s”的会员") % {"org": org.name})
    joined_on = joined_on or timezone.localdate()
    membership = Membership.objects.create(
        person=person,
        org=org,
        level=org.level,
        number=member_number_issue(org=org, year=joined_on.year),
        joined_on=joined_on,
        valid_through=joined_on.year,
        certificate_issued_on=joined_on,
        application=application,
    )
    membership_event(event=Event.MEMBERSHIP_CREATED, membership=membership)
    # Memberships are granted by approving an application, which wakes the recompute itself.
    memberships_changed_announce([(None, membership)], wake=False)
    return membership


# --- grades and categories ---------------------------------------------------------------------------------


def membership_grade_set(*, actor, membership: Membership, grade: str, category: str | None = None) -> Membership:
    """Set a member's grade (and category). Granting 会士 locks the org row first, so concurrent grants in
    the same org queue here and each one counts the fellows the previous one committed."""
    if grade not in Membership.Grade.values:
        raise DomainError(_("请选择有效的会员等级"))
    if category is not None and category not in Membership.Category.values:
        raise DomainError(_("请选择有效的会员类别"))
    with transaction.atomic():
        # Lock order: org, then membership — the same in every lifecycle service.
        org = Org.objects.select_for_update().get(pk=membership.org_id)
        org_manage_check(actor, org)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status not in LIVE_STATUSES:
            raise DomainError(_("该会员当前状态为“%(status)s”，不能调整等级") % {"status": membership.get_status_display()})
        category = category or membership.category
        if membership.grade == grade and membership.category == category:
            return membership
        if grade == Membership.Grade.FELLOW and membership.grade != Membership.Grade.FELLOW:
            live = Membership.objects.filter(org=org, status__in=LIVE_STATUSES)
            members = live.count()
            fellows = live.filter(grade=Membership.Grade.FELLOW).count()
            cap = fellow_cap(members)
            if fellows >= cap:
                raise DomainError(
                    _("会士名额已满：会士不得超过本组织个人会员数的1%%（现有会员 %(members)s 人，上限 %(cap)s 人，已有会士 %(fellows)s 人）")
                    % {"members": members, "cap": cap, "fellows": fellows}
                )
        before = {"grade": membership.grade, "category": membership.category}
        previous = copy.copy(membership)
        membership.grade = grade
        membership.category = category
        update_fields = ["grade", "category", "updated_at"]
        if before["grade"] != grade:
            # The grade is printed on the certificate: it is reissued with the same number and a new date.
            membership.certificate_issued_on = timezone.localdate()
            update_fields.append("certificate_issued_on")
        membership.save(update_fields=update_fields)
        audit_record(
            actor=actor,
            action="membership.grade",
            obj=membership,
            org=org,
            data={"before": before, "after": {"grade": grade, "category": category}},
        )
        membership_event(
            event=Event.MEMBERSHIP_CHANGED,
            membership=membership,
            changes={k: [before[k], v] for k, v in {"grade": grade, "category": category}.items() if before[k] != v},
        )
        if before["category"] != category:  # who owes a fee follows the category
            memberships_changed_announce([(previous, membership)])
    return membership


# --- transfer, lapse, withdrawal ----------------------------------------------------------------------------


def membership_transfer(*, actor, membership: Membership, target_org: Org, comment: str = "") -> Membership:
    """Move a member to another org the actor also manages: the old membership becomes 已转出 and the
    target org admits them with a new number from its own sequence."""
    if membership.org_id == target_org.pk:
        raise DomainError(_("转入组织与当前组织相同"))
    with transaction.atomic():
        # Both org rows locked in id order so two opposite transfers cannot deadlock.
        orgs = {o.pk: o for o in Org.objects.select_for_update().filter(pk__in=[membership.org_id, target_org.pk]).order_by("pk")}
        source, target = orgs[membership.org_id], orgs[target_org.pk]
        org_manage_check(actor, source)
        org_manage_check(actor, target)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status not in LIVE_STATUSES:
            raise DomainError(_("只有有效或待重新登记的会员可以转会"))
        if Membership.objects.filter(person_id=membership.person_id, org=target, status__in=LIVE_STATUSES).exists():
            raise DomainError(_("该人员已是“%(org)s”的会员") % {"org": target.name})
        grade, old_status = membership.grade, membership.status
        previous = copy.copy(membership)
        if grade == Membership.Grade.FELLOW:
            live = Membership.objects.filter(org=target, status__in=LIVE_STATUSES)
            if live.filter(grade=Membership.Grade.FELLOW).count() >= fellow_cap(live.count() + 1):
                raise DomainError(_("转入组织的会士名额已满，请先调整该会员的等级"))
        membership.status = Membership.Status.TRANSFERRED
        membership.save(update_fields=["status", "updated_at"])
        today = timezone.localdate()
        new = Membership.objects.create(
            person_id=membership.person_id,
            org=target,
            level=target.level,
            number=member_number_issue(org=target, year=today.year),
            grade=grade,
            category=membership.category,
            # Someone still to re-register stays so in the new org: the transfer does not confirm their data.
            status=old_status,
            origin=Membership.Origin.TRANSFER,
            joined_on=today,
            valid_through=membership.valid_through,
            certificate_issued_on=today,
        )
        data = {"from_membership": membership.pk, "to_membership": new.pk, "from_org": source.pk, "to_org": target.pk}
        # One row on each side so both organisations' trails show the move.
        audit_record(actor=actor, action="membership.transfer_out", obj=membership, org=source, comment=comment, data=data)
        audit_record(actor=actor, action="membership.transfer_in", obj=new, org=target, comment=comment, data=data)
        membership_event(
            event=Event.MEMBERSHIP_CHANGED, membership=membership, changes={"status": [old_status, membership.status]}
        )
        membership_event(event=Event.MEMBERSHIP_CREATED, membership=new)
        memberships_changed_announce([(previous, membership), (None, new)])
    return new


def membership_status_set(*, actor, membership: Membership, status: str, comment: str = "") -> Membership:
    """Lapse (失效), withdraw (退会) or reinstate a member, following STATUS_TRANSITIONS."""
    with transaction.atomic():
        # Org row first, as in membership_grade_set: reinstating a fellow competes for the same places.
        org = Org.objects.select_for_update().get(pk=membership.org_id)
        org_manage_check(actor, org)
        membership = Membership.objects.select_for_update().select_related("org").get(pk=membership.pk)
        if status not in STATUS_TRANSITIONS.get(membership.status, ()):
            raise DomainError(
                _("会员状态不能从“%(from)s”变为“%(to)s”")
                % {"from": membership.get_status_display(), "to": Membership.Status(status).label if status in Membership.Status.values else status}
            )
        if status == Membership.Status.ACTIVE and membership.grade == Membership.Grade.FELLOW:
            live = Membership.objects.filter(org_id=membership.org_id, status__in=LIVE_STATUSES)
            if live.filter(grade=Membership.Grade.FELLOW).count() >= fellow_cap(live.count() + 1):
                raise DomainError(_("会士名额已满，恢复前请先调整该会员的等级"))
        before = membership.status
        previous = copy.copy(membership)
        membership.status = status
        update_fields = ["status", "updated_at"]
        if status == Membership.Status.ACTIVE:
            # Reinstated by the administrator: valid for the current membership year, or the nightly
            # membership-year job would lapse it again.
            membership.valid_through = max(membership.valid_through or 0, timezone.localdate().year)
            update_fields.append("valid_through")
        membership.save(update_fields=update_fields)
        audit_record(
            actor=actor,
            action=f"membership.{status}",
            obj=membership,
            org=membership.org,
            comment=comment,
            data={"before": before, "after": status},
        )
        membership_event(event=Event.MEMBERSHIP_CHANGED, membership=membership, changes={"status": [before, status]})
        memberships_changed_announce([(previous, membership)])
    return membership


def memberships_export(*, actor, memberships, scope_org: Org, filters: dict) -> bytes:
    """The member directory as it is filtered on screen, as an Excel file with masked ID numbers."""
    # Built before the transaction, so a view that allows it reads the rows from the replica
    # (kexie.db_routing); the file is returned only once its access and audit rows are committed.
    content, count = members_workbook(memberships)
    with transaction.atomic():
        person_access_record(
            viewer=actor, person_ids=memberships.values_list("person_id", flat=True), org=scope_org,
            what=PersonAccess.What.EXPORT, detail=_("会员名册"),
        )
        audit_record(actor=actor, action="export.members", obj=scope_org, org=scope_org, data={"rows": count, "filters": filters})
    return content
