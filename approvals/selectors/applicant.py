"""The applicant's reads: their own applications and timelines, and the organisations they may apply to."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from approvals.models import Application
from kexie.forms import parse_id
from members.models import Person
from members.selectors.data_rights import format_value
from orgs.models import AuditEvent, Org


def applications_of(person: Person | None):
    if person is None:
        return Application.objects.none()
    return (
        Application.objects.filter(person=person)
        .select_related("org", "recommendation__from_org", "membership")
        .order_by("-submitted_at", "-id")
    )


def application_of_or_404(person: Person | None, application_id):
    try:
        return applications_of(person).get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404


def orgs_accepting_applications() -> QuerySet[Org]:
    return Org.objects.active()


def org_accepting_or_404(org_id) -> Org:
    org = orgs_accepting_applications().filter(pk=parse_id(org_id)).first() if parse_id(org_id) else None
    if org is None:
        raise Http404
    return org


def orgs_search(query: str) -> QuerySet[Org]:
    """Every org whose name contains the query (inactive ones too, shown as not accepting), in tree order."""
    return Org.objects.filter(name__icontains=query.strip()).select_related("parent").order_by("tree_id", "lft")


def org_browse(parent_id=None) -> tuple[Org | None, list[Org], QuerySet[Org]]:
    """(current org or None for the top, its ancestors, its children in tree order)."""
    if parent_id in (None, ""):
        return None, [], Org.objects.filter(parent__isnull=True).order_by("tree_id", "lft")
    # The id comes from the query string (page or API): parsed and bounded before the query.
    parent_pk = parse_id(parent_id)
    parent = Org.objects.filter(pk=parent_pk).first() if parent_pk else None
    if parent is None:
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


def applications_data(person: Person | None) -> list[dict]:
    """The person's applications as rows of "my data" and its downloads."""
    return [
        {
            _("编号"): a.pk,
            _("申请组织"): a.org.name,
            _("状态"): a.get_status_display(),
            _("提交时间"): format_value(a.submitted_at),
            _("决定时间"): format_value(a.decided_at),
            _("申请人说明"): a.explanation,
            _("审核意见"): a.decision_comment,
            _("推荐组织"): a.recommendation.from_org.name if a.recommendation_id else "",
        }
        for a in applications_of(person)
    ]
