"""Reads for the applicant's own pages. Everything here starts from the signed-in user: one person's data only."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from members.models import Award, Membership, Notice, Person
from orgs.models import AuditEvent, Org


def notices_for(user):
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def person_for(user) -> Person | None:
    if not user.is_authenticated:
        return None
    # The user rides along: services write it as the actor of audit rows and notices.
    return Person.objects.select_related("user").filter(user=user).first()


def awards_of(person: Person | None) -> QuerySet[Award]:
    if person is None:
        return Award.objects.none()
    return Award.objects.filter(person=person).order_by("-year", "id")


def award_of_or_404(person: Person | None, award_id) -> Award:
    """Another person's award and a missing one look the same."""
    try:
        return awards_of(person).get(pk=award_id)
    except (Award.DoesNotExist, ValueError, TypeError):
        raise Http404


def memberships_of(person: Person | None) -> QuerySet[Membership]:
    if person is None:
        return Membership.objects.none()
    return Membership.objects.filter(person=person).select_related("org").order_by("-joined_on", "-id")


def applications_of(person: Person | None):
    from approvals.models import Application

    if person is None:
        return Application.objects.none()
    return (
        Application.objects.filter(person=person)
        .select_related("org", "recommendation__from_org", "membership")
        .order_by("-submitted_at", "-id")
    )


def application_of_or_404(person: Person | None, application_id):
    from approvals.models import Application

    try:
        return applications_of(person).get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404


def orgs_accepting_applications() -> QuerySet[Org]:
    return Org.objects.active()


def org_accepting_or_404(org_id) -> Org:
    try:
        return orgs_accepting_applications().get(pk=org_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404


def orgs_search(query: str) -> QuerySet[Org]:
    """Every org whose name contains the query (inactive ones too, shown as not accepting), in tree order."""
    return Org.objects.filter(name__icontains=query.strip()).select_related("parent").order_by("tree_id", "lft")


def org_browse(parent_id=None) -> tuple[Org | None, list[Org], QuerySet[Org]]:
    """(current org or None for the top, its ancestors, its children in tree order)."""
    if parent_id in (None, ""):
        return None, [], Org.objects.filter(parent__isnull=True).order_by("tree_id", "lft")
    try:
        parent = Org.objects.get(pk=parent_id)
    except (Org.DoesNotExist, ValueError, TypeError):
        raise Http404
    return parent, list(parent.get_ancestors()), parent.get_children().order_by("lft")


# Audit actions a person sees on their own application's timeline, with the label shown.
TIMELINE_LABELS = {
    "application.submit": "submitted",
    "application.resubmit": "resubmitted",
    "application.withdraw": "withdrawn",
    "application.return": "returned",
    "application.reject": "rejected",
    "application.approve": "approved",
    "recommendation.create": "recommended_here",
}


def application_timeline(application) -> list[dict]:
    """Events of this application, plus recommendations onwards and what happened there, in time order."""
    from approvals.models import Application

    entries = []

    def add(app, onward: bool):
        for event in AuditEvent.objects.for_object(app).filter(action__in=TIMELINE_LABELS).order_by("at", "id"):
            kind = TIMELINE_LABELS[event.action]
            if onward and kind == "recommended_here":
                kind = "recommended_to"
            elif onward:
                kind = f"there_{kind}"
            entries.append(
                {
                    "kind": kind,
                    "at": event.at,
                    "org": app.org,
                    "comment": event.comment if event.action in ("application.return", "application.reject") else "",
                    "member_number": (event.data or {}).get("member_number", ""),
                    "from_org": app.recommendation.from_org if app.recommendation_id else None,
                }
            )

    add(application, onward=False)
    onward = Application.objects.filter(person_id=application.person_id, recommendation__isnull=False).filter(
        Q(recommendation__source_application=application)
        | Q(recommendation__source_membership__application=application)
    ).select_related("org", "recommendation__from_org")
    for app in onward:
        add(app, onward=True)
    entries.sort(key=lambda e: e["at"])
    return entries


def person_data(user) -> dict:
    """Everything held about the signed-in user, for the "my data" page and its downloads. Never the full
    ID number: only its masked form."""
    from members.models import Consent

    person = person_for(user)
    profile = {}
    if person is not None:
        profile = {
            str(Person._meta.get_field(f).verbose_name): _display(person, f)
            for f in (
                "name", "gender", "birth_date", "id_number_masked", "mobile", "email", "employer", "discipline",
                "education", "title", "is_rural_expert", "is_popsci_leader", "created_at", "updated_at",
            )
        }
    return {
        "account": {
            _("用户名"): user.username,
            _("手机号码"): user.mobile or "",
            _("电子邮箱"): user.email,
            _("注册时间"): _fmt(user.date_joined),
            _("最近登录"): _fmt(user.last_login),
        },
        "profile": profile,
        "awards": [
            {
                _("奖项或荣誉名称"): a.name,
                _("级别"): a.get_level_display(),
                _("获得年份"): a.year,
                _("授予单位"): a.issuer,
                _("证明材料"): _("有") if a.evidence else _("无"),
            }
            for a in awards_of(person)
        ],
        "applications": [
            {
                _("编号"): a.pk,
                _("申请组织"): a.org.name,
                _("状态"): a.get_status_display(),
                _("提交时间"): _fmt(a.submitted_at),
                _("决定时间"): _fmt(a.decided_at),
                _("申请人说明"): a.explanation,
                _("审核意见"): a.decision_comment,
                _("推荐组织"): a.recommendation.from_org.name if a.recommendation_id else "",
            }
            for a in applications_of(person)
        ],
        "memberships": [
            {
                _("组织"): m.org.name,
                _("会员编号"): m.number or "",
                _("会员等级"): m.get_grade_display(),
                _("会员类别"): m.get_category_display(),
                _("状态"): m.get_status_display(),
                _("入会日期"): _fmt(m.joined_on),
            }
            for m in memberships_of(person)
        ],
        "consents": [
            {_("告知书版本"): c.version, _("同意时间"): _fmt(c.given_at), _("撤回时间"): _fmt(c.withdrawn_at)}
            for c in Consent.objects.filter(user=user).order_by("given_at", "id")
        ],
        "notices": [
            {_("时间"): _fmt(n.created_at), _("标题"): n.title, _("内容"): n.body, _("已读"): _("是") if n.read_at else _("否")}
            for n in notices_for(user)
        ],
    }


def _display(person: Person, field: str):
    value = getattr(person, field)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    display = getattr(person, f"get_{field}_display", None)
    if display is not None and value:
        return str(display())
    return _fmt(value)


def _fmt(value) -> str:
    from datetime import date, datetime

    from django.utils import timezone

    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
