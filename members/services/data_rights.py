"""The data subject's rights: what must be kept of a person, deleting an account, downloads of one's data.

Applications live in a higher app (approvals); members asks about them through the signals in
members/signals.py, and approvals answers.
"""

from django.db import transaction
from django.utils import timezone

from members.models import Award, Consent, Membership, Notice, Person
from members.services.awards import evidence_file_remove
from members.signals import person_leaving, person_records_exist as records_signal
from orgs.services.audit import audit_record


def person_records_exist(person: Person, question: str) -> bool:
    """Whether records kept by higher apps refer to the person ("open", "decided" or "any"; see signals)."""
    return any(answer for _receiver, answer in records_signal.send(sender=Person, person=person, question=question))


def person_id_number_needed(person: Person) -> bool:
    """True when a membership or an application record must keep the ID number (certificate, duplicates)."""
    return Membership.objects.filter(person=person).exists() or person_records_exist(person, "decided")


def account_delete(*, user) -> dict:
    """Delete an applicant's account.

    Open applications are withdrawn through the application state machine. A person no application or
    membership refers to is deleted with their awards and files. One with only withdrawn applications is
    kept as a bare name on those records (no ID number, contacts or awards). One with a membership or a
    decided application keeps profile, ID number and awards as the organisation's membership record,
    detached from the account and marked restricted. The account row itself is anonymised and disabled
    rather than deleted, because the append-only audit trail refers to it.
    """
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(user=user).first()
        withdrawn = 0
        kept = False
        if person is not None:
            withdrawn = sum(answer or 0 for _receiver, answer in person_leaving.send(sender=Person, person=person))
            needed = person_id_number_needed(person)
            referenced = needed or person_records_exist(person, "any")
            if not needed:
                # Nothing decided depends on the awards or contact details: remove them now.
                for award in Award.objects.filter(person=person):
                    if award.evidence:
                        transaction.on_commit(lambda name=award.evidence.name: evidence_file_remove(name))
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
    audit_record(actor=user, action="person.export", obj=user, data={"format": fmt})
