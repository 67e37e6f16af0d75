import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kexie.choices import ChoiceLabels


# 申请编号 as typed into a search box: "SQ2026-000123", case and the dash optional.
REFERENCE = re.compile(r"^SQ\d{4}-?0*(\d+)$", re.IGNORECASE)


class ApplicationQuerySet(models.QuerySet):
    def open(self) -> "ApplicationQuerySet":
        return self.filter(status__in=Application.OPEN_STATUSES)

    def in_orgs(self, orgs: models.QuerySet) -> "ApplicationQuerySet":
        return self.filter(org__in=orgs)

    def resubmitted(self) -> "ApplicationQuerySet":
        """Awaiting review again after a return: returning sets `decided_by`, and resubmitting keeps it."""
        return self.filter(RESUBMITTED)

    def first_submissions(self) -> "ApplicationQuerySet":
        """Everything but `resubmitted()`: never returned, or already decided again."""
        return self.exclude(RESUBMITTED)


RESUBMITTED = Q(status="submitted", decided_by__isnull=False)


class Application(ChoiceLabels, models.Model):
    """A person's request to become an individual member of one organisation.

    An application arrives either from the person (self-application) or from the organisation below
    (a recommendation, then `recommendation` is set); both are reviewed the same way.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回修改")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("不予通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    # The one transition table of the application state machine (approvals.services enforces it).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.APPROVED, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN}),
        Status.RETURNED: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
        Status.APPROVED: frozenset(),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }
    OPEN_STATUSES = (Status.SUBMITTED, Status.RETURNED)

    person = models.ForeignKey(
        "members.Person", verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="applications"
    )
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("申请组织"), on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    eligibility = models.JSONField(_("条件核对"), default=list, blank=True)
    meets_criteria = models.BooleanField(_("符合条件"), default=True, db_index=True)
    explanation = models.TextField(_("申请人说明"), blank=True)
    declaration_signed_at = models.DateTimeField(_("签署声明时间"), null=True, blank=True)
    # Set when the application is made and again when it is resubmitted; the queue orders and bounds its pages by it.
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_comment = models.TextField(_("审核意见"), blank=True)
    override_reason = models.TextField(_("不符合条件仍批准的理由"), blank=True)
    # The handling clock (办理时限): it starts at the first submission, stops while the application is returned
    # to the applicant, and due_on is the working day by which the organisation should decide.
    clock_started_at = models.DateTimeField(_("开始计时"), null=True, blank=True)
    handling_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), null=True, blank=True)
    paused_workdays = models.PositiveSmallIntegerField(_("退回修改暂停的工作日"), default=0)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    due_on = models.DateField(_("预计办结日期"), null=True, blank=True)
    recommendation = models.OneToOneField(
        "approvals.Recommendation",
        verbose_name=_("推荐"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("入会申请")
        verbose_name_plural = _("入会申请")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "org"],
                condition=Q(status__in=["submitted", "returned"]),
                name="one_open_application_per_person_org",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "status", "submitted_at"], name="application_queue_idx"),
            # The queue over every status reads each org's newest rows straight from this index.
            models.Index(fields=["org", "submitted_at"], name="application_org_newest_idx"),
            models.Index(fields=["org", "decided_at"], name="application_decided_idx"),
            models.Index(fields=["status", "due_on"], name="application_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.org}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def reference(self) -> str:
        """申请编号 quoted to the applicant and searched by reviewers: SQ, the year it was created, the id."""
        return f"SQ{timezone.localdate(self.created_at).year}-{self.pk:06d}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def is_overdue_on(self, day) -> bool:
        """Waiting for the organisation past its due date; a returned application's clock is stopped."""
        return self.status == self.Status.SUBMITTED and self.due_on is not None and day > self.due_on


class DeadlineNotice(models.Model):
    """One deadline reminder sent for an application; the unique row is what makes a re-run send nothing."""

    class Kind(models.TextChoices):
        TWO_THIRDS = "two_thirds", _("已用去三分之二办理时限")
        OVERDUE = "overdue", _("已超过办理时限")
        ESCALATED = "escalated", _("超期已报上级组织")

    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="deadline_notices"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办理时限提醒")
        verbose_name_plural = _("办理时限提醒")
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="one_deadline_notice_per_kind")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind}"


class Recommendation(models.Model):
    """An organisation nominating a person to the organisation above it (推荐), with its opinion."""

    person = models.ForeignKey(
        "members.Person", verbose_name=_("被推荐人"), on_delete=models.PROTECT, related_name="recommendations"
    )
    from_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("推荐组织"), on_delete=models.PROTECT, related_name="recommendations_made"
    )
    to_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("接收组织"), on_delete=models.PROTECT, related_name="recommendations_received"
    )
    source_membership = models.ForeignKey(
        "members.Membership",
        verbose_name=_("依据的会员资格"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
    )
    source_application = models.ForeignKey(
        Application,
        verbose_name=_("依据的申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations_from",
    )
    opinion = models.TextField(_("推荐意见"))
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推荐人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("推荐时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        indexes = [models.Index(fields=["from_org", "created_at"], name="recommendation_from_idx")]

    def __str__(self) -> str:
        return f"{self.from_org} → {self.to_org}: {self.person}"
