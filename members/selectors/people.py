"""Reads of one's own person: profile, awards, memberships and notices. Another person's id answers 404."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from members.models import Award, Membership, Notice, Person
from members.services.data_rights import person_records_exist
from members.services.memberships import LIVE_STATUSES


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


def applicant_on_the_way(person: Person | None) -> bool:
    """Still on the way to membership: no live membership and no application being handled. The step
    indicator is for them; a member or an applicant waiting for a decision follows their application instead."""
    if person is None:
        return True
    if Membership.objects.filter(person=person, status__in=LIVE_STATUSES).exists():
        return False
    return not person_records_exist(person, "open")
