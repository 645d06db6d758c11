"""Tests for cwb.bench.harness and `cwb bench`: the stage registry, isolation and the reports.

No timing assertions: only that stages run, are measured and are reported well-formed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.bench import harness as bench
from cwb.bench.harness import (
    STAGES,
    BenchContext,
    BenchReport,
    StageResult,
    execute_stage,
    format_cell,
    parse_sizes,
    register_stage,
    resolve_stages,
    run_benchmark,
    run_stage_isolated,
    write_report,
)
from cwb.cli import app
from cwb.errors import UsageError
from cwb.synth.generate import synth_dataset

runner = CliRunner()


@pytest.fixture
def temporary_stages():
    """Register test stages and remove them again afterwards."""
    before = dict(STAGES)
    yield
    STAGES.clear()
    STAGES.update(before)


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / "ds"
    synth_dataset(folder, assets=300, opportunities=20, spend=200, seed=1, fmt="parquet")
    return folder


def test_parse_sizes() -> None:
    assert parse_sizes("10000, 100k,1M,2_500") == [10_000, 100_000, 1_000_000, 2_500]
    assert parse_sizes("1.5k") == [1_500]
    for bad in ("", "ten", "0", "10k,-5"):
        with pytest.raises(UsageError):
            parse_sizes(bad)


def test_resolve_stages_keeps_registry_order_and_synth_first() -> None:
    assert resolve_stages(None) == list(STAGES)
    assert resolve_stages(["write", "read"]) == ["synth", "read", "write"]
    with pytest.raises(UsageError, match="nonsense"):
        resolve_stages(["read", "nonsense"])


def test_builtin_stages_are_registered_with_descriptions() -> None:
    for name in ("synth", "read", "validate", "catalogue", "write"):
        assert name in STAGES
        assert STAGES[name].description


def test_execute_stage_measures_time_memory_and_detail(
    tiny_dataset: Path, tmp_path: Path, temporary_stages
) -> None:
    @register_stage("count_assets", prepare=lambda ctx: len(ctx.dataset.assets))
    def _count(ctx: BenchContext) -> dict:
        """Count the assets."""
        block = bytearray(20 * 1024 * 1024)  # touch 20 MB so that the peak rises
        return {"assets": len(ctx.dataset.assets), "prepared": ctx.prepared, "touched": len(block)}

    ctx = BenchContext(folder=tiny_dataset, scratch=tmp_path, size=300)
    result = execute_stage("count_assets", ctx)
    assert result.ok, result.reason
    assert result.detail == {"assets": 300, "prepared": 300, "touched": 20 * 1024 * 1024}
    assert result.seconds is not None and result.seconds >= 0
    assert result.cpu_seconds is not None and result.cpu_seconds >= 0
    assert result.peak_rss_mb is not None and result.rss_before_mb is not None
    if result.peak_scope == "stage":
        assert result.peak_rss_mb >= result.rss_before_mb
    assert STAGES["count_assets"].description == "Count the assets."


def test_failing_and_unimportable_stages_are_reported(
    tiny_dataset: Path, tmp_path: Path, temporary_stages
) -> None:
    @register_stage("boom", needs_dataset=False)
    def _boom(ctx: BenchContext) -> dict:
        raise ValueError("no good")

    @register_stage("later", needs_dataset=False)
    def _later(ctx: BenchContext) -> dict:
        import cwb_module_that_does_not_exist  # noqa: F401

        return {}

    ctx = BenchContext(folder=tiny_dataset, scratch=tmp_path, size=300)
    failed = execute_stage("boom", ctx)
    assert failed.status == "failed" and "ValueError: no good" in failed.reason
    skipped = execute_stage("later", ctx)
    assert skipped.status == "skipped" and "cwb_module_that_does_not_exist" in skipped.reason


def test_missing_module_is_skipped_before_spawning(tmp_path: Path, temporary_stages) -> None:
    @register_stage("future", requires=("cwb.not_written_yet",))
    def _future(ctx: BenchContext) -> dict:
        return {}

    result = run_stage_isolated("future", tmp_path / "ds", tmp_path / "scratch", 10, {})
    assert result.status == "skipped"
    assert "cwb.not_written_yet" in result.reason


@pytest.mark.slow
def test_isolated_stage_runs_in_a_child_process(tiny_dataset: Path, tmp_path: Path) -> None:
    result = run_stage_isolated("validate", tiny_dataset, tmp_path / "scratch", 300, {})
    assert result.ok, result.reason
    assert result.detail == {"errors": 0, "warnings": 0}
    assert result.peak_rss_mb and result.peak_rss_mb > 0
    assert not (tmp_path / "scratch").exists()  # scratch space is cleaned up


def test_timeout_is_reported(tmp_path: Path) -> None:
    result = run_stage_isolated(
        "synth", tmp_path / "ds", tmp_path / "scratch", 1_000, {"opportunities": 10}, timeout_s=0.01
    )
    assert result.status == "timeout"


@pytest.mark.slow
def test_run_benchmark_end_to_end(tmp_path: Path) -> None:
    seen: list[StageResult] = []
    report = run_benchmark(
        [200, 400],
        ["read"],
        work_dir=tmp_path / "work",
        seed=2,
        opportunities=15,
        on_result=seen.append,
    )
    assert report.stages == ["synth", "read"]
    assert [(r.size, r.stage) for r in report.results] == [
        (200, "synth"),
        (200, "read"),
        (400, "synth"),
        (400, "read"),
    ]
    assert seen == report.results
    assert all(r.ok for r in report.results), [r.reason for r in report.results]
    assert report.result(400, "synth").detail["rows"]["assets"] == 400
    assert report.result(200, "read").detail["rows"]["opportunities"] == 15
    # the datasets are kept when work_dir is given
    assert (tmp_path / "work" / "synth-400" / "dataset.toml").exists()

    data = json.loads(report.to_json())
    assert data["sizes"] == [200, 400] and data["stages"] == ["synth", "read"]
    assert {"cpus", "python", "memory_gb", "cwb", "load_average"} <= set(data["machine"])
    first = data["results"][0]
    expected = {
        "size",
        "stage",
        "status",
        "seconds",
        "cpu_seconds",
        "peak_rss_mb",
        "rss_before_mb",
        "detail",
    }
    assert expected <= set(first)

    md = report.to_markdown().splitlines()
    assert md[0] == "| stage | 200 assets | 400 assets |"
    assert md[1] == "|---|---|---|"
    assert md[2].startswith("| synth | ") and md[3].startswith("| read | ")
    assert md[2].count("|") == 4 and " MB (+" in md[2] and " s · " in md[2]

    written = write_report(report, tmp_path / "out" / "b.json", tmp_path / "out" / "b.md")
    assert [p.name for p in written] == ["b.json", "b.md"]
    assert json.loads(written[0].read_text())["results"][1]["stage"] == "read"


def test_failed_synth_skips_the_other_stages(tmp_path: Path) -> None:
    report = run_benchmark([50], ["read"], work_dir=tmp_path, timeout_s=0.01)
    synth, read = report.results
    assert synth.status == "timeout"
    assert read.status == "skipped" and "not generated" in read.reason
    assert format_cell(read) == "skipped"
    with pytest.raises(UsageError, match="^format: "):
        run_benchmark([50], ["read"], work_dir=tmp_path, fmt="xls")


def test_format_cell() -> None:
    assert format_cell(None) == "–"
    ok = StageResult(10, "read", "ok", seconds=1.234, peak_rss_mb=1234.4)
    assert format_cell(ok) == "1.23 s · 1,234 MB"
    slow = StageResult(10, "read", "ok", seconds=73.21, peak_rss_mb=99.0)
    assert format_cell(slow) == "73.2 s · 99 MB"
    assert format_cell(StageResult(10, "read", "timeout")) == "timeout"
    measured = StageResult(10, "read", "ok", seconds=2.0, peak_rss_mb=300.0, rss_before_mb=140.2)
    assert format_cell(measured) == "2.00 s · 300 MB (+160)"


def test_markdown_shows_missing_results() -> None:
    report = BenchReport(
        sizes=[10, 20],
        stages=["synth"],
        results=[StageResult(10, "synth", "ok", 0.5, 100.0)],
        machine={"cpus": 2},
        settings={"format": "csv", "seed": 0},
        created="2026-01-01T00:00:00",
    )
    assert "| synth | 0.50 s · 100 MB | – |" in report.to_markdown()


@pytest.mark.slow
def test_cli_bench(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = [
        "bench",
        "--sizes",
        "150",
        "--stages",
        "validate",
        "--out",
        str(out),
        "--markdown",
        "--opportunities",
        "10",
        "--format",
        "csv",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [r["stage"] for r in data["results"]] == ["synth", "validate"]
    assert data["settings"]["format"] == "csv"
    md = out.with_suffix(".md").read_text()
    assert md.startswith("| stage | 150 assets |")
    assert "| validate | " in result.output


def test_cli_bench_list_and_usage_errors() -> None:
    listed = runner.invoke(app, ["bench", "--list"])
    assert listed.exit_code == 0
    assert "synth" in listed.output and "validate" in listed.output
    assert runner.invoke(app, ["bench", "--sizes", "abc"]).exit_code == 2
    assert runner.invoke(app, ["bench", "--sizes", "10", "--stages", "nope"]).exit_code == 2


def test_child_entry_point_usage() -> None:
    assert bench.child_main(["wrong"]) == 2
