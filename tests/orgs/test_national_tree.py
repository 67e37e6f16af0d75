"""More than one province under a national root (中国科协 above Hebei and Shanxi): the national administrator
sees both provinces, each provincial administrator only their own, on the pages, exports and API; numbers,
targets, the fellow cap, progress snapshots and the public page work per province and roll up nationally."""

import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from kexie.errors import OutOfScope
from members.models import Membership
from members.services.memberships import membership_grade_set
from orgs.models import Org, ProgressSnapshot, Target
from orgs.services.targets import targets_seed

YEAR = timezone.localdate().year


def _approve(org, name, make_applicant, reviewer):
    application = approvals.application_submit(person=make_applicant(name), org=org, declaration_accepted=True)
    return approvals.application_approve(application=application, reviewer=reviewer)


@pytest.fixture
def two_provinces(national, hebei, county_a, shanxi_county, submit):
    """One application waiting in a Hebei county and one in a Shanxi county."""
    return {
        "hebei": submit(county_a, "冀申请人"),
        "shanxi": submit(shanxi_county, "晋申请人"),
    }


# Lists default to the administrator's own organisation; these ask for the whole subtree.
SUBTREE = "?status=submitted&subtree=on"


def _queue(client, user):
    client.force_login(user)
    return client.get(reverse("approvals:queue") + SUBTREE).content.decode()


@pytest.mark.django_db
def test_the_national_root_sits_above_both_provinces(national, hebei, shanxi):
    assert national.level == Org.Level.NATIONAL and national.parent_id is None
    assert hebei.parent_id == national.pk and shanxi.parent_id == national.pk
    assert hebei.tree_id == shanxi.tree_id == national.tree_id
    assert national.lft < hebei.lft < hebei.rght < national.rght
    assert set(Org.objects.in_subtree(national).values_list("pk", flat=True)) == set(Org.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_review_queue_national_sees_both_provinces_each_province_only_its_own(
    client, two_provinces, national_admin, province_admin, shanxi_admin
):
    body = _queue(client, national_admin)
    assert "冀申请人" in body and "晋申请人" in body
    body = _queue(client, province_admin)
    assert "冀申请人" in body and "晋申请人" not in body
    body = _queue(client, shanxi_admin)
    assert "晋申请人" in body and "冀申请人" not in body


@pytest.mark.django_db
def test_queue_export_and_api_are_scoped_to_the_province(
    client, two_provinces, national_admin, province_admin, shanxi_admin
):
    ids = {key: app.pk for key, app in two_provinces.items()}
    expected = {national_admin: {ids["hebei"], ids["shanxi"]}, province_admin: {ids["hebei"]}, shanxi_admin: {ids["shanxi"]}}
    for user, wanted in expected.items():
        client.force_login(user)
        export = client.get(reverse("approvals:queue_export") + SUBTREE).content.decode("utf-8-sig")
        assert ("冀申请人" in export, "晋申请人" in export) == (ids["hebei"] in wanted, ids["shanxi"] in wanted)
        response = client.get(reverse("approvals_api:queue") + "?status=submitted&subtree=true")
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} == wanted, user.username


@pytest.mark.django_db
def test_detail_of_the_other_province_is_404(client, two_provinces, province_admin, shanxi_admin):
    client.force_login(province_admin)
    assert client.get(reverse("approvals:detail", args=[two_provinces["shanxi"].pk])).status_code == 404
    assert client.get(reverse("approvals_api:detail", args=[two_provinces["shanxi"].pk])).status_code == 404
    client.force_login(shanxi_admin)
    assert client.get(reverse("approvals:detail", args=[two_provinces["shanxi"].pk])).status_code == 200
    assert client.get(reverse("approvals:detail", args=[two_provinces["hebei"].pk])).status_code == 404


@pytest.mark.django_db
def test_member_numbers_follow_the_level_and_code_in_each_province(
    national, county_a, shanxi_county, make_applicant, national_admin, province_admin, shanxi_admin
):
    hebei_member = _approve(county_a, "冀会员", make_applicant, province_admin)
    shanxi_member = _approve(shanxi_county, "晋会员", make_applicant, shanxi_admin)
    national_member = _approve(national, "全国会员", make_applicant, national_admin)
    assert hebei_member.number == f"X{YEAR}-{county_a.code}-00001"
    assert shanxi_member.number == f"X{YEAR}-SX0101-00001"
    assert national_member.number == f"N{YEAR}-CAST-00001"
    assert national_member.level == Org.Level.NATIONAL
    with pytest.raises(OutOfScope):
        _approve(shanxi_county, "越权", make_applicant, province_admin)


@pytest.mark.django_db
def test_member_directory_and_its_export_show_only_the_own_province(
    client, national, county_a, shanxi_county, make_members, national_admin, province_admin, shanxi_admin
):
    hebei_numbers = {m.number for m in make_members(county_a, 2)}
    shanxi_numbers = {m.number for m in make_members(shanxi_county, 2)}
    expected = {
        national_admin: hebei_numbers | shanxi_numbers, province_admin: hebei_numbers, shanxi_admin: shanxi_numbers,
    }
    for user, wanted in expected.items():
        client.force_login(user)
        body = client.get(reverse("console_members:member_list") + "?subtree=on").content.decode()
        assert {n for n in hebei_numbers | shanxi_numbers if n in body} == wanted, user.username
        workbook = load_workbook(io.BytesIO(client.get(reverse("console_members:member_export") + "?subtree=on").content))
        cells = {str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c}
        assert (hebei_numbers | shanxi_numbers) & cells == wanted, user.username
        listed = client.get(reverse("members_console_api:members") + "?subtree=true").json()["results"]
        assert {m["number"] for m in listed} == wanted, user.username


@pytest.mark.django_db
def test_the_fellow_cap_counts_the_members_of_the_one_organisation(
    shanxi_county, make_members, national_admin, province_admin
):
    members = make_members(shanxi_county, 100)
    with pytest.raises(OutOfScope):
        membership_grade_set(actor=province_admin, membership=members[0], grade=Membership.Grade.FELLOW)
    membership_grade_set(actor=national_admin, membership=members[0], grade=Membership.Grade.FELLOW)
    from kexie.errors import DomainError

    with pytest.raises(DomainError):
        membership_grade_set(actor=national_admin, membership=members[1], grade=Membership.Grade.FELLOW)


@pytest.mark.django_db
def test_each_province_gets_the_level_totals_and_only_the_level_above_sets_them(
    client, national, hebei, shanxi, national_admin, province_admin
):
    targets_seed(year=YEAR)
    for province in (hebei, shanxi):
        assert Target.objects.get(org=province, year=YEAR, metric="new_members_province_level").value == 3340
    assert not Target.objects.filter(org=national, year=YEAR).exists()
    client.force_login(national_admin)
    assert client.get(reverse("orgs:target_edit", args=[shanxi.pk, YEAR])).status_code == 200
    assert client.get(reverse("orgs:target_edit", args=[hebei.pk, YEAR])).status_code == 200
    client.force_login(province_admin)
    assert client.get(reverse("orgs:target_edit", args=[shanxi.pk, YEAR])).status_code == 404
    assert client.get(reverse("orgs:target_edit", args=[hebei.pk, YEAR])).status_code == 404, "the level above decides"
    listed = client.get(reverse("orgs:target_list") + f"?year={YEAR}").content.decode()
    assert "太原市科学技术协会" not in listed and "石家庄市科学技术协会" in listed


@pytest.mark.django_db
def test_snapshots_roll_up_to_the_national_root_and_dashboards_stay_in_the_province(
    client, national, hebei, shanxi, county_a, shanxi_county, make_applicant, national_admin, province_admin,
    shanxi_admin,
):
    _approve(county_a, "冀一", make_applicant, province_admin)
    _approve(county_a, "冀二", make_applicant, province_admin)
    _approve(shanxi_county, "晋一", make_applicant, shanxi_admin)
    progress_recompute_all(years=[YEAR])
    approved = {
        s.org_id: s.counts["approved"] for s in ProgressSnapshot.objects.filter(year=YEAR, scope="subtree")
    }
    assert approved[hebei.pk] == 2 and approved[shanxi.pk] == 1 and approved[national.pk] == 3

    client.force_login(national_admin)
    dashboard = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").context["d"]
    assert dashboard.root == national
    assert {row.org for row in dashboard.rows} == {hebei, shanxi}
    assert dashboard.summary.figures["approved"] == 3

    client.force_login(province_admin)
    dashboard = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").context["d"]
    assert dashboard.root == hebei and dashboard.trail == [], "the national root is above, not visible"
    assert dashboard.summary.figures["approved"] == 2
    assert client.get(reverse("orgs:dashboard") + f"?year={YEAR}&org={shanxi.pk}").status_code == 404
    assert client.get(reverse("orgs:dashboard") + f"?year={YEAR}&org={national.pk}").status_code == 404
    client.force_login(shanxi_admin)
    assert client.get(reverse("orgs:dashboard") + f"?year={YEAR}").context["d"].summary.figures["approved"] == 1


@pytest.mark.django_db
def test_public_page_national_by_province_and_one_page_per_province(
    client, national, hebei, shanxi, city, county_a, shanxi_county, make_applicant, province_admin, shanxi_admin,
    django_capture_on_commit_callbacks,
):
    _approve(county_a, "冀一", make_applicant, province_admin)
    progress_recompute_all(years=[YEAR])
    overview = client.get(reverse("progress:index") + f"?year={YEAR}")
    data = overview.context["data"]
    assert data["national"]["approved"] == 1
    assert [row["name"] for row in data["province_rows"]] == [hebei.name, shanxi.name]
    assert city.name not in overview.content.decode(), "cities are on their province's page"

    page = client.get(reverse("progress:index") + f"?year={YEAR}&org={shanxi.pk}")
    body = page.content.decode()
    assert "太原市科学技术协会" in body and city.name not in body
    assert page.context["data"]["province"]["approved"] == 0
    hebei_page = client.get(reverse("progress:index") + f"?year={YEAR}&org={hebei.pk}")
    assert hebei_page.context["data"]["province"]["approved"] == 1 and city.name in hebei_page.content.decode()
    assert "太原市科学技术协会" not in hebei_page.content.decode()
    for not_a_province in (national.pk, city.pk, 10**9):
        assert client.get(reverse("progress:index") + f"?year={YEAR}&org={not_a_province}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        _approve(shanxi_county, "晋一", make_applicant, shanxi_admin)
    again = client.get(reverse("progress:index") + f"?year={YEAR}&org={shanxi.pk}").context["data"]
    assert again["province"]["approved"] == 1, "a recount drops each province's cached page"
    assert client.get(reverse("progress:index") + f"?year={YEAR}").context["data"]["national"]["approved"] == 2
