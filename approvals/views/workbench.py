"""The workbench (工作台): every administrator's landing page, listing what waits for them with a count and a
link each, oldest first. Provincial staff, who review nothing, get the progress summary instead."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.views.decorators.http import require_GET
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from approvals.selectors import workbench as selectors
from kexie.page_cache import cached_until_write
from members.selectors.census import census_imports_to_commit, census_imports_with_unanswered, invitations_unanswered
from members.selectors.fees import dues_reported_to
from orgs.decorators import console_required
from orgs.selectors.accounts import is_provincial_staff
from orgs.selectors.progress import progress_dashboard
from orgs.selectors.scope import orgs_administered_directly

# Items shown on each card; the link opens the whole list.
SHOWN = 5
LAGGING_SHOWN = 5


@dataclass
class WorkList:
    key: str
    title: str
    empty: str
    url: str
    items: list
    count: int = 0
    links: dict = field(default_factory=dict)


def _length_counted(count: Callable[[], int]) -> Callable[[list], int]:
    """A card's length, asking `count()` only when the card is full (a short list counts itself)."""
    return lambda items: count() if len(items) == SHOWN else len(items)


def _work_list(key: str, title, empty, url: str, queryset, *, length: Callable[[list], int] | None = None) -> WorkList:
    """A card: the first SHOWN items of `queryset` and the list's whole length, `length(items)` (by default
    counted by the database only when the card is full)."""
    items = list(queryset[:SHOWN])
    today = timezone.localdate()
    for item in items:
        submitted = getattr(item, "submitted_at", None)
        if submitted:
            item.waiting_days = (today - timezone.localdate(submitted)).days
    length = length or _length_counted(queryset.count)
    return WorkList(key=key, title=title, empty=empty, url=url, items=items, count=length(items))


def _queue_url(source: str) -> str:
    return reverse("approvals:queue") + "?" + urlencode({"status": "submitted", "source": source, "order": "oldest"})


def _application_lists(user) -> list[WorkList]:
    """The three cards of applications waiting for a decision. A full card's length comes from one conditional
    count shared by the three (awaiting_review_counts, asked at most once), not from a count of its own."""
    waiting = cache(lambda: selectors.awaiting_review_counts(user))

    def length(key: str) -> Callable[[list], int]:
        return _length_counted(lambda: waiting()[key])

    return [
        _work_list(
            "applications", _("待审核的入会申请"), _("没有待审核的入会申请"), _queue_url("self"),
            selectors.applications_to_review(user), length=length("applications"),
        ),
        _work_list(
            "recommendations", _("收到的下级推荐"), _("没有待审核的推荐"), _queue_url("recommended"),
            selectors.recommendations_received(user), length=length("recommendations"),
        ),
        _work_list(
            "resubmitted", _("退回后重新提交"), _("没有重新提交的申请"), _queue_url("resubmitted"),
            selectors.applications_resubmitted(user), length=length("resubmitted"),
        ),
    ]


def _admin_lists(user, own_org) -> list[WorkList]:
    census_url = reverse("console_members:census", args=[own_org.pk]) if own_org else ""
    people_url = (
        reverse("console_members:census_people", args=[own_org.pk]) + "?state=pending" if own_org else ""
    )
    dues_url = reverse("console_members:dues", args=[own_org.pk]) if own_org else ""
    return _application_lists(user) + [
        _work_list(
            "census", _("待确认导入的普查名单"), _("没有待导入的名单"), census_url,
            census_imports_to_commit(user),
        ),
        _work_list(
            "invitations", _("尚未重新登记的人员"), _("导入的人员都已完成重新登记"), people_url,
            census_imports_with_unanswered(user),
            length=lambda items: invitations_unanswered(user).count() if items else 0,
        ),
        _work_list(
            "dues", _("待确认的会费缴纳"), _("没有待确认的会费缴纳"), dues_url, dues_reported_to(user),
        ),
    ]


@console_required
@require_GET
@cached_until_write
def workbench(request):
    user = request.user
    today = timezone.localdate()
    if is_provincial_staff(user):
        dashboard = progress_dashboard(user, year=today.year)
        lagging = [row for row in dashboard.rows if row.score is not None][:LAGGING_SHOWN]
        return render(request, "approvals/workbench_staff.html", {"dashboard": dashboard, "lagging": lagging})
    own_orgs = list(orgs_administered_directly(user).order_by("tree_id", "lft"))
    own_org = own_orgs[0] if own_orgs else None
    lists = _admin_lists(user, own_org)
    context = {
        "lists": lists,
        "own_orgs": own_orgs,
        "today": today,
        "year": today.year,
        "waiting": sum(w.count for w in lists),
    }
    return render(request, "approvals/workbench.html", context)
