"""Run every benchmark on the current database (DATABASE_URL) and write docs/PERFORMANCE.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kexie_scale REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/run.py [--only submit,queue] [--note "..."]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
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


def _database_label() -> str:
    from django.db import connection

    return str(connection.settings_dict.get("NAME") or "")


def results_load(path: Path) -> dict:
    """The stored sections of earlier runs (docs/performance.json), or an empty store."""
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"runs": {}, "sections": {}}


def results_merge(store: dict, run_id: str, run: dict, results, notes_by_key: dict[str, list[str]]) -> dict:
    """Replace the sections this run measured; keep every other section with the run that measured it."""
    store["runs"][run_id] = run
    for bench, rows, error in results:
        store["sections"][bench.key] = {
            "title": bench.title,
            "run": run_id,
            "error": error,
            "rows": [asdict(r) for r in rows],
            "notes": notes_by_key.get(bench.key, []),
        }
    used = {section["run"] for section in store["sections"].values()}
    store["runs"] = {k: v for k, v in store["runs"].items() if k in used}
    return store


def report_read(path: Path, titles: dict[str, str]) -> list[tuple[dict, list, dict[str, list[str]]]]:
    """A report this script wrote (its Markdown) as one (run, [(benchmark, rows, error)], notes by benchmark) per
    run it names, so sections measured by a run that wrote only Markdown can join the store with that run's own
    date, commit and data. A report lists its runs under "## Runs" (### R1: …) and names each section's run
    ("Run R1."); the older single-run layout has one machine list and its notes before the sections."""
    from bench.harness import Benchmark, Row

    runs: dict[str, dict] = {}
    label = "R1"  # the single run of the older layout
    legacy_notes: list[str] = []
    sections: list[list] = []  # [label, benchmark, rows, error, notes]
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### ") and line.endswith("`)"):
            title, _, key = line[4:].rpartition(" (`")
            key = key[:-2]
            section = [label, Benchmark(key, titles.get(key, title), lambda ctx: []), [], None, []]
            sections.append(section)
        elif line.startswith("### R") and section is None:
            label, _, heading = line[4:].partition(": ")
            date, _, commit = heading.partition(", commit ")
            runs[label] = {"machine": {}, "volume": [], "date": date, "commit": commit.split(" ")[0]}
        elif section is None:
            run = runs.setdefault(label, {"machine": {}, "volume": []})
            if line.startswith("- **") and "**: " in line:
                key, _, value = line[4:].partition("**: ")
                run["machine"][key] = value
            elif line.startswith("| ") and not line.startswith("| data") and "---" not in line:
                name, _, rows = line.strip("| ").rpartition(" | ")
                run["volume"].append((name, int(rows.replace(",", ""))))
            elif line.startswith("- "):
                legacy_notes.append(line[2:])
        elif line.startswith("Run R") and line.endswith("."):
            section[0] = line[4:-1]
        elif line.startswith("Failed: `"):
            section[3] = line[len("Failed: `"):-1]
        elif line.startswith("- ") and not section[2]:
            section[4].append(line[2:])
        elif line.startswith("| ") and not line.startswith("| measure") and "|---" not in line:
            cells = [c.strip().replace("\\|", "|") for c in line.strip()[2:-2].split(" | ")]
            met = {"yes": True, "**no**": False}.get(cells[3])
            section[2].append(Row(cells[0], cells[1], cells[2], met, cells[4] if len(cells) > 4 else ""))
        if line.startswith("## How to reproduce"):
            break
    read = []
    for run_label, run in runs.items():
        mine = [s for s in sections if s[0] == run_label]
        if not mine:
            continue
        machine = run["machine"]
        read.append((
            {"date": machine.get("date", run.get("date", "")), "commit": machine.get("commit", run.get("commit", "")),
             "machine": machine,
             "volume": run["volume"]},
            [(bench, rows, error) for _label, bench, rows, error, _notes in mine],
            {bench.key: notes or legacy_notes for _label, bench, _rows, _error, notes in mine},
        ))
    return read


def report_write(path: Path, store: dict, order: list[str]) -> None:
    """docs/PERFORMANCE.md from the stored sections: each section names the run (date, commit, database) it
    comes from, so a section re-measured alone never borrows another run's context."""
    runs = store["runs"]
    keys = [k for k in order if k in store["sections"]] + sorted(set(store["sections"]) - set(order))
    run_ids = sorted({store["sections"][k]["run"] for k in keys}, key=lambda r: runs[r]["date"])
    label = {run_id: f"R{i}" for i, run_id in enumerate(run_ids, 1)}
    lines = [
        "# Performance",
        "",
        "Written by `bench/run.py` from `docs/performance.json`; do not edit by hand. Absolute times on a shared",
        "machine are noisy, so every goal is a ratio or a count measured side by side in the same run; absolute",
        "values appear only as context in the notes column. `bench/run.py --only KEY` re-measures some sections",
        "and keeps the others, each labelled with the run that measured it.",
        "",
        "## Runs",
        "",
    ]
    for run_id in run_ids:
        run = runs[run_id]
        lines += [f"### {label[run_id]}: {run['date']}, commit {run['commit']}", ""]
        lines += [f"- **{k}**: {v}" for k, v in run["machine"].items()]
        lines += ["", "| data | rows |", "|---|---:|", *[f"| {k} | {v:,} |" for k, v in run["volume"]], ""]
    lines += ["## Results", ""]
    for key in keys:
        section = store["sections"][key]
        lines += [f"### {section['title']} (`{key}`)", "", f"Run {label[section['run']]}.", ""]
        if section["notes"]:
            lines += [*[f"- {n}" for n in section["notes"]], ""]
        if section["error"]:
            lines += [f"Failed: `{_cell(section['error'])}`", ""]
            continue
        lines += ["| measure | measured | goal | met | notes |", "|---|---|---|---|---|"]
        for r in section["rows"]:
            met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
            lines.append(f"| {_cell(r['name'])} | {_cell(r['measured'])} | {_cell(r['goal'])} | {met} | {_cell(r['note'])} |")
        lines.append("")
    lines += [
        "## How to reproduce",
        "",
        "```sh",
        "createdb -h 127.0.0.1 -U postgres kexie_scale",
        "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kexie_scale REDIS_URL=redis://127.0.0.1:6379/7",
        "python manage.py migrate && python manage.py load_orgs",
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
    parser.add_argument("--results", default=None, help="the JSON store beside the report (default: "
                        "performance.json next to --output)")
    parser.add_argument("--import-report", action="append", default=[], metavar="FILE",
                        help="add the sections of a Markdown report this script wrote elsewhere (another database "
                        "or branch) to the store, with that run's date, commit and data, instead of measuring")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import benchmarks, memory, national, replica  # noqa: F401 - registers the benchmarks
    from bench.harness import REGISTRY, Context, running_server

    output = Path(args.output)
    store_path = Path(args.results) if args.results else output.with_name("performance.json")
    if args.import_report:
        store = results_load(store_path)
        titles = {b.key: b.title for b in REGISTRY}
        for report in args.import_report:
            for run, results, notes in report_read(Path(report), titles):
                store = results_merge(store, f"{run['date']} {run['commit']}", run, results, notes)
        store_path.write_text(json.dumps(store, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        report_write(output, store, [b.key for b in REGISTRY])
        print(f"wrote {output} and {store_path}")
        return 0
    machine = _machine()
    volume = _volume()
    only = {k for k in args.only.split(",") if k}
    selected = [b for b in REGISTRY if not only or b.key in only]
    results = []
    notes_by_key: dict[str, list[str]] = {}
    with running_server() as server:
        ctx = Context(server=server)
        for bench in selected:
            print(f"== {bench.key}: {bench.title}", flush=True)
            before = len(ctx.notes)
            try:
                rows = bench.run(ctx)
                results.append((bench, rows, None))
                for r in rows:
                    print(f"   {r.name}: {r.measured} (goal {r.goal}) met={r.met} {r.note}", flush=True)
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not lose the others' figures
                import traceback

                traceback.print_exc()
                results.append((bench, [], f"{type(exc).__name__}: {exc}"))
            notes_by_key[bench.key] = args.note + ctx.notes[before:]
    run = {
        "date": machine["date"],
        "commit": machine["commit"],
        "machine": {**machine, "database": f"{machine['database']}, database `{_database_label()}`"},
        "volume": volume,
    }
    store = results_merge(results_load(store_path), f"{machine['date']} {machine['commit']}", run, results,
                          notes_by_key)
    store_path.write_text(json.dumps(store, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    report_write(output, store, [b.key for b in REGISTRY])
    print(f"wrote {output} and {store_path}")
    return 0 if all(error is None for _, _, error in results) else 1


if __name__ == "__main__":
    sys.exit(main())
