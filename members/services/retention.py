"""Retention of personal data: what is removed, and when, once it is no longer needed (PIPL, GB/T 35273).

Each run is idempotent (a second run finds nothing due), writes one audit row per person or file, and has a
dry run that only counts.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.certificates import mask_name
from members.models import Award, Person
from members.services.awards import evidence_file_remove
from orgs.services.audit import audit_record


def persons_deidentify_due(*, dry_run: bool = False) -> int:
    """De-identify the profiles of deleted accounts past PERSON_RETENTION_DAYS: the membership records keep a
    masked name and nothing else that identifies the person (ID number, contacts, employer, birth date, awards
    and their files). Returns how many were (or with `dry_run` would be) de-identified."""
    cutoff = timezone.now() - timedelta(days=settings.PERSON_RETENTION_DAYS)
    due = Person.objects.filter(user__isnull=True, restricted_at__lt=cutoff, deidentified_at__isnull=True)
    if dry_run:
        return due.count()
    done = 0
    for person_id in due.values_list("pk", flat=True).iterator():
        done += person_deidentify(person_id=person_id)
    return done


def person_deidentify(*, person_id: int) -> int:
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(
            pk=person_id, user__isnull=True, restricted_at__isnull=False, deidentified_at__isnull=True
        ).first()
        if person is None:
            return 0  # de-identified meanwhile, or the account came back
        for award in Award.objects.filter(person=person):
            if award.evidence:
                transaction.on_commit(lambda name=award.evidence.name: evidence_file_remove(name))
            award.delete()
        person.name = mask_name(person.name)
        person.id_number_encrypted, person.id_number_index, person.id_number_masked = "", None, ""
        person.mobile = person.email = person.employer = person.discipline = ""
        person.birth_date = None
        person.deidentified_at = timezone.now()
        person.save(update_fields=[
            "name", "id_number_encrypted", "id_number_index", "id_number_masked", "mobile", "email", "employer",
            "discipline", "birth_date", "deidentified_at", "updated_at",
        ])
        audit_record(actor=None, action="person.deidentify", obj=person,
                     data={"retention_days": settings.PERSON_RETENTION_DAYS})
    return 1


def award_evidence_purge(*, award_id: int, reason: str) -> bool:
    """Remove an award's evidence file (the award itself stays); the file goes after commit."""
    with transaction.atomic():
        award = Award.objects.select_for_update().filter(pk=award_id).exclude(evidence="").first()
        if award is None:
            return False
        name = award.evidence.name
        award.evidence = ""
        award.save(update_fields=["evidence"])
        audit_record(actor=None, action="award.evidence_purge", obj=award, comment=reason,
                     data={"person": award.person_id})
        transaction.on_commit(lambda: evidence_file_remove(name))
    return True
