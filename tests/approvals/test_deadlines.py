"""办理时限: the working-day clock of an application, its pause while returned, the reminders and escalation."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from approvals import services
from approvals.deadlines import application_elapsed_workdays, deadline_figures_by_org, deadlines_remind
from approvals.models import DeadlineNotice
from kexie.errors import OutOfScope
from members.models import Notice
from orgs.selectors.handling import handling_days_of
from orgs.services.handling import org_handling_days_set

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=10):
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=SHANGHAI), tick=False)


def _titles(user) -> list[str]:
    return list(Notice.objects.filter(user=user).order_by("pk").values_list("title", flat=True))


@pytest.mark.django_db
def test_reminder_overdue_and_escalation_across_the_spring_festival(county_a, admin_a, city_admin, submit):
    """Submitted on Mon 2026-02-02 with 15 working days: the Spring Festival (02-15 … 02-23) does not count,
    the make-up Saturdays 02-14 and 02-28 do; two thirds are used on 02-14, it is due 02-28, overdue from
    03-01, and more than five working days overdue (escalated to the city) on 03-09. Nothing is sent twice."""
    with at(2026, 2, 2):
        application = submit(county_a, "春节申请")
    assert application.handling_days == 15 and application.due_on == date(2026, 2, 28)

    with at(2026, 2, 13):
        assert deadlines_remind() == 0
    with at(2026, 2, 14):
        assert deadlines_remind() == 1
        assert deadlines_remind() == 0
    assert _titles(admin_a)[-1] == "入会申请即将到期：春节申请"
    with at(2026, 2, 20):
        assert deadlines_remind() == 0  # inside the holiday: no working day passed
    with at(2026, 2, 28):
        assert application_elapsed_workdays(application) == 15
        assert deadlines_remind() == 0  # due today, not yet overdue
    with at(2026, 3, 1):
        assert deadlines_remind() == 1
    assert _titles(admin_a)[-1] == "入会申请已超期：春节申请"
    with at(2026, 3, 6):
        assert deadlines_remind() == 0  # five working days overdue: not yet more than five
    with at(2026, 3, 9):
        call_command("remind_deadlines")
        assert deadlines_remind() == 0
    assert _titles(city_admin) == [f"下级组织入会申请超期督办：{county_a.name}"]
    assert sorted(DeadlineNotice.objects.filter(application=application).values_list("kind", flat=True)) == [
        "escalated", "overdue", "two_thirds",
    ]
    assert len([t for t in _titles(admin_a) if "到期" in t or "超期" in t]) == 2


@pytest.mark.django_db
def test_the_clock_stops_while_the_application_is_returned(county_a, admin_a, submit):
    """Returned on Thu 02-05 and resubmitted Wed 02-11: the four working days in between move the due date
    from 02-28 to 03-05, and while returned the application is never overdue."""
    with at(2026, 2, 2):
        application = submit(county_a, "退回申请")
    with at(2026, 2, 5):
        services.application_return(application=application, reviewer=admin_a, comment="请补充职称证明")
    with at(2026, 2, 10):
        application.refresh_from_db()
        assert application_elapsed_workdays(application) == 3
    with at(2026, 2, 11):
        services.application_resubmit(application=application, person=application.person)
    application.refresh_from_db()
    assert application.paused_workdays == 4 and application.due_on == date(2026, 3, 5)
    with at(2026, 3, 2):
        assert deadlines_remind() == 1  # two thirds only
        assert not application.is_overdue_on(date(2026, 3, 5))
        assert application.is_overdue_on(date(2026, 3, 6))


@pytest.mark.django_db
def test_the_level_above_sets_the_limit_for_the_subtree(city, county_a, county_b, admin_a, city_admin, province_admin, submit):
    """The province sets 12 days for the city and its subtree; the city sets 10 for one county."""
    org_handling_days_set(actor=province_admin, org=city, days=12)
    org_handling_days_set(actor=city_admin, org=county_a, days=10)
    assert handling_days_of(county_b) == 12 and handling_days_of(county_a) == 10
    with at(2026, 2, 2):
        application = submit(county_a, "十日申请")
    # The tenth working day is the make-up Saturday before the Spring Festival.
    assert application.handling_days == 10 and application.due_on == date(2026, 2, 14)
    with pytest.raises(OutOfScope):
        org_handling_days_set(actor=admin_a, org=county_a, days=30)


@pytest.mark.django_db
def test_an_application_beyond_the_calendar_data_is_accepted_and_dated_later(county_a, submit):
    with at(2027, 3, 1):
        application = submit(county_a, "明年申请")
        assert application.due_on is None and application.clock_started_at is not None
        assert deadlines_remind() == 0


@pytest.mark.django_db
def test_queue_marks_overdue_items_and_filters_them(client, county_a, admin_a, submit):
    with at(2026, 2, 2):
        late = submit(county_a, "超期者")
    with at(2026, 3, 2):
        fresh = submit(county_a, "新申请者")
        client.force_login(admin_a)
        page = client.get(reverse("approvals:queue")).content.decode()
        assert page.count("已超期") == 1 and "应于 2026-02-28 前办结" in page
        only = client.get(reverse("approvals:queue"), {"overdue": "on"}).content.decode()
        assert "超期者" in only and "新申请者" not in only
        figures = deadline_figures_by_org([county_a.pk])
    assert figures[county_a.pk].pending == 2 and figures[county_a.pk].overdue == 1
    assert fresh.due_on > late.due_on


@pytest.mark.django_db
def test_average_handling_time_counts_working_days_without_the_returned_time(county_a, admin_a, submit):
    with at(2026, 2, 2):
        application = submit(county_a, "已办结")
    with at(2026, 2, 5):
        services.application_return(application=application, reviewer=admin_a, comment="补充")
    with at(2026, 2, 11):
        services.application_resubmit(application=application, person=application.person)
    with at(2026, 2, 13):
        services.application_approve(application=application, reviewer=admin_a)
    with at(2026, 3, 1):
        figures = deadline_figures_by_org([county_a.pk])
    # 02-03 … 02-13 are 9 working days, 4 of them spent returned.
    assert figures[county_a.pk].average_workdays == 5.0 and figures[county_a.pk].pending == 0


@pytest.mark.django_db
def test_the_applicant_sees_the_expected_decision_date(client, county_a, submit):
    with at(2026, 2, 2):
        application = submit(county_a, "看日期")
        client.force_login(application.person.user)
        page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert "预计办结日期" in page and "2026-02-28" in page


@pytest.mark.django_db
def test_the_city_sets_a_county_limit_on_the_org_page(client, county_a, city_admin, admin_a):
    client.force_login(city_admin)
    bad = client.post(reverse("orgs:handling_days", args=[county_a.pk]), {"days": "0"})
    assert bad.status_code == 400 and 'value="0"' in bad.content.decode()
    client.post(reverse("orgs:handling_days", args=[county_a.pk]), {"days": "12"})
    county_a.refresh_from_db()
    assert county_a.handling_days == 12
    client.force_login(admin_a)
    page = client.get(reverse("orgs:detail", args=[county_a.pk])).content.decode()
    assert "12 个工作日" in page and "设置办理时限" not in page
