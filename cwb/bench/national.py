"""The national benchmark: store build, catchment reads, catalogue and matching at 1M–20M assets.

``cwb bench --national --sizes 1M,10M`` writes a synthetic national dataset around England's
towns and the New Hospital Programme sites (:func:`cwb.synth.national.write_national_synth`:
one GeoParquet file per table, written a row group at a time), builds a store from it, and
times each step in a fresh child process while a sampler adds up the resident memory of the
child *and every process it started* (Dask workers included): ``peak_mb`` is the process
tree's peak. Each step's detail records the machine's load average (``uptime``) when it
started. Steps:

- ``store_build`` / ``store_build_dask``: validate batch by batch, Hilbert-sort, write the
  partitions, plainly and on a LocalCluster of ``workers``;
- ``catchment_read``: each scheme's catchment read by bbox with the default columns
  (``settings.CATCHMENT_COLUMNS`` and the geometry): median and slowest, wall and CPU
  seconds (CPU seconds of the process, its threads included), and which scheme was slowest;
- ``catalogue_plain_whole``: the whole asset table read into one GeoDataFrame, then the
  catalogue of every catchment (what cwb did before the store); above ``plain_max`` assets
  it is not run and its detail says how much memory it would need;
- ``catalogue_store`` / ``catalogue_dask``: the national catalogue over the store, plainly
  and on a LocalCluster;
- ``candidates_store`` / ``candidates_dask``: the candidates for matching of every scheme
  (the partition function over the store, each partition's rows written with
  ``to_parquet``), plainly and on a LocalCluster; no scoring;
- ``match_store`` / ``match_dask``: candidate matching (a partition function over the
  store) and scoring per project, for the first ``match_projects`` schemes (0: all).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cwb import settings
from cwb.national import (
    build_store,
    executor,
    national_candidates,
    national_catalogue,
    national_match,
    open_store,
    read_projects,
    scope_for,
)
from cwb.national.build import batch_rows_for
from cwb.national.stages import catalogue_counts
from cwb.synth.national import write_national_synth

NATIONAL_STEPS = (
    "store_build",
    "store_build_dask",
    "catchment_read",
    "catalogue_plain_whole",
    "catalogue_store",
    "catalogue_dask",
    "candidates_store",
    "candidates_dask",
    "match_store",
    "match_dask",
)
#: Memory of the whole table in one GeoDataFrame, per million assets (measured: 0.42–0.45 GB).
PLAIN_GB_PER_MILLION = 0.45


@dataclass
class StepResult:
    """One timed step at one size."""

    size: int
    step: str
    seconds: float
    peak_mb: float
    detail: dict[str, Any]
    error: str | None = None


def synth_source(folder: Path, size: int, *, seed: int = 0) -> Path:
    """The synthetic national dataset of ``size`` assets (written once, then reused)."""
    if not (folder / "dataset.toml").exists():
        write_national_synth(folder, size, sites=read_projects("nhp"), seed=seed)
    return folder


def _tree_rss(pid: int) -> float:
    import psutil  # noqa: PLC0415 - optional dependency (comes with distributed)

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 1e6


def _run_child(args: list[str], timeout: float) -> tuple[dict[str, Any], float]:
    """Run one step in a child process; its result and the peak RSS of its process tree."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cwb.bench.national", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (stderr.strip().splitlines() or ["failed"])[-1]}, peak[0]
    return json.loads(lines[-1]), peak[0]


def bench_national(
    sizes: list[int],
    work_dir: Path,
    *,
    steps: tuple[str, ...] = NATIONAL_STEPS,
    workers: int = 2,
    match_projects: int = 5,
    plain_max: int = 10_000_000,
    seed: int = 0,
    timeout: float = 3600.0,
    progress: Any = None,
) -> list[StepResult]:
    """Run the national steps at each size (see the module notes); keeps data in ``work_dir``."""
    results = []
    for size in sizes:
        base = work_dir / f"national-{size}"
        start = time.perf_counter()
        source = synth_source(base / "source", size, seed=seed)
        if progress:
            progress(f"{size:,} assets generated in {time.perf_counter() - start:.0f} s")
        store = base / "store"
        for step in steps:
            load = round(os.getloadavg()[0], 2)
            if step == "catalogue_plain_whole" and size > plain_max:
                need = size / 1e6 * PLAIN_GB_PER_MILLION
                skipped: dict[str, Any] = {"load": load, "not_run": f"needs ~{need:.0f} GB"}
                results.append(StepResult(size, step, float("nan"), float("nan"), skipped))
                continue
            if step.startswith("store_build"):
                target = store if step == "store_build" else base / "store_dask"
                shutil.rmtree(target, ignore_errors=True)
                args = [step, str(target), str(workers), str(source)]
            else:
                args = [
                    step,
                    str(store),
                    str(base / "out" / step),
                    str(workers),
                    str(match_projects),
                ]
            t0 = time.perf_counter()
            detail, peak = _run_child(args, timeout)
            seconds = float(detail.pop("seconds", time.perf_counter() - t0))
            detail = {"load": load, **detail}
            result = StepResult(
                size, step, round(seconds, 2), round(peak, 1), detail, detail.pop("error", None)
            )
            results.append(result)
            if progress:
                progress(f"{size:,} {step}: {seconds:.1f} s, {peak:,.0f} MB {result.detail}")
            if step == "store_build_dask":
                shutil.rmtree(base / "store_dask", ignore_errors=True)
    return results


def write_results(results: list[StepResult], path: Path) -> Path:
    """The results as JSON and a Markdown table beside it (``.md``)."""
    path.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    lines = [
        "| assets | step | seconds | peak MB (process tree) | detail |",
        "|---:|---|---:|---:|---|",
    ]
    for r in results:
        facts = r.error or ", ".join(f"{k} {v}" for k, v in r.detail.items())
        if r.seconds != r.seconds:  # not run
            lines.append(f"| {r.size:,} | {r.step} | – | – | {facts} |")
            continue
        lines.append(f"| {r.size:,} | {r.step} | {r.seconds:.1f} | {r.peak_mb:,.0f} | {facts} |")
    path.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- child steps


def _step(step: str, store_path: str, rest: list[str]) -> dict[str, Any]:
    if step.startswith("store_build"):
        workers = int(rest[0]) if step.endswith("_dask") else None
        memory = settings.STORE_WORKER_MEMORY_MB
        with executor(workers, worker_memory_mb=memory) as run:
            t0 = time.perf_counter()
            built = build_store(rest[1:], store_path, run=run)
            return {
                "seconds": time.perf_counter() - t0,
                "batch_rows": batch_rows_for(run.worker_memory_mb),
                "files": len(built.store.partitions["assets"]),
                "store_mb": round(built.store.bytes / 1e6, 1),
            }
    out, workers, match_projects = Path(rest[0]), int(rest[1]), int(rest[2])
    shutil.rmtree(out, ignore_errors=True)
    store = open_store(store_path)
    projects = read_projects("nhp")
    scope = scope_for(store, projects)
    t0 = time.perf_counter()
    if step == "catchment_read":
        return _catchment_reads(store, projects, scope.radius_m, t0)
    if step == "catalogue_plain_whole":
        every = store.read_all("assets")
        counts = catalogue_counts(every, scope)
        return {"seconds": time.perf_counter() - t0, "assets": int(counts["assets"].sum())}
    dask = step.endswith("_dask")
    with executor(workers if dask else None) as run:
        t0 = time.perf_counter()
        if step.startswith("catalogue"):
            result = national_catalogue(run, scope, out)
            detail = {"assets": int(result.summary["assets"].sum())}
        elif step.startswith("candidates"):
            counts = national_candidates(run, scope, out)
            detail = {
                "projects": len(scope.projects),
                "candidates": int(counts["candidates"].sum()),
            }
        else:
            scope = scope_for(store, projects[:match_projects] if match_projects else projects)
            result = national_match(run, scope, out)
            detail = {
                "projects": len(scope.projects),
                "candidates": int(result.summary["candidates"].sum()),
                "matches": int(result.summary["matches"].sum()),
            }
        return {"seconds": time.perf_counter() - t0, **detail}


def _catchment_reads(store: Any, projects: list[Any], radius_m: float, t0: float) -> dict[str, Any]:
    """Each scheme's catchment read (the default columns), wall and CPU seconds."""
    store.read_catchment("assets", projects[0], radius_m)  # imports and caches, not timed
    walls, cpus, rows = [], [], 0
    for project in projects:
        t, c = time.perf_counter(), time.process_time()
        rows += len(store.read_catchment("assets", project, radius_m))
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    slowest = int(np.argmax(walls))
    return {
        "seconds": time.perf_counter() - t0,
        "median_s": round(float(np.median(walls)), 3),
        "slowest_s": round(walls[slowest], 3),
        "slowest_scheme": projects[slowest].id,
        "median_cpu_s": round(float(np.median(cpus)), 3),
        "slowest_cpu_s": round(max(cpus), 3),
        "rows": rows,
    }


if __name__ == "__main__":  # one step in a child process (the LocalCluster needs this guard)
    print(json.dumps(_step(sys.argv[1], sys.argv[2], sys.argv[3:])))
