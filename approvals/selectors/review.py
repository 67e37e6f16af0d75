"""Scoped reads for the review console: the queue, one application, memberships, history."""

import hashlib
import inspect
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from approvals.deadlines import applications_overdue
from approvals.models import REFERENCE, Application, Recommendation
from members.models import Award, Membership
from members.services.memberships import LIVE_STATUSES
from orgs.selectors.scope import orgs_granted_directly, orgs_managed_by, orgs_visible_to, scope_identity
from orgs.models import AuditEvent, Org


QUEUE_ORDER = ("-submitted_at", "-id")
OLDEST_FIRST = ("submitted_at", "id")
# Ends of the submission-time line: the queue page's bound when fewer orgs than rows asked for have a row.
_EARLIEST = datetime(1, 1, 1, tzinfo=dt_timezone.utc)
_LATEST = datetime(9999, 12, 31, tzinfo=dt_timezone.utc)

# Where an application comes from, as the queue filters it. "resubmitted" (sent back and submitted again)
# is left out of the other two, so with status "submitted" the three split the work without overlap.
SOURCES = ("self", "recommended", "resubmitted")

QUEUE_RELATED = (
    "person",
    "org",
    "decided_by",
    "recommendation",
    "recommendation__from_org",
    "recommendation__recommended_by",
)


def review_scope(user, *, org: Org | None = None, include_subtree: bool = False) -> QuerySet[Org]:
    """Orgs whose applications the queue shows. `org` must already be one the user may see."""
    if org is not None:
        return Org.objects.in_subtree(org) if include_subtree else Org.objects.filter(pk=org.pk)
    return orgs_visible_to(user) if include_subtree else orgs_granted_directly(user)


def _review_filters(
    qs: QuerySet[Application],
    *,
    status: str = "",
    level: str = "",
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    eligible: bool | None = None,
    search: str = "",
    source: str = "",
    overdue: bool = False,
) -> QuerySet[Application]:
    if source == "resubmitted":
        qs = qs.resubmitted()
    elif source in ("self", "recommended"):
        qs = qs.first_submissions().filter(recommendation__isnull=source == "self")
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(org__level=level)
    if submitted_from:
        qs = qs.filter(submitted_at__date__gte=submitted_from)
    if submitted_to:
        qs = qs.filter(submitted_at__date__lte=submitted_to)
    if eligible is not None:
        qs = qs.filter(meets_criteria=eligible)
    if overdue:
        qs = applications_overdue(qs)
    search = search.strip()
    reference = REFERENCE.match(search)
    if reference:
        qs = qs.filter(pk=int(reference.group(1)))
    elif search:
        qs = qs.filter(Q(person__name__icontains=search) | Q(person__mobile__contains=search))
    return qs


_FILTER_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(_review_filters).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
}


def _filters_set(filters: dict) -> list[tuple]:
    """The filters that change the list, as a sorted value: a filter left at its default (the page's form sends
    every field) selects as much as one not given."""
    given = {**filters, "search": filters.get("search", "").strip()}
    return sorted((name, value) for name, value in given.items() if value != _FILTER_DEFAULTS.get(name))


def applications_for_review(
    user, *, org: Org | None = None, include_subtree: bool = False, oldest_first: bool = False, **filters
) -> QuerySet[Application]:
    """Applications (self-submitted and recommended) visible to the user, filtered as the queue asks."""
    qs = Application.objects.filter(org__in=review_scope(user, org=org, include_subtree=include_subtree))
    order = OLDEST_FIRST if oldest_first else QUEUE_ORDER
    return _review_filters(qs, **filters).select_related(*QUEUE_RELATED).order_by(*order)


class ReviewQueue:
    """The queue's rows as the paginator reads them: `count()` of the whole filtered set, and a page as the
    first rows (newest, or oldest when asked) of each org in scope merged (PostgreSQL).

    Sorting a city's whole subtree (tens of thousands of rows) to show 25 is what made the plain query slow;
    each org's newest rows come presorted from its index, so page p reads at most p × 25 rows per org.
    The rows are exactly those of `applications_for_review` in the same order.
    """
    ordered = True
    count_approximate = False

    def __init__(
        self, user, *, org: Org | None = None, include_subtree: bool = False, oldest_first: bool = False, **filters
    ):
        self.scope = review_scope(user, org=org, include_subtree=include_subtree)
        # What the count's cache key is made of: the list's inputs (see count_key).
        self.inputs = (
            ("org", org.pk) if org is not None else ("scope", scope_identity(user)),
            include_subtree,
            _filters_set(filters),
        )
        self.order = OLDEST_FIRST if oldest_first else QUEUE_ORDER
        self.per_org = _review_filters(Application.objects.all(), **filters)
        self.queryset = (
            _review_filters(Application.objects.filter(org__in=self.scope), **filters)
            .select_related(*QUEUE_RELATED)
            .order_by(*self.order)
        )

    def count(self) -> int:
        """The exact count, except for a list of at least QUEUE_COUNT_EXACT_BELOW rows: that count is kept for
        QUEUE_COUNT_CACHE_SECONDS and marked approximate (`count_approximate`), so the page says "约".

        Counting a city's 57,000 applications cost PostgreSQL more than the rest of the page together; a
        reviewer works from the rows, which are always read fresh, and a short list is always counted."""
        key = self.count_key()
        cached = cache.get(key)
        if cached is not None:
            self.count_approximate = True
            return cached
        n = self.queryset.count()
        if n >= settings.QUEUE_COUNT_EXACT_BELOW:
            cache.set(key, n, settings.QUEUE_COUNT_CACHE_SECONDS)
        return n

    def count_key(self) -> str:
        """The cache key of this list's count, made of what the list is made of: the chosen organisation (and
        whether its subtree is in), or else the grants that scope it (and a service token's narrowing), and the
        filters. Every reviewer of the same scope and filters shares it. Compiling the query's SQL for a key, as
        before, cost more than reading the count from the cache."""
        return "approvals:queue:count:" + hashlib.sha256(repr(self.inputs).encode()).hexdigest()

    def __iter__(self):
        return iter(self.queryset)

    def __getitem__(self, k):
        if not isinstance(k, slice) or not k.stop or k.step or connection.vendor != "postgresql":
            return self.queryset[k]
        candidates = self.candidates(k.stop)
        # The candidates already lie in scope and match the filters: ordering them picks the page. They are
        # read by primary key as one array; as `IN (subquery)` the planner expected thousands and walked the
        # whole table in time order looking for them. The rows with their related objects are a second query
        # by id: planning the seven-table join around the subquery cost more than running both.
        ids = list(
            Application.objects.filter(_any_of("pk", ArraySubquery(candidates)))
            .order_by(*self.order)
            .values_list("pk", flat=True)[k]
        )
        return list(Application.objects.filter(pk__in=ids).select_related(*QUEUE_RELATED).order_by(*self.order))

    def candidates(self, n: int) -> QuerySet:
        """Ids of the rows that can be among the first n (PostgreSQL): each org's first n rows, up to the bound."""
        first = self.per_org.filter(self._bound(n), org_id=OuterRef("pk")).order_by(*self.order).values("pk")[:n]
        return self.scope.annotate(
            application_id=Func(ArraySubquery(first), function="unnest", output_field=BigIntegerField())
        ).values_list("application_id", flat=True)

    def _bound(self, n: int) -> Q:
        """Which of an org's rows can be among the first n of the merged list: those not past the n-th of the
        orgs' first rows (their heads) in the list's order. n heads come at or before it, so the n-th row
        of the whole list does too. Without this every org gave n candidates (6,700 for a province's 270 orgs,
        each a row read from the table); with it an org whose head is past the bound gives none.

        The bound is a submission time, computed once inside the same statement and used as a range on the
        org's index; ties on it stay in (the id decides among them later). An org without a row has no head;
        when fewer than n orgs have one, every row is kept."""
        head = self.per_org.filter(org_id=OuterRef("pk")).order_by(self.order[0]).values("submitted_at")[:1]
        newest_first = self.order == QUEUE_ORDER
        key = F("head_at").desc(nulls_last=True) if newest_first else F("head_at").asc(nulls_last=True)
        nth = Subquery(self.scope.annotate(head_at=Subquery(head)).order_by(key).values("head_at")[n - 1 : n])
        if newest_first:
            return Q(submitted_at__gte=Coalesce(nth, Value(_EARLIEST)))
        return Q(submitted_at__lte=Coalesce(nth, Value(_LATEST)))


def _any_of(field: str, array) -> Func:
    """`field = ANY(array)`, a condition for filter(): PostgreSQL reads the array's ids by primary key. (A lookup
    would wrap the right-hand side in parentheses, which ANY does not accept; the joiner writes the operator.)"""
    return Func(F(field), array, template="%(expressions)s)", arg_joiner=" = ANY(", output_field=BooleanField())


def application_visible_or_404(user, application_id) -> Application:
    """One application the user may read (administrators and provincial staff); others get 404."""
    try:
        return (
            Application.objects.select_related(*QUEUE_RELATED, "person__user")
            .filter(org__in=orgs_visible_to(user))
            .get(pk=application_id)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404


def application_managed_or_404(user, application_id) -> Application:
    """One application the user may decide on; provincial staff (read-only) get 404 like outsiders."""
    try:
        return (
            Application.objects.select_related(*QUEUE_RELATED)
            .filter(org__in=orgs_managed_by(user))
            .get(pk=application_id)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404


def applications_managed_or_404(user, application_ids: list[int]) -> list[Application]:
    """All of the selected applications, or 404 if any is outside the user's managed subtree."""
    ids = set(application_ids)
    found = list(Application.objects.filter(pk__in=ids, org__in=orgs_managed_by(user)))
    if not ids or len(found) != len(ids):
        raise Http404
    return found


def award_of_application_or_404(application: Application, award_id) -> Award:
    try:
        return Award.objects.get(pk=award_id, person_id=application.person_id)
    except (Award.DoesNotExist, ValueError, TypeError):
        raise Http404


def application_history(application: Application) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object(application).select_related("actor").order_by("at", "id")


def application_membership(application: Application) -> Membership | None:
    return Membership.objects.filter(application=application).first()


def can_decide(user, application: Application) -> bool:
    return application.status == Application.Status.SUBMITTED and (
        orgs_managed_by(user).filter(pk=application.org_id).exists()
    )


@dataclass(frozen=True)
class RecommendationState:
    """Whether an organisation can recommend a person to its parent now, and the recommendation it already made."""

    to_org: Org
    made: Recommendation | None
    # Why no recommendation can be made now ("" when one can).
    blocked: str = ""

    @property
    def possible(self) -> bool:
        return not self.blocked


def recommendation_state(user, *, org: Org, person, source_open: bool) -> RecommendationState | None:
    """The recommendation section of a review or member page; None where the user cannot recommend from `org`
    at all (not their organisation, the top of the tree, or a source that is no longer open or active)."""
    if org.parent_id is None or not source_open or not orgs_managed_by(user).filter(pk=org.pk).exists():
        return None
    made = (
        Recommendation.objects.filter(person=person, from_org=org, to_org_id=org.parent_id)
        .select_related("to_org", "recommended_by", "application")
        .order_by("-created_at", "-id")
        .first()
    )
    to_org = org.parent
    blocked = ""
    if Membership.objects.filter(person=person, org_id=org.parent_id, status__in=LIVE_STATUSES).exists():
        blocked = _("该人员已是“%(org)s”的会员，无需推荐") % {"org": to_org.name}
    elif Application.objects.filter(person=person, org_id=org.parent_id).open().exists():
        blocked = _("该人员在“%(org)s”已有正在审核的申请，无需重复推荐") % {"org": to_org.name}
    return RecommendationState(to_org=to_org, made=made, blocked=blocked)



def can_recommend(user, application: Application) -> bool:
    """Whether the user can recommend this application's applicant upward now (the API's flag)."""
    state = recommendation_state(user, org=application.org, person=application.person, source_open=application.is_open)
    return state is not None and state.possible
