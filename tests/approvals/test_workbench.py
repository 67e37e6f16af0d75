"""The workbench (工作台): what waits for an administrator, one scoped list per kind of work, oldest first;
provincial staff get the progress summary; console users land on it after signing in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import Application
from approvals.selectors import workbench as selectors
from members.selectors.census import census_imports_to_commit, census_imports_with_unanswered, invitations_unanswered
from members.services import census as census_services
from tests.conftest import login_via_form
from tests.members.conftest import census_row, csv_upload


def _age(application: Application, days: int) -> Application:
    """Backdate a submission (the queue orders by submitted_at)."""
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now() - timedelta(days=days))
    application.refresh_from_db()
    return application


@pytest.fixture
def county_work(county_a, county_b, city, admin_a, city_admin, submit, make_applicant):
    """County A: two fresh applications, one returned and resubmitted, one already decided; county B: one; a
    recommendation from county A to the city."""
    newer = _age(submit(county_a, "新申请甲"), 1)
    older = _age(submit(county_a, "新申请乙"), 5)
    returned = submit(county_a, "退回再交")
    services.application_return(application=returned, reviewer=admin_a, comment="请补充证明材料")
    services.application_resubmit(application=returned, person=returned.person, explanation="已补充")
    decided = submit(county_a, "已批准者")
    membership = services.application_approve(application=decided, reviewer=admin_a)
    sibling = submit(county_b, "邻县申请")
    recommendation = services.recommendation_create(
        actor=admin_a, from_org=county_a, person=decided.person, opinion="业绩突出", source_membership=membership
    )
    return {
        "newer": newer,
        "older": older,
        "returned": returned,
        "sibling": sibling,
        "recommended": recommendation.application,
    }


@pytest.mark.django_db
def test_each_list_holds_only_its_own_kind_of_work_in_the_admins_own_org_oldest_first(county_work, admin_a, admin_b):
    """New applications, recommendations and resubmissions split the submitted work without overlap; a sibling
    county's application is never listed."""
    w = county_work
    assert list(selectors.applications_to_review(admin_a)) == [w["older"], w["newer"]]
    assert list(selectors.applications_resubmitted(admin_a)) == [w["returned"]]
    assert list(selectors.recommendations_received(admin_a)) == []
    assert list(selectors.applications_to_review(admin_b)) == [w["sibling"]]
    assert w["sibling"] not in selectors.applications_to_review(admin_a)


@pytest.mark.django_db
def test_the_city_receives_the_recommendation_and_not_the_county_applications(county_work, city_admin):
    assert list(selectors.recommendations_received(city_admin)) == [county_work["recommended"]]
    assert list(selectors.applications_to_review(city_admin)) == []
    assert list(selectors.applications_resubmitted(city_admin)) == []


@pytest.mark.django_db
def test_the_counts_read_together_equal_each_lists_length(county_work, admin_a, admin_b, city_admin, submit, county_a):
    for i in range(6):  # more than a card shows
        submit(county_a, f"排队者{i}")
    for user in (admin_a, admin_b, city_admin):
        assert selectors.awaiting_review_counts(user) == {
            "applications": selectors.applications_to_review(user).count(),
            "recommendations": selectors.recommendations_received(user).count(),
            "resubmitted": selectors.applications_resubmitted(user).count(),
        }
    assert selectors.awaiting_review_counts(admin_a) == {"applications": 8, "recommendations": 0, "resubmitted": 1}
    assert selectors.awaiting_review_counts(city_admin) == {"applications": 0, "recommendations": 1, "resubmitted": 0}


@pytest.mark.django_db
def test_a_resubmitted_application_leaves_the_list_once_decided(county_work, admin_a):
    services.application_approve(application=county_work["returned"], reviewer=admin_a)
    assert list(selectors.applications_resubmitted(admin_a)) == []
    assert county_work["returned"] not in selectors.applications_to_review(admin_a)


@pytest.fixture
def census_work(county_a, county_b, admin_a, admin_b, django_capture_on_commit_callbacks):
    """County A: one list checked and waiting, one imported with 3 people of whom 1 re-registered; county B: one
    list waiting."""
    def upload(actor, org, rows, name):
        with django_capture_on_commit_callbacks(execute=True):
            census = census_services.census_import_create(actor=actor, org=org, file=csv_upload(rows, name=name))
        return census

    waiting = upload(admin_a, county_a, [census_row(71_001)], "待导入.csv")
    imported = upload(admin_a, county_a, [census_row(72_000 + i) for i in range(3)], "已导入.csv")
    with django_capture_on_commit_callbacks(execute=True):
        census_services.census_commit_start(actor=admin_a, census=imported)
    row = imported.rows.order_by("row_number").first()
    census_services.census_claim(
        token=row.invite_token, id_number=census_row(72_000)[1], password="Kexie-2026-ok", mobile=row.mobile,
        name=row.name, employer="某单位", education="bachelor", title="intermediate",
    )
    other = upload(admin_b, county_b, [census_row(73_001)], "邻县.csv")
    return {"waiting": waiting, "imported": imported, "other": other}


@pytest.mark.django_db
def test_census_lists_hold_the_admins_own_imports_and_unanswered_invitations(census_work, admin_a, admin_b):
    assert list(census_imports_to_commit(admin_a)) == [census_work["waiting"]]
    assert list(census_imports_to_commit(admin_b)) == [census_work["other"]]
    assert invitations_unanswered(admin_a).count() == 2
    assert invitations_unanswered(admin_b).count() == 0
    [imported] = census_imports_with_unanswered(admin_a)
    assert (imported.pk, imported.unanswered) == (census_work["imported"].pk, 2)


@pytest.mark.django_db
def test_the_workbench_page_shows_counts_oldest_items_and_links(client, county_work, census_work, county_a):
    assert login_via_form(client, "admin_a")
    page = client.get(reverse("approvals:workbench")).content.decode()
    assert "工作台" in page
    # Oldest first, with the days waited.
    assert page.index("新申请乙") < page.index("新申请甲")
    assert "已等待 5 天" in page
    assert "退回再交" in page and "邻县申请" not in page
    assert "status=submitted&amp;source=self&amp;order=oldest" in page
    assert "待导入.csv" in page and "邻县.csv" not in page
    assert reverse("console_members:census_people", args=[county_a.pk]) + f"?census={census_work['imported'].pk}" in page
    assert "2 人未登记" in page


@pytest.mark.django_db
def test_the_queue_link_of_a_card_lists_exactly_that_card(client, county_work):
    assert login_via_form(client, "admin_a")
    response = client.get(reverse("approvals:queue"), {"status": "submitted", "source": "self", "order": "oldest"})
    names = [a.person.name for a in response.context["page"]]
    assert names == ["新申请乙", "新申请甲"]
    response = client.get(reverse("approvals:queue"), {"status": "submitted", "source": "resubmitted"})
    assert [a.person.name for a in response.context["page"]] == ["退回再交"]


@pytest.mark.django_db
def test_workbench_query_count_does_not_grow_with_the_work(
    client, county_a, admin_a, submit, django_assert_max_num_queries
):
    assert login_via_form(client, "admin_a")
    for i in range(3):
        submit(county_a, f"申请人{i}")
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("approvals:workbench")).status_code == 200
    for i in range(12):
        submit(county_a, f"更多申请人{i}")
    for application in list(Application.objects.filter(org=county_a).order_by("id"))[:6]:
        services.application_return(application=application, reviewer=admin_a, comment="请补充证明材料")
        services.application_resubmit(application=application, person=application.person, explanation="已补充")
    with django_assert_max_num_queries(len(few.captured_queries)) as full:
        response = client.get(reverse("approvals:workbench"))
    page = response.content.decode()
    assert "处理全部 9 项" in page and "处理全部 6 项" in page
    # Two full cards of applications: their lengths come from one conditional count, not a count each.
    counts = [q["sql"] for q in full.captured_queries if "COUNT(" in q["sql"] and "approvals_application" in q["sql"]]
    assert len(counts) == 1, counts


@pytest.mark.django_db
def test_provincial_staff_get_the_progress_summary_instead(client, staff):
    assert login_via_form(client, "staff")
    response = client.get(reverse("approvals:workbench"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "全省合计" in page and "完成率最低的下级组织" in page
    assert "待审核的入会申请" not in page


@pytest.mark.django_db
def test_console_users_land_on_the_workbench_and_applicants_do_not_reach_it(client, admin_a, applicant):
    response = client.post(reverse("login"), {"username": "admin_a", "password": "Test-pass-2026"})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("approvals:workbench")
    assert client.get(reverse("home")).url == reverse("approvals:workbench")
    client.logout()
    client.force_login(applicant.user)
    assert client.get(reverse("approvals:workbench")).status_code == 404
    assert client.get(reverse("home")).url == reverse("members:me")


@pytest.mark.django_db
def test_payments_members_reported_wait_on_the_workbench_until_confirmed(client, admin_a, admin_b, county_a, submit):
    from decimal import Decimal

    from members.selectors.fees import dues_reported_to
    from members.services.fees import fee_set
    from members.services.payments import payment_confirm, payment_submit

    membership = services.application_approve(application=submit(county_a, "缴费会员"), reviewer=admin_a)
    year = timezone.localdate().year
    fee_set(actor=admin_a, org=county_a, category="regular", year=year, amount=Decimal("30"))
    payment = payment_submit(person=membership.person, membership=membership, year=year, method="on_site")
    assert list(dues_reported_to(admin_a)) == [payment] and list(dues_reported_to(admin_b)) == []
    assert login_via_form(client, "admin_a")
    page = client.get(reverse("approvals:workbench")).content.decode()
    assert "待确认的会费缴纳" in page and "缴费会员" in page and reverse("console_members:dues", args=[county_a.pk]) in page
    payment_confirm(actor=admin_a, payment=payment)
    assert list(dues_reported_to(admin_a)) == []
