"""The registered benchmarks. Each returns rows: (name, measured, goal, met?).

Features that arrive later plug in through one constant each (a URL name or a dotted path); until they
exist, their rows say "not available in this build".
"""

from __future__ import annotations

import csv
import os
import statistics
import tempfile
import time
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count
from django.urls import NoReverseMatch, reverse

from bench.harness import (
    Context,
    LoadResult,
    Request,
    Row,
    benchmark,
    count_queries,
    dotted,
    load_run,
    measure_url,
    session_cookie,
    unavailable,
)

# --- integration points: one constant per feature ---------------------------------------------------------
# The applicant's submit endpoint and the form fields it takes.
SUBMIT_URL_NAME = "bench_submit"


def submit_body(org) -> str:
    return urlencode({"org": org.pk, "explanation": "长期从事基层科技推广工作", "declaration": "on"})


QUEUE_URL_NAME = "approvals:queue"
DASHBOARD_URL_NAME = "orgs:dashboard"
# progress_recompute_all() recounts every organisation; progress_recompute(org_ids=[...]) only those.
PROGRESS_RECOMPUTE_ALL = os.environ.get("KEXIE_BENCH_PROGRESS_ALL", "orgs.services.progress_recompute_all")
PROGRESS_RECOMPUTE_ORGS = os.environ.get("KEXIE_BENCH_PROGRESS_ORGS", "orgs.services.progress_recompute")
# census_import(path=, org=, actor=) reads a CSV of 姓名,身份证号,手机号码,工作单位,学历,职称.
CENSUS_IMPORT = os.environ.get("KEXIE_BENCH_CENSUS_IMPORT", "members.census.census_import")

SUBMIT_REQUESTS = int(os.environ.get("KEXIE_BENCH_SUBMIT_REQUESTS", "800"))
# Client threads share the two cores with gunicorn and PostgreSQL: enough to keep both workers busy.
SUBMIT_CLIENTS = 4
SUBMIT_ROUNDS = 4
LATENCY_CLIENTS = 10
LATENCY_REQUESTS = int(os.environ.get("KEXIE_BENCH_LATENCY_REQUESTS", "300"))
QUEUE_QUERY_LIMIT = 15
DECISIONS = 1000
CENSUS_ROWS = 2000


def _admin_of(org):
    from approvals.loadgen import ADMIN_PREFIX
    from members.models import User

    return User.objects.get(username=f"{ADMIN_PREFIX}{org.code.lower()}")


def _subtree_sizes() -> list[tuple[object, int]]:
    """Every organisation with the number of applications in its subtree (one aggregate query)."""
    from approvals.models import Application
    from orgs.models import Org

    per_org = dict(Application.objects.values_list("org_id").annotate(n=Count("id")).order_by())
    orgs = list(Org.objects.order_by("tree_id", "lft"))
    return [
        (o, sum(per_org.get(d.pk, 0) for d in orgs if d.tree_id == o.tree_id and o.lft <= d.lft and d.rght <= o.rght))
        for o in orgs
    ]


def _closest(sizes, target: int, level: str | None = None):
    candidates = [(o, n) for o, n in sizes if level is None or (o.level == level and o.kind == "kexie")]
    return min(candidates, key=lambda item: abs(item[1] - target))


def _reverse_any(name: str, org):
    for args in ((), (org.pk,)):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def _in_process_get(user, path: str):
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.get(path)  # the first request pays for one-off work (session, content types)
    return count_queries(client.get, path)


# --- 1. submit throughput -------------------------------------------------------------------------------

@benchmark("submit", "提交入会申请：吞吐量对比空视图（同一 gunicorn 配置）")
def submit_throughput(ctx: Context) -> list[Row]:
    from approvals.loadgen import PREFIX
    from approvals.models import Application
    from members.models import Membership, Person
    from orgs.models import Org

    name = "submit-application requests/s ÷ bare view requests/s"
    goal = "≥ 0.5×"
    try:
        submit_path = reverse(SUBMIT_URL_NAME)
    except NoReverseMatch:
        return unavailable(name, goal, f"URL {SUBMIT_URL_NAME} is not routed")
    # Real submissions are spread over many organisations; one shared target would queue every request
    # behind the same organisation row lock.
    counties = list(Org.objects.filter(level="county", kind="kexie", is_active=True).order_by("code"))
    people = list(
        Person.objects.filter(user__username__startswith=PREFIX).select_related("user").order_by("id")[:SUBMIT_REQUESTS]
    )
    if len(people) < SUBMIT_REQUESTS:
        return unavailable(name, goal, "not enough generated applicants: run generate_load first")
    taken = set(Application.objects.filter(person__in=people).values_list("person_id", "org_id"))
    taken |= set(Membership.objects.filter(person__in=people).values_list("person_id", "org_id"))
    targets = []
    for i, person in enumerate(people):
        org = next(counties[(i + k) % len(counties)] for k in range(len(counties))
                   if (person.pk, counties[(i + k) % len(counties)].pk) not in taken)
        targets.append(org)
    cookies = [session_cookie(p.user) for p in people]
    port = ctx.server.port
    bare_path = reverse("bench_bare")
    load_run(port, [Request("POST", bare_path, c) for c in cookies[:8]], clients=SUBMIT_CLIENTS)
    top = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Alternating rounds, so a burst of load from elsewhere on the machine hits both sides alike.
    bare, submit = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
    pairs = list(zip(cookies, targets))
    step = max(1, len(pairs) // SUBMIT_ROUNDS)
    for start in range(0, len(pairs), step):
        chunk = pairs[start : start + step]
        bare.add(load_run(port, [Request("POST", bare_path, c) for c, _ in chunk], clients=SUBMIT_CLIENTS,
                          ok=lambda s: s == 302))
        submit.add(load_run(port, [Request("POST", submit_path, c, submit_body(org)) for c, org in chunk],
                            clients=SUBMIT_CLIENTS, ok=lambda s: s == 302))
    created = Application.objects.filter(pk__gt=top, person__in=people).count()
    _remove_bench_applications(top, people)
    ratio = submit.per_second / bare.per_second if bare.per_second else 0.0
    return [
        Row(name, f"{ratio:.2f}×", goal, ratio >= 0.5 and created == submit.completed,
            f"{submit.per_second:.0f} vs {bare.per_second:.0f} req/s, {SUBMIT_CLIENTS} clients, "
            f"{ctx.server.workers} sync workers, {SUBMIT_ROUNDS} alternating rounds; "
            f"{created} applications created by {submit.completed} redirects "
            f"(statuses {submit.statuses})"),
        Row("submit-application p95 ÷ bare view p95", f"{submit.p(95) / bare.p(95):.2f}×", "—", None,
            f"p50 {submit.p(50):.0f} ms vs {bare.p(50):.0f} ms"),
    ]


def _remove_bench_applications(after_id: int, people) -> None:
    """The benchmark's own applications, with their audit rows and notices, so runs do not accumulate."""
    from approvals.models import Application
    from members.models import Notice
    from orgs.models import AuditEvent

    ids = list(Application.objects.filter(pk__gt=after_id, person__in=people).values_list("id", flat=True))
    users = Application.objects.filter(pk__in=ids).values("person__user_id")
    AuditEvent.objects.filter(object_type="approvals.application", object_id__in=[str(i) for i in ids])._raw_delete(
        connection.alias
    )
    Notice.objects.filter(user_id__in=users)._raw_delete(connection.alias)
    Application.objects.filter(pk__in=ids)._raw_delete(connection.alias)


# --- 2. review queue ------------------------------------------------------------------------------------

@benchmark("queue", "审核队列：查询次数（500 与 50,000 条）与 10 并发 p50/p95")
def review_queue(ctx: Context) -> list[Row]:
    sizes = _subtree_sizes()
    small, small_n = _closest(sizes, 500)
    large, large_n = _closest(sizes, 50_000, level="city")
    path_small, path_large = _reverse_any(QUEUE_URL_NAME, small), _reverse_any(QUEUE_URL_NAME, large)
    if path_large is None:
        return (
            unavailable("review queue queries at 500 and 50,000 items", f"≤ {QUEUE_QUERY_LIMIT}, equal", 
                        f"URL {QUEUE_URL_NAME} is not routed")
            + unavailable("review queue p95, 10 clients", "≤ 150 ms", f"URL {QUEUE_URL_NAME} is not routed")
        )
    return _page_rows("review queue", path_small, small, small_n, path_large, large, large_n, ctx,
                      query_limit=QUEUE_QUERY_LIMIT, p95_goal_ms=150)


def _page_rows(label, path_small, small, small_n, path_large, large, large_n, ctx, *, query_limit, p95_goal_ms):
    q_small, r_small = _in_process_get(_admin_of(small), path_small)
    q_large, r_large = _in_process_get(_admin_of(large), path_large)
    load = measure_url(ctx.server, path_large, session_cookie(_admin_of(large)), clients=LATENCY_CLIENTS,
                       requests=LATENCY_REQUESTS)
    ok = r_small.status_code == 200 and r_large.status_code == 200
    rows = [
        Row(f"{label} queries: {small_n:,} vs {large_n:,} items in the subtree", f"{q_small} vs {q_large}",
            f"≤ {query_limit}, the same at both sizes" if query_limit else "the same at both sizes",
            ok and q_small == q_large and (query_limit is None or q_large <= query_limit),
            f"{small.name} / {large.name}; HTTP {r_small.status_code} / {r_large.status_code}"),
        Row(f"{label} p95, {LATENCY_CLIENTS} concurrent clients, {large_n:,} items", f"{load.p(95):.0f} ms",
            f"≤ {p95_goal_ms} ms", load.completed == LATENCY_REQUESTS and load.p(95) <= p95_goal_ms,
            f"p50 {load.p(50):.0f} ms, {load.per_second:.0f} req/s, statuses {load.statuses}"),
    ]
    return rows


# --- 3. province dashboard ------------------------------------------------------------------------------

@benchmark("dashboard", "全省进度看板：查询次数与 p95")
def province_dashboard(ctx: Context) -> list[Row]:
    from orgs.models import Org

    sizes = _subtree_sizes()
    province = Org.objects.filter(parent=None).order_by("tree_id").first()
    city, city_n = _closest(sizes, 50_000, level="city")
    province_n = dict((o.pk, n) for o, n in sizes)[province.pk]
    path_city, path_province = _reverse_any(DASHBOARD_URL_NAME, city), _reverse_any(DASHBOARD_URL_NAME, province)
    if path_province is None:
        return (
            unavailable("dashboard queries", "the same for a city and the province", f"URL {DASHBOARD_URL_NAME} is not routed")
            + unavailable("province dashboard p95, 10 clients", "≤ 100 ms", f"URL {DASHBOARD_URL_NAME} is not routed")
        )
    return _page_rows("dashboard", path_city, city, city_n, path_province, province, province_n, ctx,
                      query_limit=None, p95_goal_ms=100)


# --- 4. progress recompute ------------------------------------------------------------------------------

# The reference: one hand-written statement counting everything progress is made of, per organisation,
# status and Beijing month.
PROGRESS_SQL = """
SELECT 'application' AS source, a.org_id, a.status,
       date_trunc('month', a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS month, count(*)
  FROM approvals_application a GROUP BY a.org_id, a.status, month
UNION ALL
SELECT 'membership', m.org_id, m.status, date_trunc('month', m.joined_on::timestamp), count(*)
  FROM members_membership m GROUP BY m.org_id, m.status, 4
UNION ALL
SELECT 'recommendation', r.from_org_id, '', date_trunc('month', r.created_at AT TIME ZONE 'Asia/Shanghai'), count(*)
  FROM approvals_recommendation r GROUP BY r.from_org_id, 4
"""


def progress_sql_aggregate() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(PROGRESS_SQL)
        return cursor.fetchall()


def _timed(fn, repeat: int = 3) -> float:
    """Median wall time of `repeat` runs after one warm-up (caches equal for both sides of a ratio)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@benchmark("progress", "进度统计：全量重算对比手写 SQL 聚合；1,000 次审核后的增量重算")
def progress_recompute(ctx: Context) -> list[Row]:
    from approvals.models import Application

    total = Application.objects.count()
    reference = _timed(progress_sql_aggregate)
    groups = len(progress_sql_aggregate())
    name_full = f"full progress recompute ÷ hand-written SQL aggregate ({total:,} applications)"
    recompute_all = dotted(PROGRESS_RECOMPUTE_ALL)
    if recompute_all is None:
        rows = unavailable(name_full, "≤ 1.5×", f"{PROGRESS_RECOMPUTE_ALL} is not in this build; reference "
                           f"aggregate: {reference * 1000:.0f} ms, {groups:,} groups")
    else:
        full = _timed(recompute_all, repeat=1)
        rows = [Row(name_full, f"{full / reference:.2f}×", "≤ 1.5×", full / reference <= 1.5,
                    f"{full * 1000:.0f} ms vs {reference * 1000:.0f} ms ({groups:,} groups)")]
    name_inc = f"incremental recompute after {DECISIONS:,} decisions"
    recompute_orgs = dotted(PROGRESS_RECOMPUTE_ORGS)
    if recompute_orgs is None:
        return rows + unavailable(name_inc, "≤ 2 s", f"{PROGRESS_RECOMPUTE_ORGS} is not in this build")
    org_ids = _decide(DECISIONS)
    t0 = time.perf_counter()
    recompute_orgs(org_ids=sorted(org_ids))
    took = time.perf_counter() - t0
    return rows + [Row(name_inc, f"{took:.2f} s", "≤ 2 s", took <= 2.0,
                       f"{len(org_ids)} organisations touched; ratio to the full SQL aggregate "
                       f"{took / reference:.2f}×")]


def _decide(n: int) -> set[int]:
    """Approve `n` waiting applications through the real service, as their organisations' administrators."""
    from approvals.models import Application
    from approvals.services import application_approve

    admins: dict[int, object] = {}
    org_ids: set[int] = set()
    waiting = Application.objects.filter(status="submitted", meets_criteria=True).select_related("org")
    for application in waiting.order_by("id")[:n]:
        admin = admins.get(application.org_id) or admins.setdefault(application.org_id, _admin_of(application.org))
        application_approve(application=application, reviewer=admin, comment="同意")
        org_ids.add(application.org_id)
    return org_ids


# --- 5. census import -----------------------------------------------------------------------------------

@benchmark("census", "普查导入：每秒行数（含校验与去重）")
def census_import(ctx: Context) -> list[Row]:
    from approvals.loadgen import id_number_for
    from orgs.models import Org

    name = f"census import, {CENSUS_ROWS:,} rows with 10% duplicates"
    importer = dotted(CENSUS_IMPORT)
    if importer is None:
        return unavailable(name, "≥ 1,000 rows/s", f"{CENSUS_IMPORT} is not in this build")
    org = Org.objects.filter(level="county", kind="kexie").order_by("-code").first()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", newline="", delete=False) as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称"])
        for i in range(CENSUS_ROWS):
            # Ids far above any generated person; every tenth row repeats an earlier one.
            k = 900_000_000 + (i - i % 10 if i % 10 == 9 else i)
            writer.writerow([f"普查{i}", id_number_for(k, 7), f"17{k % 10**9:09d}", "某县农技推广站", "本科", "中级"])
        path = fh.name
    try:
        t0 = time.perf_counter()
        importer(path=path, org=org, actor=_admin_of(org))
        took = time.perf_counter() - t0
    finally:
        os.unlink(path)
    rate = CENSUS_ROWS / took
    return [Row(name, f"{rate:,.0f} rows/s", "≥ 1,000 rows/s", rate >= 1000, f"{took:.2f} s")]


# --- 6. query plans and candidate indexes ---------------------------------------------------------------

QUEUE_SQL = """
SELECT a.id FROM approvals_application a
 WHERE a.org_id IN (SELECT o.id FROM orgs_org o WHERE o.tree_id = %s AND o.lft >= %s AND o.rght <= %s)
   AND a.status = 'submitted'
 ORDER BY a.submitted_at DESC, a.id DESC LIMIT 25
"""
QUEUE_COUNT_SQL = """
SELECT count(*) FROM approvals_application a
 WHERE a.org_id IN (SELECT o.id FROM orgs_org o WHERE o.tree_id = %s AND o.lft >= %s AND o.rght <= %s)
   AND a.status = 'submitted'
"""
# The same first page, shaped so each organisation's rows come pre-sorted from the queue index: at most
# 25 per organisation are read, instead of every pending row of the subtree being fetched and sorted.
QUEUE_LATERAL_SQL = """
SELECT q.id FROM orgs_org o
 CROSS JOIN LATERAL (
   SELECT a.id, a.submitted_at FROM approvals_application a
    WHERE a.org_id = o.id AND a.status = 'submitted'
    ORDER BY a.submitted_at DESC, a.id DESC LIMIT 25
 ) q
 WHERE o.tree_id = %s AND o.lft >= %s AND o.rght <= %s
 ORDER BY q.submitted_at DESC, q.id DESC LIMIT 25
"""
# Candidates tried inside a transaction that is rolled back; a migration adds the ones that pay off.
CANDIDATE_INDEXES = {
    "application (status, submitted_at)":
        "CREATE INDEX bench_candidate ON approvals_application (status, submitted_at)",
}


def _explain(sql: str, params) -> tuple[float, str]:
    import json

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes = []

    def walk(node):
        label = node["Node Type"] + (f" using {node['Index Name']}" if "Index Name" in node else "")
        if "Relation Name" in node and "Index Name" not in node:
            label += f" on {node['Relation Name']}"
        nodes.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return plan[0]["Execution Time"], " → ".join(nodes)


def _explain_best(sql, params, repeat=3) -> tuple[float, str]:
    runs = [_explain(sql, params) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


@benchmark("plans", "查询计划：队列查询与聚合（EXPLAIN ANALYZE），候选索引前后对比")
def query_plans(ctx: Context) -> list[Row]:
    from django.db import transaction

    if connection.vendor != "postgresql":
        return unavailable("query plans", "index scans", "needs PostgreSQL")
    sizes = _subtree_sizes()
    rows = []
    subjects = [_closest(sizes, 50_000, level="city"), _closest(sizes, 500)]
    for org, n in subjects:
        params = [org.tree_id, org.lft, org.rght]
        for label, sql in (("first page", QUEUE_SQL), ("count", QUEUE_COUNT_SQL)):
            ms, plan = _explain_best(sql, params)
            seq = "Seq Scan on approvals_application" in plan
            rows.append(Row(f"queue {label}, {n:,} items ({org.name})", f"{ms:.1f} ms", "index scan, no Seq Scan",
                            not seq, plan))
    for org, n in subjects:
        params = [org.tree_id, org.lft, org.rght]
        with connection.cursor() as cursor:
            cursor.execute(QUEUE_SQL, params)
            expected = cursor.fetchall()
            cursor.execute(QUEUE_LATERAL_SQL, params)
            same = cursor.fetchall() == expected
        plain, _ = _explain_best(QUEUE_SQL, params, repeat=5)
        lateral, plan = _explain_best(QUEUE_LATERAL_SQL, params, repeat=5)
        rows.append(Row(f"queue first page as a LATERAL top-25 per organisation, {n:,} items",
                        f"{lateral / plain:.2f}× the time", "< 1× and the same 25 rows", same and lateral < plain,
                        f"{plain:.1f} ms → {lateral:.1f} ms; same rows: {'yes' if same else 'NO'}; {plan}"))
    ms, plan = _explain_best(PROGRESS_SQL, [], repeat=1)
    rows.append(Row("progress aggregate (all rows)", f"{ms:.0f} ms", "one pass per table", None, plan))
    org, n = subjects[0]
    params = [org.tree_id, org.lft, org.rght]
    for label, ddl in CANDIDATE_INDEXES.items():
        with transaction.atomic():
            # Measured before and after inside one transaction, with the same warm caches, then rolled back.
            before = [_explain_best(sql, params, repeat=5)[0] for sql in (QUEUE_SQL, QUEUE_COUNT_SQL)]
            with connection.cursor() as cursor:
                cursor.execute(ddl)
                cursor.execute("ANALYZE approvals_application")
            after = [_explain_best(sql, params, repeat=5) for sql in (QUEUE_SQL, QUEUE_COUNT_SQL)]
            transaction.set_rollback(True)
        for which, b, (a, plan) in zip(("first page", "count"), before, after):
            used = "bench_candidate" in plan
            rows.append(Row(
                f"candidate index {label}: queue {which}, {n:,} items",
                f"{a / b:.2f}× the time" if used else "not chosen by the planner",
                "< 0.5× to be worth adding", used and a / b < 0.5, f"{b:.1f} ms → {a:.1f} ms; {plan}",
            ))
    return rows
