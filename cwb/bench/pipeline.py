"""The whole pipeline in one process, as a user runs it: each step's time and peak memory.

:func:`bench_pipeline` opens a dataset folder with :class:`cwb.pipeline.Pipeline`
and asks for its stages in order, as ``cwb graph`` does, timing each step:

``read``
    read the folder and validate it (:func:`cwb.dataset.io.read_dataset`);
``catalogue``
    the area code of every located row, then the catalogue;
``match``
    scored asset–opportunity pairs (:attr:`Pipeline.scores`);
``allocate``
    allocation as a min-cost flow, consortia and gaps (:attr:`Pipeline.matches`);
``flows``
    the spend analysis, residents in aggregate and the flows derived from the
    matches and the spend, which the graph carries (:attr:`Pipeline.with_flows`);
``graph``
    the typed network (:attr:`Pipeline.graph`);
``metrics``
    the metrics cwb computes by default (:attr:`Pipeline.graph_metrics`: degree,
    betweenness, components, Louvain communities, reach).

The peak resident memory of the process is taken per step (the kernel's
high-water mark reset before each step, as in :mod:`cwb.bench.harness`), so the
whole run's peak is the largest of them. ``cwb bench --stages pipeline`` runs it
in a fresh process per size; ``python -m cwb.bench.pipeline FOLDER`` runs it here
and prints the steps (``--profile FILE`` writes a cProfile of the run).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cwb.bench.memory import maxrss_kb, reset_peak, status_kb
from cwb.pipeline import Pipeline

#: The steps, in the order they run.
PIPELINE_STEPS: tuple[str, ...] = (
    "read",
    "catalogue",
    "match",
    "allocate",
    "flows",
    "graph",
    "metrics",
)


def _peak_mb(resettable: bool) -> float:
    """The peak RSS since the last reset (or of the whole process), in MB."""
    peak = status_kb("VmHWM") if resettable else None
    return round((maxrss_kb() if peak is None else peak) / 1024, 1)


class StepTimer:
    """Times named steps and records the peak RSS of each (see the module docstring)."""

    def __init__(self, on_step: Callable[[str, dict[str, float]], None] | None = None) -> None:
        self.steps: dict[str, dict[str, float]] = {}
        self.on_step = on_step
        self.start, self.cpu = time.perf_counter(), time.process_time()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as step ``name``."""
        resettable = reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        yield
        figures = {
            "seconds": round(time.perf_counter() - start, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "peak_rss_mb": _peak_mb(resettable),
        }
        self.steps[name] = figures
        if self.on_step is not None:
            self.on_step(name, figures)

    def summary(self) -> dict[str, Any]:
        """Total wall time, the run's peak RSS and every step's figures."""
        return {
            "total_seconds": round(time.perf_counter() - self.start, 3),
            "cpu_seconds": round(time.process_time() - self.cpu, 3),
            "peak_rss_mb": max((s["peak_rss_mb"] for s in self.steps.values()), default=0.0),
            "steps": self.steps,
        }


def bench_pipeline(
    folder: str | Path,
    *,
    seed: int = 0,
    on_step: Callable[[str, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Run read → catalogue → match → allocate → flows → graph → metrics on ``folder``.

    Parameters
    ----------
    folder
        A dataset folder (e.g. from ``cwb synth``).
    seed
        The pipeline's seed (Louvain communities, betweenness sample).
    on_step
        Called with each step's name and figures as soon as it ends.

    Returns
    -------
    dict
        ``total_seconds``, ``peak_rss_mb``, ``steps`` (each step's ``seconds`` and
        ``peak_rss_mb``) and the sizes of what was computed.
    """
    timer = StepTimer(on_step)
    with timer.step("read"):
        pipe = Pipeline.open(folder, seed=seed)
    with timer.step("catalogue"):
        cat = pipe.catalogue
    with timer.step("match"):
        scores = pipe.scores
    with timer.step("allocate"):
        matches = pipe.matches
    with timer.step("flows"):
        flows = pipe.with_flows.flows
    with timer.step("graph"):
        graph = pipe.graph
    with timer.step("metrics"):
        summary = pipe.graph_metrics.summary
    allocation = matches.allocation
    return {
        **timer.summary(),
        "assets": len(pipe.source.assets),
        "catalogue_rows": len(cat.to_long()),
        "matches": len(scores.matches),
        "allocated": int(getattr(allocation, "filled", 0) or 0),
        "flows": 0 if flows is None else len(flows),
        "nodes": graph.number_of_nodes(),
        "edges": summary["edges"],
        "components": summary["components"],
        "communities": summary["communities"],
        "betweenness_sample": summary["betweenness_sample"],
        **{k: v for k, v in summary.items() if k.endswith(("_note", "_method"))},
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m cwb.bench.pipeline FOLDER [--seed S] [--profile FILE]``: print each step."""
    parser = argparse.ArgumentParser(prog="python -m cwb.bench.pipeline", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run to this file")
    args = parser.parse_args(argv)

    def show(name: str, figures: dict[str, float]) -> None:
        seconds, cpu, peak = figures["seconds"], figures["cpu_seconds"], figures["peak_rss_mb"]
        print(f"{name:<10} {seconds:8.2f} s  {cpu:8.2f} s CPU  {peak:8,.0f} MB", flush=True)

    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    result = bench_pipeline(args.folder, seed=args.seed, on_step=show)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
