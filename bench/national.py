"""National shape: the same administrator subtree on a national tree at two table sizes.

The small database holds `generate_load --national --applications 1000000 --seed 1`; the large one is a copy of
it (`createdb -T`) grown with `generate_load --national --append --applications N --seed 1`, so its first million
applications, its tree and its organisation codes are the small one's. The current database (DATABASE_URL, the
large one) is compared with the one named by KEXIE_BENCH_NATIONAL_SMALL_URL:

    createdb -h 127.0.0.1 -U postgres kexie_national_1m
    DATABASE_URL=.../kexie_national_1m manage.py migrate
    DATABASE_URL=.../kexie_national_1m manage.py generate_load --national --applications 1000000 --seed 1
    createdb -h 127.0.0.1 -U postgres -T kexie_national_1m kexie_national
    DATABASE_URL=.../kexie_national manage.py generate_load --national --append --applications 4000000 --seed 1
    DATABASE_URL=.../kexie_national KEXIE_BENCH_NATIONAL_SMALL_URL=.../kexie_national_1m \
        python bench/run.py --only national --output /tmp/perf_national.md

Each side is measured in its own process (`python -m bench.national measure`), in alternating rounds so outside
load hits both alike; figures are in-process service times (Django's test client, no HTTP server) and query
counts. The data are spread the same way at both sizes, so the same city holds proportionally more applications
in the large table; the benchmark therefore also measures, on the large database, the organisation whose subtree
holds about as many applications as the city does on the small one: the same subtree size in a larger table.
"""

from __future__ import annotations

import bisect
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse

from bench.benchmarks import (
    PROGRESS_SQL, PROGRESS_SQL_NARROW, QUEUE_PENDING_QUERY, QUEUE_QUERY, _admin_of, progress_sql_aggregate,
)
from bench.harness import ROOT, Context, Row, benchmark, count_queries, dotted, unavailable

SMALL_URL_ENV = "KEXIE_BENCH_NATIONAL_SMALL_URL"
CITY_ENV = "KEXIE_BENCH_NATIONAL_CITY"  # an org code; default: the city 科协 with the most applications
RATIO_GOAL = 1.2
RECOMPUTE_GOAL = 1.5
ROUNDS = int(os.environ.get("KEXIE_BENCH_NATIONAL_ROUNDS", "3"))
REQUESTS = int(os.environ.get("KEXIE_BENCH_NATIONAL_REQUESTS", "8"))  # timed requests per page and round
RECOMPUTE_ROUNDS = int(os.environ.get("KEXIE_BENCH_NATIONAL_RECOMPUTE_ROUNDS", "2"))
# Which databases the full-recompute ratio is measured on: "both" or "large" (it takes minutes per round).
RECOMPUTE_ON = os.environ.get("KEXIE_BENCH_NATIONAL_RECOMPUTE_ON", "both")


# --- measuring one database (runs in a child process with that database's DATABASE_URL) ---------------------

def subtree_counts() -> dict[int, int]:
    """Applications in every organisation's subtree: one GROUP BY, then prefix sums over each tree in MPTT order
    (a subtree is a contiguous run of `lft`)."""
    from approvals.models import Application
    from django.db.models import Count
    from orgs.models import Org

    per_org = dict(Application.objects.values_list("org_id").annotate(n=Count("id")).order_by())
    orgs = list(Org.objects.order_by("tree_id", "lft").values_list("pk", "tree_id", "lft", "rght"))
    prefix = [0]
    for pk, *_ in orgs:
        prefix.append(prefix[-1] + per_org.get(pk, 0))
    keys = [(tree, lft) for _pk, tree, lft, _r in orgs]
    return {
        pk: prefix[bisect.bisect_right(keys, (tree, rght))] - prefix[i]
        for i, (pk, tree, lft, rght) in enumerate(orgs)
    }


def _console_client(org):
    """A signed-in client for the generated administrator of `org`, past the first-sign-in password change
    (a one-off redirect, not what is measured)."""
    from django.test import Client
    from django.utils import timezone

    admin = _admin_of(org)
    if admin.password_changed_at is None:
        admin.password_changed_at = timezone.now()
        admin.save(update_fields=["password_changed_at"])
    client = Client()
    client.force_login(admin)
    return client


def _timed_get(client, path: str, n: int) -> tuple[int, float, int]:
    """(queries, median ms of n requests, status) after one warm-up request."""
    client.get(path)
    queries, response = count_queries(client.get, path)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
    return queries, statistics.median(times), response.status_code


def measure(*, city_code: str, equal_to: int | None, requests: int) -> dict:
    """Queue and dashboard of the city's administrator and of its province's administrator, and with
    `equal_to` the queue of the organisation whose subtree is closest to that many applications."""
    from orgs.models import Org, ProgressSnapshot

    if not ProgressSnapshot.objects.exists():
        dotted("approvals.progress.progress_recompute_all")()
    city = Org.objects.get(code=city_code)
    province = city.get_ancestors().get(level=Org.Level.PROVINCE)
    counts = subtree_counts()
    queue = reverse("approvals:queue")
    pages = {
        "queue_pending": f"{queue}?{urlencode(QUEUE_PENDING_QUERY)}",
        "queue_all": f"{queue}?{urlencode(QUEUE_QUERY)}",
        "dashboard": reverse("orgs:dashboard"),
    }
    result = {"city": city.name, "city_n": counts[city.pk], "province": province.name,
              "province_n": counts[province.pk], "total": counts[city.get_root().pk]}
    for who, org in (("city", city), ("province", province)):
        client = _console_client(org)
        for page, path in pages.items():
            result[f"{who}_{page}"] = _timed_get(client, path, requests)
    if equal_to is not None:
        kexie = dict(Org.objects.filter(kind=Org.Kind.KEXIE).values_list("pk", "code"))
        pk = min(kexie, key=lambda p: abs(counts[p] - equal_to))
        org = Org.objects.get(pk=pk)
        client = _console_client(org)
        result["equal_org"] = org.name
        result["equal_n"] = counts[pk]
        for page in ("queue_pending", "queue_all"):
            result[f"equal_{page}"] = _timed_get(client, pages[page], requests)
    return result


def recompute_ratio(rounds: int) -> dict:
    """Full progress recompute vs the hand-written aggregate of every figure (bench.benchmarks.PROGRESS_SQL) and,
    as context, vs the narrower aggregate earlier runs used (PROGRESS_SQL_NARROW): medians of alternating rounds
    after one untimed run of each. A nightly recount finds the snapshots the previous one wrote (the first
    recount after a database is loaded or a build adds a stored figure rewrites every row)."""
    years = sorted(dotted("approvals.progress._years_to_maintain")() or {time.localtime().tm_year})
    recompute_all = dotted("approvals.progress.progress_recompute_all")

    def reference(sql=PROGRESS_SQL):
        for y in years:
            progress_sql_aggregate(y, sql)

    def recompute():
        if not recompute_all():
            raise RuntimeError("another progress recompute holds the lock")

    sides = {"reference_s": reference, "narrow_s": lambda: reference(PROGRESS_SQL_NARROW), "full_s": recompute}
    for run in sides.values():
        run()
    times: dict[str, list[float]] = {key: [] for key in sides}
    for _ in range(rounds):
        for key, run in sides.items():
            t0 = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - t0)
    return {**{key: statistics.median(t) for key, t in times.items()}, "years": years}


def _child(database_url: str, args: list[str]) -> dict:
    # The second factor is a session flag read once per request whatever the data size; the test client cannot
    # present a TOTP code, so the children run without it. Pages are measured as rendered: a kept page
    # (kexie.page_cache) answers a repeated request from the cache whatever the data size, which is not what
    # this benchmark asks about.
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "kexie.settings.bench",
           "KEXIE_TWO_FACTOR_REQUIRED": "false", "KEXIE_PAGE_CACHE_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-m", "bench.national", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.national {' '.join(args)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _largest_city() -> str:
    from orgs.models import Org

    counts = subtree_counts()
    cities = Org.objects.filter(level=Org.Level.CITY, kind=Org.Kind.KEXIE).values_list("pk", "code")
    return max(cities, key=lambda c: counts[c[0]])[1]


# --- the registered benchmark -------------------------------------------------------------------------------

@benchmark("national", "全国形态：同一管理范围在 100 万与更多申请下的查询次数与服务时间；全量重算对比手写聚合")
def national_shape(ctx: Context) -> list[Row]:
    from orgs.models import Org

    small_url = os.environ.get(SMALL_URL_ENV)
    name = "5M ÷ 1M for the same subtree (queue, dashboard)"
    if not Org.objects.filter(parent=None, level=Org.Level.NATIONAL).exists():
        return unavailable(name, f"≤ {RATIO_GOAL}×", "the current database has no national tree "
                           "(generate_load --national)")
    if not small_url:
        return unavailable(name, f"≤ {RATIO_GOAL}×", f"set {SMALL_URL_ENV} to the 1M national database")
    large_url = os.environ.get("DATABASE_URL", "")
    city_code = os.environ.get(CITY_ENV) or _largest_city()
    connection.close()  # the children do the measuring; keep no idle connection open meanwhile

    small_runs, large_runs = [], []
    equal_to = None
    for _ in range(ROUNDS):
        small_runs.append(_child(small_url, ["measure", city_code, str(REQUESTS)]))
        equal_to = small_runs[0]["city_n"]
        large_runs.append(_child(large_url, ["measure", city_code, str(REQUESTS), str(equal_to)]))
    small, large = small_runs[0], large_runs[0]
    sizes = f"{large['total'] / 1e6:g}M ÷ {small['total'] / 1e6:g}M"
    ctx.notes.append(
        f"national: small database {small['total']:,} applications, large database {large['total']:,}; "
        f"{small['city']} holds {small['city_n']:,} vs {large['city_n']:,}, {small['province']} "
        f"{small['province_n']:,} vs {large['province_n']:,}"
    )

    def med(runs, key):
        return statistics.median(r[key][1] for r in runs)

    rows = []
    labels = {"queue_pending": "review queue, pending, subtree", "queue_all": "review queue, every status, subtree",
              "dashboard": "dashboard"}
    for who, org_key, n_key in (("city", "city", "city_n"), ("province", "province", "province_n")):
        for page, label in labels.items():
            key = f"{who}_{page}"
            q_small, q_large = small[key][0], large[key][0]
            t_small, t_large = med(small_runs, key), med(large_runs, key)
            ratio = t_large / t_small if t_small else float("inf")
            statuses = {small[key][2], large[key][2]}
            rows.append(Row(
                f"{label} — {who} admin ({small[org_key]}): {sizes} service time", f"{ratio:.2f}×",
                f"≤ {RATIO_GOAL}×, queries not more",
                ratio <= RATIO_GOAL and q_large <= q_small and statuses == {200},
                f"median of {ROUNDS}×{REQUESTS} in-process requests: {t_large:.1f} ms vs {t_small:.1f} ms; "
                f"queries {q_large} vs {q_small}; {large[n_key]:,} vs {small[n_key]:,} applications in the "
                f"subtree; HTTP {sorted(statuses)}",
            ))
    for page in ("queue_pending", "queue_all"):
        key = f"equal_{page}"
        t_small, t_large = med(small_runs, f"city_{page}"), med(large_runs, key)
        ratio = t_large / t_small if t_small else float("inf")
        rows.append(Row(
            f"{labels[page]} — equal subtree size ({large['equal_org']} vs {small['city']}): {sizes}",
            f"{ratio:.2f}×", f"≤ {RATIO_GOAL}× (reference)", None,
            f"{t_large:.1f} ms vs {t_small:.1f} ms; {large['equal_n']:,} vs {small['city_n']:,} applications in the "
            f"subtree; queries {large[key][0]} vs {small[f'city_{page}'][0]}",
        ))

    recompute_on = [(f"{large['total']:,}", large_url), (f"{small['total']:,}", small_url)]
    for label, url in recompute_on[: 1 if RECOMPUTE_ON == "large" else 2]:
        r = _child(url, ["recompute", str(RECOMPUTE_ROUNDS)])
        ratio = r["full_s"] / r["reference_s"]
        rows.append(Row(
            f"full progress recompute ÷ hand-written SQL aggregate of every figure, national tree, {label} "
            f"applications",
            f"{ratio:.2f}×",
            f"≤ {RECOMPUTE_GOAL}×", ratio <= RECOMPUTE_GOAL,
            f"median of {RECOMPUTE_ROUNDS} alternating rounds: {r['full_s'] * 1000:.0f} ms vs "
            f"{r['reference_s'] * 1000:.0f} ms; years {', '.join(map(str, r['years']))}",
        ))
        rows.append(Row(
            f"full progress recompute ÷ the narrower aggregate of earlier runs (no handling time, overdue, unit "
            f"members or fees), national tree, {label} applications",
            f"{r['full_s'] / r['narrow_s']:.2f}×", f"≤ {RECOMPUTE_GOAL}× (context)", None,
            f"same rounds: {r['full_s'] * 1000:.0f} ms vs {r['narrow_s'] * 1000:.0f} ms",
        ))
    return rows


def main(argv: list[str]) -> int:
    import django

    django.setup()
    if argv[0] == "measure":
        result = measure(city_code=argv[1], requests=int(argv[2]), equal_to=int(argv[3]) if len(argv) > 3 else None)
    elif argv[0] == "recompute":
        result = recompute_ratio(int(argv[1]))
    else:
        raise SystemExit(f"unknown command {argv[0]}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
