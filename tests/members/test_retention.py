"""Retention jobs: deleted accounts de-identified after PERSON_RETENTION_DAYS, evidence of ended applications
removed after EVIDENCE_RETENTION_DAYS; both audited, idempotent, with a dry run and a nightly beat entry."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from approvals import services as approvals
from approvals.retention import evidence_purge_due
from members.models import Award, Membership, Person
from members.services.awards import award_save
from members.services.data_rights import account_delete
from members.services.retention import persons_deidentify_due
from orgs.models import AuditEvent

pytestmark = pytest.mark.django_db


def _later(days: int):
    return time_machine.travel(timezone.now() + timedelta(days=days), tick=False)


def _with_evidence(person) -> Award:
    award = person.awards.first()
    award_save(person=person, award=award, name=award.name, level=award.level, year=award.year, issuer=award.issuer,
               evidence=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", "application/pdf"))
    award.refresh_from_db()
    assert award.evidence and default_storage.exists(award.evidence.name)
    return award


@pytest.fixture
def deleted_member(make_applicant, county_a, city_admin):
    person = make_applicant("欧阳娜娜")
    _with_evidence(person)
    approvals.application_approve(
        application=approvals.application_submit(person=person, org=county_a, declaration_accepted=True),
        reviewer=city_admin,
    )
    account_delete(user=person.user)
    return Person.objects.get(pk=person.pk)


def test_a_deleted_account_is_deidentified_only_after_the_retention_period(deleted_member, django_capture_on_commit_callbacks):
    assert deleted_member.id_number_index and deleted_member.restricted_at  # kept for the membership
    evidence = deleted_member.awards.get().evidence.name
    assert persons_deidentify_due(dry_run=True) == 0
    with _later(settings.PERSON_RETENTION_DAYS + 1):
        assert persons_deidentify_due(dry_run=True) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert persons_deidentify_due() == 1
        assert persons_deidentify_due() == 0  # idempotent
    person = Person.objects.get(pk=deleted_member.pk)
    assert person.name == "欧**娜" and person.deidentified_at is not None
    assert (person.id_number_index, person.id_number_encrypted, person.id_number_masked) == (None, "", "")
    assert (person.mobile, person.email, person.employer, person.birth_date) == ("", "", "", None)
    assert not person.awards.exists() and not default_storage.exists(evidence)
    membership = Membership.objects.get(person=person)
    assert membership.number  # what the decided membership needs stays
    assert AuditEvent.objects.filter(action="person.deidentify", object_id=str(person.pk)).count() == 1


def test_a_live_account_is_never_deidentified(make_applicant):
    person = make_applicant("在用账号")
    with _later(settings.PERSON_RETENTION_DAYS * 3):
        assert persons_deidentify_due() == 0
    assert Person.objects.get(pk=person.pk).id_number_index == person.id_number_index


@pytest.fixture
def rejected(make_applicant, county_a, city_admin):
    person = make_applicant("被拒绝")
    award = _with_evidence(person)
    approvals.application_reject(
        application=approvals.application_submit(person=person, org=county_a, declaration_accepted=True),
        reviewer=city_admin, comment="条件不符",
    )
    return award


def test_evidence_of_a_rejected_application_goes_after_the_period(rejected, django_capture_on_commit_callbacks):
    name = rejected.evidence.name
    assert evidence_purge_due(dry_run=True) == 0
    with _later(settings.EVIDENCE_RETENTION_DAYS + 1):
        assert evidence_purge_due(dry_run=True) == 1
        assert default_storage.exists(name)  # the dry run removed nothing
        with django_capture_on_commit_callbacks(execute=True):
            assert evidence_purge_due() == 1
        assert evidence_purge_due() == 0
    award = Award.objects.get(pk=rejected.pk)
    assert not award.evidence and not default_storage.exists(name)
    assert award.name  # the award itself stays on the person's profile
    assert AuditEvent.objects.filter(action="award.evidence_purge", object_id=str(award.pk)).exists()


def test_evidence_stays_while_an_application_is_open_or_a_membership_exists(make_applicant, county_a, county_b,
                                                                           city_admin):
    reapplied = make_applicant("再次申请")
    kept_open = _with_evidence(reapplied)
    approvals.application_withdraw(
        application=approvals.application_submit(person=reapplied, org=county_a, declaration_accepted=True),
        person=reapplied,
    )
    approvals.application_submit(person=reapplied, org=county_b, declaration_accepted=True)
    member = make_applicant("已是会员")
    kept_member = _with_evidence(member)
    approvals.application_reject(
        application=approvals.application_submit(person=member, org=county_a, declaration_accepted=True),
        reviewer=city_admin, comment="不符",
    )
    approvals.application_approve(
        application=approvals.application_submit(person=member, org=county_b, declaration_accepted=True),
        reviewer=city_admin,
    )
    with _later(settings.EVIDENCE_RETENTION_DAYS * 2):
        assert evidence_purge_due() == 0
    assert Award.objects.get(pk=kept_open.pk).evidence and Award.objects.get(pk=kept_member.pk).evidence


def test_the_dry_run_commands_change_nothing(rejected, deleted_member, capsys):
    with _later(max(settings.EVIDENCE_RETENTION_DAYS, settings.PERSON_RETENTION_DAYS) + 1):
        call_command("purge_evidence", "--dry-run")
        call_command("deidentify_persons", "--dry-run")
    out = capsys.readouterr().out
    assert "有 1 份证明材料" in out and "有 1 份注销账号的个人资料" in out
    assert Award.objects.get(pk=rejected.pk).evidence
    assert Person.objects.get(pk=deleted_member.pk).deidentified_at is None


def test_both_jobs_run_nightly_from_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"members.tasks.persons_deidentify_due", "approvals.tasks.evidence_purge_due"} <= tasks
