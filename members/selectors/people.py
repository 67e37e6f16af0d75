"""Reads of one's own person: profile, awards, memberships and notices. Another person's id answers 404."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from members.models import Award, Membership, Notice, Person
from members.services.data_rights import person_records_exist
from members.services.memberships import LIVE_STATUSES


def notices_for(user):
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def _person_of(user) -> QuerySet[Person]:
    return Person.objects.filter(user=user)


def _with_user(person: Person | None, user) -> Person | None:
    # The signed-in user rides along, already loaded: services write it as the actor of audit rows and notices.
    if person is not None:
        person.user = user
    return person


def person_for(user) -> Person | None:
    if not user.is_authenticated:
        return None
    return _with_user(_person_of(user).first(), user)


def person_for_home(user) -> Person | None:
    """person_for with `awards_total`, the number of the person's awards, read in the same query."""
    if not user.is_authenticated:
        return None
    awards = Award.objects.filter(person=OuterRef("pk")).values("person").annotate(n=Count("*")).values("n")
    person = _person_of(user).annotate(
        awards_total=Coalesce(Subquery(awards, output_field=IntegerField()), Value(0))
    ).first()
    return _with_user(person, user)


def notices_latest(user, count: int) -> tuple[list[Notice], int]:
    """The latest `count` notices of `user` and how many of all their notices are unread, in one query (the
    unread total rides on every row as a window over all of them; no rows, no notices, none unread)."""
    unread = Window(Count("id", filter=Q(read_at__isnull=True)))
    notices = list(notices_for(user).annotate(unread_total=unread)[:count])
    return notices, (notices[0].unread_total if notices else 0)


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


# --- the applicant's way to membership: register → consent → profile → choose an organisation → submit -------

APPLICANT_STEPS = (
    ("register", _("注册")),
    ("consent", _("授权")),
    ("profile", _("个人资料")),
    ("choose", _("选择组织")),
    ("submit", _("提交申请")),
)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    number: int
    state: str  # "done", "current" or "todo"


def _step_state(index: int, current: int) -> str:
    return "done" if index < current else "current" if index == current else "todo"


def applicant_steps(current: str) -> list[Step]:
    """The step indicator with `current` highlighted; the steps before it are done."""
    keys = [key for key, _label in APPLICANT_STEPS]
    position = keys.index(current)
    return [
        Step(key=key, label=str(label), number=i + 1, state=_step_state(i, position))
        for i, (key, label) in enumerate(APPLICANT_STEPS)
    ]


def applicant_on_the_way(person: Person | None, memberships: list[Membership] | None = None) -> bool:
    """Still on the way to membership: no live membership and no application being handled. The step
    indicator is for them; a member or an applicant waiting for a decision follows their application instead.
    `memberships`: every membership of the person, when the caller has read them already."""
    if person is None:
        return True
    if memberships is not None:
        live = any(m.status in LIVE_STATUSES for m in memberships)
    else:
        live = Membership.objects.filter(person=person, status__in=LIVE_STATUSES).exists()
    if live:
        return False
    return not person_records_exist(person, "open")
