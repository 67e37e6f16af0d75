"""The application state machine: submit, resubmit, withdraw, approve, return, reject, recommend."""

import copy

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.deadlines import CLOCK_FIELDS, clock_pause, clock_resume, clock_start
from approvals.eligibility import all_met, criteria_as_json, eligibility_check
from approvals.evidence import SIGNATURE_BYTES, evidence_content_type
from approvals import signals
from approvals.models import Application, Recommendation
from approvals.progress import application_change_record
from approvals.snapshots import application_snapshot, snapshot_changes
from approvals.webhooks import Event, application_event, recommendation_created
from kexie.errors import DomainError, OutOfScope
from members.models import Membership, Person, PersonAccess
from members.services.access import person_access_record
from members.services.memberships import LIVE_STATUSES, membership_grant
from members.services.notices import notice_create
from members.services.people import profile_missing_fields
from orgs.models import AuditEvent, Org
from orgs.selectors.scope import orgs_managed_by
from orgs.services.audit import audit_record


class TransitionError(DomainError):
    """An application was asked to move to a state its current state does not allow."""
    default_message = _("该申请已被处理，当前状态不允许此操作")
    code = "invalid_transition"
    http_status = 409


def _transition(application: Application, target: str) -> None:
    if not application.can_become(target):
        raise TransitionError(
            _("该申请已被处理，当前状态为“%(status)s”，不能执行此操作（可能已被他人处理）")
            % {"status": application.get_status_display()}
        )
    application.status = target


def _locked(application: Application) -> Application:
    # Lock only the application row: person__user is a nullable (outer) join, which PostgreSQL cannot lock.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("org", "person", "person__user")
        .get(pk=application.pk)
    )


def _reviewer_scope_check(reviewer, application: Application) -> None:
    if not orgs_managed_by(reviewer).filter(pk=application.org_id).exists():
        raise OutOfScope()


def _eligibility_snapshot(application: Application) -> None:
    criteria = eligibility_check(application.person, application.org.level)
    application.eligibility = criteria_as_json(criteria)
    application.meets_criteria = all_met(criteria)


def _progress_record(before: Application | None, after: Application) -> None:
    """Record the change's effect on the progress figures in this transaction; announce it after commit."""
    application_change_record(before=before, after=after)
    org_id = after.org_id
    transaction.on_commit(lambda: signals.application_decided.send(sender=Application, org_id=org_id))


def application_submit(*, person: Person, org: Org, explanation: str = "", declaration_accepted: bool) -> Application:
    if not declaration_accepted:
        raise DomainError(_("请阅读并勾选入会声明"))
    missing = profile_missing_fields(person)
    if missing:
        raise DomainError(_("请先完善个人资料：%(fields)s") % {"fields": "、".join(missing)})
    # No lock on the org row: it would queue every applicant of one org behind the others, and the one
    # open application per person and org is a database constraint (the IntegrityError below). The org
    # is the caller's fresh row (the view has just loaded it as accepting applications).
    if not org.is_active:
        raise DomainError(_("“%(org)s”暂不接受入会申请") % {"org": org.name})
    with transaction.atomic():
        if Membership.objects.filter(person=person, org=org, status__in=LIVE_STATUSES).exists():
            raise DomainError(_("您已是“%(org)s”的会员，无需重复申请") % {"org": org.name})
        now = timezone.now()
        application = Application(
            person=person,
            org=org,
            explanation=explanation.strip(),
            declaration_signed_at=now,
            submitted_at=now,
            status=Application.Status.SUBMITTED,
        )
        clock_start(application, now=now)
        _eligibility_snapshot(application)
        try:
            # No savepoint: the error leaves the whole transaction, which rolls back as a unit.
            application.save()
        except IntegrityError:
            raise DomainError(_("您已向“%(org)s”提交过申请，正在处理中，请勿重复提交") % {"org": org.name})
        audit_record(actor=person.user, action="application.submit", obj=application, org=org)
        application_event(event=Event.APPLICATION_SUBMITTED, application=application)
        notice_create(
            user=person.user,
            title=_("您的入会申请已提交"),
            body=_submitted_notice_body(application),
            link=reverse("applications:application_detail", args=[application.pk]),
        )
        _progress_record(None, application)
    return application


def _submitted_notice_body(application: Application) -> str:
    """What the applicant is told on submitting: the reference, who decides and by when."""
    text = _("您向“%(org)s”提交的个人会员申请已收到，申请编号 %(reference)s。") % {
        "org": application.org.name,
        "reference": application.reference,
    }
    if application.due_on:
        text += _("办理时限为 %(days)s 个工作日，预计 %(due)s 前办结，") % {
            "days": application.handling_days,
            "due": f"{application.due_on:%Y-%m-%d}",
        }
    return text + _("结果将通过通知告知您；如需修改，审核人员会退回并写明意见。")


def application_resubmit(*, application: Application, person: Person, explanation: str | None = None) -> Application:
    missing = profile_missing_fields(person)
    if missing:
        raise DomainError(_("请先完善个人资料：%(fields)s") % {"fields": "、".join(missing)})
    with transaction.atomic():
        application = _locked(application)
        if application.person_id != person.pk:
            raise OutOfScope()
        before = copy.copy(application)
        _transition(application, Application.Status.SUBMITTED)
        if explanation is not None:
            application.explanation = explanation.strip()
        application.submitted_at = timezone.now()
        clock_resume(application, now=application.submitted_at)
        _eligibility_snapshot(application)
        # decided_by and decision_comment stay: they are the return being answered, which marks the
        # application as resubmitted (Application.objects.resubmitted()) until the next decision.
        application.save(
            update_fields=["status", "explanation", "submitted_at", "eligibility", "meets_criteria", "updated_at", *CLOCK_FIELDS]
        )
        audit_record(
            actor=person.user,
            action="application.resubmit",
            obj=application,
            org=application.org,
            data={"changes": _changes_since_return(application)},
        )
        application_event(event=Event.APPLICATION_SUBMITTED, application=application, resubmitted=True)
        notice_create(
            user=person.user,
            title=_("您的入会申请已重新提交"),
            body=_("您向“%(org)s”重新提交了申请，请等待审核。") % {"org": application.org.name},
            link=f"/me/applications/{application.pk}/",
        )
        _progress_record(before, application)
    return application


def _changes_since_return(application: Application) -> list[dict] | None:
    """What changed since the latest return, or None when that return kept no snapshot to compare with."""
    returned = (
        AuditEvent.objects.for_object(application).filter(action="application.return").order_by("-at", "-id").first()
    )
    before = (returned.data or {}).get("snapshot") if returned else None
    if before is None:
        return None
    return snapshot_changes(before, application_snapshot(application))


def application_withdraw(*, application: Application, person: Person) -> Application:
    with transaction.atomic():
        application = _locked(application)
        if application.person_id != person.pk:
            raise OutOfScope()
        before = copy.copy(application)
        _transition(application, Application.Status.WITHDRAWN)
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_at", "updated_at"])
        audit_record(actor=person.user, action="application.withdraw", obj=application, org=application.org)
        notice_create(
            user=person.user,
            title=_("您的入会申请已撤回"),
            body=_("您已撤回向“%(org)s”提交的申请。") % {"org": application.org.name},
            link=f"/me/applications/{application.pk}/",
        )
        _progress_record(before, application)
    return application


def application_approve(
    *, application: Application, reviewer, comment: str = "", override_reason: str = ""
) -> Membership:
    with transaction.atomic():
        application = _locked(application)
        _reviewer_scope_check(reviewer, application)
        before = copy.copy(application)
        _transition(application, Application.Status.APPROVED)
        if not application.meets_criteria and not override_reason.strip():
            raise DomainError(_("申请人不完全符合会员条件，批准时必须填写理由"))
        membership = membership_grant(person=application.person, org=application.org, application=application)
        application.decided_at = timezone.now()
        application.decided_by = reviewer
        application.decision_comment = comment.strip()
        application.override_reason = override_reason.strip()
        application.save(
            update_fields=["status", "decided_at", "decided_by", "decision_comment", "override_reason", "updated_at"]
        )
        audit_record(
            actor=reviewer,
            action="application.approve",
            obj=application,
            org=application.org,
            comment=application.override_reason or application.decision_comment,
            data={"member_number": membership.number, "override": bool(application.override_reason)},
        )
        application_event(event=Event.APPLICATION_DECIDED, application=application, member_number=membership.number)
        notice_create(
            user=application.person.user,
            title=_("您的入会申请已批准"),
            body=_(
                "您已成为“%(org)s”个人会员，会员编号 %(number)s。会员证（PDF）可在“我的会员证”页面查看和下载。"
            )
            % {"org": application.org.name, "number": membership.number},
            link=reverse("members:membership", args=[membership.pk]),
        )
        _progress_record(before, application)
    return membership


def _decide_with_comment(
    *, application, reviewer, status: str, comment: str, action: str, title: str, body: str, data=None
):
    if not comment.strip():
        raise DomainError(_("请填写意见"))
    with transaction.atomic():
        application = _locked(application)
        _reviewer_scope_check(reviewer, application)
        before = copy.copy(application)
        _transition(application, status)
        application.decided_by = reviewer
        application.decision_comment = comment.strip()
        now = timezone.now()
        application.decided_at = now if status == Application.Status.REJECTED else None
        update_fields = ["status", "decided_at", "decided_by", "decision_comment", "updated_at"]
        if status == Application.Status.RETURNED:
            clock_pause(application, now=now)
            update_fields.append("returned_at")
        application.save(update_fields=update_fields)
        audit_record(
            actor=reviewer,
            action=action,
            obj=application,
            org=application.org,
            comment=comment.strip(),
            data=data(application) if data else None,
        )
        application_event(event=Event.APPLICATION_DECIDED, application=application)
        notice_create(
            user=application.person.user,
            title=title,
            body=body % {"org": application.org.name, "comment": comment.strip()},
            link=f"/me/applications/{application.pk}/",
        )
        _progress_record(before, application)
    return application


def application_return(*, application: Application, reviewer, comment: str) -> Application:
    return _decide_with_comment(
        application=application,
        reviewer=reviewer,
        status=Application.Status.RETURNED,
        comment=comment,
        action="application.return",
        # What the reviewer saw: the resubmission is compared with it (approvals.snapshots).
        data=lambda locked: {"snapshot": application_snapshot(locked)},
        title=_("您的入会申请被退回修改"),
        body=_("“%(org)s”退回了您的申请，请按以下意见修改后重新提交：%(comment)s"),
    )


def application_reject(*, application: Application, reviewer, comment: str) -> Application:
    return _decide_with_comment(
        application=application,
        reviewer=reviewer,
        status=Application.Status.REJECTED,
        comment=comment,
        action="application.reject",
        title=_("您的入会申请未获通过"),
        body=_("“%(org)s”未通过您的申请，理由：%(comment)s"),
    )


def applications_approve_batch(*, application_ids: list[int], reviewer, comment: str = "") -> tuple[int, list[str]]:
    """Approve each selected application that meets every criterion; one failure does not undo the others."""
    approved, errors = 0, []
    visible = Application.objects.filter(
        pk__in=application_ids, org__in=orgs_managed_by(reviewer)
    ).select_related("person")
    for application in visible:
        if not application.meets_criteria:
            errors.append(_("%(name)s 不完全符合条件，请逐个审核") % {"name": application.person.name})
            continue
        try:
            application_approve(application=application, reviewer=reviewer, comment=comment)
            approved += 1
        except DomainError as exc:
            errors.append(f"{application.person.name}：{exc.message}")
    return approved, errors


def recommendation_create(
    *,
    actor,
    from_org: Org,
    person: Person,
    opinion: str,
    source_membership: Membership | None = None,
    source_application: Application | None = None,
) -> Recommendation:
    """Nominate a member (or a supported open application) of `from_org` to its parent organisation."""
    if not opinion.strip():
        raise DomainError(_("请填写推荐意见"))
    if (source_membership is None) == (source_application is None):
        raise DomainError(_("请选择推荐依据：本组织会员或本组织受理的申请"))
    with transaction.atomic():
        if not orgs_managed_by(actor).filter(pk=from_org.pk).exists():
            raise OutOfScope()
        source = source_membership or source_application
        if source.org_id != from_org.pk or source.person_id != person.pk:
            raise OutOfScope()
        if source_membership is not None and source_membership.status != Membership.Status.ACTIVE:
            raise DomainError(_("只能推荐有效会员"))
        if source_application is not None and not source_application.is_open:
            raise DomainError(_("只能推荐正在审核中的申请"))
        to_org = from_org.parent
        if to_org is None:
            raise DomainError(_("本组织没有上级组织，无法推荐"))
        to_org = Org.objects.select_for_update().get(pk=to_org.pk)
        if Membership.objects.filter(person=person, org=to_org, status__in=LIVE_STATUSES).exists():
            raise DomainError(_("该人员已是“%(org)s”的会员") % {"org": to_org.name})
        recommendation = Recommendation.objects.create(
            person=person,
            from_org=from_org,
            to_org=to_org,
            source_membership=source_membership,
            source_application=source_application,
            opinion=opinion.strip(),
            recommended_by=actor,
        )
        now = timezone.now()
        declared = source.application.declaration_signed_at if source_membership and source.application else None
        application = Application(
            person=person,
            org=to_org,
            recommendation=recommendation,
            declaration_signed_at=declared or getattr(source_application, "declaration_signed_at", None) or now,
            submitted_at=now,
            status=Application.Status.SUBMITTED,
        )
        clock_start(application, now=now)
        _eligibility_snapshot(application)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            raise DomainError(_("该人员在“%(org)s”已有正在审核的申请") % {"org": to_org.name})
        audit_record(
            actor=actor,
            action="recommendation.create",
            obj=application,
            org=to_org,
            comment=recommendation.opinion,
            data={"from_org": from_org.pk, "recommendation": recommendation.pk},
        )
        audit_record(actor=actor, action="recommendation.create", obj=recommendation, org=from_org, comment=recommendation.opinion)
        recommendation_created(recommendation=recommendation, application=application)
        notice_create(
            user=person.user,
            title=_("您已被推荐至上级组织"),
            body=_("“%(from)s”已将您推荐至“%(to)s”，请等待审核。") % {"from": from_org.name, "to": to_org.name},
            link="/me/applications/",
        )
        _progress_record(None, application)
    return recommendation


# --- audited reads: downloads and exports -----------------------------------------------------------------


def _evidence_audit(*, actor, application: Application, award, inline: bool) -> None:
    data = {"application": application.pk, "person": award.person_id}
    if inline:
        data["inline"] = True
    person_access_record(
        viewer=actor, person_ids=[award.person_id], org=application.org, what=PersonAccess.What.EVIDENCE,
        detail=award.name,
    )
    audit_record(actor=actor, action="evidence.download", obj=award, org=application.org, data=data)


def award_evidence_open(*, actor, application: Application, award):
    """Open an award's evidence file for a reviewer; the audit row is written before any byte leaves."""
    if not award.evidence:
        raise DomainError(_("该奖项没有上传证明材料"))
    with transaction.atomic():
        _evidence_audit(actor=actor, application=application, award=award, inline=False)
        # A missing file rolls the audit row back: nothing was handed out.
        return award.evidence.open("rb")


def award_evidence_preview_open(*, actor, application: Application, award):
    """Open an evidence file to be shown inline: only a PDF or image whose first bytes match its type. Audited as
    the download is (evidence.download, marked inline), before any byte leaves. Returns (file, content type)."""
    if not award.evidence:
        raise DomainError(_("该奖项没有上传证明材料"))
    try:
        handle = award.evidence.open("rb")
    except FileNotFoundError:
        raise DomainError(_("证明材料文件不存在")) from None
    content_type = evidence_content_type(award.evidence.name, handle.read(SIGNATURE_BYTES))
    if content_type is None:
        handle.close()
        raise DomainError(_("该证明材料不能在页面中预览，请下载后查看"))
    handle.seek(0)
    with transaction.atomic():
        _evidence_audit(actor=actor, application=application, award=award, inline=True)
    return handle, content_type


def applications_export(*, actor, applications, scope_org: Org, filters: dict) -> bytes:
    """The review queue as CSV (UTF-8 with BOM so Excel reads Chinese); audited as one export event."""
    from approvals.exports import applications_csv

    with transaction.atomic():
        content, count = applications_csv(applications)
        person_access_record(
            viewer=actor, person_ids=applications.values_list("person_id", flat=True), org=scope_org,
            what=PersonAccess.What.EXPORT, detail=_("审核队列"),
        )
        audit_record(
            actor=actor,
            action="export.queue",
            obj=scope_org,
            org=scope_org,
            data={"rows": count, "filters": filters},
        )
    return content


def annual_report_export(*, actor, report) -> bytes:
    from approvals.exports import annual_report_workbook

    with transaction.atomic():
        content = annual_report_workbook(report)
        audit_record(
            actor=actor,
            action="export.annual_report",
            obj=report.org,
            org=report.org,
            data={"year": report.year, "subtree": report.subtree},
        )
    return content
