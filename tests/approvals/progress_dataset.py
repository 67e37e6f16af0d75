"""A randomised dataset for the progress figures, made through the services and then spread over two years:
applications and decisions, recommendations upward, census imports (pending and re-registered), transfers,
unit members, fees with payments and exemptions, lapsed members and open applications old enough to be overdue."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from approvals import services as approvals
from approvals.models import Application, Recommendation
from kexie.errors import DomainError
from kexie.validators import uscc_check_char
from members.models import FeePayment, Membership, UnitMember
from members.services.fees import fee_payment_record, fee_set
from members.services.memberships import membership_transfer
from members.services.units import unit_member_create

YEARS = (2025, 2026)
# Every figure that depends on "now" (pending, overdue) is compared at this instant.
AS_OF = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def random_moment(rng: random.Random) -> dt.datetime:
    start = dt.datetime(2025, 1, 1, tzinfo=timezone.get_current_timezone())
    return start + dt.timedelta(seconds=rng.randrange(int(dt.timedelta(days=700).total_seconds())))


def _decisions(rng, orgs, make_applicant, reviewer, n_people: int) -> None:
    for i in range(n_people):
        person = make_applicant(f"申请人{i}")
        org = rng.choice(orgs)
        application = approvals.application_submit(person=person, org=org, declaration_accepted=True)
        roll = rng.random()
        if roll < 0.45:
            membership = approvals.application_approve(application=application, reviewer=reviewer, override_reason="测试")
            if org.parent_id and rng.random() < 0.5:
                approvals.recommendation_create(
                    actor=reviewer, from_org=org, person=person, opinion="推荐", source_membership=membership
                )
                upper = Application.objects.get(person=person, org_id=org.parent_id, status="submitted")
                choice = rng.random()
                if choice < 0.5:
                    approvals.application_approve(application=upper, reviewer=reviewer, override_reason="测试")
                elif choice < 0.7:
                    approvals.application_reject(application=upper, reviewer=reviewer, comment="名额已满")
        elif roll < 0.6:
            approvals.application_reject(application=application, reviewer=reviewer, comment="条件不符")
        elif roll < 0.75:
            approvals.application_return(application=application, reviewer=reviewer, comment="请补充材料")
            if rng.random() < 0.5:
                approvals.application_withdraw(application=application, person=person)
            elif rng.random() < 0.5:
                approvals.application_resubmit(application=application, person=person)
        elif roll < 0.85:
            approvals.application_withdraw(application=application, person=person)
    # Re-date the rows so months, both years and the overdue limit are exercised (services stamp "now").
    for application in Application.objects.all():
        created = random_moment(rng)
        decided = created + dt.timedelta(days=rng.randrange(0, 90)) if application.decided_at else None
        # Roughly the working-day limit of 15 days; the figures read due_on as approvals.deadlines sets it.
        due = timezone.localtime(created).date() + dt.timedelta(days=21)
        Application.objects.filter(pk=application.pk).update(
            created_at=created, submitted_at=created, clock_started_at=created, decided_at=decided, due_on=due
        )
        if decided:
            Membership.objects.filter(application=application).update(joined_on=timezone.localtime(decided).date())
    for recommendation in Recommendation.objects.all():
        Recommendation.objects.filter(pk=recommendation.pk).update(created_at=random_moment(rng))


def _census(rng, orgs, make_members, n: int) -> None:
    """Existing members entered by the census: some still to re-register, some already re-registered."""
    for _ in range(n):
        status = rng.choice([Membership.Status.PENDING_REREGISTRATION, Membership.Status.ACTIVE])
        for member in make_members(rng.choice(orgs), rng.randint(1, 4), status=status, origin=Membership.Origin.CENSUS):
            Membership.objects.filter(pk=member.pk).update(joined_on=random_moment(rng).date())


def _transfers(rng, orgs, reviewer, n: int) -> None:
    candidates = list(Membership.objects.filter(status=Membership.Status.ACTIVE).order_by("pk"))
    rng.shuffle(candidates)
    moved = 0
    for membership in candidates:
        if moved == n:
            break
        try:
            new = membership_transfer(actor=reviewer, membership=membership, target_org=rng.choice(orgs), comment="调动")
        except DomainError:
            continue  # same org, or already a member there
        Membership.objects.filter(pk=new.pk).update(joined_on=random_moment(rng).date())
        moved += 1


def _units(rng, orgs, reviewer, n: int) -> None:
    offset = UnitMember.objects.count()
    for i in range(offset, offset + n):
        first17 = f"9113010{i:010d}"
        unit = unit_member_create(
            actor=reviewer, org=rng.choice(orgs), name=f"测试单位{i}", uscc=first17 + uscc_check_char(first17)
        )
        status = UnitMember.Status.WITHDRAWN if rng.random() < 0.2 else UnitMember.Status.ACTIVE
        UnitMember.objects.filter(pk=unit.pk).update(joined_on=random_moment(rng).date(), status=status)


def _fees(rng, orgs, reviewer) -> None:
    """Fees at a third of the orgs (some of them 暂时不收取会费) and payments or exemptions by some members."""
    charging = []
    for org in rng.sample(orgs, len(orgs) // 3):
        for year in YEARS:
            amount = Decimal("0") if rng.random() < 0.2 else Decimal("50")
            fee_set(actor=reviewer, org=org, category=Membership.Category.REGULAR, year=year, amount=amount)
            if amount:
                charging.append((org.pk, year))
    charged = set(charging)
    settled = set(FeePayment.objects.values_list("membership_id", "year"))
    for membership in Membership.objects.filter(status=Membership.Status.ACTIVE, category=Membership.Category.REGULAR):
        for year in YEARS:
            if (membership.org_id, year) not in charged or (membership.pk, year) in settled or rng.random() < 0.4:
                continue
            if rng.random() < 0.8:
                fee_payment_record(actor=reviewer, membership=membership, year=year, kind="paid")
            else:
                fee_payment_record(actor=reviewer, membership=membership, year=year, kind="exempt", note="困难会员")


def defer_recounts(monkeypatch) -> None:
    """Changes only mark their orgs, as with a worker that has not run yet: the tests recount explicitly, and
    hundreds of services calls do not each recount the tree."""
    from kexie import scheduler

    monkeypatch.setattr(scheduler, "run_soon", lambda task_name, delay: True)


def generate(rng: random.Random, orgs, *, make_applicant, make_members, reviewer, n_people: int) -> None:
    _decisions(rng, orgs, make_applicant, reviewer, n_people)
    _census(rng, orgs, make_members, max(1, n_people // 10))
    _transfers(rng, orgs, reviewer, max(1, n_people // 15))
    _units(rng, orgs, reviewer, max(1, n_people // 5))
    _fees(rng, orgs, reviewer)
    lapsed = list(Membership.objects.filter(status=Membership.Status.ACTIVE).order_by("pk").values_list("pk", flat=True))
    rng.shuffle(lapsed)
    Membership.objects.filter(pk__in=lapsed[: len(lapsed) // 10]).update(status=Membership.Status.LAPSED)
