"""The ``pipeline`` bench stage: every step of the pipeline in one process, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cwb.bench.harness import STAGES, BenchContext, execute_stage
from cwb.bench.pipeline import PIPELINE_STEPS, bench_pipeline, main
from cwb.pipeline import Pipeline
from cwb.synth.generate import synth_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("benchpipe") / "ds"
    synth_dataset(folder, assets=400, opportunities=20, spend=100, seed=3, fmt="parquet")
    return folder


def test_pipeline_stage_times_every_step_in_one_process(dataset: Path, tmp_path: Path) -> None:
    assert "pipeline" in STAGES and STAGES["pipeline"].description
    steps: list[str] = []
    detail = bench_pipeline(dataset, seed=2, on_step=lambda name, _: steps.append(name))
    assert steps == list(PIPELINE_STEPS) == list(detail["steps"])
    for figures in detail["steps"].values():
        assert figures["seconds"] >= 0 and figures["cpu_seconds"] >= 0
        assert figures["peak_rss_mb"] > 0
    assert detail["peak_rss_mb"] == max(s["peak_rss_mb"] for s in detail["steps"].values())
    assert detail["total_seconds"] >= sum(s["seconds"] for s in detail["steps"].values()) - 0.01
    # the figures describe the graph a user gets from the same dataset
    pipe = Pipeline.open(dataset, seed=2)
    assert detail["assets"] == 400 and detail["matches"] == len(pipe.scores.matches) > 0
    assert detail["nodes"] == pipe.graph.number_of_nodes()
    assert detail["edges"] == pipe.graph.number_of_edges()
    assert detail["communities"] == pipe.graph_metrics.summary["communities"] > 0
    # and through the harness, as `cwb bench --stages pipeline` runs it
    result = execute_stage("pipeline", BenchContext(dataset, tmp_path, 400, {"seed": 2}))
    assert result.ok, result.reason
    assert result.detail["nodes"] == detail["nodes"]


def test_script_prints_the_steps_and_writes_a_profile(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(dataset), "--profile", str(tmp_path / "run.prof")]) == 0
    out = capsys.readouterr().out
    assert all(f"\n{step} " in f"\n{out}" for step in PIPELINE_STEPS)
    assert (tmp_path / "run.prof").stat().st_size > 0
