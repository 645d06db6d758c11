"""The benchmark: every pipeline stage timed, with its peak memory, at growing sizes.

Sits above every stage (it runs them all; ``cwb bench``); only the CLI is above it.

- ``harness``: the stage registry, the child processes that time them, the reports.
- ``maps``: map size, build time and time-to-drawn in Chromium, beside FastMarkerCluster.
- ``flows``: the flow layer's size and time-to-drawn, beside a folium ``PolyLine`` per flow.
- ``fuzz``: hostile table files and manifests read; the exceptions counted by type (hypothesis).
- ``pipeline``: the whole pipeline in one process, as a user runs it; each step timed.
- ``memory``: this process's resident memory and its peak, as every benchmark reads it.
- ``national``: store build, catchment reads, national catalogue and matching (``--national``).

Both modules also run as scripts (``python -m cwb.bench.harness`` is each timed child
process, ``python -m cwb.bench.maps`` a manual run), so the names below are imported
on first use (PEP 562) rather than with the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cwb._lazy import lazy_attributes

if TYPE_CHECKING:
    from cwb.bench.harness import (
        STAGES,
        BenchReport,
        register_stage,
        run_benchmark,
        write_report,
    )
    from cwb.bench.maps import bench_map

_LAZY: dict[str, str] = {
    "STAGES": "cwb.bench.harness",
    "BenchReport": "cwb.bench.harness",
    "bench_map": "cwb.bench.maps",
    "register_stage": "cwb.bench.harness",
    "run_benchmark": "cwb.bench.harness",
    "write_report": "cwb.bench.harness",
}

__all__ = [
    "STAGES",
    "BenchReport",
    "bench_map",
    "register_stage",
    "run_benchmark",
    "write_report",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
