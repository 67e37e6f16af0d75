"""Unit members: a malformed USCC is refused, a failing check digit needs the admin's written reason."""

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from kexie.errors import DomainError
from kexie.validators import USCC_ALPHABET, uscc_check_char
from members.forms.units import UnitMemberForm
from members.models import UnitMember
from members.services.units import membership_unit_link, unit_member_create
from orgs.models import AuditEvent

VALID = ("91110000600037341L", "91110108551385082Q")
BAD_CHECK = "91110000600037341M"

first17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(first17)
@settings(max_examples=200)
def test_a_code_with_its_own_check_char_needs_no_reason(body):
    form = UnitMemberForm(data={"name": "某公司", "uscc": body + uscc_check_char(body)})
    assert form.is_valid(), form.errors


@given(first17, st.sampled_from(USCC_ALPHABET))
@settings(max_examples=200)
def test_any_other_check_char_is_a_warning_answered_by_a_reason(body, last):
    if last == uscc_check_char(body):
        return
    code = body + last
    without = UnitMemberForm(data={"name": "某公司", "uscc": code})
    assert not without.is_valid() and "校验位不正确" in without.errors["override_reason"][0]
    with_reason = UnitMemberForm(data={"name": "某公司", "uscc": code, "override_reason": "与营业执照一致"})
    assert with_reason.is_valid()


@pytest.mark.parametrize("code", ["", "9111000060003734", "91110000600037341I", "91110000600037341LX", "9111000060003734？L"])
def test_malformed_codes_are_hard_errors(code):
    form = UnitMemberForm(data={"name": "某公司", "uscc": code, "override_reason": "确认无误"})
    assert not form.is_valid() and "uscc" in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize("code", VALID)
def test_known_good_codes_are_stored_without_reason(county_a, admin_a, code):
    unit = unit_member_create(actor=admin_a, org=county_a, name="某公司", uscc=code.lower())
    assert (unit.uscc, unit.uscc_checksum_ok, unit.uscc_override_reason) == (code, True, "")


@pytest.mark.django_db
def test_a_failing_check_digit_is_refused_without_reason_and_stored_with_it(county_a, admin_a):
    with pytest.raises(DomainError, match="校验位不正确"):
        unit_member_create(actor=admin_a, org=county_a, name="老企业", uscc=BAD_CHECK)
    unit = unit_member_create(actor=admin_a, org=county_a, name="老企业", uscc=BAD_CHECK, override_reason="2016年换发的早期代码，与执照一致")
    assert unit.uscc_checksum_ok is False and unit.uscc_override_reason.startswith("2016")
    event = AuditEvent.objects.for_object(unit).get()
    assert event.comment == unit.uscc_override_reason and event.data["checksum_ok"] is False
    with pytest.raises(DomainError, match="已是本组织的团体会员"):
        unit_member_create(actor=admin_a, org=county_a, name="老企业", uscc=BAD_CHECK, override_reason="重复")


@pytest.mark.django_db
def test_the_database_refuses_a_failing_code_without_reason(county_a, admin_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UnitMember.objects.create(
            org=county_a, name="x", uscc=BAD_CHECK, uscc_checksum_ok=False, joined_on="2026-01-01", created_by=admin_a
        )


@pytest.mark.django_db
def test_admin_form_keeps_input_and_asks_for_a_reason(client, county_a, admin_a):
    client.force_login(admin_a)
    url = reverse("console_members:unit_create", args=[county_a.pk])
    page = client.post(url, {"name": "老企业", "uscc": BAD_CHECK}).content.decode()
    assert "校验位不正确" in page and 'value="老企业"' in page
    response = client.post(url, {"name": "老企业", "uscc": BAD_CHECK, "override_reason": "与执照一致"})
    assert response.status_code == 302
    assert UnitMember.objects.get().uscc_override_reason == "与执照一致"
    assert "校验位不符，已确认" in client.get(reverse("console_members:units", args=[county_a.pk])).content.decode()


@pytest.mark.django_db
def test_individual_member_is_linked_to_their_unit(county_a, admin_a, make_members):
    unit = unit_member_create(actor=admin_a, org=county_a, name="某公司", uscc=VALID[0])
    member = make_members(county_a, 1)[0]
    membership_unit_link(actor=admin_a, membership=member, unit=unit)
    assert list(unit.individual_memberships.all()) == [member]
