"""会籍年度: renewal in the window (profile confirmed, fee settled), reminders before and after the window,
待续期 after the grace period, lapse after two years without renewal, reinstatement, and the live state on the
verification page and the certificate. Time is frozen (time-machine) and walked across two membership years."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from kexie.errors import DomainError
from members.certificates import certificate_pdf, verify_token
from members.models import Membership, Notice, Renewal
from members.services.fees import fee_set
from members.services.memberships import membership_grade_set, membership_grant, membership_status_set
from members.services.payments import payment_confirm, payment_submit
from members.services.renewals import membership_renew, membership_year_sweep, renewal_window_set
from orgs.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day):
    return time_machine.travel(datetime(year, month, day, 9, tzinfo=SHANGHAI), tick=False)


def _grant(person, org):
    with transaction.atomic():
        return membership_grant(person=person, org=org)


def _verify(membership) -> str:
    return Client().get(reverse("certificates:verify", args=[verify_token(membership)])).content.decode()


@pytest.mark.django_db
def test_two_renewal_years_grace_period_lapse_and_reinstatement(county_a, admin_a, make_applicant):
    renewer, idler = make_applicant("按时注册"), make_applicant("从不注册")
    with at(2025, 6, 1):
        kept, dropped = _grant(renewer, county_a), _grant(idler, county_a)
        fee_set(actor=admin_a, org=county_a, category="regular", year=2026, amount=Decimal("50"))
        fee_set(actor=admin_a, org=county_a, category="regular", year=2027, amount=Decimal("0"))
    assert kept.valid_through == 2025

    # Year one (2026): inside the window the member confirms the profile, then pays; the payment completes it.
    with at(2025, 10, 20):
        with pytest.raises(DomainError, match="没有需要办理"):
            membership_renew(person=renewer, membership=kept)
    with at(2025, 12, 10):
        renewal = membership_renew(person=renewer, membership=kept)
        assert renewal.year == 2026 and renewal.completed_at is None
        payment = payment_submit(person=renewer, membership=kept, year=2026, method="on_site")
        payment_confirm(actor=admin_a, payment=payment)
    kept.refresh_from_db()
    assert kept.valid_through == 2026 and Renewal.objects.get(pk=renewal.pk).completed_at is not None

    with at(2026, 3, 5):
        assert membership_year_sweep() == {"closing": 1, "closed": 0, "pending": 0, "lapsed": 0}
        assert membership_year_sweep()["closing"] == 0
    assert Notice.objects.filter(user=idler.user, title="2026 年度注册即将截止").count() == 1
    assert not Notice.objects.filter(user=renewer.user, title__contains="即将截止").exists()
    with at(2026, 4, 1):
        assert membership_year_sweep()["closed"] == 1
    with at(2026, 4, 30):
        assert membership_year_sweep() == {"closing": 0, "closed": 0, "pending": 0, "lapsed": 0}
    with at(2026, 5, 1):
        call_command("sweep_membership_year")
        assert membership_year_sweep()["pending"] == 0
    dropped.refresh_from_db()
    assert dropped.status == Membership.Status.PENDING_RENEWAL
    assert AuditEvent.objects.for_object(dropped).get(action="membership.pending_renewal").actor is None
    assert "待续期" in _verify(dropped) and "有效期至 2026 年底" in _verify(kept)

    # Year two (2027): no fee that year, so confirming the profile completes the renewal at once.
    with at(2026, 11, 15):
        assert membership_renew(person=renewer, membership=kept).completed_at is not None
    kept.refresh_from_db()
    assert kept.valid_through == 2027
    with at(2027, 5, 1):
        assert membership_year_sweep()["lapsed"] == 1
        assert membership_year_sweep()["lapsed"] == 0
    dropped.refresh_from_db()
    kept.refresh_from_db()
    assert dropped.status == Membership.Status.LAPSED and kept.status == Membership.Status.ACTIVE
    assert Notice.objects.filter(user=idler.user, title="会籍已失效").count() == 1
    assert AuditEvent.objects.for_object(dropped).filter(action="membership.lapsed").count() == 1
    assert "已失效" in _verify(dropped)

    # The administrator reinstates: valid for the current year, and the nightly job leaves it alone.
    with at(2027, 5, 2):
        membership_status_set(actor=admin_a, membership=dropped, status=Membership.Status.ACTIVE, comment="补办")
        assert membership_year_sweep()["lapsed"] == 0
    dropped.refresh_from_db()
    assert dropped.status == Membership.Status.ACTIVE and dropped.valid_through == 2027


@pytest.mark.django_db
def test_a_member_awaiting_renewal_renews_late_and_is_active_again(county_a, admin_a, make_applicant):
    person = make_applicant("补办注册")
    with at(2025, 6, 1):
        membership = _grant(person, county_a)
    with at(2026, 5, 1):
        membership_year_sweep()
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING_RENEWAL
    with at(2026, 6, 3):
        renewal = membership_renew(person=person, membership=membership)  # no fee set for 2026
    membership.refresh_from_db()
    assert renewal.year == 2026 and membership.status == Membership.Status.ACTIVE and membership.valid_through == 2026


@pytest.mark.django_db
def test_an_organisation_sets_its_own_window(county_a, admin_a, make_applicant):
    renewal_window_set(actor=admin_a, org=county_a, opens=(12, 1), closes=(1, 31))
    person = make_applicant("窗口")
    with at(2025, 6, 1):
        membership = _grant(person, county_a)
    with at(2025, 11, 15):
        with pytest.raises(DomainError):
            membership_renew(person=person, membership=membership)
    with at(2026, 1, 5):
        assert membership_year_sweep()["closing"] == 1  # 30 days before 31 Jan
    with at(2026, 3, 3):
        assert membership_year_sweep()["pending"] == 1  # grace ended 2 Mar


@pytest.mark.django_db
def test_the_member_renews_through_the_page(client, county_a, make_applicant, consented):
    person = make_applicant("页面注册")
    consented(person.user)
    with at(2025, 6, 1):
        membership = _grant(person, county_a)
    client.force_login(person.user)
    with at(2025, 12, 1):
        page = client.get(reverse("members:me_renewal")).content.decode()
        assert "办理 2026 年度注册" in page and "暂时不收取会费" in page
        refused = client.post(reverse("members:me_renewal_confirm", args=[membership.pk]), follow=True)
        assert "请勾选" in refused.content.decode()
        client.post(reverse("members:me_renewal_confirm", args=[membership.pk]), {"confirm": "1"})
    membership.refresh_from_db()
    assert membership.valid_through == 2026
    other = make_applicant("他人")
    client.force_login(other.user)
    assert client.post(reverse("members:me_renewal_confirm", args=[membership.pk]), {"confirm": "1"}).status_code == 404


@pytest.mark.django_db
def test_certificate_shows_the_live_state_and_is_reissued_on_a_grade_change(county_a, admin_a, make_applicant):
    person = make_applicant("证书状态")
    with at(2026, 1, 10):
        membership = _grant(person, county_a)
    with at(2026, 2, 3):
        membership_grade_set(actor=admin_a, membership=membership, grade=Membership.Grade.SENIOR)
    membership.refresh_from_db()
    assert membership.certificate_issued_on == date(2026, 2, 3)
    content = certificate_pdf(membership, site="https://kexie.example.org")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert membership.number in text and "2026年02月03日" in text and "有效期至 2026 年底" in text
