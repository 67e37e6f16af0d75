"""Writes on people, memberships and notices."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from members.models import MemberNumberCounter, Membership, Notice, Person
from orgs.models import Org

logger = logging.getLogger(__name__)

LEVEL_LETTER = {Org.Level.PROVINCE: "P", Org.Level.CITY: "C", Org.Level.COUNTY: "X"}


def member_number_format(*, org: Org, year: int, sequence: int) -> str:
    """级别字母 + 年份 - 组织简码 - 五位序号, e.g. C2026-HB002-00017."""
    return f"{LEVEL_LETTER[org.level]}{year}-{org.code}-{sequence:05d}"


def member_number_issue(*, org: Org, year: int) -> str:
    """Next number for org and year. Must run inside the caller's transaction: the counter row stays
    locked until commit, so concurrent approvals queue here and numbers come out gapless."""
    MemberNumberCounter.objects.bulk_create(
        [MemberNumberCounter(org=org, year=year, last_value=0)], ignore_conflicts=True
    )
    counter = MemberNumberCounter.objects.select_for_update().get(org=org, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return member_number_format(org=org, year=year, sequence=counter.last_value)


def membership_grant(*, person: Person, org: Org, application=None, joined_on: date | None = None) -> Membership:
    if Membership.objects.filter(person=person, org=org, status__in=["active", "pending_rereg"]).exists():
        raise DomainError(_("该人员已是“%(org)s”的会员") % {"org": org.name})
    joined_on = joined_on or timezone.localdate()
    return Membership.objects.create(
        person=person,
        org=org,
        level=org.level,
        number=member_number_issue(org=org, year=joined_on.year),
        joined_on=joined_on,
        application=application,
    )


def notice_create(*, user, title: str, body: str = "", link: str = "") -> Notice | None:
    """In-app notice plus an email sent after commit. The row is the outbox: if the broker is down the
    periodic sweep (members.tasks.notices_deliver_pending) sends it later, so nothing is lost."""
    if user is None:
        return None
    notice = Notice.objects.create(user=user, title=title, body=body, link=link)
    transaction.on_commit(lambda: notice_enqueue(notice.pk))
    return notice


def notice_enqueue(notice_id: int) -> None:
    from members.tasks import notice_deliver

    try:
        notice_deliver.delay(notice_id)
    except Exception:  # noqa: BLE001 - any broker failure: the outbox sweep delivers it later
        logger.warning("notice %s not enqueued; broker unavailable, the sweep will deliver it", notice_id)


def notice_deliver_email(*, notice_id: int) -> bool:
    """Send one notice's email exactly once; returns True when this call sent it."""
    from django.conf import settings
    from django.core.mail import send_mail

    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=notice_id, emailed_at__isnull=True)
            .first()
        )
        if notice is None or not notice.user.email:
            return False
        notice.email_attempts += 1
        send_mail(notice.title, notice.body or notice.title, settings.DEFAULT_FROM_EMAIL, [notice.user.email])
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["email_attempts", "emailed_at"])
        return True


PROFILE_FIELDS = (
    "name", "gender", "birth_date", "mobile", "email", "employer", "discipline",
    "education", "title", "is_rural_expert", "is_popsci_leader",
)


def person_profile_save(*, user, id_number: str | None = None, **fields) -> Person:
    """Create or update the signed-in user's profile. `id_number` (plain text) is validated, encrypted,
    blind-indexed and masked here and nowhere else."""
    from members.crypto import encrypt_id_number, id_number_blind_index
    from members.validators import id_number_birth_date, id_number_gender, mask_id_number, validate_id_number

    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(user=user).first() or Person(user=user)
        for name, value in fields.items():
            setattr(person, name, value)
        if id_number:
            id_number = validate_id_number(id_number)
            index = id_number_blind_index(id_number)
            if Person.objects.filter(id_number_index=index).exclude(pk=person.pk).exists():
                raise DomainError(_("该身份证号码已被其他账号使用；如有疑问请联系所申请组织的管理员"))
            person.id_number_encrypted = encrypt_id_number(id_number)
            person.id_number_index = index
            person.id_number_masked = mask_id_number(id_number)
            person.birth_date = person.birth_date or id_number_birth_date(id_number)
            person.gender = person.gender or id_number_gender(id_number)
        person.save()
    return person
