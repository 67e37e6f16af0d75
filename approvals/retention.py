"""Retention of evidence files: a person whose applications all ended withdrawn or rejected, and who holds no
membership, no longer needs the proof they uploaded once EVIDENCE_RETENTION_DAYS have passed since the last
of those applications ended."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import Application
from members.models import Award, Membership
from members.services.retention import award_evidence_purge

ENDED = (Application.Status.WITHDRAWN, Application.Status.REJECTED)


def awards_with_evidence_due():
    """Awards with a file whose person has applied, has only ended applications, the last ended before the
    cutoff, and no membership of any status."""
    cutoff = timezone.now() - timedelta(days=settings.EVIDENCE_RETENTION_DAYS)
    applications = Application.objects.filter(person=OuterRef("person"))
    last_ended = (
        Application.objects.filter(person=OuterRef("person"))
        .values("person")
        .annotate(last=Max(Coalesce("decided_at", "updated_at")))
        .values("last")
    )
    return (
        Award.objects.exclude(evidence="")
        .filter(Exists(applications))
        .exclude(Exists(applications.exclude(status__in=ENDED)))
        .exclude(Exists(Membership.objects.filter(person=OuterRef("person"))))
        .annotate(last_ended=last_ended)
        .filter(Q(last_ended__lt=cutoff))
    )


def evidence_purge_due(*, dry_run: bool = False) -> int:
    due = awards_with_evidence_due()
    if dry_run:
        return due.count()
    reason = _("申请已撤回或不予通过超过 %(days)s 天") % {"days": settings.EVIDENCE_RETENTION_DAYS}
    return sum(award_evidence_purge(award_id=pk, reason=reason) for pk in list(due.values_list("pk", flat=True)))
