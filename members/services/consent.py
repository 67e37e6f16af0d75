"""Consent to process the ID number: given, withdrawn, and which notice version is live."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.errors import DomainError
from members.models import Consent, Person
from members.services.data_rights import person_id_number_needed, person_records_exist
from orgs.services.audit import audit_record


# Bump when the wording of the ID-number notice changes: earlier consents then no longer count.
CONSENT_VERSION = "2026-1"


def consent_live(user):
    return Consent.objects.filter(user=user, withdrawn_at__isnull=True, version=CONSENT_VERSION).first()


def consent_give(*, user):
    """Record consent to process the ID number under the current notice version (idempotent)."""
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

    with transaction.atomic():
        consent = Consent.objects.select_for_update().filter(user=user, withdrawn_at__isnull=True).first()
        if consent is None:
            raise DomainError(_("您当前没有有效的授权"))
        person = Person.objects.select_for_update().filter(user=user).first()
        if person is not None and person_records_exist(person, "open"):
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
