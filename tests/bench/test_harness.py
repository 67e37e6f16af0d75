"""The benchmark harness: its bench-only views behave like real ones, and its measuring tools are correct."""

import pytest
from django.conf import settings
from django.urls import reverse

from approvals.models import Application
from bench import benchmarks
from bench.harness import UNAVAILABLE, Context, count_queries, dotted, percentile, session_cookie
from orgs.models import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]


def test_the_bare_view_needs_a_signed_in_user(client, county_a):
    response = client.post(reverse("bench_bare"), {"declaration": "on"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Application.objects.exists()


def test_the_submit_benchmark_posts_what_the_applicant_page_accepts(client, make_applicant, county_a):
    from members.services.consent import consent_give

    person = make_applicant("李四")
    consent_give(user=person.user)  # generated applicants have consented too
    client.force_login(person.user)
    path = reverse(benchmarks.SUBMIT_URL_NAME, args=[county_a.pk])
    response = client.post(path, benchmarks.submit_body(county_a), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert Application.objects.filter(person=person, org=county_a, status="submitted").count() == 1


def test_session_cookie_signs_the_user_in_without_a_password(client, make_applicant):
    person = make_applicant("王五")
    cookie = session_cookie(person.user)
    session_key = dict(part.split("=", 1) for part in cookie.split("; "))[settings.SESSION_COOKIE_NAME]
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    assert client.post(reverse("bench_bare")).status_code == 302
    assert client.session["_auth_user_id"] == str(person.user.pk)


@pytest.mark.parametrize("make", ["session_cookie", "signed_in_client"])
def test_an_administrators_bench_session_reaches_console_pages_not_the_second_factor(
    client, make_admin, city, settings, make
):
    """With two factors required (as under the bench settings) a console page must answer 200, not redirect to
    the second factor or the initial-password change: otherwise the benchmark would time a redirect."""
    from bench.harness import signed_in_client

    settings.TWO_FACTOR_REQUIRED = True
    admin = make_admin(city, "bench_city_admin")
    if make == "session_cookie":
        cookie = session_cookie(admin)
        client.cookies[settings.SESSION_COOKIE_NAME] = dict(p.split("=", 1) for p in cookie.split("; "))[
            settings.SESSION_COOKIE_NAME
        ]
    else:
        client = signed_in_client(admin)
    assert client.get(reverse("approvals:workbench")).status_code == 200
    assert client.get(reverse("bench_bare")).status_code == 200


def test_count_queries_counts_every_statement(hebei):
    count, result = count_queries(lambda: (list(Org.objects.all()[:2]), Org.objects.count()))
    assert count == 2
    assert len(result[0]) == 2


def test_percentile_interpolates_between_ranks():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0


def test_dotted_finds_existing_callables_and_none_for_missing_ones():
    assert dotted("approvals.services.application_submit") is not None
    assert dotted("approvals.services.no_such_function") is None
    assert dotted("no_such_module.anything") is None


def test_a_page_benchmark_whose_url_is_not_routed_reports_not_available(hebei, monkeypatch):
    monkeypatch.setattr(benchmarks, "QUEUE_URL_NAME", "approvals:no_such_page")
    monkeypatch.setattr(benchmarks, "DASHBOARD_URL_NAME", "orgs:no_such_page")
    ctx = Context(server=None)
    for rows in (benchmarks.review_queue(ctx), benchmarks.province_dashboard(ctx)):
        assert rows and all(r.measured == UNAVAILABLE and r.met is None for r in rows)


def test_census_and_progress_hooks_report_not_available_when_missing(hebei, monkeypatch):
    monkeypatch.setattr(benchmarks, "CENSUS_MODULE", "members.no_such_module")
    rows = benchmarks.census_import(Context(server=None))
    assert [r.measured for r in rows] == [UNAVAILABLE]


def test_load_results_of_alternating_rounds_add_up():
    from bench.harness import LoadResult

    total = LoadResult([], {}, 0.0)
    total.add(LoadResult([0.1, 0.2], {302: 2}, 1.0))
    total.add(LoadResult([0.3], {302: 1, 500: 1}, 1.0))
    assert total.completed == 3 and total.statuses == {302: 3, 500: 1}
    assert total.per_second == pytest.approx(1.5)
    assert total.cpu_ms_per_request("web") == 0.0, "no CPU measured, none reported"
    total.add(LoadResult([0.1], {302: 1}, 1.0, cpu={"web": 0.012, "database": 0.004}))
    total.add(LoadResult([], {}, 0.0, cpu={"web": 0.008}))
    assert total.cpu == {"web": pytest.approx(0.020), "database": pytest.approx(0.004)}
    assert total.cpu_ms_per_request("web") == pytest.approx(5.0)


def test_cpu_is_counted_for_the_server_and_its_workers(tmp_path):
    """cpu_seconds() finds what the server's worker processes burned, and nothing of another process."""
    import subprocess
    import sys
    import time

    from bench.harness import Server, cpu_seconds

    burn = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    master = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {burn!r}]); time.sleep(30)"])
    stranger = subprocess.Popen([sys.executable, "-c", burn])
    server = Server()
    server.process = master
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(server)["web"] < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 0.5 <= cpu_seconds(server)["web"] < 1.0, "the worker's half second, not the stranger's"
    finally:
        for process in (master, stranger):
            process.kill()  # the orphaned worker sleeps out its 30 seconds and ends


def test_the_replica_benchmark_is_registered_and_needs_a_named_replica(hebei, monkeypatch):
    """Without KEXIE_BENCH_REPLICA_URL the with/without-replica comparison says what it needs, measures nothing."""
    from bench import replica
    from bench.harness import REGISTRY

    assert "replica" in {b.key for b in REGISTRY}
    monkeypatch.delenv(replica.REPLICA_URL_ENV, raising=False)
    rows = replica.dashboard_with_and_without_replica(Context(server=None))
    assert [r.measured for r in rows] == [UNAVAILABLE]
    assert replica.REPLICA_URL_ENV in rows[0].note


def test_the_wide_scope_benchmark_needs_a_national_tree_and_an_earlier_checkout(hebei, national, monkeypatch):
    """Without a national root, or without KEXIE_BENCH_BASELINE_TREE, it says what it needs and measures nothing."""
    from bench import benchmarks
    from bench.harness import REGISTRY

    assert "wide_scope" in {b.key for b in REGISTRY}
    monkeypatch.setattr(benchmarks, "BASELINE_TREE", "")
    rows = benchmarks.wide_scope_pages(Context(server=None))
    assert [r.measured for r in rows] == [UNAVAILABLE]
    assert "KEXIE_BENCH_BASELINE_TREE" in rows[0].note


def test_the_wide_scope_benchmark_needs_a_national_root(hebei, monkeypatch):
    from bench import benchmarks

    monkeypatch.setattr(benchmarks, "BASELINE_TREE", "/nonexistent")
    rows = benchmarks.wide_scope_pages(Context(server=None))
    assert [r.measured for r in rows] == [UNAVAILABLE]
    assert "generate_load --national" in rows[0].note
