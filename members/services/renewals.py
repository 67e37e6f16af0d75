"""The membership year (会籍年度): members renew each calendar year inside their organisation's renewal window
by confirming their profile and settling the year's fee when one is due; a nightly job reminds them before and
after the window closes, marks those not renewed after the grace period 待续期, and lapses (已失效) those not
renewed for KEXIE_LAPSE_AFTER_YEARS consecutive years. Administrators reinstate through membership_status_set.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError, OutOfScope
from kexie.locks import job_lock
from members.models import FeePayment, Membership, Person, Renewal, RenewalNotice, RenewalWindow
from members.selectors.renewals import RENEWABLE_STATUSES, default_window, renewable_year, windows_by_org
from members.services.fees import fee_due
from members.services.memberships import org_manage_check, progress_changed
from members.services.notices import notice_create
from members.services.people import profile_missing_fields
from members.webhooks import Event, membership_event
from orgs.models import Org
from orgs.services.audit import audit_record

logger = logging.getLogger(__name__)

MEMBERSHIP_YEAR_JOB = "membership-year-sweep"


def renewal_window_set(*, actor, org: Org, opens: tuple[int, int], closes: tuple[int, int]) -> RenewalWindow:
    for month, day in (opens, closes):
        try:
            date(2024, month, day)  # a leap year, so 29 Feb is accepted
        except (TypeError, ValueError):
            raise DomainError(_("请填写有效的月份和日期"))
    if opens == closes:
        raise DomainError(_("年度注册期的开始和截止日期不能相同"))
    with transaction.atomic():
        org_manage_check(actor, org)
        window, _created = RenewalWindow.objects.select_for_update().update_or_create(
            org=org,
            defaults={"opens_month": opens[0], "opens_day": opens[1], "closes_month": closes[0], "closes_day": closes[1]},
        )
        audit_record(actor=actor, action="renewal.window", obj=org, org=org, data={"opens": list(opens), "closes": list(closes)})
    return window


def _fee_settled(membership: Membership, year: int) -> bool:
    fee = fee_due(membership=membership, year=year)
    if fee is None or fee.is_waived:
        return True
    return FeePayment.objects.filter(membership=membership, year=year).exists()


def _complete(membership: Membership, renewal: Renewal, *, actor) -> None:
    now = timezone.now()
    renewal.completed_at = now
    renewal.save(update_fields=["completed_at"])
    before, before_through = membership.status, membership.valid_through
    membership.valid_through = max(membership.valid_through or 0, renewal.year)
    membership.status = Membership.Status.ACTIVE
    membership.save(update_fields=["valid_through", "status", "updated_at"])
    changes = {"status": [before, membership.status], "valid_through": [before_through, membership.valid_through]}
    membership_event(
        event=Event.MEMBERSHIP_CHANGED, membership=membership, changes={k: v for k, v in changes.items() if v[0] != v[1]}
    )
    audit_record(
        actor=actor, action="membership.renew", obj=membership, org=membership.org,
        data={"year": renewal.year, "before": before},
    )
    notice_create(
        user=membership.person.user,
        title=_("%(year)s 年度注册已完成") % {"year": renewal.year},
        body=_("您在“%(org)s”的会籍有效期已延至 %(year)s 年底。") % {"org": membership.org.name, "year": renewal.year},
        link="/me/renewal/",
    )
    if before != Membership.Status.ACTIVE:
        progress_changed(membership.org)


def membership_renew(*, person: Person, membership: Membership, today: date | None = None) -> Renewal:
    """年度注册: the member confirms their profile for the renewable year; the renewal is complete at once when
    no fee is due (or it is already settled), else when the organisation confirms the payment."""
    today = today or timezone.localdate()
    if membership.person_id != person.pk:
        raise OutOfScope()
    missing = profile_missing_fields(person)
    if missing:
        raise DomainError(_("请先完善个人资料：%(fields)s") % {"fields": "、".join(missing)})
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",)).select_related("org", "person__user").get(pk=membership.pk)
        )
        year = renewable_year(membership, today=today)
        if year is None:
            raise DomainError(_("当前没有需要办理的年度注册"))
        renewal, created = Renewal.objects.get_or_create(
            membership=membership, year=year, defaults={"confirmed_at": timezone.now()}
        )
        if created:
            audit_record(actor=person.user, action="renewal.confirm", obj=membership, org=membership.org, data={"year": year})
        if renewal.completed_at is None and _fee_settled(membership, year):
            _complete(membership, renewal, actor=person.user)
    return renewal


def renewal_complete_if_ready(*, membership: Membership, year: int, actor) -> bool:
    """Called when a year's fee is recorded: a renewal waiting only for the payment completes now."""
    renewal = Renewal.objects.select_for_update().filter(membership=membership, year=year, completed_at__isnull=True).first()
    if renewal is None or membership.status not in RENEWABLE_STATUSES:
        return False
    _complete(membership, renewal, actor=actor)
    return True


# --- the nightly job ---------------------------------------------------------------------------------------


def _record(membership: Membership, year: int, kind: str) -> bool:
    """Claim this step for this membership and year; False when a previous run already took it."""
    try:
        with transaction.atomic():
            RenewalNotice.objects.create(membership=membership, year=year, kind=kind)
    except IntegrityError:
        return False
    return True


def _notify(membership: Membership, title: str, body: str) -> None:
    notice_create(user=membership.person.user, title=title, body=body, link="/me/renewal/")


def membership_year_sweep(*, today: date | None = None) -> dict[str, int] | None:
    """One pass over memberships not yet renewed for the current year. Returns what it did, or None when
    another run holds the lock. Each step is recorded per membership and year, so re-running does nothing."""
    today = today or timezone.localdate()
    year = today.year
    done = {kind: 0 for kind in RenewalNotice.Kind.values}
    with job_lock(MEMBERSHIP_YEAR_JOB) as acquired:
        if not acquired:
            return None
        windows = windows_by_org()
        default = default_window()
        reminder = timedelta(days=settings.KEXIE_RENEWAL_REMINDER_DAYS)
        grace = timedelta(days=settings.KEXIE_RENEWAL_GRACE_DAYS)
        lapse_at_or_before = year - settings.KEXIE_LAPSE_AFTER_YEARS
        ids = list(
            Membership.objects.filter(status__in=RENEWABLE_STATUSES, valid_through__lt=year)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for membership_id in ids:
            with transaction.atomic():
                membership = (
                    Membership.objects.select_for_update(of=("self",))
                    .select_related("org", "person__user")
                    .get(pk=membership_id)
                )
                if membership.status not in RENEWABLE_STATUSES or (membership.valid_through or 0) >= year:
                    continue  # renewed or changed since the list was read
                _opens, closes = windows.get(membership.org_id, default).dates(year)
                values = {"org": membership.org.name, "year": year, "closes": closes.strftime("%Y-%m-%d")}
                if closes - reminder <= today <= closes and _record(membership, year, RenewalNotice.Kind.CLOSING):
                    _notify(
                        membership,
                        _("%(year)s 年度注册即将截止") % values,
                        _("请在 %(closes)s 前完成“%(org)s”的 %(year)s 年度注册（确认个人资料，应缴会费的请缴纳会费）。") % values,
                    )
                    done[RenewalNotice.Kind.CLOSING] += 1
                if today > closes and _record(membership, year, RenewalNotice.Kind.CLOSED):
                    values["until"] = (closes + grace).strftime("%Y-%m-%d")
                    _notify(
                        membership,
                        _("%(year)s 年度注册已截止") % values,
                        _("您尚未完成“%(org)s”的 %(year)s 年度注册，请在 %(until)s 前补办，逾期会籍将转为待续期。") % values,
                    )
                    done[RenewalNotice.Kind.CLOSED] += 1
                if today <= closes + grace:
                    continue
                if (membership.valid_through or 0) <= lapse_at_or_before:
                    if _record(membership, year, RenewalNotice.Kind.LAPSED):
                        _state_change(membership, Membership.Status.LAPSED, year)
                        done[RenewalNotice.Kind.LAPSED] += 1
                elif membership.status == Membership.Status.ACTIVE and _record(membership, year, RenewalNotice.Kind.PENDING):
                    _state_change(membership, Membership.Status.PENDING_RENEWAL, year)
                    done[RenewalNotice.Kind.PENDING] += 1
    return done


def _state_change(membership: Membership, status: str, year: int) -> None:
    before = membership.status
    membership.status = status
    membership.save(update_fields=["status", "updated_at"])
    membership_event(event=Event.MEMBERSHIP_CHANGED, membership=membership, changes={"status": [before, status]})
    audit_record(
        actor=None, action=f"membership.{status}", obj=membership, org=membership.org,
        comment=_("会籍年度自动处理"), data={"before": before, "after": status, "year": year,
                                      "valid_through": membership.valid_through},
    )
    values = {"org": membership.org.name, "year": year, "through": membership.valid_through}
    if status == Membership.Status.LAPSED:
        _notify(
            membership,
            _("会籍已失效"),
            _("您在“%(org)s”的会籍有效期至 %(through)s 年，已连续多年未办理年度注册，会籍已失效。如需恢复请联系组织管理员。")
            % values,
        )
        progress_changed(membership.org)
    else:
        _notify(
            membership,
            _("会籍已转为待续期"),
            _("您尚未办理“%(org)s”的 %(year)s 年度注册，会籍已转为待续期。完成年度注册后即恢复有效。") % values,
        )
