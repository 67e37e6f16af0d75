"""Dashboards, the Excel export and the public progress page: scope, content and absence of personal data."""

import re
from io import BytesIO

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from members.models import Membership
from orgs.exports import safe_cell
from orgs.models import AuditEvent, Org
from orgs.services.targets import targets_seed


@pytest.fixture
def progress_data(hebei, county_a, county_b, other_county, city, make_applicant, province_admin):
    """Approved members in county A, county B, another city's county and the city itself; snapshots computed."""
    people = []
    for org, name in [(county_a, "赵甲"), (county_a, "钱乙"), (county_b, "孙丙"), (other_county, "李丁"), (city, "周戊")]:
        person = make_applicant(name)
        application = approvals.application_submit(person=person, org=org, declaration_accepted=True)
        approvals.application_approve(application=application, reviewer=province_admin)
        people.append(person)
    pending = make_applicant("吴己")
    approvals.application_submit(person=pending, org=county_a, declaration_accepted=True)
    people.append(pending)
    targets_seed(year=2026)
    progress_recompute_all(years=[2026])
    cache.delete("progress:public:2026")
    return people


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def _sheet_text(content: bytes) -> str:
    sheet = load_workbook(BytesIO(content)).active
    return "\n".join(" ".join(str(c) for c in row if c is not None) for row in sheet.iter_rows(values_only=True))


@pytest.mark.django_db
def test_provincial_staff_see_every_city_lagging_first_with_rank_one_the_best(
    client, staff, progress_data, city, other_city, django_assert_max_num_queries
):
    client.force_login(staff)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("orgs:dashboard") + "?year=2026&kind=kexie")
    body = response.content.decode()
    rows = response.context["dashboard"].rows
    assert len(rows) == 13, "the province's 13 city 科协"
    assert {r.org.name for r in rows} >= {city.name, other_city.name}
    scores = [r.score for r in rows if r.score is not None]
    assert scores == sorted(scores), "by default lagging orgs come first"
    ranks = {r.org.pk: r.rank for r in rows}
    assert ranks[city.pk] == 1, "石家庄 has the only new city-level member: the best completion is rank 1"
    assert ranks[other_city.pk] == 2, "cities with equal completion share the next rank"
    assert rows[-1].org == city, "lagging first: the best is last, with its rank 1"
    assert 'class="badge bad"' in body, "2026 with 1 of 610 members is behind"
    assert "数据截至" in body
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in body and 'src="/static/js/dashboard-chart.js"' in body
    assert "<script>" not in body, "no inline script: the chart reads the JSON block"


@pytest.mark.django_db
def test_the_sort_order_is_a_control_and_ranks_do_not_change_with_it(client, staff, progress_data, city):
    client.force_login(staff)
    lagging = client.get(reverse("orgs:dashboard") + "?year=2026&kind=kexie").context["dashboard"].rows
    leading = client.get(reverse("orgs:dashboard") + "?year=2026&kind=kexie&order=leading").context["dashboard"].rows
    tree = client.get(reverse("orgs:dashboard") + "?year=2026&kind=kexie&order=tree").context["dashboard"].rows
    assert leading[0].org == city and leading[0].rank == 1
    assert {r.org.pk: r.rank for r in leading} == {r.org.pk: r.rank for r in lagging} == {r.org.pk: r.rank for r in tree}
    assert [r.org.lft for r in tree] == sorted(r.org.lft for r in tree), "organisation order"
    body = client.get(reverse("orgs:dashboard") + "?year=2026&order=leading").content.decode()
    assert '<option value="leading" selected>' in body
    assert "请选择有效的排序方式" in client.get(reverse("orgs:dashboard") + "?order=worst").content.decode()


@pytest.mark.django_db
def test_drill_down_from_city_to_county_shows_its_numbers(client, staff, progress_data, city, county_a):
    client.force_login(staff)
    response = client.get(reverse("orgs:dashboard") + f"?org={city.pk}&year=2026")
    rows = {r.org.pk: r for r in response.context["dashboard"].rows}
    assert rows[county_a.pk].figures["new_members"] == 2
    assert rows[county_a.pk].figures["pending"] == 1
    assert rows[county_a.pk].cells["new_members"].target == 80
    assert rows[county_a.pk].cells["new_members"].gap == 78
    response = client.get(reverse("orgs:dashboard") + f"?org={county_a.pk}&year=2026")
    assert response.context["dashboard"].summary.figures["received"] == 3


@pytest.mark.django_db
def test_a_county_admins_dashboard_and_export_contain_only_its_subtree(client, admin_a, progress_data, county_a,
                                                                       county_b, city, other_county):
    client.force_login(admin_a)
    body = client.get(reverse("orgs:dashboard") + "?year=2026").content.decode()
    assert county_a.name in body
    for outside in (county_b, city, other_county):
        assert outside.name not in body
    assert client.get(reverse("orgs:dashboard") + f"?org={county_b.pk}").status_code == 404
    assert client.get(reverse("orgs:dashboard") + "?org=abc").status_code == 404
    response = client.get(reverse("orgs:dashboard_export") + "?year=2026")
    text = _sheet_text(response.content)
    assert county_a.name in text
    for outside in (county_b, city, other_county):
        assert outside.name not in text
    assert client.get(reverse("orgs:dashboard_export") + f"?org={city.pk}").status_code == 404


@pytest.mark.django_db
def test_the_export_has_no_personal_data_and_is_audited(client, staff, progress_data, hebei):
    client.force_login(staff)
    response = client.get(reverse("orgs:dashboard_export") + "?year=2026")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = _sheet_text(response.content)
    assert "石家庄市科学技术协会" in text
    for person in progress_data:
        assert person.name not in text
        assert person.mobile not in text
    for number in Membership.objects.values_list("number", flat=True):
        assert number not in text
    event = AuditEvent.objects.get(action="export.dashboard")
    assert event.actor == staff and event.org == hebei


def test_formula_looking_cells_are_neutralised():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("石家庄") == "石家庄"
    assert safe_cell(-3) == -3


@pytest.mark.django_db
def test_a_bad_year_is_reported_and_the_page_still_renders(client, staff, progress_data):
    client.force_login(staff)
    response = client.get(reverse("orgs:dashboard") + "?year=abc&kind=nonsense")
    body = response.content.decode()
    assert response.status_code == 200
    assert "年度应为四位数字" in body
    assert "请选择有效的组织类型" in body


@pytest.mark.django_db
def test_applicants_do_not_reach_the_dashboard(client, progress_data):
    client.force_login(progress_data[0].user)
    assert client.get(reverse("orgs:dashboard")).status_code == 404
    assert client.get(reverse("orgs:dashboard_export")).status_code == 404


@pytest.mark.django_db
def test_the_public_page_shows_city_and_county_aggregates_without_personal_data(client, progress_data, city,
                                                                                county_a):
    response = client.get(reverse("progress:index") + "?year=2026")
    body = response.content.decode()
    assert response.status_code == 200
    assert city.name in body and county_a.name in body
    assert "数据截至" in body
    for person in progress_data:
        assert person.name not in body
        assert person.mobile not in body
        assert person.id_number_masked not in body
    for number in Membership.objects.values_list("number", flat=True):
        assert number not in body
    provincial = Org.objects.filter(level="province", kind="society").first()
    assert provincial.name not in body, "only cities and counties are published"
    city_row = next(c for c in response.context["data"]["cities"] if c["name"] == city.name)
    assert city_row["received"] == 5 and city_row["approved"] == 4


@pytest.mark.django_db
def test_the_dashboard_is_rendered_once_per_snapshot_version_and_again_after_a_recount(
    client, staff, progress_data, county_a, make_applicant, django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    from orgs.services.progress import progress_mark_dirty

    client.force_login(staff)
    url = reverse("orgs:dashboard") + f"?org={county_a.pk}&year=2026"
    first = client.get(url)
    assert first.context["dashboard"].summary.figures["received"] == 3
    with django_assert_max_num_queries(8):
        again = client.get(url)
    # The same page but for the header's per-request CSRF token (the sign-out form).
    assert _without_csrf(again) == _without_csrf(first)
    assert "dashboard" not in again.context, "served from the cache: nothing was computed"

    progress_mark_dirty(org_ids=[county_a.pk])
    assert "有新的变动正在计入" in client.get(url).content.decode(), "a change waiting for its recount shows at once"
    with django_capture_on_commit_callbacks(execute=True):
        approvals.application_submit(person=make_applicant("郑庚"), org=county_a, declaration_accepted=True)
    progress_recompute_all(years=[2026])
    after = client.get(url)
    assert after.context["dashboard"].summary.figures["received"] == 4, "the recount's figures, not the cached ones"
    assert "有新的变动正在计入" not in after.content.decode()


@pytest.mark.django_db
def test_a_cached_dashboard_is_never_shown_to_another_scope(client, staff, admin_a, progress_data, county_a, county_b,
                                                           city):
    url = reverse("orgs:dashboard") + "?year=2026"
    client.force_login(staff)
    assert city.name in client.get(url).content.decode()
    client.force_login(admin_a)
    body = client.get(url).content.decode()
    assert county_a.name in body
    assert city.name not in body and county_b.name not in body


@pytest.mark.django_db
def test_a_new_organisation_appears_on_a_cached_dashboard_at_once(
    client, city_admin, progress_data, city, django_capture_on_commit_callbacks
):
    from orgs.services.tree import org_create

    client.force_login(city_admin)
    url = reverse("orgs:dashboard") + "?year=2026"
    assert "测试甲科学技术协会" not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        org_create(parent=city, name="测试甲科学技术协会", code="HB999", kind=Org.Kind.KEXIE, level=Org.Level.COUNTY)
    assert "测试甲科学技术协会" in client.get(url).content.decode()
