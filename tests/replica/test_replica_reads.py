"""Against a real streaming replica (scripts/replica_tests.py; skipped without KEXIE_REPLICA_TEST=1).

The proof that a page read the replica: while the replica's replay is paused, a change committed on the primary
is not on the page; once the replica has replayed it, it is. Each connection's statements are captured too: the
dashboard, the public progress page, the reports and the exports read the replica; the review queue, an
application's page and every decision never send a statement to it; a person who has just written reads the
primary until the pin window ends.
"""

import io
import time

import pytest
from django.core.cache import cache
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals import services as approvals
from approvals.models import Application
from approvals.progress import progress_recompute_all
from kexie.db_routing import REPLICA
from orgs.models import AuditEvent, Target
from tests.replica.conftest import queries_per_alias, replica_catch_up, replay_paused

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]


def _year() -> int:
    return timezone.localdate().year


def _dashboard_target(client, county) -> int | None:
    response = client.get(reverse("orgs:dashboard") + f"?year={_year()}")
    assert response.status_code == 200
    row = next(r for r in response.context["dashboard"].rows if r.org.pk == county.pk)
    return row.cells["new_members"].target


def _reads(statements: list[str], table: str) -> bool:
    """Whether a read of `table` is among the statements (iterator() reads through a server-side cursor)."""
    return any(table in sql and sql.lstrip(" (").upper().startswith(("SELECT", "DECLARE")) for sql in statements)


@pytest.fixture
def city_dashboard(replica, client, city_admin, county_a, settings):
    """A city administrator signed in, a target for one county and the year's snapshots, all replayed. The
    figures are read from the page's context, which a cached fragment does not have: the fragment cache is off
    here (test_the_cached_dashboard_is_filed_under_the_replicas_version covers it)."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    Target.objects.create(org=county_a, year=_year(), metric="new_members", value=80)
    progress_recompute_all(years=[_year()])
    client.force_login(city_admin)
    replica_catch_up()
    return client


def test_the_dashboard_reads_the_replica(city_dashboard, county_a):
    client = city_dashboard
    with queries_per_alias() as sql:
        assert _dashboard_target(client, county_a) == 80
    assert _reads(sql[REPLICA], "orgs_progresssnapshot") and _reads(sql[REPLICA], "orgs_target")
    assert not _reads(sql["default"], "orgs_progresssnapshot"), "the snapshots are not read from the primary"
    # Who may see what is read from the primary: the permission grants (the session comes from the cache, with
    # the primary behind it), never from the replica.
    assert _reads(sql["default"], "orgs_orguserobjectpermission")
    assert not _reads(sql[REPLICA], "django_session") and not _reads(sql[REPLICA], "orgs_orguserobjectpermission")

    with replay_paused():
        Target.objects.filter(org=county_a, year=_year(), metric="new_members").update(value=120)
        progress_recompute_all(years=[_year()])
        assert _dashboard_target(client, county_a) == 80, "the page shows what the replica has replayed"
    assert _dashboard_target(client, county_a) == 120, "once replayed, the change is on the page"


def test_a_person_who_has_just_written_reads_the_primary_until_the_pin_window_ends(
    city_dashboard, county_a, settings
):
    client = city_dashboard
    settings.DATABASE_REPLICA_PIN_SECONDS = 2
    with replay_paused():
        response = client.post(reverse("orgs:target_edit", args=[county_a.pk, _year()]), {"new_members": "150"})
        assert response.status_code == 302
        with queries_per_alias() as sql:
            assert _dashboard_target(client, county_a) == 150, "the writer sees their own change at once"
        assert sql[REPLICA] == [], "a pinned person sends nothing to the replica"
        time.sleep(2.5)
        with queries_per_alias() as sql:
            assert _dashboard_target(client, county_a) == 80, "after the window the replica is read again"
        assert _reads(sql[REPLICA], "orgs_target")


def test_the_public_progress_page_reads_the_replica(replica, client, county_a, make_applicant, province_admin):
    application = approvals.application_submit(person=make_applicant("公开"), org=county_a, declaration_accepted=True)
    approvals.application_approve(application=application, reviewer=province_admin)
    progress_recompute_all(years=[_year()])
    replica_catch_up()
    cache.clear()
    url = reverse("progress:index") + f"?year={_year()}"
    with queries_per_alias() as sql:
        response = client.get(url)
    assert response.status_code == 200 and response.context["data"]["province"]["approved"] == 1
    assert _reads(sql[REPLICA], "orgs_progresssnapshot")
    assert not _reads(sql["default"], "orgs_progresssnapshot")

    with replay_paused():
        second = approvals.application_submit(person=make_applicant("公开二"), org=county_a, declaration_accepted=True)
        approvals.application_approve(application=second, reviewer=province_admin)
        progress_recompute_all(years=[_year()])
        cache.clear()
        assert client.get(url).context["data"]["province"]["approved"] == 1, "the replica has not replayed it yet"
    cache.clear()
    assert client.get(url).context["data"]["province"]["approved"] == 2


def test_the_annual_report_reads_the_replica(replica, client, city, city_admin, make_members):
    make_members(city, 3)
    client.force_login(city_admin)
    replica_catch_up()
    url = reverse("approvals:report", args=[city.pk, _year()])
    with queries_per_alias() as sql:
        response = client.get(url)
    assert response.status_code == 200
    assert _reads(sql[REPLICA], "members_membership")
    assert not _reads(sql["default"], "members_membership")
    with queries_per_alias() as sql:
        workbook = client.get(reverse("approvals:report_xlsx", args=[city.pk, _year()]))
    assert workbook.status_code == 200 and _reads(sql[REPLICA], "members_membership")
    assert AuditEvent.objects.filter(action="export.annual_report").count() == 1, "the export is audited on the primary"


def test_the_member_export_reads_the_replica_and_is_audited_on_the_primary(replica, client, city, city_admin,
                                                                           make_members):
    make_members(city, 3)
    client.force_login(city_admin)
    with replay_paused():
        make_members(city, 2)  # on the primary only, for now
        with queries_per_alias() as sql:
            response = client.get(reverse("console_members:member_export"))
        assert response.status_code == 200
        assert _reads(sql[REPLICA], "members_membership"), [q[:80] for q in sql[REPLICA]]
        rows = load_workbook(io.BytesIO(response.content)).active.max_row
        event = AuditEvent.objects.get(action="export.members")
        assert event.data["rows"] == 3, "the file holds the members the replica had replayed"
    response = client.get(reverse("console_members:member_export"))
    assert load_workbook(io.BytesIO(response.content)).active.max_row == rows + 2
    assert AuditEvent.objects.filter(action="export.members").latest("pk").data["rows"] == 5


def test_the_dashboard_export_reads_the_replica(city_dashboard):
    with queries_per_alias() as sql:
        response = city_dashboard.get(reverse("orgs:dashboard_export") + f"?year={_year()}")
    assert response.status_code == 200
    assert _reads(sql[REPLICA], "orgs_progresssnapshot")
    assert not _reads(sql["default"], "orgs_progresssnapshot")
    assert AuditEvent.objects.filter(action="export.dashboard").exists()


def test_the_review_queue_and_every_decision_never_read_the_replica(replica, client, admin_a, county_a, submit):
    """A reviewer sees an application the moment it arrives and decides on the primary's rows, even when the
    replica lags behind."""
    first = submit(county_a, "甲")
    client.force_login(admin_a)
    with replay_paused(), queries_per_alias() as sql:
        arrived = submit(county_a, "乙")  # not on the replica yet
        queue = client.get(reverse("approvals:queue"))
        assert queue.status_code == 200
        assert {a.pk for a in queue.context["page"]} >= {first.pk, arrived.pk}, "the queue reads the primary"
        assert client.get(reverse("approvals:detail", args=[arrived.pk])).status_code == 200
        decided = client.post(reverse("approvals:decide", args=[arrived.pk]), {"decision": "approve", "comment": "同意"})
        assert decided.status_code == 302
        third = submit(county_a, "丙")
        batch = client.post(reverse("approvals:batch_approve"), {"ids": [first.pk, third.pk], "comment": "同意"})
        assert batch.status_code == 302
        assert client.get(reverse("approvals:queue_export")).status_code == 200
        assert client.get(reverse("approvals:workbench")).status_code == 200
    assert sql[REPLICA] == [], "not one statement of the queue, its pages or the decisions went to the replica"
    assert Application.objects.filter(pk__in=[first.pk, arrived.pk, third.pk], status="approved").count() == 3


@pytest.fixture
def fresh_replica_check():
    """Each page checks the replica's health again instead of using an earlier page's answer."""
    from kexie.db_routing import replica_health_forget

    replica_health_forget()
    yield
    replica_health_forget()


def test_a_replica_too_far_behind_is_skipped(city_dashboard, county_a, settings, fresh_replica_check):
    client = city_dashboard
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0.5
    with replay_paused():
        Target.objects.filter(org=county_a, year=_year(), metric="new_members").update(value=120)
        progress_recompute_all(years=[_year()])
        time.sleep(1.0)
        with queries_per_alias() as sql:
            assert _dashboard_target(client, county_a) == 120, "a replica a second behind is not shown"
        assert not _reads(sql[REPLICA], "orgs_progresssnapshot")
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    with queries_per_alias() as sql:
        assert _dashboard_target(client, county_a) == 120
    assert _reads(sql[REPLICA], "orgs_progresssnapshot"), "caught up, the replica serves the page again"


def test_a_replica_that_does_not_answer_is_skipped(city_dashboard, county_a, settings, fresh_replica_check):
    import socket

    from django.db import connections

    client = city_dashboard
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    replica = connections[REPLICA]
    port = replica.settings_dict["PORT"]
    replica.close()
    replica.settings_dict["PORT"] = dead_port
    try:
        Target.objects.filter(org=county_a, year=_year(), metric="new_members").update(value=95)
        progress_recompute_all(years=[_year()])
        assert _dashboard_target(client, county_a) == 95, "the page answers from the primary"
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
    replica_catch_up()
    with queries_per_alias() as sql:
        assert _dashboard_target(client, county_a) == 95
    assert _reads(sql[REPLICA], "orgs_progresssnapshot"), "back up, the replica serves the page again"


def test_the_cached_dashboard_is_filed_under_the_replicas_version(city_dashboard, county_a, settings):
    """The fragment cache's version is read where the figures are: a page rendered from a replica that has not
    replayed a recount is not filed under the primary's newer version, so it is not served once it caught up."""
    client = city_dashboard
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    url = reverse("orgs:dashboard") + f"?year={_year()}"

    def shows_target(response) -> bool:
        assert response.status_code == 200
        return b"7531" in response.content or b"7,531" in response.content

    assert not shows_target(client.get(url))
    with replay_paused():
        Target.objects.filter(org=county_a, year=_year(), metric="new_members").update(value=7531)
        progress_recompute_all(years=[_year()])
        assert not shows_target(client.get(url)), "the replica has not replayed the change: the page is as before"
    assert shows_target(client.get(url)), "once replayed, the page is rendered again, not served from the older entry"


def test_connections_to_the_replica_run_without_jit_too(replica):
    """The replica serves the dashboard and the reports, whose plans pass jit_above_cost on a national table as
    the primary's do: its connections carry the same `jit=off` (kexie.settings.base)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
