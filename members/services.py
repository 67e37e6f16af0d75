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
        created = person.pk is None
        person.save()
        from orgs.services import audit_record

        audit_record(
            actor=user,
            action="person.create" if created else "person.update",
            obj=person,
            data={"fields": sorted(fields), "id_number_changed": bool(id_number)},
        )
    return person


# ---------------------------------------------------------------------------------------------------------
# Applicant self-service: registration, consent, awards, notices, account deletion
# ---------------------------------------------------------------------------------------------------------

# Bump when the wording of the ID-number notice changes: earlier consents then no longer count.
CONSENT_VERSION = "2026-1"


def user_register(*, mobile: str, password: str, email: str = ""):
    """Create an applicant account; the normalised mobile number is the username."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.db import IntegrityError

    from members.validators import validate_mobile
    from orgs.services import audit_record

    User = get_user_model()
    mobile = validate_mobile(mobile)
    user = User(username=mobile, mobile=mobile, email=(email or "").strip())
    validate_password(password, user=user)
    with transaction.atomic():
        if User.objects.filter(username=mobile).exists() or User.objects.filter(mobile=mobile).exists():
            raise DomainError(_("该手机号码已注册，请直接登录"))
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Two registrations of the same number racing: the unique index decides, the loser is told.
            raise DomainError(_("该手机号码已注册，请直接登录"))
        audit_record(actor=user, action="user.register", obj=user)
    return user


def consent_live(user):
    from members.models import Consent

    return Consent.objects.filter(user=user, withdrawn_at__isnull=True, version=CONSENT_VERSION).first()


def consent_give(*, user):
    """Record consent to process the ID number under the current notice version (idempotent)."""
    from members.models import Consent
    from orgs.services import audit_record

    with transaction.atomic():
        live = Consent.objects.select_for_update().filter(user=user, withdrawn_at__isnull=True).first()
        if live is not None and live.version == CONSENT_VERSION:
            return live
        if live is not None:
            # An older notice version: close it so the one-live-consent constraint holds.
            live.withdrawn_at = timezone.now()
            live.save(update_fields=["withdrawn_at"])
        consent = Consent.objects.create(user=user, version=CONSENT_VERSION)
        audit_record(actor=user, action="consent.give", obj=consent, data={"version": CONSENT_VERSION})
    return consent


def consent_withdraw(*, user):
    """Withdraw consent. Open applications must be withdrawn first (a reviewer needs the ID number).
    The ID number is erased unless a membership or a decided application depends on it; then it is kept,
    restricted to those records, and never used for new applications until consent is given again."""
    from approvals.models import Application
    from members.models import Consent
    from orgs.services import audit_record

    with transaction.atomic():
        consent = Consent.objects.select_for_update().filter(user=user, withdrawn_at__isnull=True).first()
        if consent is None:
            raise DomainError(_("您当前没有有效的授权"))
        person = Person.objects.select_for_update().filter(user=user).first()
        if person is not None and Application.objects.filter(person=person).open().exists():
            raise DomainError(_("您有正在审核或退回修改的申请，请先撤回这些申请，再撤回授权"))
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        erased = False
        if person is not None and person.id_number_index and not person_id_number_needed(person):
            person.id_number_encrypted = ""
            person.id_number_index = None
            person.id_number_masked = ""
            person.save(update_fields=["id_number_encrypted", "id_number_index", "id_number_masked", "updated_at"])
            erased = True
        audit_record(actor=user, action="consent.withdraw", obj=consent, data={"id_number_erased": erased})
    return consent


def person_id_number_needed(person: Person) -> bool:
    """True when a membership or an application record must keep the ID number (certificate, duplicates)."""
    from approvals.models import Application

    return (
        Membership.objects.filter(person=person).exists()
        or Application.objects.filter(person=person).exclude(status=Application.Status.WITHDRAWN).exists()
    )


AWARD_FIELDS = ("name", "level", "year", "issuer")


def award_save(*, person: Person, award=None, evidence=None, remove_evidence: bool = False, **fields):
    """Create (award=None) or update one of the person's awards. `evidence` must already be validated by
    members.validators.validate_upload; the replaced file is removed after commit."""
    from members.models import Award
    from members.validators import validate_upload
    from orgs.services import audit_record

    unknown = set(fields) - set(AWARD_FIELDS)
    if unknown:
        raise TypeError(f"unknown award fields: {sorted(unknown)}")
    if evidence is not None:
        validate_upload(evidence)
    with transaction.atomic():
        if award is None:
            award = Award(person=person)
        else:
            award = Award.objects.select_for_update().get(pk=award.pk, person=person)
        for name, value in fields.items():
            setattr(award, name, value)
        old_file = award.evidence.name if award.evidence else ""
        if evidence is not None:
            award.evidence.save(evidence.name, evidence, save=False)
        elif remove_evidence:
            award.evidence = ""
        award.save()
        new_file = award.evidence.name if award.evidence else ""
        if old_file and old_file != new_file:
            transaction.on_commit(lambda: _evidence_remove(old_file))
        audit_record(actor=person.user, action="award.save", obj=award)
    return award


def award_delete(*, person: Person, award) -> None:
    from members.models import Award
    from orgs.services import audit_record

    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=award.pk, person=person)
        old_file = award.evidence.name if award.evidence else ""
        audit_record(actor=person.user, action="award.delete", obj=award, comment=award.name)
        award.delete()
        if old_file:
            transaction.on_commit(lambda: _evidence_remove(old_file))


def _evidence_remove(name: str) -> None:
    from django.core.files.storage import default_storage

    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("evidence file %s could not be removed", name)


def notices_mark_read(*, user, notice_id: int | None = None) -> int:
    """Mark one notice (or all, when notice_id is None) of this user as read; other users' ids change nothing."""
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())


def account_delete(*, user) -> dict:
    """Delete an applicant's account.

    Open applications are withdrawn through the application state machine. A person no application or
    membership refers to is deleted with their awards and files. One with only withdrawn applications is
    kept as a bare name on those records (no ID number, contacts or awards). One with a membership or a
    decided application keeps profile, ID number and awards as the organisation's membership record,
    detached from the account and marked restricted. The account row itself is anonymised and disabled
    rather than deleted, because the append-only audit trail refers to it.
    """
    from approvals.models import Application
    from approvals.services import application_withdraw
    from members.models import Award, Consent
    from orgs.services import audit_record

    with transaction.atomic():
        person = Person.objects.select_for_update().filter(user=user).first()
        withdrawn = 0
        kept = False
        if person is not None:
            for application in Application.objects.filter(person=person).open():
                application_withdraw(application=application, person=person)
                withdrawn += 1
            needed = person_id_number_needed(person)
            referenced = needed or Application.objects.filter(person=person).exists()
            if not needed:
                # Nothing decided depends on the awards or contact details: remove them now.
                for award in Award.objects.filter(person=person):
                    if award.evidence:
                        transaction.on_commit(lambda name=award.evidence.name: _evidence_remove(name))
                    award.delete()
            if referenced:
                # Applications and memberships point at the person (PROTECT): keep the row, detached and restricted.
                kept = True
                person.user = None
                person.restricted_at = timezone.now()
                fields = ["user", "restricted_at", "updated_at"]
                if not needed:
                    person.id_number_encrypted, person.id_number_index, person.id_number_masked = "", None, ""
                    person.mobile, person.email = "", ""
                    fields += ["id_number_encrypted", "id_number_index", "id_number_masked", "mobile", "email"]
                person.save(update_fields=fields)
            else:
                person.delete()
        Consent.objects.filter(user=user, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
        Notice.objects.filter(user=user).delete()
        audit_record(
            actor=user, action="user.delete", obj=user, data={"withdrawn_applications": withdrawn, "person_kept": kept}
        )
        user.username = f"deleted-{user.pk}"
        user.mobile = None
        user.email = ""
        user.full_name = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return {"withdrawn_applications": withdrawn, "person_kept": kept}


def person_data_exported(*, user, fmt: str) -> None:
    """Downloads of personal data are audited like every other export."""
    from orgs.services import audit_record

    audit_record(actor=user, action="person.export", obj=user, data={"format": fmt})
