"""The registered benchmarks. Each returns rows: (name, measured, goal, met?).

Features that arrive later plug in through one constant each (a URL name or a dotted path); until they
exist, their rows say "not available in this build".
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count
from django.urls import NoReverseMatch, reverse

from bench.harness import (
    Context,
    LoadResult,
    Request,
    Row,
    Server,
    benchmark,
    count_queries,
    cpu_seconds,
    dotted,
    load_run,
    measure_url,
    session_cookie,
    signed_in_client,
    unavailable,
)

# --- integration points: one constant per feature ---------------------------------------------------------
# The applicant's own submit page (applications:apply/<org_id>): the declaration checkbox and an explanation.
SUBMIT_URL_NAME = "applications:apply"


def submit_body(org) -> str:
    return urlencode({"explanation": "长期从事基层科技推广工作", "declaration": "on"})


QUEUE_URL_NAME = "approvals:queue"
# The queue defaults to the administrator's own organisation and pending items; `subtree=on` adds every
# organisation below, `status=` (empty) lists every state: the largest list a city administrator can ask for.
QUEUE_QUERY = {"subtree": "on", "status": ""}
QUEUE_PENDING_QUERY = {"subtree": "on", "status": "submitted"}
DASHBOARD_URL_NAME = "orgs:dashboard"
# progress_recompute_all() recounts every organisation; progress_recompute_orgs(org_ids=[...]) only those.
PROGRESS_RECOMPUTE_ALL = os.environ.get("KEXIE_BENCH_PROGRESS_ALL", "approvals.progress.progress_recompute_all")
PROGRESS_RECOMPUTE_ORGS = os.environ.get("KEXIE_BENCH_PROGRESS_ORGS", "approvals.progress.progress_recompute_orgs")
# The incremental recompute: applies the deltas decisions recorded (and recounts orgs marked by other changes).
PROGRESS_RECOMPUTE_DIRTY = os.environ.get("KEXIE_BENCH_PROGRESS_DIRTY", "approvals.progress.progress_recompute_dirty")
PROGRESS_DELTAS = "orgs.models.ProgressDelta"
INCREMENTAL_GOAL = 0.25  # issue 17, goal 2: incremental after 1,000 decisions ≤ 0.25× the full recompute
PROGRESS_YEARS = "approvals.progress._years_to_maintain"
# The census pipeline: store the upload, validate (parse, check, dedupe), confirm, commit.
CENSUS_MODULE = os.environ.get("KEXIE_BENCH_CENSUS", "members.services.census")

SUBMIT_REQUESTS = int(os.environ.get("KEXIE_BENCH_SUBMIT_REQUESTS", "800"))
# Client threads share the two cores with gunicorn and PostgreSQL: enough to keep both workers busy.
SUBMIT_CLIENTS = 4
SUBMIT_ROUNDS = 4
LATENCY_CLIENTS = 10
LATENCY_REQUESTS = int(os.environ.get("KEXIE_BENCH_LATENCY_REQUESTS", "300"))
LATENCY_ROUNDS = 3
SERVICE_REQUESTS = 40
QUEUE_QUERY_LIMIT = 15
# Statements including BEGIN/COMMIT, the bound tests/approvals/test_applicant.py keeps: 16 before the handling
# limit and the webhook outbox each added a read and the audit chain its lock, and the progress delta moved
# into the transaction (one BEGIN/COMMIT fewer).
SUBMIT_QUERY_LIMIT = 17
DASHBOARD_QUERY_LIMIT = 20
DECISIONS = 1000
PROGRESS_ROUNDS = 3
CENSUS_ROWS = int(os.environ.get("KEXIE_BENCH_CENSUS_ROWS", "20000"))


def _admin_of(org):
    from bench.loadgen import ADMIN_PREFIX
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
    client = signed_in_client(user)
    client.get(path)  # the first request pays for one-off work (session, content types)
    return count_queries(client.get, path)


# --- 1. submit throughput -------------------------------------------------------------------------------

@benchmark("submit", "提交入会申请：吞吐量对比空视图（同一 gunicorn 配置）")
def submit_throughput(ctx: Context) -> list[Row]:
    from approvals.models import Application

    name = "submit-application requests/s ÷ bare view requests/s"
    goal = "≥ 0.5×"
    try:
        reverse(SUBMIT_URL_NAME, args=[1])
    except NoReverseMatch:
        return unavailable(name, goal, f"URL {SUBMIT_URL_NAME} is not routed")
    plan = _submit_plan(SUBMIT_REQUESTS)
    if plan is None:
        return unavailable(name, goal, "not enough generated applicants: run generate_load first")
    people, counties, taken, targets, cookies = plan
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
        submit.add(load_run(port, [Request("POST", reverse(SUBMIT_URL_NAME, args=[org.pk]), c, submit_body(org))
                                   for c, org in chunk],
                            clients=SUBMIT_CLIENTS, ok=lambda s: s == 302))
    created = Application.objects.filter(pk__gt=top, person__in=people).count()
    queries = _submit_queries(people[0], counties, taken)
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
        Row("statements per submit request (in-process, one more organisation)", str(queries),
            f"≤ {SUBMIT_QUERY_LIMIT}", queries <= SUBMIT_QUERY_LIMIT,
            "user, console check, organisation, person, consent, BEGIN, membership check, handling limit, "
            "awards, insert, audit chain lock, audit chain head, audit row, webhook endpoints, notice, "
            "progress delta, COMMIT; the session comes from the cache"),
    ]


def _submit_plan(count: int, offset: int = 0):
    """`count` generated applicants (the `offset`-th on, by id), each with a county they may apply to and a
    signed-in session: (people, counties, taken (person, org) pairs, target orgs, cookies), or None."""
    from bench.loadgen import PREFIX
    from approvals.models import Application
    from members.models import Membership, Person
    from orgs.models import Org

    # Real submissions are spread over many organisations, as in production.
    counties = list(Org.objects.filter(level="county", kind="kexie", is_active=True).order_by("code"))
    people = list(
        Person.objects.filter(user__username__startswith=PREFIX).select_related("user").order_by("id")[offset:offset + count]
    )
    if len(people) < count:
        return None
    taken = set(Application.objects.filter(person__in=people).values_list("person_id", "org_id"))
    taken |= set(Membership.objects.filter(person__in=people).values_list("person_id", "org_id"))
    targets = []
    for i, person in enumerate(people):
        org = next(counties[(i + k) % len(counties)] for k in range(len(counties))
                   if (person.pk, counties[(i + k) % len(counties)].pk) not in taken)
        targets.append(org)
    return people, counties, taken, targets, [session_cookie(p.user) for p in people]


def _submit_queries(person, counties, taken) -> int:
    from django.test import Client

    org = next(o for o in reversed(counties) if (person.pk, o.pk) not in taken)
    client = Client()
    client.force_login(person.user)
    path = reverse(SUBMIT_URL_NAME, args=[org.pk])
    n, response = count_queries(client.post, path, {"explanation": "", "declaration": "on"})
    if response.status_code != 302:
        raise RuntimeError(f"submit returned HTTP {response.status_code}")
    return n


def _remove_bench_applications(after_id: int, people) -> None:
    """The benchmark's own applications and notices, so runs do not accumulate open applications.

    Their audit rows stay: the audit trail is append-only (a trigger refuses DELETE on PostgreSQL), and
    rows pointing at a removed application harm nothing.
    """
    from approvals.models import Application
    from members.models import Notice

    ids = list(Application.objects.filter(pk__gt=after_id, person__in=people).values_list("id", flat=True))
    users = Application.objects.filter(pk__in=ids).values("person__user_id")
    Notice.objects.filter(user_id__in=users)._raw_delete(connection.alias)
    Application.objects.filter(pk__in=ids)._raw_delete(connection.alias)


# --- 2. review queue ------------------------------------------------------------------------------------

@benchmark("queue", "审核队列：查询次数（500 与 50,000 条）与 10 并发 p50/p95")
def review_queue(ctx: Context) -> list[Row]:
    sizes = _subtree_sizes()
    small, small_n = _closest(sizes, 500, level="county")
    large, large_n = _closest(sizes, 50_000, level="city")
    try:
        base = reverse(QUEUE_URL_NAME)
    except NoReverseMatch:
        return (
            unavailable("review queue queries at 500 and 50,000 items",
                        f"≤ {QUEUE_QUERY_LIMIT}, not more at the larger size", f"URL {QUEUE_URL_NAME} is not routed")
            + unavailable("review queue p95, 10 clients", "≤ 150 ms", f"URL {QUEUE_URL_NAME} is not routed")
        )
    every = f"{base}?{urlencode(QUEUE_QUERY)}"
    rows = _page_rows("review queue (subtree, every status)", every, small, small_n, every, large, large_n, ctx,
                      query_limit=QUEUE_QUERY_LIMIT, p95_goal_ms=150)
    pending = f"{base}?{urlencode(QUEUE_PENDING_QUERY)}"
    load = measure_url(ctx.server, pending, session_cookie(_admin_of(large)), clients=LATENCY_CLIENTS,
                       requests=LATENCY_REQUESTS // LATENCY_ROUNDS)
    rows.append(Row(f"review queue (subtree, pending only) p95, {LATENCY_CLIENTS} concurrent clients, "
                    f"{_pending_in_subtree(large):,} pending", f"{load.p(95):.0f} ms", "≤ 150 ms",
                    load.p(95) <= 150, f"p50 {load.p(50):.0f} ms, {load.per_second:.0f} req/s, "
                    f"statuses {load.statuses}"))
    return rows


def _pending_in_subtree(org) -> int:
    from approvals.models import Application
    from orgs.models import Org

    return Application.objects.filter(org__in=Org.objects.in_subtree(org), status="submitted").count()


def _latency(ctx: Context, path: str, cookie: str) -> tuple[LoadResult, LoadResult, LoadResult]:
    """The page under LATENCY_CLIENTS clients and the bare view under the same clients, in alternating
    rounds (outside load hits both alike), plus the page from one client (its own service time)."""
    bare_path = reverse("bench_bare")
    page, bare = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
    per_round = LATENCY_REQUESTS // LATENCY_ROUNDS
    for _ in range(LATENCY_ROUNDS):
        page.add(measure_url(ctx.server, path, cookie, clients=LATENCY_CLIENTS, requests=per_round))
        bare.add(measure_url(ctx.server, bare_path, cookie, clients=LATENCY_CLIENTS, requests=per_round))
    alone = measure_url(ctx.server, path, cookie, clients=1, requests=SERVICE_REQUESTS)
    return page, bare, alone


def _page_rows(label, path_small, small, small_n, path_large, large, large_n, ctx, *, query_limit, p95_goal_ms,
               user_large=None):
    user_large = user_large or _admin_of(large)
    q_small, r_small = _in_process_get(_admin_of(small), path_small)
    q_large, r_large = _in_process_get(user_large, path_large)
    page, bare, alone = _latency(ctx, path_large, session_cookie(user_large))
    ok = r_small.status_code == 200 and r_large.status_code == 200
    expected = LATENCY_REQUESTS // LATENCY_ROUNDS * LATENCY_ROUNDS
    return [
        Row(f"{label} queries: {small_n:,} vs {large_n:,} items in the subtree", f"{q_small} vs {q_large}",
            f"≤ {query_limit}, not more at the larger size",
            ok and q_large <= q_small <= query_limit,
            f"{small.name} / {large.name}; HTTP {r_small.status_code} / {r_large.status_code}"),
        Row(f"{label} p95, {LATENCY_CLIENTS} concurrent clients, {large_n:,} items", f"{page.p(95):.0f} ms",
            f"≤ {p95_goal_ms} ms", page.completed == expected and page.p(95) <= p95_goal_ms,
            f"p50 {page.p(50):.0f} ms, {page.per_second:.0f} req/s, statuses {page.statuses}; the bare view under "
            f"the same {LATENCY_CLIENTS} clients, alternating rounds: p95 {bare.p(95):.0f} ms, p50 "
            f"{bare.p(50):.0f} ms, {bare.per_second:.0f} req/s"),
        Row(f"{label} p95 from one client (service time, no queueing)", f"{alone.p(95):.0f} ms",
            f"≤ {p95_goal_ms} ms", alone.completed == SERVICE_REQUESTS and alone.p(95) <= p95_goal_ms,
            f"p50 {alone.p(50):.0f} ms; {LATENCY_CLIENTS} clients on {ctx.server.workers} sync workers queue "
            f"behind each other: {LATENCY_CLIENTS} ÷ {page.per_second:.0f} req/s ≈ "
            f"{LATENCY_CLIENTS / page.per_second * 1000 if page.per_second else 0:.0f} ms each"),
    ]


# --- 3. province dashboard ------------------------------------------------------------------------------

@benchmark("dashboard", "全省进度看板：查询次数与 p95")
def province_dashboard(ctx: Context) -> list[Row]:
    from orgs.models import Org, ProgressSnapshot

    sizes = _subtree_sizes()
    province = Org.objects.filter(parent=None).order_by("tree_id").first()
    city, city_n = _closest(sizes, 50_000, level="city")
    province_n = dict((o.pk, n) for o, n in sizes)[province.pk]
    try:
        path = reverse(DASHBOARD_URL_NAME)
    except NoReverseMatch:
        return (
            unavailable("dashboard queries", "the same for a city and the province", f"URL {DASHBOARD_URL_NAME} is not routed")
            + unavailable("province dashboard p95, 10 clients", "≤ 100 ms", f"URL {DASHBOARD_URL_NAME} is not routed")
        )
    if not ProgressSnapshot.objects.exists():
        dotted(PROGRESS_RECOMPUTE_ALL)()  # the dashboard reads snapshots; a fresh load has none yet
    rows = _page_rows("dashboard (city admin vs province admin)", path, city, city_n, path, province, province_n,
                      ctx, query_limit=DASHBOARD_QUERY_LIMIT, p95_goal_ms=100)
    staff = _bench_staff(province)
    q_staff, r_staff = _in_process_get(staff, path)
    rows.append(Row("dashboard queries, provincial staff (read-only over the province)", str(q_staff),
                    f"≤ {DASHBOARD_QUERY_LIMIT}", r_staff.status_code == 200 and q_staff <= DASHBOARD_QUERY_LIMIT,
                    f"{staff.username}; HTTP {r_staff.status_code}"))
    return rows


def _bench_staff(province):
    """A provincial staff account (read-only over the whole province), made once per database."""
    from members.models import User
    from orgs import permissions

    user, created = User.objects.get_or_create(
        username="bench_staff", defaults={"full_name": "省科协工作人员", "department": "org_personnel"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        permissions.grant_view(user, province)
    return user


# --- 4. progress recompute ------------------------------------------------------------------------------

# The reference: one hand-written statement counting, for one calendar year, everything a progress snapshot
# is made of (the definitions in orgs/figures.py and approvals/progress.py), per organisation and Beijing month.
# Each row: (source, org_id, kind, first, second, flag, handling, n):
#   application:    kind = status, first/second = month received / decided in the year, flag = waiting past its
#                   due date (overdue), handling = the summed whole seconds from submission to decision;
#   recommendation: first/second = month made / month its application was approved;
#   membership:     kind = origin, first = month joined in the year, second = joined before it, flag = live;
#   unit:           first = month joined in the year, flag = active;
#   fee:            first/second = paid / exempt, over live members whose category is charged that year.
PROGRESS_SQL = """
SELECT 'application' AS source, a.org_id, a.status,
       CASE WHEN a.created_at >= %(start)s AND a.created_at < %(end)s
            THEN extract(month FROM a.created_at AT TIME ZONE 'Asia/Shanghai')::int END AS cm,
       CASE WHEN a.decided_at >= %(start)s AND a.decided_at < %(end)s
            THEN extract(month FROM a.decided_at AT TIME ZONE 'Asia/Shanghai')::int END AS dm,
       CASE WHEN a.status = 'submitted' AND a.due_on < %(today)s THEN 1 ELSE 0 END,
       sum(date_trunc('second', a.decided_at) - date_trunc('second', a.submitted_at)),
       count(*)
  FROM approvals_application a
 WHERE (a.created_at >= %(start)s AND a.created_at < %(end)s) OR (a.decided_at >= %(start)s AND a.decided_at < %(end)s)
 GROUP BY 2, 3, 4, 5, 6
UNION ALL
SELECT 'recommendation', r.from_org_id, '',
       CASE WHEN r.created_at >= %(start)s AND r.created_at < %(end)s
            THEN extract(month FROM r.created_at AT TIME ZONE 'Asia/Shanghai')::int END,
       CASE WHEN a.status = 'approved' AND a.decided_at >= %(start)s AND a.decided_at < %(end)s
            THEN extract(month FROM a.decided_at AT TIME ZONE 'Asia/Shanghai')::int END,
       0, NULL::interval, count(*)
  FROM approvals_recommendation r LEFT JOIN approvals_application a ON a.recommendation_id = r.id
 WHERE (r.created_at >= %(start)s AND r.created_at < %(end)s)
    OR (a.status = 'approved' AND a.decided_at >= %(start)s AND a.decided_at < %(end)s)
 GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 'membership', m.org_id, m.origin,
       CASE WHEN m.joined_on >= %(start_day)s THEN extract(month FROM m.joined_on)::int END,
       CASE WHEN m.joined_on < %(start_day)s THEN 1 ELSE 0 END,
       CASE WHEN m.status IN ('active', 'pending_rereg', 'pending_renewal') THEN 1 ELSE 0 END,
       NULL::interval, count(*)
  FROM members_membership m
 WHERE m.joined_on < %(end_day)s
   AND (m.joined_on >= %(start_day)s OR m.status IN ('active', 'pending_rereg', 'pending_renewal'))
 GROUP BY 2, 3, 4, 5, 6
UNION ALL
SELECT 'unit', u.org_id, '',
       CASE WHEN u.joined_on >= %(start_day)s THEN extract(month FROM u.joined_on)::int END,
       NULL::int, CASE WHEN u.status = 'active' THEN 1 ELSE 0 END, NULL::interval, count(*)
  FROM members_unitmember u
 WHERE u.joined_on < %(end_day)s AND (u.joined_on >= %(start_day)s OR u.status = 'active')
 GROUP BY 2, 3, 4, 5, 6
UNION ALL
SELECT 'fee', m.org_id, '',
       CASE WHEN EXISTS (SELECT 1 FROM members_feepayment p
                          WHERE p.membership_id = m.id AND p.year = %(year)s AND p.kind = 'paid') THEN 1 ELSE 0 END,
       CASE WHEN EXISTS (SELECT 1 FROM members_feepayment p
                          WHERE p.membership_id = m.id AND p.year = %(year)s AND p.kind = 'exempt') THEN 1 ELSE 0 END,
       0, NULL::interval, count(*)
  FROM members_membership m
 WHERE m.status IN ('active', 'pending_renewal') AND m.joined_on < %(end_day)s
   AND EXISTS (SELECT 1 FROM members_fee f
                WHERE f.org_id = m.org_id AND f.category = m.category AND f.year = %(year)s AND f.amount > 0)
 GROUP BY 2, 3, 4, 5
"""

# The reference before it counted every figure: applications without the handling time and the overdue flag,
# memberships without census and transfer months, no unit members or fees. Kept as context for the ratios
# measured against it in earlier runs.
PROGRESS_SQL_NARROW = """
SELECT 'application' AS source, a.org_id, a.status,
       CASE WHEN a.created_at >= %(start)s AND a.created_at < %(end)s
            THEN extract(month FROM a.created_at AT TIME ZONE 'Asia/Shanghai')::int END AS cm,
       CASE WHEN a.decided_at >= %(start)s AND a.decided_at < %(end)s
            THEN extract(month FROM a.decided_at AT TIME ZONE 'Asia/Shanghai')::int END AS dm,
       count(*)
  FROM approvals_application a
 WHERE (a.created_at >= %(start)s AND a.created_at < %(end)s) OR (a.decided_at >= %(start)s AND a.decided_at < %(end)s)
 GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 'recommendation', r.from_org_id, '',
       CASE WHEN r.created_at >= %(start)s AND r.created_at < %(end)s
            THEN extract(month FROM r.created_at AT TIME ZONE 'Asia/Shanghai')::int END,
       CASE WHEN a.status = 'approved' AND a.decided_at >= %(start)s AND a.decided_at < %(end)s
            THEN extract(month FROM a.decided_at AT TIME ZONE 'Asia/Shanghai')::int END,
       count(*)
  FROM approvals_recommendation r LEFT JOIN approvals_application a ON a.recommendation_id = r.id
 WHERE (r.created_at >= %(start)s AND r.created_at < %(end)s)
    OR (a.status = 'approved' AND a.decided_at >= %(start)s AND a.decided_at < %(end)s)
 GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 'membership', m.org_id, CASE WHEN m.status IN ('active', 'pending_rereg') THEN 'live' ELSE '' END,
       CASE WHEN m.joined_on >= %(start_day)s AND m.origin = 'application' THEN extract(month FROM m.joined_on)::int END,
       CASE WHEN m.joined_on < %(start_day)s THEN 1 ELSE 0 END,
       count(*)
  FROM members_membership m
 WHERE m.joined_on < %(end_day)s AND (m.joined_on >= %(start_day)s OR m.status IN ('active', 'pending_rereg'))
 GROUP BY 2, 3, 4, 5
"""


def progress_sql_params(year: int) -> dict:
    import datetime as dt

    from django.utils import timezone

    from orgs.figures import year_bounds

    start, end = year_bounds(year)
    return {"start": start, "end": end, "start_day": dt.date(year, 1, 1), "end_day": dt.date(year + 1, 1, 1),
            "year": year, "today": timezone.localdate()}


def progress_sql_aggregate(year: int, sql: str = PROGRESS_SQL) -> list[tuple]:
    """The rows of the hand-written aggregate for `year` (PROGRESS_SQL, or `sql`), straight from PostgreSQL, in the
    kind of transaction the recompute reads in (JIT on, one snapshot), so the two sides of the ratio run alike."""
    from approvals.progress import progress_consistent_snapshot

    with progress_consistent_snapshot(), connection.cursor() as cursor:
        cursor.execute(sql, progress_sql_params(year))
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
    years = sorted(dotted(PROGRESS_YEARS)() if dotted(PROGRESS_YEARS) else {time.localtime().tm_year})

    def reference_all():
        return sum(len(progress_sql_aggregate(y)) for y in years)

    name_full = f"full progress recompute ÷ hand-written SQL aggregate ({total:,} applications)"
    recompute_all = dotted(PROGRESS_RECOMPUTE_ALL)
    if recompute_all is None:
        reference = _timed(reference_all)
        return unavailable(name_full, "≤ 1.5×", f"{PROGRESS_RECOMPUTE_ALL} is not in this build; reference "
                           f"aggregate: {reference * 1000:.0f} ms")
    groups = reference_all()
    # Alternating rounds: a burst of outside load hits both sides alike; the medians are compared.
    ref_times, full_times = [], []
    for _ in range(PROGRESS_ROUNDS):
        t0 = time.perf_counter()
        reference_all()
        ref_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        if not recompute_all():
            raise RuntimeError("another progress recompute holds the lock")
        full_times.append(time.perf_counter() - t0)
    reference, full = statistics.median(ref_times), statistics.median(full_times)
    rows = [Row(name_full, f"{full / reference:.2f}×", "≤ 1.5×", full / reference <= 1.5,
                f"median of {PROGRESS_ROUNDS} alternating rounds: {full * 1000:.0f} ms vs {reference * 1000:.0f} ms; "
                f"years {', '.join(map(str, years))}; {groups:,} result rows")]
    name_inc = f"incremental recompute after {DECISIONS:,} decisions ÷ full recompute"
    goal_inc = f"≤ {INCREMENTAL_GOAL}×"
    recompute_dirty = dotted(PROGRESS_RECOMPUTE_DIRTY)
    if recompute_dirty is None:
        return rows + unavailable(name_inc, goal_inc, f"{PROGRESS_RECOMPUTE_DIRTY} is not in this build")
    deltas = dotted(PROGRESS_DELTAS)
    # Two patterns: decisions spread over the whole province (nearly every organisation changes, the worst case
    # for an incremental run) and a review session in one city's subtree (the usual burst). The decisions record
    # their deltas; the incremental run applies them, compared with the full recompute measured above.
    sizes = _subtree_sizes()
    city, _n = _closest(sizes, 50_000, level="city")
    if not recompute_dirty():  # whatever was pending before the decisions is not part of the measurement
        raise RuntimeError("another progress recompute holds the lock")
    for label, within in (("spread over the province", None), (f"within {city.name}", city)):
        org_ids = _decide(DECISIONS, within=within)
        pending = deltas.objects.count() if deltas is not None else None
        t0 = time.perf_counter()
        if not recompute_dirty():
            raise RuntimeError("another progress recompute holds the lock")
        took = time.perf_counter() - t0
        left = deltas.objects.count() if deltas is not None else None
        ratio = took / full
        rows.append(Row(f"{name_inc}, {label}", f"{ratio:.3f}×", goal_inc, ratio <= INCREMENTAL_GOAL,
                        f"{took * 1000:.0f} ms vs full recompute {full * 1000:.0f} ms; {len(org_ids)} organisations "
                        f"decided in; {pending} delta rows applied, {left} left"))
    return rows


def _decide(n: int, within=None) -> set[int]:
    """Approve `n` waiting applications through the real service, as their organisations' administrators."""
    from approvals.models import Application
    from approvals.services import application_approve
    from orgs.models import Org

    admins: dict[int, object] = {}
    org_ids: set[int] = set()
    waiting = Application.objects.filter(status="submitted", meets_criteria=True).select_related("org")
    if within is not None:
        waiting = waiting.filter(org__in=Org.objects.in_subtree(within))
    for application in waiting.order_by("id")[:n]:
        admin = admins.get(application.org_id) or admins.setdefault(application.org_id, _admin_of(application.org))
        application_approve(application=application, reviewer=admin, comment="同意")
        org_ids.add(application.org_id)
    return org_ids


# --- 5. census import -----------------------------------------------------------------------------------

@benchmark("census", "普查导入：每秒行数（含校验与去重）")
def census_import(ctx: Context) -> list[Row]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.loadgen import id_number_for
    from members.models import CensusImport
    from orgs.models import Org

    name = f"census import, {CENSUS_ROWS:,} rows: upload, validate (with dedupe), commit"
    census = dotted(CENSUS_MODULE + ".census_commit")
    if census is None:
        return unavailable(name, "≥ 1,000 rows/s", f"{CENSUS_MODULE} is not in this build")
    census = __import__(CENSUS_MODULE, fromlist=["census_commit"])
    org = Org.objects.filter(level="county", kind="kexie").order_by("-code").first()
    admin = _admin_of(org)
    # Each run takes fresh identities (a second import of the same people would be refused as duplicates).
    base = 800_000_000 + CensusImport.objects.count() * 1_000_000
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级"])
    for i in range(CENSUS_ROWS):
        if i % 20 == 19:  # a person already in the system (made by generate_load with its default seed)
            id_number = id_number_for(i, 1)
        else:  # every tenth row repeats the row before it inside the file
            id_number = id_number_for(base + (i - 1 if i % 10 == 9 else i), 7)
        writer.writerow([f"普查{i}", id_number, f"17{(base + i) % 10**9:09d}", "某县农技推广站", "本科", "中级", "普通会员"])
    upload = SimpleUploadedFile("普查名单.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    t0 = time.perf_counter()
    job = census.census_import_create(actor=admin, org=org, file=upload)
    # With a broker the jobs wait for a worker; the benchmark runs them here, in the order the worker would.
    job = census.census_validate(census_id=job.pk)
    validated = time.perf_counter()
    census.census_commit_start(actor=admin, census=job)
    job = census.census_commit(census_id=job.pk)
    took = time.perf_counter() - t0
    rate = CENSUS_ROWS / took
    return [Row(name, f"{rate:,.0f} rows/s", "≥ 1,000 rows/s", rate >= 1000 and job.status == "committed",
                f"{took:.1f} s in all (validate {validated - t0:.1f} s, commit {took - (validated - t0):.1f} s); "
                f"{job.valid_rows:,} valid, {job.error_rows:,} refused (repeats in the file, people already "
                f"registered), {job.imported_rows:,} imported; status {job.status}")]


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
    ms, plan = _explain_best(PROGRESS_SQL, progress_sql_params(time.localtime().tm_year), repeat=1)
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


# --- 7. console throughput against the bare view ----------------------------------------------------------

THROUGHPUT_CLIENTS = LATENCY_CLIENTS
THROUGHPUT_REQUESTS = int(os.environ.get("KEXIE_BENCH_THROUGHPUT_REQUESTS", "120"))  # per page and round
THROUGHPUT_ROUNDS = int(os.environ.get("KEXIE_BENCH_THROUGHPUT_ROUNDS", "3"))
FIX_ROUNDS = 2
# An earlier checkout of the project (e.g. `git archive <commit> | tar -x -C DIR`), served on the same database
# as "before all fixes" in the fixes table; unset, that row is left out.
BASELINE_TREE = os.environ.get("KEXIE_BENCH_BASELINE_TREE", "")
# Each fix that a setting switches off, and the environment that switches it off in a second server.
# The page cache answers most requests of both servers and would hide every fix below it, so those are measured
# with it off on both sides (the third element: the environment both servers share).
_RENDERED = {"KEXIE_PAGE_CACHE_SECONDS": "0"}
FIXES = [
    ("sessions read from the cache (cached_db) — before: database sessions",
     {"KEXIE_SESSION_ENGINE": "django.contrib.sessions.backends.db"}, _RENDERED),
    ("persistent database connections (CONN_MAX_AGE 600, health checks) — before: one connection per request",
     {"DATABASE_CONN_MAX_AGE": "0"}, _RENDERED),
    ("dashboard rendered once per snapshot version (fragment cache) — before: rendered on every request",
     {"KEXIE_DASHBOARD_CACHE_SECONDS": "0"}, _RENDERED),
    ("queue count kept a minute for lists of 5,000 rows or more — before: counted on every request",
     {"KEXIE_QUEUE_COUNT_EXACT_BELOW": str(10**12)}, _RENDERED),
    ("queue, directory, workbench, dashboard and applicant home kept as rendered until the database changes (page "
     "cache) — before: rendered on every request",
     {"KEXIE_PAGE_CACHE_SECONDS": "0"}, {}),
]
FIX_REQUESTS = int(os.environ.get("KEXIE_BENCH_FIX_REQUESTS", "60"))  # per page, server and round
_submit_offset = SUBMIT_REQUESTS  # the submit benchmark's applicants come first; each plan takes new ones


@dataclass
class ThroughputPage:
    """One page under load: `requests(n)` builds n requests for it, `bare(n)` n requests of the bare view with
    the same session(s) and method; `done()` removes what the requests created."""
    key: str
    label: str
    requests: Callable[[int], list[Request]]
    bare: Callable[[int], list[Request]]
    status: int = 200
    done: Callable[[], None] = lambda: None


def _get_page(key: str, label: str, path: str, user) -> ThroughputPage:
    cookie = session_cookie(user)
    bare_path = reverse("bench_bare")
    return ThroughputPage(key, label, lambda n: [Request("GET", path, cookie)] * n,
                          lambda n: [Request("GET", bare_path, cookie)] * n)


def _submit_page() -> ThroughputPage | None:
    """Submissions by generated applicants, each request a new (person, county) pair; the bare view gets a POST
    with the same sessions. Applications made are removed by done()."""
    from approvals.models import Application

    top = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    used: list = []
    bare_path = reverse("bench_bare")

    def plan(n):
        global _submit_offset
        made = _submit_plan(n, offset=_submit_offset)
        if made is None:
            raise RuntimeError("not enough generated applicants: run generate_load first")
        _submit_offset += n
        used.extend(made[0])
        return made

    def requests(n):
        _people, _counties, _taken, targets, cookies = plan(n)
        return [Request("POST", reverse(SUBMIT_URL_NAME, args=[org.pk]), c, submit_body(org))
                for c, org in zip(cookies, targets)]

    def bare(n):
        return [Request("POST", bare_path, c) for c in plan(n)[4]]

    return ThroughputPage("submit", "submit an application (POST, a new applicant each time)", requests, bare,
                          status=302, done=lambda: _remove_bench_applications(top, used))


def _throughput_pages() -> list[ThroughputPage]:
    from approvals.models import Application
    from bench.loadgen import PREFIX
    from members.models import Person
    from orgs.models import Org

    sizes = _subtree_sizes()
    city, city_n = _closest(sizes, 50_000, level="city")
    province = Org.objects.filter(parent=None).order_by("tree_id").first()
    province_n = dict((o.pk, n) for o, n in sizes)[province.pk]
    city_admin, province_admin = _admin_of(city), _admin_of(province)
    # An applicant whose home page has something to show: an application and a membership.
    applicant = (
        Person.objects.filter(user__username__startswith=PREFIX, memberships__isnull=False,
                              applications__status=Application.Status.SUBMITTED)
        .select_related("user").order_by("id").first()
    )
    return [
        _get_page("queue", f"review queue, {city.name} and below, every status ({city_n:,} applications)",
                  f"{reverse(QUEUE_URL_NAME)}?{urlencode(QUEUE_QUERY)}", city_admin),
        _get_page("dashboard", f"progress dashboard, province admin ({province_n:,} applications)",
                  reverse(DASHBOARD_URL_NAME), province_admin),
        _get_page("workbench", f"workbench (工作台), {city.name} admin", reverse("approvals:workbench"), city_admin),
        _get_page("directory", f"member directory, {city.name} and below",
                  f"{reverse('console_members:member_list')}?subtree=on", city_admin),
        _get_page("applicant", "applicant home (/me/)", reverse("members:me"), applicant.user),
        _submit_page(),
    ]


def _warm(server: Server, page: ThroughputPage) -> None:
    # Every worker loads its code, opens its connection and fills its caches before anything is timed.
    for build in (page.requests, page.bare):
        load_run(server.port, build(2 * server.workers), clients=server.workers)


def _load(server: Server, requests: list[Request], status: int) -> LoadResult:
    before = cpu_seconds(server)
    result = load_run(server.port, requests, clients=THROUGHPUT_CLIENTS, ok=lambda s: s == status)
    after = cpu_seconds(server)
    result.cpu = {kind: after[kind] - before[kind] for kind in after}
    return result


def _page_and_bare(server: Server, page: ThroughputPage, rounds: int) -> tuple[LoadResult, LoadResult]:
    """The page and the bare view under THROUGHPUT_CLIENTS clients, alternating rounds."""
    _warm(server, page)
    result, bare = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
    for _ in range(rounds):
        result.add(_load(server, page.requests(THROUGHPUT_REQUESTS), page.status))
        bare.add(_load(server, page.bare(THROUGHPUT_REQUESTS), page.status))
    return result, bare


@benchmark("throughput", "控制台页面吞吐量：对比同一中间件的空视图（同一 gunicorn 配置，10 并发，交替轮次）")
def console_throughput(ctx: Context) -> list[Row]:
    from orgs.models import ProgressSnapshot

    if not ProgressSnapshot.objects.exists():
        dotted(PROGRESS_RECOMPUTE_ALL)()  # the dashboard reads snapshots; a fresh load has none yet
    rows = []
    expected = THROUGHPUT_REQUESTS * THROUGHPUT_ROUNDS
    pages = _throughput_pages()
    try:
        for page in pages:
            result, bare = _page_and_bare(ctx.server, page, THROUGHPUT_ROUNDS)
            ratio = result.per_second / bare.per_second if bare.per_second else 0.0
            p95 = result.p(95) / bare.p(95) if bare.completed else float("inf")
            complete = result.completed == expected and bare.completed == expected
            rows.append(Row(
                f"{page.label}: requests/s ÷ bare view requests/s", f"{ratio:.2f}×", "≥ 0.5×",
                complete and ratio >= 0.5,
                f"{result.per_second:.0f} vs {bare.per_second:.0f} req/s; statuses {result.statuses} vs "
                f"{bare.statuses}; {THROUGHPUT_CLIENTS} clients, {ctx.server.workers} sync workers, "
                f"{THROUGHPUT_ROUNDS} alternating rounds of {THROUGHPUT_REQUESTS}"))
            rows.append(Row(
                f"{page.label}: p95 ÷ bare view p95, {THROUGHPUT_CLIENTS} clients", f"{p95:.2f}×", "≤ 2×",
                complete and p95 <= 2.0,
                f"p95 {result.p(95):.0f} ms vs {bare.p(95):.0f} ms; p50 {result.p(50):.0f} ms vs {bare.p(50):.0f} ms; "
                f"CPU per request: gunicorn {result.cpu_ms_per_request('web'):.1f} ms vs "
                f"{bare.cpu_ms_per_request('web'):.1f} ms, PostgreSQL {result.cpu_ms_per_request('database'):.1f} ms vs "
                f"{bare.cpu_ms_per_request('database'):.1f} ms"))
    finally:
        for page in pages:
            page.done()
    return rows


def _fix_rows(ctx: Context, label: str, before: Server, pages: list[ThroughputPage],
             after: Server | None = None) -> Row:
    """Each page's requests/s on the `before` server and on `after` (this build's server unless given), in
    alternating rounds."""
    after = after or ctx.server
    parts, ratios = [], []
    for page in pages:
        _warm(before, page)
        _warm(after, page)
        old, new = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
        old_bare, new_bare = LoadResult([], {}, 0.0), LoadResult([], {}, 0.0)
        for _ in range(FIX_ROUNDS):
            old.add(_load(before, page.requests(FIX_REQUESTS), page.status))
            new.add(_load(after, page.requests(FIX_REQUESTS), page.status))
            old_bare.add(_load(before, page.bare(FIX_REQUESTS), page.status))
            new_bare.add(_load(after, page.bare(FIX_REQUESTS), page.status))
        gain = new.per_second / old.per_second if old.per_second else float("inf")
        ratios.append(gain)
        share_old = old.per_second / old_bare.per_second if old_bare.per_second else 0.0
        share_new = new.per_second / new_bare.per_second if new_bare.per_second else 0.0
        parts.append(f"{page.key} {old.per_second:.0f} → {new.per_second:.0f} req/s "
                     f"({share_old:.2f}× → {share_new:.2f}× bare; bare {old_bare.per_second:.0f} → "
                     f"{new_bare.per_second:.0f}; statuses before {old.statuses})")
    return Row(f"fix: {label}", " · ".join(f"{p.key} {g:.2f}×" for p, g in zip(pages, ratios)),
               "after ÷ before requests/s per page", None, "; ".join(parts))


@benchmark("fixes", "吞吐量改进逐项前后对比（同一数据库，两个 gunicorn 交替轮次）")
def throughput_fixes(ctx: Context) -> list[Row]:
    from pathlib import Path

    from bench.harness import running_server

    rows = []
    # Optional narrowing for a short run: KEXIE_BENCH_FIX_PAGES=dashboard,queue and KEXIE_BENCH_FIXES=2,3 (indices).
    keys = {k for k in os.environ.get("KEXIE_BENCH_FIX_PAGES", "").split(",") if k}
    chosen = {int(i) for i in os.environ.get("KEXIE_BENCH_FIXES", "").split(",") if i}
    pages = [p for p in _throughput_pages() if not keys or p.key in keys]
    try:
        variants = [(label, env, shared, None) for i, (label, env, shared) in enumerate(FIXES)
                    if not chosen or i in chosen]
        if BASELINE_TREE:
            variants.insert(0, (f"all fixes together — before: the checkout in {BASELINE_TREE}", {}, {},
                                Path(BASELINE_TREE)))
        for label, env, shared, cwd in variants:
            with running_server(env={**shared, **env}, cwd=cwd) as before:
                if not shared:
                    rows.append(_fix_rows(ctx, label, before, pages))
                    continue
                with running_server(env=shared) as after:
                    rows.append(_fix_rows(ctx, f"{label} (page cache off on both sides)", before, pages, after))
    finally:
        for page in pages:
            page.done()
    return rows


@benchmark("baseline", "控制台页面：本次构建对比较早的提交（同一数据库，两个 gunicorn 交替轮次）")
def against_baseline(ctx: Context) -> list[Row]:
    """Every throughput page on this build and on an earlier checkout (KEXIE_BENCH_BASELINE_TREE) served side by
    side on the same database: what the changes since that checkout bought, page by page."""
    from pathlib import Path

    from bench.harness import running_server

    if not BASELINE_TREE:
        return unavailable("this build ÷ an earlier checkout", "after ÷ before requests/s per page",
                           "set KEXIE_BENCH_BASELINE_TREE to an earlier checkout (git archive <commit> | tar -x -C DIR)")
    keys = {k for k in os.environ.get("KEXIE_BENCH_FIX_PAGES", "").split(",") if k}
    pages = [p for p in _throughput_pages() if not keys or p.key in keys]
    try:
        with running_server(cwd=Path(BASELINE_TREE)) as before:
            return [_fix_rows(ctx, f"{page.label} — before: the checkout in {BASELINE_TREE}", before, [page])
                    for page in pages]
    finally:
        for page in pages:
            page.done()


@benchmark("wide_scope", "全国管理员的控制台页面：组织筛选（列表改为搜索框）前后对比（同一数据库，两个 gunicorn 交替轮次）")
def wide_scope_pages(ctx: Context) -> list[Row]:
    """The review queue and the member directory of the administrator at the root of a national tree, whose
    organisation filter once listed every organisation in scope, on this build and on an earlier checkout
    (KEXIE_BENCH_BASELINE_TREE): page size and requests/s."""
    from pathlib import Path

    from bench.harness import request_headers, request_once, running_server
    from orgs.models import Org

    name = "national administrator's queue and directory: this build ÷ an earlier checkout"
    root = Org.objects.filter(parent=None).order_by("tree_id").first()
    if root is None or root.level != Org.Level.NATIONAL:
        return unavailable(name, "after ÷ before", "the current database has no national tree (generate_load --national)")
    if not BASELINE_TREE:
        return unavailable(name, "after ÷ before", "set KEXIE_BENCH_BASELINE_TREE to an earlier checkout")
    in_scope = root.get_descendant_count() + 1
    admin = _admin_of(root)
    pages = [
        _get_page("queue", f"review queue, national administrator ({in_scope:,} organisations in scope)",
                  reverse(QUEUE_URL_NAME), admin),
        _get_page("directory", f"member directory, national administrator ({in_scope:,} organisations in scope)",
                  reverse("console_members:member_list"), admin),
    ]
    rows = []
    with running_server(cwd=Path(BASELINE_TREE)) as before:
        for page in pages:
            request = page.requests(1)[0]
            sizes = [len(request_once(server.port, "GET", request.path, request_headers(request))[2])
                     for server in (before, ctx.server)]
            rows.append(Row(f"{page.label}: page size", f"{sizes[1] / 1024:.0f} KB",
                            "after ÷ before", None,
                            f"{sizes[0] / 1024:.0f} KB before ({BASELINE_TREE}), {sizes[1] / 1024:.0f} KB now"))
            rows.append(_fix_rows(ctx, f"{page.label} — before: the checkout in {BASELINE_TREE}", before, [page]))
    return rows


# --- kept pages while others write ------------------------------------------------------------------------------
# Submissions per second made by other applicants while a kept page is loaded: every write files later requests
# under a new key (kexie.page_cache), so these rows show what the cache is worth on a database that is written to.
WRITE_RATES = tuple(float(r) for r in os.environ.get("KEXIE_BENCH_WRITE_RATES", "1,10").split(",") if r)


class _Writer:
    """Sends `rate` submissions per second from one connection in a thread until stopped; counts what it sent."""

    def __init__(self, server: Server, page: ThroughputPage, rate: float, seconds: float = 90.0):
        import threading

        self.server, self.rate = server, rate
        self.requests = page.requests(int(rate * seconds)) if rate else []
        self.sent: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        started = time.perf_counter()
        for n, req in enumerate(self.requests):
            if self._stop.wait(max(0.0, started + n / self.rate - time.perf_counter())):
                return
            result = load_run(self.server.port, [req], clients=1, ok=lambda s: s == 302)
            for status, count in result.statuses.items():
                self.sent[status] = self.sent.get(status, 0) + count

    def __enter__(self) -> "_Writer":
        if self.rate:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.rate:
            self._thread.join()


@benchmark("writes", "保留的页面在他人写入时：审核队列、会员名录在其他申请人持续提交时的吞吐量（对比空视图）")
def kept_pages_under_writes(ctx: Context) -> list[Row]:
    """The review queue and the member directory under THROUGHPUT_CLIENTS clients of one session while other
    applicants submit at each of WRITE_RATES per second, and the bare view under the same writes."""
    pages = [p for p in _throughput_pages() if p.key in ("queue", "directory", "submit")]
    writes = next(p for p in pages if p.key == "submit")
    rows = []
    try:
        for rate in WRITE_RATES:
            for page in (p for p in pages if p.key != "submit"):
                with _Writer(ctx.server, writes, rate) as writer:
                    result, bare = _page_and_bare(ctx.server, page, THROUGHPUT_ROUNDS)
                ratio = result.per_second / bare.per_second if bare.per_second else 0.0
                expected = THROUGHPUT_REQUESTS * THROUGHPUT_ROUNDS
                complete = result.completed == expected and bare.completed == expected
                rows.append(Row(
                    f"{page.label}, while {rate:g} applications/s are submitted elsewhere: requests/s ÷ bare view "
                    f"requests/s", f"{ratio:.2f}×", "≥ 0.5×", complete and ratio >= 0.5,
                    f"{result.per_second:.0f} vs {bare.per_second:.0f} req/s; p95 {result.p(95):.0f} ms vs "
                    f"{bare.p(95):.0f} ms; submissions sent {writer.sent}; statuses {result.statuses}; "
                    f"{THROUGHPUT_CLIENTS} clients of one session, {ctx.server.workers} sync workers"))
    finally:
        for page in pages:
            page.done()
    return rows
