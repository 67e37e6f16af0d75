"""Run every benchmark on the current database (DATABASE_URL) and write docs/PERFORMANCE.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kexie_scale REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/run.py [--only submit,queue] [--note "..."]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "kexie.settings.bench"


def _machine() -> dict[str, str]:
    from django.db import connection

    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
            cursor.execute("SHOW shared_buffers")
            db += f" (shared_buffers {cursor.fetchone()[0]})"
        else:
            db = f"{connection.vendor} {connection.Database.sqlite_version}"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True)
    load = os.getloadavg()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else ""),
        "cpu": f"{os.cpu_count()} cores (`nproc`), {cpu}",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "database": db,
        "python": platform.python_version(),
        "load": f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) when the run started",
    }


def _volume() -> list[tuple[str, int]]:
    from approvals.models import Application, Recommendation
    from members.models import Membership, Person
    from orgs.models import AuditEvent, Org

    rows = [("organisations", Org.objects.count()), ("people", Person.objects.count())]
    rows += [(f"applications {s}", n) for s, n in
             sorted(Application.objects.values_list("status").annotate(n=__import__("django").db.models.Count("id")).order_by())]
    rows += [("applications", Application.objects.count()), ("recommendations", Recommendation.objects.count()),
             ("memberships", Membership.objects.count()), ("audit events", AuditEvent.objects.count())]
    return rows


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_write(path: Path, machine: dict, volume, results, notes: list[str]) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `bench/run.py`; do not edit by hand. Absolute times on a shared machine are noisy, so every",
        "figure is a ratio or a count measured side by side in the same run; absolute values appear only as",
        "context in the notes column.",
        "",
        "## Machine and data",
        "",
        *[f"- **{k}**: {v}" for k, v in machine.items()],
        "",
        "| data | rows |",
        "|---|---:|",
        *[f"| {k} | {v:,} |" for k, v in volume],
        "",
    ]
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    lines += ["## Results", ""]
    for bench, rows, error in results:
        lines += [f"### {bench.title} (`{bench.key}`)", ""]
        if error:
            lines += [f"Failed: `{_cell(error)}`", ""]
            continue
        lines += ["| measure | measured | goal | met | notes |", "|---|---|---|---|---|"]
        for r in rows:
            met = {True: "yes", False: "**no**", None: "—"}[r.met]
            lines.append(f"| {_cell(r.name)} | {_cell(r.measured)} | {_cell(r.goal)} | {met} | {_cell(r.note)} |")
        lines.append("")
    lines += [
        "## How to reproduce",
        "",
        "```sh",
        "createdb -h 127.0.0.1 -U postgres kexie_scale",
        "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kexie_scale REDIS_URL=redis://127.0.0.1:6379/7",
        "python manage.py migrate",
        "python manage.py generate_load --reset --applications 1000000 --seed 1",
        "python bench/run.py            # all benchmarks; --only submit,queue for some",
        "```",
        "",
        "gunicorn runs `kexie.wsgi` with `kexie.settings.bench` (production settings without TLS redirects,",
        "`ROOT_URLCONF = bench.urls`) on 127.0.0.1 with 2 sync workers; the load client uses keep-alive",
        "connections from Python threads on the same machine.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated benchmark keys")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes")
    parser.add_argument("--output", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import benchmarks  # noqa: F401 - registers the benchmarks
    from bench import national  # noqa: F401 - registers the national-shape benchmark
    from bench.harness import REGISTRY, Context, running_server

    machine = _machine()
    volume = _volume()
    only = {k for k in args.only.split(",") if k}
    selected = [b for b in REGISTRY if not only or b.key in only]
    results = []
    with running_server() as server:
        ctx = Context(server=server)
        for bench in selected:
            print(f"== {bench.key}: {bench.title}", flush=True)
            try:
                rows = bench.run(ctx)
                results.append((bench, rows, None))
                for r in rows:
                    print(f"   {r.name}: {r.measured} (goal {r.goal}) met={r.met} {r.note}", flush=True)
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not lose the others' figures
                import traceback

                traceback.print_exc()
                results.append((bench, [], f"{type(exc).__name__}: {exc}"))
    report_write(Path(args.output), machine, volume, results, args.note + ctx.notes)
    print(f"wrote {args.output}")
    return 0 if all(error is None for _, _, error in results) else 1


if __name__ == "__main__":
    sys.exit(main())
