"""bench/run.py keeps the sections it did not re-measure, each with the run that measured it."""

import importlib.util
from pathlib import Path

from bench.harness import Benchmark, Row

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_run_script", ROOT / "bench" / "run.py")
run_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_script)


def _run(date, commit, rows):
    return {"date": date, "commit": commit, "machine": {"cpu": "2 cores"}, "volume": [("applications", rows)]}


def test_a_partial_run_replaces_its_sections_and_keeps_the_others(tmp_path):
    queue = Benchmark("queue", "审核队列", lambda ctx: [])
    national = Benchmark("national", "全国规模", lambda ctx: [])
    store = run_script.results_merge(
        run_script.results_load(tmp_path / "performance.json"), "first", _run("2026-11-30 09:00 UTC", "aaa", 1000),
        [(queue, [Row("queue ratio", "0.40×", "≥ 0.5×", False)], None),
         (national, [Row("5M ÷ 1M", "1.05×", "≤ 1.2×", True)], None)],
        {"queue": ["first note"]},
    )
    store = run_script.results_merge(
        store, "second", _run("2026-11-30 10:00 UTC", "bbb", 1000),
        [(queue, [Row("queue ratio", "0.61×", "≥ 0.5×", True)], None)], {},
    )
    assert store["sections"]["queue"]["run"] == "second"
    assert store["sections"]["national"]["run"] == "first"
    assert set(store["runs"]) == {"first", "second"}

    out = tmp_path / "PERFORMANCE.md"
    run_script.report_write(out, store, ["queue", "national"])
    text = out.read_text(encoding="utf-8")
    assert "0.61×" in text and "0.40×" not in text and "first note" not in text
    assert "### R1: 2026-11-30 09:00 UTC, commit aaa" in text
    assert "### R2: 2026-11-30 10:00 UTC, commit bbb" in text
    queue_part = text[text.index("(`queue`)"):text.index("(`national`)")]
    assert "Run R2." in queue_part
    assert "Run R1." in text[text.index("(`national`)"):]


def test_a_run_no_section_points_to_is_dropped(tmp_path):
    queue = Benchmark("queue", "审核队列", lambda ctx: [])
    store = run_script.results_merge({"runs": {}, "sections": {}}, "first", _run("d1", "aaa", 1), [(queue, [], None)], {})
    store = run_script.results_merge(store, "second", _run("d2", "bbb", 1), [(queue, [], "boom")], {})
    assert set(store["runs"]) == {"second"}
    assert store["sections"]["queue"]["error"] == "boom"


def test_a_markdown_report_reads_back_into_the_same_sections(tmp_path):
    queue = Benchmark("queue", "审核队列", lambda ctx: [])
    rows = [Row("queue ratio", "0.61×", "≥ 0.5×", True, "a | b"), Row("p95", "1.2×", "—", None, "")]
    store = run_script.results_merge({"runs": {}, "sections": {}}, "x", _run("2026-11-30 10:00 UTC", "bbb", 1234),
                                     [(queue, rows, None)], {"queue": ["measured alone"]})
    written = tmp_path / "elsewhere.md"
    run_script.report_write(written, store, ["queue"])
    # The old single-run layout: machine list, data table, notes, then the sections.
    legacy = tmp_path / "legacy.md"
    legacy.write_text("\n".join([
        "# Performance", "", "## Machine and data", "", "- **date**: 2026-11-30 08:00 UTC", "- **commit**: ccc", "",
        "| data | rows |", "|---|---:|", "| applications | 1,000,000 |", "", "## Notes", "", "- shared machine", "",
        "## Results", "", "### 审核队列 (`queue`)", "",
        "| measure | measured | goal | met | notes |", "|---|---|---|---|---|",
        "| queue ratio | 0.55× | ≥ 0.5× | yes | 4 clients |", "| p95 | 3× | ≤ 2× | **no** | x \\| y |", "",
        "## How to reproduce", "",
    ]), encoding="utf-8")
    [(run, results, notes)] = run_script.report_read(legacy, {"queue": "审核队列"})
    assert run["date"] == "2026-11-30 08:00 UTC" and run["commit"] == "ccc"
    assert run["volume"] == [("applications", 1000000)]
    assert notes == {"queue": ["shared machine"]}
    [(bench, read_rows, error)] = results
    assert bench.key == "queue" and error is None
    assert [(r.name, r.measured, r.goal, r.met, r.note) for r in read_rows] == [
        ("queue ratio", "0.55×", "≥ 0.5×", True, "4 clients"), ("p95", "3×", "≤ 2×", False, "x | y")]


def test_a_report_of_several_runs_reads_back_into_each_run_with_its_sections_and_notes(tmp_path):
    """A report written beside another store names two runs: each section goes back to the run that measured it,
    with that run's data and the section's own notes (importing it once merged both runs into the later one and
    dropped the notes)."""
    queue = Benchmark("queue", "审核队列", lambda ctx: [])
    national = Benchmark("national", "全国形态", lambda ctx: [])
    store = run_script.results_merge(
        {"runs": {}, "sections": {}}, "first", _run("2026-12-01 18:10 UTC", "aaa", 5_000_000),
        [(national, [Row("5M ÷ 1M", "0.97×", "≤ 1.2×", True, "46.1 ms vs 47.6 ms")], None)],
        {"national": ["7 rounds", "small database 1,000,000"]},
    )
    store = run_script.results_merge(
        store, "second", _run("2026-12-01 18:28 UTC", "bbb", 1_000_000),
        [(queue, [Row("queries", "9 vs 8", "≤ 15", True)], None)], {"queue": []},
    )
    written = tmp_path / "elsewhere.md"
    run_script.report_write(written, store, ["queue", "national"])
    read = run_script.report_read(written, {})
    by_date = {run["date"]: (run, results, notes) for run, results, notes in read}
    assert set(by_date) == {"2026-12-01 18:10 UTC", "2026-12-01 18:28 UTC"}
    run, results, notes = by_date["2026-12-01 18:10 UTC"]
    assert run["commit"] == "aaa" and run["volume"] == [("applications", 5_000_000)]
    assert [(b.key, [r.measured for r in rows]) for b, rows, _e in results] == [("national", ["0.97×"])]
    assert notes == {"national": ["7 rounds", "small database 1,000,000"]}
    run, results, notes = by_date["2026-12-01 18:28 UTC"]
    assert run["commit"] == "bbb" and run["volume"] == [("applications", 1_000_000)]
    assert [b.key for b, _rows, _e in results] == ["queue"] and notes == {"queue": []}

    merged = run_script.results_load(tmp_path / "none.json")
    for run, results, notes in read:
        merged = run_script.results_merge(merged, f"{run['date']} {run['commit']}", run, results, notes)
    assert merged["sections"]["national"]["notes"] == ["7 rounds", "small database 1,000,000"]
    assert merged["runs"][merged["sections"]["national"]["run"]]["commit"] == "aaa"
