"""Handling time limits (办理时限) of applications: the clock, the expected decision date, and the reminders.

The clock counts working days of the Chinese public-holiday calendar (kexie.workdays). It starts at the first
submission (the day of submission does not count), stops while the application is returned to the applicant
(the working days spent there are added to `paused_workdays` on resubmission) and ends with the decision.
`due_on` is the working day by which the organisation should decide: start + limit + paused working days.

Reminders go to the administrators of the application's organisation when two thirds of the limit are used
and when the due date has passed; more than KEXIE_ESCALATION_WORKDAYS working days past it, the
administrators of the organisation above are told. Each is sent once: a DeadlineNotice row per application
and kind, written in the same transaction as the notices, so a re-run finds it and sends nothing.
"""

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import Application, DeadlineNotice
from kexie.locks import job_lock
from kexie.workdays import WorkdayCalendarMissing, add_working_days, working_days_between
from members.services.notices import notice_create
from orgs.selectors.accounts import administrators_to_notify
from orgs.selectors.handling import handling_days_by_org, handling_days_of

logger = logging.getLogger(__name__)

DEADLINE_JOB = "deadlines-remind"


def _day(moment: datetime) -> date:
    return timezone.localdate(moment)


# --- the clock (called by approvals.services inside their transactions) -----------------------------------


def _due_on(application: Application) -> date | None:
    try:
        return add_working_days(
            _day(application.clock_started_at), application.handling_days + application.paused_workdays
        )
    except WorkdayCalendarMissing as exc:
        # Never refuse a submission for a missing calendar year; the reminder job fills the date in later.
        logger.warning("No due date for application %s: %s", application.pk, exc.message)
        return None


def clock_start(application: Application, *, now: datetime) -> None:
    """Start the clock of a new application with its organisation's current limit (fields set, not saved)."""
    application.clock_started_at = now
    application.handling_days = handling_days_of(application.org)
    application.paused_workdays = 0
    application.returned_at = None
    application.due_on = _due_on(application)


def clock_pause(application: Application, *, now: datetime) -> None:
    application.returned_at = now


def clock_resume(application: Application, *, now: datetime) -> None:
    """Back from the applicant: the working days it spent returned no longer count against the organisation."""
    if application.clock_started_at is None:
        clock_start(application, now=now)
        return
    if application.returned_at is not None:
        try:
            application.paused_workdays += working_days_between(_day(application.returned_at), _day(now))
        except WorkdayCalendarMissing as exc:
            logger.warning("Pause of application %s not counted: %s", application.pk, exc.message)
        application.returned_at = None
    application.due_on = _due_on(application)


CLOCK_FIELDS = ["clock_started_at", "handling_days", "paused_workdays", "returned_at", "due_on"]


# --- figures the dashboard and the workbench read ---------------------------------------------------------


def application_elapsed_workdays(application: Application, *, today: date | None = None) -> int:
    """Working days the organisation has spent on the application so far (or until its decision)."""
    if application.clock_started_at is None:
        return 0
    today = today or timezone.localdate()
    end = _day(application.decided_at) if application.decided_at else today
    elapsed = working_days_between(_day(application.clock_started_at), end) - application.paused_workdays
    if application.returned_at is not None and application.status == Application.Status.RETURNED:
        elapsed -= working_days_between(_day(application.returned_at), end)
    return max(elapsed, 0)


def application_overdue(application: Application, *, today: date | None = None) -> bool:
    """Waiting for the organisation after its due date (a returned application is not overdue)."""
    return application.is_overdue_on(today or timezone.localdate())


def applications_overdue(qs: QuerySet[Application], *, today: date | None = None) -> QuerySet[Application]:
    """The overdue ones of `qs`, as a filter the database answers from the (status, due_on) index."""
    return qs.filter(status=Application.Status.SUBMITTED, due_on__lt=today or timezone.localdate())


@dataclass(frozen=True)
class DeadlineFigures:
    pending: int
    overdue: int
    average_workdays: float | None


def deadline_figures_by_org(org_ids, *, today: date | None = None, decided_since: date | None = None) -> dict[int, DeadlineFigures]:
    """Per organisation: applications waiting for it, how many of them are overdue, and the average handling
    time in working days of those decided (approved or rejected) since `decided_since` (default: this year).

    The average is computed in Python over the decided rows because working days are not a database function;
    it reads only two dates and a number per decided application.
    """
    today = today or timezone.localdate()
    decided_since = decided_since or date(today.year, 1, 1)
    open_rows = (
        Application.objects.filter(org_id__in=org_ids, status=Application.Status.SUBMITTED)
        .values("org_id")
        .annotate(pending=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    )
    totals: dict[int, list[int]] = {}
    decided = Application.objects.filter(
        org_id__in=org_ids,
        status__in=[Application.Status.APPROVED, Application.Status.REJECTED],
        decided_at__date__gte=decided_since,
        clock_started_at__isnull=False,
    ).values_list("org_id", "clock_started_at", "decided_at", "paused_workdays")
    for org_id, started, decided_at, paused in decided:
        days = max(working_days_between(_day(started), _day(decided_at)) - paused, 0)
        totals.setdefault(org_id, []).append(days)
    result = {
        row["org_id"]: DeadlineFigures(row["pending"], row["overdue"], None) for row in open_rows
    }
    for org_id, days in totals.items():
        base = result.get(org_id, DeadlineFigures(0, 0, None))
        result[org_id] = DeadlineFigures(base.pending, base.overdue, round(sum(days) / len(days), 1))
    return result


# --- the reminder job ---------------------------------------------------------------------------------------


def _two_thirds(limit: int) -> int:
    return math.ceil(limit * 2 / 3)


def _kinds_due(application: Application, today: date) -> list[str]:
    kinds = []
    if application_elapsed_workdays(application, today=today) >= _two_thirds(application.handling_days):
        kinds.append(DeadlineNotice.Kind.TWO_THIRDS)
    if application.is_overdue_on(today):
        kinds.append(DeadlineNotice.Kind.OVERDUE)
        if working_days_between(application.due_on, today) > settings.KEXIE_ESCALATION_WORKDAYS:
            kinds.append(DeadlineNotice.Kind.ESCALATED)
    return kinds


def _notice_texts(application: Application, kind: str) -> tuple[str, str]:
    values = {
        "name": application.person.name,
        "org": application.org.name,
        "due": application.due_on.strftime("%Y-%m-%d"),
        "days": application.handling_days,
    }
    if kind == DeadlineNotice.Kind.TWO_THIRDS:
        return (
            _("入会申请即将到期：%(name)s") % values,
            _("%(name)s 向“%(org)s”提交的入会申请已用去三分之二办理时限（%(days)s 个工作日），请在 %(due)s 前办结。")
            % values,
        )
    if kind == DeadlineNotice.Kind.OVERDUE:
        return (
            _("入会申请已超期：%(name)s") % values,
            _("%(name)s 向“%(org)s”提交的入会申请已超过办理时限（应于 %(due)s 前办结），请尽快处理。") % values,
        )
    return (
        _("下级组织入会申请超期督办：%(org)s") % values,
        _("“%(org)s”受理的 %(name)s 的入会申请应于 %(due)s 前办结，已超期超过 %(over)s 个工作日，请督促办理。")
        % {**values, "over": settings.KEXIE_ESCALATION_WORKDAYS},
    )


def _send(application: Application, kind: str) -> bool:
    """Record and send one reminder; False when an earlier run (or a concurrent one) already sent it."""
    recipients_org = application.org.parent if kind == DeadlineNotice.Kind.ESCALATED else application.org
    with transaction.atomic():
        try:
            with transaction.atomic():
                DeadlineNotice.objects.create(application=application, kind=kind)
        except IntegrityError:
            return False
        if recipients_org is None:
            return True
        title, body = _notice_texts(application, kind)
        for admin in administrators_to_notify(recipients_org):
            notice_create(user=admin, title=title, body=body, link=f"/console/review/{application.pk}/")
    return True


def _fill_missing_due_dates() -> None:
    """Applications submitted while the calendar lacked their year get their date once it is installed."""
    limits = None
    for application in Application.objects.filter(
        status=Application.Status.SUBMITTED, due_on__isnull=True
    ).select_related("org"):
        limits = limits or handling_days_by_org()
        if application.clock_started_at is None:
            application.clock_started_at = application.submitted_at or application.created_at
        application.handling_days = application.handling_days or limits[application.org_id]
        application.due_on = _due_on(application)
        if application.due_on is not None:
            application.save(update_fields=CLOCK_FIELDS)


def deadlines_remind(*, today: date | None = None) -> int | None:
    """Send every reminder that is due and not yet sent; the number sent, or None when another run holds the
    lock (the next run sends what is left)."""
    today = today or timezone.localdate()
    with job_lock(DEADLINE_JOB) as acquired:
        if not acquired:
            return None
        _fill_missing_due_dates()
        sent = 0
        candidates = (
            Application.objects.filter(status=Application.Status.SUBMITTED, due_on__isnull=False)
            .annotate(reminded=Count("deadline_notices"))
            .filter(reminded__lt=len(DeadlineNotice.Kind.values))
            .select_related("org", "org__parent", "person")
            .prefetch_related("deadline_notices")
            .order_by("pk")
        )
        for application in candidates.iterator(chunk_size=500):
            done = {n.kind for n in application.deadline_notices.all()}
            try:
                kinds = _kinds_due(application, today)
            except WorkdayCalendarMissing as exc:
                logger.error("Deadline reminders stopped: %s", exc.message)
                break
            for kind in kinds:
                if kind not in done and _send(application, kind):
                    sent += 1
        return sent
