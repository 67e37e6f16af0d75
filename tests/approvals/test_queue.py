"""The review queue: scoped to the admin's orgs, filterable, paginated, constant query count."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import Application

QUEUE = reverse("approvals:queue")


def _names(response) -> set[str]:
    return {a.person.name for a in response.context["page"]}


@pytest.mark.django_db
def test_county_admin_sees_own_submitted_applications_by_default(client, admin_a, county_a, county_b, submit):
    submit(county_a, "甲一")
    submit(county_b, "乙一")
    returned = submit(county_a, "甲二")
    services.application_return(application=returned, reviewer=admin_a, comment="请补充材料")
    client.force_login(admin_a)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert _names(response) == {"甲一"}
    assert "乙一" not in response.content.decode()


@pytest.mark.django_db
def test_city_admin_sees_only_the_city_until_the_subtree_filter_is_on(client, city_admin, city, county_a, other_county, submit):
    submit(city, "市级申请")
    submit(county_a, "县级申请")
    submit(other_county, "外市申请")
    client.force_login(city_admin)
    assert _names(client.get(QUEUE)) == {"市级申请"}
    assert _names(client.get(QUEUE, {"status": "submitted", "subtree": "on"})) == {"市级申请", "县级申请"}
    assert _names(client.get(QUEUE, {"org": county_a.pk})) == {"县级申请"}


@pytest.mark.django_db
def test_a_sibling_or_foreign_org_in_the_filter_is_404(client, admin_a, county_b, other_county):
    client.force_login(admin_a)
    assert client.get(QUEUE, {"org": county_b.pk}).status_code == 404
    assert client.get(QUEUE, {"org": other_county.pk}).status_code == 404


@pytest.mark.django_db
def test_filters_by_status_level_eligibility_date_and_search(client, city_admin, city, county_a, submit):
    eligible = submit(county_a, "合格者")
    weak = submit(county_a, "不合格者", education="high_school", title="none", award_level=None)
    assert eligible.meets_criteria and not weak.meets_criteria
    city_app = submit(city, "市里人")
    services.application_reject(application=city_app, reviewer=city_admin, comment="材料不实")
    client.force_login(city_admin)
    base = {"subtree": "on"}
    assert _names(client.get(QUEUE, {**base, "eligible": "no"})) == {"不合格者"}
    assert _names(client.get(QUEUE, {**base, "eligible": "yes"})) == {"合格者", "市里人"}
    assert _names(client.get(QUEUE, {**base, "level": "city"})) == {"市里人"}
    assert _names(client.get(QUEUE, {**base, "status": "rejected"})) == {"市里人"}
    assert _names(client.get(QUEUE, {**base, "q": "合格"})) == {"合格者", "不合格者"}
    assert _names(client.get(QUEUE, {**base, "q": eligible.person.mobile[-6:]})) == {"合格者"}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    assert _names(client.get(QUEUE, {**base, "date_from": tomorrow})) == set()
    assert len(_names(client.get(QUEUE, {**base, "date_from": today, "date_to": today}))) == 3


@pytest.mark.django_db
def test_a_reversed_date_range_is_a_chinese_form_error_not_a_500(client, admin_a):
    client.force_login(admin_a)
    response = client.get(QUEUE, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()


@pytest.mark.django_db
def test_recommended_items_show_who_recommended_when_and_why(client, admin_a, city_admin, county_a, submit):
    application = submit(county_a, "被推荐者")
    services.recommendation_create(
        actor=admin_a, from_org=county_a, person=application.person, opinion="多年扎根基层，成果显著",
        source_application=application,
    )
    client.force_login(city_admin)
    body = client.get(QUEUE).content.decode()
    assert "被推荐者" in body and county_a.name in body and "多年扎根基层，成果显著" in body
    assert str(admin_a) in body


def _fill(org, n, submit):
    for i in range(n):
        submit(org, f"申请人{i:02d}")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [5, 60])
def test_queue_query_count_does_not_grow_with_rows(client, city_admin, city, county_a, submit, rows, django_assert_max_num_queries):
    _fill(county_a, rows, submit)
    client.force_login(city_admin)
    client.get(QUEUE)  # warm the per-process ContentType cache so both sizes are measured alike
    with django_assert_max_num_queries(13):
        response = client.get(QUEUE, {"status": "submitted", "subtree": "on"})
    assert len(response.context["page"]) == min(rows, 25)
    assert response.context["page"].paginator.count == rows


@pytest.mark.django_db
def test_queue_is_paginated_by_25(client, admin_a, county_a, submit):
    _fill(county_a, 27, submit)
    client.force_login(admin_a)
    page2 = client.get(QUEUE, {"status": "submitted", "page": 2})
    assert len(page2.context["page"]) == 2


@pytest.mark.django_db
def test_staff_read_the_queue_and_detail_without_decision_buttons(client, staff, county_a, submit):
    application = submit(county_a, "只读查看")
    client.force_login(staff)
    assert "只读查看" in client.get(QUEUE, {"subtree": "on"}).content.decode()
    detail = client.get(reverse("approvals:detail", args=[application.pk]))
    assert detail.status_code == 200
    assert not detail.context["can_decide"] and "提交审核决定" not in detail.content.decode()
    response = client.post(reverse("approvals:decide", args=[application.pk]), {"decision": "approve"})
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


@pytest.mark.django_db
def test_detail_shows_masked_id_checklist_explanation_and_history(client, admin_a, county_a, submit):
    application = submit(county_a, "详情人", education="high_school", title="none", award_level=None, explanation="长期从事农技推广")
    client.force_login(admin_a)
    body = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    person = application.person
    assert person.id_number_masked in body
    from members.crypto import decrypt_id_number

    assert decrypt_id_number(person.id_number_encrypted) not in body
    assert "长期从事农技推广" in body and "不符合" in body
    assert 'data-action="application.submit"' in body and "提交申请" in body


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, extra",
    [("", {}), ("submitted", {}), ("submitted", {"oldest_first": True}), ("", {"source": "self", "oldest_first": True})],
)
def test_the_newest_per_org_page_holds_exactly_the_rows_of_the_plain_query(
    city_admin, city, county_a, county_b, submit, status, extra
):
    from approvals.selectors import review as selectors

    people = [submit(org, f"申请人{org.pk}-{i:02d}") for i in range(24) for org in (city, county_a, county_b)]
    # Ties on submitted_at (ordered by id) and decided rows mixed in, unevenly over the three orgs.
    same = timezone.now() - timedelta(days=3)
    Application.objects.filter(pk__in=[a.pk for a in people[::4]]).update(submitted_at=same)
    for application in people[1:30:3]:
        services.application_return(application=application, reviewer=city_admin, comment="请补充")
    for application in people[1:30:6]:  # some of the returned ones come back
        services.application_resubmit(application=application, person=application.person)
    kwargs = {"include_subtree": True, "status": status, **extra}
    plain = list(selectors.applications_for_review(city_admin, **kwargs))
    queue = selectors.ReviewQueue(city_admin, **kwargs)
    assert queue.count() == len(plain) and len(plain) >= 60
    for start in (0, 25, 50):
        assert [a.pk for a in queue[start : start + 25]] == [a.pk for a in plain[start : start + 25]]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("oldest_first", [False, True])
def test_a_short_page_over_more_orgs_reads_only_rows_up_to_the_bound_and_still_matches_the_plain_query(
    city_admin, city, county_a, county_b, submit, oldest_first
):
    """Pages shorter than the number of orgs: the rows are bounded by the n-th org head. Rows that tie with the
    bound's time, in its org and in others, must come out exactly where the plain query puts them."""
    from approvals.selectors import review as selectors

    people = [submit(org, f"申请人{org.pk}-{i:02d}") for i in range(6) for org in (city, county_a, county_b)]
    base = timezone.now() - timedelta(days=10)
    for i, application in enumerate(people):
        Application.objects.filter(pk=application.pk).update(submitted_at=base + timedelta(hours=i // 2))
    plain = [a.pk for a in selectors.applications_for_review(city_admin, include_subtree=True, oldest_first=oldest_first)]
    queue = selectors.ReviewQueue(city_admin, include_subtree=True, oldest_first=oldest_first)
    for start, stop in [(0, 1), (0, 2), (1, 2), (2, 4), (0, 3), (3, 5), (1, 3), (0, 18), (16, 18)]:
        assert [a.pk for a in queue[start:stop]] == plain[start:stop], (start, stop)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_page_bound_leaves_out_orgs_whose_newest_rows_are_older(city_admin, city, county_a, county_b, submit):
    """The point of the bound: for the newest 2 rows, an org whose head is older than the 2nd head gives none."""
    from approvals.selectors import review as selectors

    now = timezone.now()
    for org, age in ((city, 1), (county_a, 2), (county_b, 30)):
        for i in range(5):
            application = submit(org, f"申请人{org.pk}-{i}")
            Application.objects.filter(pk=application.pk).update(submitted_at=now - timedelta(days=age, hours=i))
    queue = selectors.ReviewQueue(city_admin, include_subtree=True)
    newest = {org.pk: list(Application.objects.filter(org=org).order_by("-submitted_at").values_list("pk", flat=True))
              for org in (city, county_a, county_b)}
    assert [a.pk for a in queue[0:2]] == newest[city.pk][:2]
    assert set(queue.candidates(2)) == {*newest[city.pk][:2], newest[county_a.pk][0]}, (
        "the city's two newest, and county A's head (the bound); county B's rows are all past it"
    )
    assert set(queue.candidates(3)) == {*newest[city.pk][:3], *newest[county_a.pk][:3], newest[county_b.pk][0]}
    assert set(queue.candidates(4)) == {pk for rows in newest.values() for pk in rows[:4]}, (
        "fewer heads than rows asked for: no bound"
    )


@pytest.mark.django_db
def test_a_long_queues_count_is_kept_briefly_and_shown_as_approximate(client, city_admin, county_a, submit, settings):
    """Rows are read fresh on every request; only the total of a long list comes from a count made moments ago,
    and the page says so (约). A short list is counted every time."""
    from approvals.selectors import review as selectors

    settings.QUEUE_COUNT_EXACT_BELOW = 27
    _fill(county_a, 27, submit)
    first = selectors.ReviewQueue(city_admin, include_subtree=True, status="submitted")
    assert first.count() == 27 and not first.count_approximate
    submit(county_a, "稍后提交")
    again = selectors.ReviewQueue(city_admin, include_subtree=True, status="submitted")
    assert again.count() == 27 and again.count_approximate
    assert len(again[0:30]) == 28, "the rows are read fresh"
    client.force_login(city_admin)
    body = client.get(QUEUE, {"status": "submitted", "subtree": "on"}).content.decode()
    assert "约 27 条" in body and "共 27 条" not in body

    settings.QUEUE_COUNT_EXACT_BELOW = 1000
    short = selectors.ReviewQueue(city_admin, include_subtree=True, status="returned")
    short.count()
    assert short.count() == 0 and not short.count_approximate
    body = client.get(QUEUE, {"status": "submitted", "subtree": "on", "page": 2}).content.decode()
    assert "约 27 条" in body, "the kept count is still used within its lifetime, and still marked"
    cache.delete(again.count_key())
    body = client.get(QUEUE, {"status": "submitted", "subtree": "on", "page": 2}).content.decode()
    assert "共 28 条" in body and "约" not in body.split('class="pagination"')[1]


@pytest.mark.django_db
def test_the_kept_count_is_shared_by_the_same_scope_and_filters_only(city, county_a, city_admin, admin_a, make_admin):
    """The count's key is made of the list's inputs, not its SQL: reviewers with the same grants share it; a
    different scope, subtree choice, filter or a service token's narrowing never does."""
    from approvals.selectors.review import ReviewQueue
    from orgs.models import ServiceToken
    from orgs.permissions import as_service_token

    def key(user, **kwargs):
        return ReviewQueue(user, **kwargs).count_key()

    second_city_admin = make_admin(city, "second_city_admin")
    assert key(city_admin, include_subtree=True) == key(second_city_admin, include_subtree=True)
    assert key(city_admin, org=county_a, status="submitted") == key(admin_a, org=county_a, status="submitted")
    assert key(city_admin, include_subtree=True, oldest_first=True) == key(city_admin, include_subtree=True)
    # The page's form sends every field: one left at its default filters nothing and keys nothing.
    assert key(city_admin, include_subtree=True, status="", search="  ", overdue=False, eligible=None) == key(
        city_admin, include_subtree=True
    )
    different = [
        key(city_admin, include_subtree=True),
        key(city_admin),
        key(admin_a, include_subtree=True),
        key(city_admin, include_subtree=True, status="submitted"),
        key(city_admin, include_subtree=True, status="submitted", source="self"),
        key(city_admin, include_subtree=True, eligible=False),
        key(city_admin, include_subtree=True, eligible=True),
        key(city_admin, org=county_a),
        key(city_admin, org=county_a, include_subtree=True),
        key(city_admin, org=city, include_subtree=True),
    ]
    token = ServiceToken.objects.create(org=county_a, name="统计", scopes=["read"], prefix="t", secret_hash="x" * 64,
                                        created_by=city_admin, expires_at=timezone.now() + timedelta(days=30))
    narrowed = as_service_token(type(city_admin).objects.get(pk=city_admin.pk), token)
    different.append(key(narrowed, include_subtree=True))
    assert len(set(different)) == len(different)
