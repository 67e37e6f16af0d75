"""A person's awards and honours with their evidence files."""

import logging

from django.core.files.storage import default_storage
from django.db import transaction

from kexie.validators import validate_upload
from members.models import Award, Person
from orgs.services.audit import audit_record

logger = logging.getLogger(__name__)

AWARD_FIELDS = ("name", "level", "year", "issuer")


def award_save(*, person: Person, award=None, evidence=None, remove_evidence: bool = False, **fields):
    """Create (award=None) or update one of the person's awards. `evidence` must already be validated by
    kexie.validators.validate_upload; the replaced file is removed after commit."""
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
            transaction.on_commit(lambda: evidence_file_remove(old_file))
        audit_record(actor=person.user, action="award.save", obj=award)
    return award


def award_delete(*, person: Person, award) -> None:
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=award.pk, person=person)
        old_file = award.evidence.name if award.evidence else ""
        audit_record(actor=person.user, action="award.delete", obj=award, comment=award.name)
        award.delete()
        if old_file:
            transaction.on_commit(lambda: evidence_file_remove(old_file))


def evidence_file_remove(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("evidence file %s could not be removed", name)
