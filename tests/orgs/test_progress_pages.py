"""What the progress pages promise: ranks, the order control, elapsed months only, years without targets, the
province's own targets, year pickers, fee collection, the newest data time and refresh behaviour, the public
page's cache, and a definition one click away from every figure on every page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from approvals.progress import progress_recompute_all
from kexie import scheduler
from members.services.fees import fee_payment_record, fee_set
from orgs.figures import FIGURES, competition_ranks, elapsed_months, overall_completion
from orgs.models import Org, ProgressSnapshot, Target
from orgs.selectors.progress import refresh_note
from orgs.services.targets import target_set, targets_seed

YEAR = 2026


def _approve(org, name, make_applicant, reviewer):
    application = approvals.application_submit(person=make_applicant(name), org=org, declaration_accepted=True)
    return approvals.application_approve(application=application, reviewer=reviewer)


# --- ranking and completion -------------------------------------------------------------------------------


def test_rank_one_is_the_best_and_ties_share_a_rank():
    assert competition_ranks([1.0, 0.5, 0.5, 0.2]) == [1, 2, 2, 4]
    assert competition_ranks([0.2, 0.5, None, 1.0, 0.5]) == [4, 2, None, 1, 2]
    assert competition_ranks([0.0] * 3) == [1, 1, 1]


def test_overall_completion_caps_each_target_at_its_goal():
    assert overall_completion([3.0, 0.2]) == 0.6, "300% of one target does not hide 20% of another"
    assert overall_completion([0.5, None]) == 0.5
    assert overall_completion([]) is None


@pytest.mark.django_db
def test_twenty_one_tied_counties_share_rank_two_under_the_one_ahead(client, city, city_admin, make_applicant):
    """One county ahead, every other county of the city at 0%: rank 1, then all of them rank 2, none rank 3."""
    counties = list(Org.objects.filter(parent=city, kind="kexie").order_by("code"))
    for county in counties:
        Target.objects.create(org=county, year=YEAR, metric="new_members", value=80)
    _approve(counties[3], "领先", make_applicant, city_admin)
    progress_recompute_all(years=[YEAR])
    client.force_login(city_admin)
    rows = client.get(reverse("orgs:dashboard") + f"?year={YEAR}&kind=kexie").context["dashboard"].rows
    ranks = [r.rank for r in rows]
    assert sorted(ranks) == [1] + [2] * (len(counties) - 1)
    assert rows[-1].org == counties[3] and rows[-1].rank == 1, "lagging first: the leader is last"


# --- the trend chart ------------------------------------------------------------------------------------------


def test_the_chart_covers_elapsed_months_only():
    today = dt.date(2026, 3, 15)
    assert elapsed_months(2026, today) == 3
    assert elapsed_months(2025, today) == 12
    assert elapsed_months(2027, today) == 0


@pytest.mark.django_db
def test_the_dashboard_plots_only_months_reached(client, staff, hebei):
    progress_recompute_all(years=[YEAR])
    client.force_login(staff)
    with time_machine.travel(dt.datetime(2026, 3, 15, 12, tzinfo=timezone.get_current_timezone()), tick=False):
        response = client.get(reverse("orgs:dashboard") + f"?year={YEAR}")
        future = client.get(reverse("orgs:dashboard") + f"?year={YEAR + 1}")
    chart = response.context["chart"]
    assert chart["labels"] == ["1月", "2月", "3月"]
    assert all(len(series["data"]) == 3 for series in chart["series"])
    assert 'id="trend-empty"' in future.content.decode() and future.context["chart"]["labels"] == []


# --- targets and years ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_year_without_targets_says_so_instead_of_showing_zero_percent(client, staff, city_admin, hebei, city):
    targets_seed(year=YEAR)
    progress_recompute_all(years=[YEAR, YEAR + 1])
    client.force_login(staff)
    without = client.get(reverse("orgs:dashboard") + f"?year={YEAR + 1}").content.decode()
    assert 'id="no-targets"' in without and not re.search(r">\s*0(\.0)?%", without), "no 0% anywhere"
    with_targets = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").content.decode()
    assert 'id="no-targets"' not in with_targets
    assert re.search(r">\s*0(\.0)?%", with_targets), "with targets and nothing done, 0% is the truth"
    public = client.get(reverse("progress:index") + f"?year={YEAR + 1}").content.decode()
    assert 'id="no-targets"' in public
    client.force_login(city_admin)
    report = client.get(reverse("approvals:report", args=[city.pk, YEAR + 1])).content.decode()
    assert 'id="no-targets"' in report


@pytest.mark.django_db
def test_the_province_administrator_sets_the_provinces_own_targets(client, province_admin, city_admin, hebei):
    client.force_login(province_admin)
    url = reverse("orgs:target_edit", args=[hebei.pk, YEAR])
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_members_province_level": "3500", "new_members_city_level": "6670"})
    assert response.status_code == 302
    assert Target.objects.get(org=hebei, year=YEAR, metric="new_members_province_level").value == 3500
    listing = client.get(reverse("orgs:target_list") + f"?year={YEAR}").content.decode()
    assert url in listing, "the province appears in its own target list"
    client.force_login(city_admin)
    assert client.get(url).status_code == 404, "a city cannot set the province's targets"


@pytest.mark.django_db
def test_a_county_still_cannot_set_its_own_targets(admin_a, county_a):
    from kexie.errors import OutOfScope

    with pytest.raises(OutOfScope):
        target_set(actor=admin_a, org=county_a, year=YEAR, metric="new_members", value=10)


@pytest.mark.django_db
def test_the_dashboard_and_the_annual_report_have_a_year_picker(client, city_admin, city, hebei):
    Target.objects.create(org=city, year=2024, metric="new_members", value=600)
    client.force_login(city_admin)
    body = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").content.decode()
    years = re.findall(r'<option value="(\d{4})"', body.split('id="id_year"')[1].split("</select>")[0])
    assert {"2024", str(YEAR)} <= set(years)
    report = reverse("approvals:report", args=[city.pk, YEAR])
    assert '<select name="year" id="id_year">' in client.get(report).content.decode()
    response = client.get(report + "?year=2024&scope=subtree")
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:report", args=[city.pk, 2024]) + "?scope=subtree"


# --- fee collection ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fee_collection_rate_and_its_counts_are_on_the_dashboard(client, city_admin, city, county_a, admin_a,
                                                                 make_members):
    members = make_members(county_a, 4)
    fee_set(actor=admin_a, org=county_a, category="regular", year=YEAR, amount=Decimal("20"))
    fee_payment_record(actor=admin_a, membership=members[0], year=YEAR, kind="paid")
    fee_payment_record(actor=admin_a, membership=members[1], year=YEAR, kind="exempt", note="困难会员")
    progress_recompute_all(years=[YEAR])
    city_snapshot = ProgressSnapshot.objects.get(org=city, year=YEAR, scope="subtree")
    assert (city_snapshot.counts["fee_due"], city_snapshot.counts["fee_paid"], city_snapshot.counts["fee_exempt"]) == (4, 1, 1)
    client.force_login(city_admin)
    response = client.get(reverse("orgs:dashboard") + f"?year={YEAR}")
    row = next(r for r in response.context["dashboard"].rows if r.org == county_a)
    assert row.figures["fee_collection_rate"] == 50.0
    body = response.content.decode()
    assert "50.0%" in body and "1+1/4 人" in body


# --- freshness: the newest data time, the refresh note, the public cache ---------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_newest_data_time(client, staff, hebei, county_a, make_applicant, province_admin,
                                             django_capture_on_commit_callbacks):
    """After an incremental recount the province row is newer than untouched cities: the page shows the newest."""
    progress_recompute_all(years=[YEAR])
    with django_capture_on_commit_callbacks(execute=True):
        _approve(county_a, "新决定", make_applicant, province_admin)
    newest = ProgressSnapshot.objects.filter(year=YEAR).order_by("-computed_at").first().computed_at
    client.force_login(staff)
    response = client.get(reverse("orgs:dashboard") + f"?year={YEAR}")
    dashboard = response.context["dashboard"]
    assert dashboard.computed_at == newest
    assert dashboard.summary.figures["approved"] == 1
    assert timezone.localtime(newest).strftime("%Y-%m-%d %H:%M:%S") in response.content.decode()
    assert not dashboard.recount_pending


def test_the_refresh_note_says_how_this_deployment_recounts(settings, monkeypatch):
    assert "立即" in refresh_note(), "no broker, no scheduler: the commit recounts at once"
    monkeypatch.setattr(scheduler, "is_running", lambda: True)
    assert "几秒内" in refresh_note()
    monkeypatch.setattr(scheduler, "is_running", lambda: False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert "约 30 秒内" in refresh_note() and "每 5 分钟" in refresh_note()


@pytest.mark.django_db
def test_the_public_page_shows_a_recount_at_once_despite_its_cache(client, hebei, county_a, make_applicant,
                                                                   province_admin, django_capture_on_commit_callbacks):
    targets_seed(year=YEAR)
    progress_recompute_all(years=[YEAR])
    first = client.get(reverse("progress:index") + f"?year={YEAR}").context["data"]
    assert first["province"]["approved"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        _approve(county_a, "公开", make_applicant, province_admin)
    again = client.get(reverse("progress:index") + f"?year={YEAR}").context["data"]
    assert again["province"]["approved"] == 1, "new snapshots drop the cached copy"


@pytest.mark.django_db
def test_figures_older_than_the_announced_recount_are_not_cached(client, hebei, county_a):
    """A lagging read replica may still show the figures before a recount: the page shows them, but does not
    keep them for minutes; once the recount's snapshots are read, they are cached again."""
    from django.core.cache import cache

    from orgs.selectors.progress import public_cache_key, public_version_key

    progress_recompute_all(years=[YEAR])
    newest = ProgressSnapshot.objects.filter(year=YEAR).latest("computed_at").computed_at
    cache.delete(public_cache_key(YEAR))
    cache.set(public_version_key(YEAR), newest + dt.timedelta(seconds=5), None)  # a recount the reader lacks
    assert client.get(reverse("progress:index") + f"?year={YEAR}").status_code == 200
    assert cache.get(public_cache_key(YEAR)) is None, "figures older than the announced recount are not cached"
    cache.set(public_version_key(YEAR), newest, None)
    client.get(reverse("progress:index") + f"?year={YEAR}")
    assert cache.get(public_cache_key(YEAR)) is not None, "figures as new as the announced recount are cached"


# --- definitions one click away ---------------------------------------------------------------------------


def _help_links(body: str) -> list[str]:
    return re.findall(r'<a class="fig-help" href="/progress/definitions/#([\w-]+)"', body)


@pytest.mark.django_db
def test_every_figure_on_every_page_links_to_its_definition(client, city_admin, city, county_a, hebei, make_applicant):
    """The dashboard, the public page, the annual report and the fee page: every figure label carries a help
    link, and every link lands on an entry of the (public) definitions page."""
    targets_seed(year=YEAR)
    _approve(county_a, "定义", make_applicant, city_admin)
    progress_recompute_all(years=[YEAR])
    definitions = client.get(reverse("progress:definitions"))
    assert definitions.status_code == 200, "public, like the figures it explains"
    anchors = set(re.findall(r'<dt id="([\w-]+)">', definitions.content.decode()))
    assert {f.anchor for f in FIGURES if f.shown} <= anchors
    assert "存量会员登记" in definitions.content.decode() and "不计入任何发展目标" in definitions.content.decode()

    public = client.get(reverse("progress:index") + f"?year={YEAR}").content.decode()
    client.force_login(city_admin)
    dashboard = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").content.decode()
    report = client.get(reverse("approvals:report", args=[city.pk, YEAR])).content.decode()
    fees = client.get(reverse("console_members:fees", args=[city.pk])).content.decode()
    for name, body in (("public", public), ("dashboard", dashboard), ("report", report), ("fees", fees)):
        links = _help_links(body)
        assert links, name
        assert set(links) <= anchors, (name, set(links) - anchors)
    for page in (dashboard, report):
        assert {f.anchor for f in FIGURES if f.shown} <= set(_help_links(page)), "every figure is shown with its link"


@pytest.mark.django_db
def test_the_api_reads_the_same_figures_as_the_dashboard(client, city_admin, city, county_a, make_applicant):
    targets_seed(year=YEAR)
    _approve(county_a, "接口", make_applicant, city_admin)
    progress_recompute_all(years=[YEAR])
    client.force_login(city_admin)
    dashboard = client.get(reverse("orgs:dashboard") + f"?year={YEAR}").context["dashboard"]
    body = client.get(f"/api/v1/orgs/{city.pk}/progress/?year={YEAR}").json()
    assert body["summary"]["figures"] == dashboard.summary.figures.as_dict()
    assert body["summary"]["figures"]["new_members"] == 1 and body["summary"]["figures"]["fee_collection_rate"] is None
    county = next(row for row in body["children"] if row["org_id"] == county_a.pk)
    assert county["rank"] == 1 and county["figures"]["approved"] == 1
