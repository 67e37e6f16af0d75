"""Member directory, transfer, lapse and withdrawal."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kexie.errors import DomainError, OutOfScope
from members.models import Membership
from members.services.memberships import membership_status_set, membership_transfer
from orgs.models import AuditEvent


@pytest.mark.django_db
def test_directory_list_query_count_is_bounded(client, county_a, admin_a, make_members, django_assert_max_num_queries):
    make_members(county_a, 120)
    client.force_login(admin_a)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("console_members:member_list"), {"org": county_a.pk})
    assert response.status_code == 200
    assert response.content.decode().count("/console/memberships/") == 50


@pytest.mark.django_db
def test_directory_covers_the_subtree_and_is_searchable(client, city, county_a, county_b, city_admin, admin_b, make_members):
    a = make_members(county_a, 2)
    make_members(county_b, 1)
    client.force_login(city_admin)
    url = reverse("console_members:member_list")
    page = client.get(url, {"org": city.pk, "subtree": "on"}).content.decode()
    assert page.count("/console/memberships/") == 3
    assert client.get(url, {"org": city.pk}).content.decode().count("/console/memberships/") == 0
    found = client.get(url, {"org": city.pk, "subtree": "on", "q": a[0].person.name}).content.decode()
    assert found.count("/console/memberships/") == 1
    by_number = client.get(url, {"org": city.pk, "subtree": "on", "q": a[1].number}).content.decode()
    assert a[1].person.name in by_number
    by_mobile = client.get(url, {"subtree": "on", "q": a[0].person.mobile}).content.decode()
    assert by_mobile.count("/console/memberships/") == 1 and a[0].person.name in by_mobile
    client.force_login(admin_b)
    assert client.get(url, {"org": county_a.pk}).status_code == 404
    assert a[0].person.name not in client.get(url, {"subtree": "on"}).content.decode()


@pytest.mark.django_db
def test_export_masks_the_id_number_and_is_audited(client, county_a, admin_a, make_members):
    from members.crypto import decrypt_id_number

    member = make_members(county_a, 1)[0]
    client.force_login(admin_a)
    response = client.get(reverse("console_members:member_export"), {"org": county_a.pk})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][2] == member.person.id_number_masked
    assert decrypt_id_number(member.person.id_number_encrypted) not in response.content.decode("latin-1")
    assert AuditEvent.objects.filter(action="export.members", actor=admin_a).count() == 1


@pytest.mark.django_db
def test_transfer_needs_both_orgs_in_scope_and_issues_a_new_number(county_a, county_b, admin_a, city_admin, make_members):
    member = make_members(county_a, 1)[0]
    with pytest.raises(OutOfScope):
        membership_transfer(actor=admin_a, membership=member, target_org=county_b)
    new = membership_transfer(actor=city_admin, membership=member, target_org=county_b, comment="工作调动")
    member.refresh_from_db()
    assert member.status == Membership.Status.TRANSFERRED
    assert (new.org, new.status, new.person_id) == (county_b, Membership.Status.ACTIVE, member.person_id)
    assert new.number != member.number and county_b.code in new.number
    assert AuditEvent.objects.filter(action="membership.transfer_out", org=county_a).count() == 1
    assert AuditEvent.objects.filter(action="membership.transfer_in", org=county_b).count() == 1
    with pytest.raises(DomainError):
        membership_transfer(actor=city_admin, membership=member, target_org=county_b)


@pytest.mark.django_db
def test_lapse_and_withdrawal_follow_the_transition_table(client, county_a, admin_a, make_members):
    member = make_members(county_a, 1)[0]
    membership_status_set(actor=admin_a, membership=member, status="lapsed", comment="三年未缴会费")
    membership_status_set(actor=admin_a, membership=member, status="active")
    membership_status_set(actor=admin_a, membership=member, status="withdrawn", comment="本人申请退会")
    with pytest.raises(DomainError, match="不能从"):
        membership_status_set(actor=admin_a, membership=member, status="active")
    actions = list(AuditEvent.objects.for_object(member).values_list("action", flat=True))
    assert actions == ["membership.lapsed", "membership.active", "membership.withdrawn"]


@pytest.mark.django_db
def test_member_detail_actions_work_through_the_console(client, county_a, admin_a, make_members):
    member = make_members(county_a, 100)[0]
    client.force_login(admin_a)
    detail = reverse("console_members:member_detail", args=[member.pk])
    assert member.person.id_number_masked in client.get(detail).content.decode()
    client.post(reverse("console_members:member_grade", args=[member.pk]), {"grade": "fellow", "category": "regular"})
    member.refresh_from_db()
    assert member.grade == "fellow"
    other = Membership.objects.filter(org=county_a).exclude(pk=member.pk).first()
    response = client.post(reverse("console_members:member_grade", args=[other.pk]), {"grade": "fellow", "category": "regular"}, follow=True)
    assert "会士名额已满" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_member_action_shows_the_reason_and_keeps_what_was_typed(client, county_a, admin_a, make_members):
    member = make_members(county_a, 1)[0]
    client.force_login(admin_a)
    response = client.post(
        reverse("console_members:member_fee", args=[member.pk]), {"year": 2026, "kind": "exempt", "note": "家庭困难，申请免缴"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "尚未设置 2026 年度该类别会员的会费标准" in body
    assert 'value="家庭困难，申请免缴"' in body
    response = client.post(reverse("console_members:member_status", args=[member.pk]), {"status": "bogus", "comment": "三年未缴"})
    assert response.status_code == 400 and 'value="三年未缴"' in response.content.decode()


@pytest.mark.django_db
def test_member_page_forms_have_distinct_field_ids(client, county_a, admin_a, make_members):
    import re

    member = make_members(county_a, 1)[0]
    client.force_login(admin_a)
    ids = re.findall(r' id="([^"]+)"', client.get(reverse("console_members:member_detail", args=[member.pk])).content.decode())
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"status_comment", "transfer_comment", "fee_year"} <= set(ids)
