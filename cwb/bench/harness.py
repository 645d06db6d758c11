"""Benchmark: time every pipeline stage and its peak memory at growing dataset sizes.

``cwb bench --sizes 10000,100000,1000000`` generates a synthetic dataset per
size (:mod:`cwb.synth.generate`), then runs each registered stage on it in a fresh
Python process, so that the memory figure of one stage is not inflated by the
ones before it. Results go to a rich table, a JSON file and a Markdown table
for the README.

How to add a stage
------------------
Stages live in the "Stages" section at the end of this module; owners of
other modules (matching, allocation, graph, maps, spend …) add one small
function there::

    @register_stage("match", requires=("cwb.matching.core",))
    def _stage_match(ctx: BenchContext) -> dict[str, object]:
        table = match_dataset(ctx.dataset)  # imported at the top of this module
        return {"pairs": len(table)}

- The function is timed from its first to its last line; the library is imported
  with this module, before any clock starts. ``ctx.dataset`` (the
  synthetic dataset, read with :func:`cwb.dataset.io.read_dataset`) is loaded *before*
  the clock starts, so a stage measures only its own work. Set
  ``needs_dataset=False`` for stages that read the folder themselves.
- ``ctx.folder`` is the dataset folder, ``ctx.scratch`` an empty folder for the
  stage's outputs, ``ctx.size`` the number of assets, ``ctx.params`` the bench
  settings (seed, format, opportunities).
- ``prepare=fn`` runs ``fn(ctx)`` before the clock starts; its return value is
  ``ctx.prepared`` (for example the match table an allocation stage needs).
- Return a small dict of JSON-able facts (rows written, pairs scored …); it is
  kept in the JSON report as the stage's ``detail``.
- ``requires`` lists modules that must be importable. When one is missing the
  stage is reported as *skipped* with the reason; an ``ImportError`` raised
  inside the stage is reported the same way, so a stage can be registered
  before its module lands.

How memory is measured
----------------------
Each (size, stage) runs in its own child process (``python -m cwb.bench.harness _run
SPEC``). After loading the dataset and running ``prepare``, the child resets
the kernel's peak-RSS counter (writing ``5`` to ``/proc/self/clear_refs``,
Linux ≥ 4.0) and reads ``VmHWM`` from ``/proc/self/status`` when the stage
ends. ``peak_rss_mb`` is therefore the resident memory of the whole process
at its highest point *during the stage* (interpreter, libraries and the loaded
dataset included) and ``rss_before_mb`` what the process held when the stage
began; their difference is what the stage itself added at its peak. Where
``clear_refs`` is not available the child falls back to ``ru_maxrss`` of the
whole process and marks the figure ``peak_scope = "process"``. RSS sees every
allocator (numpy, Arrow, GDAL), which ``tracemalloc`` does not, and costs
nothing at run time.

``seconds`` is wall-clock time; ``cpu_seconds`` the CPU time (user + system,
with any child process the stage waited for), steadier on a busy machine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cwb._atomic import write_text_atomic
from cwb._version import __version__
from cwb.bench.flows import bench_flows
from cwb.bench.maps import bench_map
from cwb.bench.memory import maxrss_kb, reset_peak, status_kb
from cwb.bench.pipeline import bench_pipeline
from cwb.catalogue import catalogue
from cwb.dataset.io import read_dataset, write_dataset
from cwb.dataset.validate import validate_dataset
from cwb.errors import UsageError
from cwb.graph.build import build_graph
from cwb.graph.metrics import graph_metrics
from cwb.maps.compose import save_map
from cwb.matching.allocation import allocate
from cwb.matching.consortia import propose_consortia
from cwb.matching.core import match, match_dataset
from cwb.spend.analysis import analyse_spend
from cwb.synth.generate import FORMATS, synth_dataset

if TYPE_CHECKING:
    from cwb.dataset.model import Dataset
    from cwb.matching.core import MatchResult

log = logging.getLogger(__name__)

#: Asset counts benchmarked when none are given.
DEFAULT_SIZES: tuple[int, ...] = (10_000, 100_000, 1_000_000)
#: Seconds a single (size, stage) child may run before it is stopped.
DEFAULT_TIMEOUT_S = 1800.0
SYNTH_STAGE = "synth"
#: Runs of each command in the ``cli_startup`` stage (``params["cli_runs"]`` overrides it).
CLI_STARTUP_RUNS = 5

StageFn = Callable[["BenchContext"], dict[str, Any] | None]


@dataclass
class BenchContext:
    """What a stage gets: the dataset folder, the dataset (read lazily) and a scratch folder."""

    folder: Path
    scratch: Path
    size: int
    params: dict[str, Any] = field(default_factory=dict)
    prepared: Any = None
    _dataset: Dataset | None = field(default=None, repr=False)

    @property
    def dataset(self) -> Dataset:
        """The dataset in :attr:`folder`, read (and validated) on first use."""
        if self._dataset is None:
            self._dataset = read_dataset(self.folder)
        return self._dataset


@dataclass(frozen=True)
class Stage:
    """A registered benchmark stage."""

    name: str
    fn: StageFn
    requires: tuple[str, ...] = ()
    needs_dataset: bool = True
    prepare: Callable[[BenchContext], Any] | None = None
    description: str = ""


#: Every registered stage, in the order it runs.
STAGES: dict[str, Stage] = {}


def register_stage(
    name: str,
    *,
    requires: Sequence[str] = (),
    needs_dataset: bool = True,
    prepare: Callable[[BenchContext], Any] | None = None,
) -> Callable[[StageFn], StageFn]:
    """Register a benchmark stage (a decorator); see the module docstring.

    Parameters
    ----------
    name
        Stage name as given to ``cwb bench --stages``.
    requires
        Modules that must be importable; otherwise the stage is skipped.
    needs_dataset
        Read ``ctx.dataset`` before the clock starts.
    prepare
        Untimed setup; its return value becomes ``ctx.prepared``.
    """

    def decorator(fn: StageFn) -> StageFn:
        doc = (fn.__doc__ or "").strip().splitlines()
        STAGES[name] = Stage(
            name, fn, tuple(requires), needs_dataset, prepare, doc[0] if doc else ""
        )
        return fn

    return decorator


@dataclass
class StageResult:
    """The outcome of one stage at one size."""

    size: int
    stage: str
    status: str  # ok, skipped, failed, timeout
    seconds: float | None = None
    peak_rss_mb: float | None = None
    rss_before_mb: float | None = None
    cpu_seconds: float | None = None
    peak_scope: str = "stage"
    detail: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the stage ran to the end."""
        return self.status == "ok"


@dataclass
class BenchReport:
    """Every result of a benchmark run, with the machine it ran on."""

    sizes: list[int]
    stages: list[str]
    results: list[StageResult]
    machine: dict[str, Any]
    settings: dict[str, Any]
    created: str

    def result(self, size: int, stage: str) -> StageResult | None:
        """The result for (size, stage), or None."""
        return next((r for r in self.results if r.size == size and r.stage == stage), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "created": self.created,
            "machine": self.machine,
            "settings": self.settings,
            "sizes": self.sizes,
            "stages": self.stages,
            "results": [asdict(r) for r in self.results],
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"

    def to_markdown(self) -> str:
        """A Markdown table: one row per stage, one column per size (time · peak memory)."""
        head = "| stage | " + " | ".join(f"{s:,} assets" for s in self.sizes) + " |"
        lines = [head, "|" + "---|" * (len(self.sizes) + 1)]
        for stage in self.stages:
            cells = [format_cell(self.result(size, stage)) for size in self.sizes]
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
        m = self.machine
        lines += [
            "",
            "Time in seconds · peak resident memory of the stage's process in MB (in brackets: "
            "what the stage added above the data and libraries already loaded). "
            f"{m.get('cpus', '?')} CPUs, {m.get('memory_gb', '?')} GB RAM, "
            f"Python {m.get('python', '?')}, "
            f"{self.settings.get('format', '?')} files, seed {self.settings.get('seed', '?')}; "
            f"`cwb bench` on {self.created[:10]}.",
        ]
        return "\n".join(lines) + "\n"


def format_cell(result: StageResult | None) -> str:
    """One table cell: ``1.23 s · 456 MB (+120)``, or the status when the stage did not run.

    The figure in brackets is what the stage added above the memory it started with.
    """
    if result is None:
        return "–"
    if not result.ok:
        return result.status
    cell = f"{format_seconds(result.seconds)} · {result.peak_rss_mb:,.0f} MB"
    if result.peak_scope == "stage" and result.rss_before_mb is not None and result.peak_rss_mb:
        cell += f" (+{max(result.peak_rss_mb - result.rss_before_mb, 0):,.0f})"
    return cell


def format_seconds(seconds: float | None) -> str:
    """Seconds with sensible precision."""
    if seconds is None:
        return "–"
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:,.1f} s"


def parse_sizes(text: str) -> list[int]:
    """Parse ``10000,100k,1M`` into asset counts."""
    sizes: list[int] = []
    for token in (t.strip().lower().replace("_", "") for t in text.split(",")):
        if not token:
            continue
        factor = {"k": 1_000, "m": 1_000_000}.get(token[-1], 1)
        digits = token[:-1] if factor > 1 else token
        try:
            value = int(float(digits) * factor)
        except ValueError:
            raise UsageError(
                f"{token!r} is not a number (expected e.g. 10000,100k,1M)", argument="sizes"
            ) from None
        if value < 1:
            raise UsageError(f"{token!r} must be at least 1", argument="sizes")
        sizes.append(value)
    if not sizes:
        raise UsageError("give at least one size, e.g. 10000,100000", argument="sizes")
    return sizes


def resolve_stages(names: Sequence[str] | None) -> list[str]:
    """Stages to run, in registry order with ``synth`` first; unknown names are a usage error."""
    if not names:
        return list(STAGES)
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise UsageError(
            f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}",
            argument="stages",
        )
    wanted = set(names) | {SYNTH_STAGE}
    return [n for n in STAGES if n in wanted]


def missing_requirements(stage: Stage) -> list[str]:
    """Modules a stage requires that cannot be imported."""
    missing = []
    for module in stage.requires:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(module)
    return missing


def default_opportunities(size: int) -> int:
    """Opportunities generated for ``size`` assets: 40 to 2,000, one per 500 assets."""
    return max(40, min(2_000, size // 500))


def machine_info() -> dict[str, Any]:
    """CPU count, memory, Python and library versions of this machine."""
    info: dict[str, Any] = {
        "cwb": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        info["memory_gb"] = None
    for lib in ("numpy", "pandas", "geopandas", "shapely", "pyarrow"):
        try:
            info[lib] = __import__(lib).__version__
        except ImportError:  # pragma: no cover - all are dependencies
            info[lib] = None
    return info


def run_benchmark(
    sizes: Sequence[int] = DEFAULT_SIZES,
    stages: Sequence[str] | None = None,
    *,
    work_dir: Path | None = None,
    fmt: str = "parquet",
    seed: int = 0,
    opportunities: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    keep: bool = False,
    on_result: Callable[[StageResult], None] | None = None,
) -> BenchReport:
    """Generate a synthetic dataset per size and time every stage on it.

    Parameters
    ----------
    sizes
        Asset counts, e.g. ``(10_000, 100_000, 1_000_000)``.
    stages
        Stage names (see :data:`STAGES`); all when None. ``synth`` always runs.
    work_dir
        Where the datasets and scratch folders go (a temporary folder when None).
    fmt
        File format of the synthetic tables: ``csv``, ``parquet`` or ``gpkg``.
    seed
        Random seed of the synthetic data.
    opportunities
        Opportunities per dataset; :func:`default_opportunities` of the size when None.
    timeout_s
        Time limit of one (size, stage) child process.
    keep
        Keep the generated datasets (always kept when ``work_dir`` is given).
    on_result
        Called with each result as soon as it is known (for progress output).

    Returns
    -------
    BenchReport
        Every (size, stage) result with the machine description.
    """
    names = resolve_stages(stages)
    sizes = list(sizes)
    if not sizes:
        raise UsageError("give at least one size")
    if fmt not in FORMATS:
        raise UsageError(f"{fmt!r} is not one of {', '.join(FORMATS)}", argument="format")
    temporary = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="cwb-bench-")) if work_dir is None else Path(work_dir)
    root.mkdir(parents=True, exist_ok=True)
    results: list[StageResult] = []
    settings = {"format": fmt, "seed": seed, "timeout_s": timeout_s, "opportunities": opportunities}
    try:
        for size in sizes:
            folder = root / f"synth-{size}"
            params = {
                "seed": seed,
                "format": fmt,
                "opportunities": opportunities or default_opportunities(size),
                "sizes": sizes,
            }
            dataset_ok = True
            for name in names:
                if not dataset_ok and name != SYNTH_STAGE:
                    result = StageResult(
                        size, name, "skipped", reason="the synthetic dataset was not generated"
                    )
                else:
                    result = run_stage_isolated(
                        name,
                        folder,
                        root / f"scratch-{size}-{name}",
                        size,
                        params,
                        timeout_s=timeout_s,
                    )
                if name == SYNTH_STAGE and not result.ok:
                    dataset_ok = False
                log.info("bench %s at %s assets: %s", name, size, result.status)
                results.append(result)
                if on_result is not None:
                    on_result(result)
            if temporary and not keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if temporary and not keep:
            shutil.rmtree(root, ignore_errors=True)
    return BenchReport(
        sizes=sizes,
        stages=names,
        results=results,
        machine=machine_info(),
        settings=settings,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def run_stage_isolated(
    name: str,
    folder: Path,
    scratch: Path,
    size: int,
    params: dict[str, Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> StageResult:
    """Run one stage in a fresh Python process and collect its result."""
    stage = STAGES[name]
    missing = missing_requirements(stage)
    if missing:
        return StageResult(
            size, name, "skipped", reason=f"module {', '.join(missing)} is not importable"
        )
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    spec_path = scratch / "_bench_spec.json"
    result_path = scratch / "_bench_result.json"
    spec = {
        "stage": name,
        "folder": str(folder),
        "scratch": str(scratch),
        "size": size,
        "params": params,
        "result": str(result_path),
    }
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    command = [sys.executable, "-m", "cwb.bench.harness", "_run", str(spec_path)]
    # its own session, so that a timeout also stops whatever the stage started (a browser …)
    with subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            shutil.rmtree(scratch, ignore_errors=True)
            return StageResult(size, name, "timeout", reason=f"stopped after {timeout_s:g} s")
    try:
        if result_path.exists():
            data = json.loads(result_path.read_text(encoding="utf-8"))
            return StageResult(**data)
        tail = (stderr or "").strip().splitlines()[-3:]
        return StageResult(
            size, name, "failed", reason=f"exit code {proc.returncode}: " + " | ".join(tail)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_report(
    report: BenchReport, json_path: Path | None, markdown_path: Path | None = None
) -> list[Path]:
    """Write the JSON and/or Markdown report atomically; return the paths written."""
    written = []
    if json_path is not None:
        written.append(write_text_atomic(json_path, report.to_json()))
    if markdown_path is not None:
        written.append(write_text_atomic(markdown_path, report.to_markdown()))
    return written


# --------------------------------------------------------------------------- child process


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of children it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def execute_stage(name: str, ctx: BenchContext) -> StageResult:
    """Run one stage in this process, measuring its time and peak memory."""
    stage = STAGES[name]
    try:
        if stage.needs_dataset:
            _ = ctx.dataset
        if stage.prepare is not None:
            ctx.prepared = stage.prepare(ctx)
        scope = "stage" if reset_peak() else "process"
        before = status_kb("VmRSS")
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        detail = stage.fn(ctx) or {}
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_start
    except ImportError as exc:
        return StageResult(ctx.size, name, "skipped", reason=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported in the benchmark table
        log.debug("stage %s failed", name, exc_info=True)
        return StageResult(
            ctx.size, name, "failed", reason=f"{type(exc).__name__}: {str(exc)[:300]}"
        )
    peak = status_kb("VmHWM") if scope == "stage" else None
    if peak is None:
        peak, scope = maxrss_kb(), "process"
    return StageResult(
        size=ctx.size,
        stage=name,
        status="ok",
        seconds=round(seconds, 4),
        cpu_seconds=round(cpu, 4),
        peak_rss_mb=round(peak / 1024, 1),
        rss_before_mb=round(before / 1024, 1) if before is not None else None,
        peak_scope=scope,
        detail=json.loads(json.dumps(detail, default=str)),
    )


def child_main(argv: Sequence[str]) -> int:
    """Entry point of the child process: ``python -m cwb.bench.harness _run SPEC.json``."""
    if len(argv) != 2 or argv[0] != "_run":
        print(
            "usage: python -m cwb.bench.harness _run SPEC.json  (used by `cwb bench`)",
            file=sys.stderr,
        )
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    ctx = BenchContext(
        folder=Path(spec["folder"]),
        scratch=Path(spec["scratch"]),
        size=int(spec["size"]),
        params=dict(spec["params"]),
    )
    result = execute_stage(spec["stage"], ctx)
    write_text_atomic(spec["result"], json.dumps(asdict(result), default=str))
    return 0


# --------------------------------------------------------------------------- stages
# Add a stage: one decorated function, in pipeline order (see the module docstring).


@register_stage(SYNTH_STAGE, requires=("cwb.synth.generate",), needs_dataset=False)
def _stage_synth(ctx: BenchContext) -> dict[str, Any]:
    """Generate the synthetic dataset (``cwb synth``)."""
    result = synth_dataset(
        ctx.folder,
        assets=ctx.size,
        opportunities=int(ctx.params.get("opportunities") or default_opportunities(ctx.size)),
        seed=int(ctx.params.get("seed", 0)),
        fmt=str(ctx.params.get("format", "parquet")),
        overwrite=True,
    )
    return {"rows": result.counts, "megabytes": round(result.bytes_written / 1024**2, 1)}


def time_cli(args: Sequence[str], runs: int) -> dict[str, float]:
    """Median wall-clock and CPU seconds of ``python -m cwb ARGS``, each run a fresh process."""
    walls, cpus = [], []
    for _ in range(max(1, runs)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cwb", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        "seconds": round(statistics.median(walls), 3),
        "cpu_seconds": round(statistics.median(cpus), 3),
    }


@register_stage("cli_startup", needs_dataset=False)
def _stage_cli_startup(ctx: BenchContext) -> dict[str, Any]:
    """Start-up of the command line: ``cwb --help`` and ``cwb --version`` (medians in detail)."""
    runs = int(ctx.params.get("cli_runs", CLI_STARTUP_RUNS))
    return {
        "runs": runs,
        "help": time_cli(["--help"], runs),
        "version": time_cli(["--version"], runs),
    }


@register_stage("read", requires=("cwb.dataset.io",), needs_dataset=False)
def _stage_read(ctx: BenchContext) -> dict[str, Any]:
    """Read and validate the dataset (``cwb.read_dataset``)."""
    ds = read_dataset(ctx.folder)
    return {
        "rows": {name: len(table) for name, table in ds.tables().items()},
        "warnings": len(ds.warnings),
    }


@register_stage("validate", requires=("cwb.dataset.validate",), needs_dataset=False)
def _stage_validate(ctx: BenchContext) -> dict[str, Any]:
    """Validate the dataset folder (``cwb validate``)."""
    report = validate_dataset(ctx.folder)
    problems = report.problems
    errors = sum(1 for p in problems if getattr(p, "severity", "") == "error")
    return {"errors": errors, "warnings": len(problems) - errors}


@register_stage("catalogue", requires=("cwb.catalogue",))
def _stage_catalogue(ctx: BenchContext) -> dict[str, Any]:
    """Catalogue: counts by kind and category, by distance band and by area."""
    cat = catalogue(ctx.dataset)
    return {"rows": len(cat.to_long()), "suppressed_residents": cat.suppressed_residents}


@register_stage("write", requires=("cwb.dataset.io",))
def _stage_write(ctx: BenchContext) -> dict[str, Any]:
    """Write the dataset back out as Parquet (the read → write round trip)."""
    target = write_dataset(ctx.dataset, ctx.scratch / "roundtrip", format="parquet")
    size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
    return {"megabytes": round(size / 1024**2, 1)}


@register_stage("spend", requires=("cwb.spend.analysis",))
def _stage_spend(ctx: BenchContext) -> dict[str, Any]:
    """Spend analysis: Preston-model figures, leakage, re-localisable spend, LM3."""
    analysis = analyse_spend(ctx.dataset)
    status = analysis.transactions["status"]
    return {
        "transactions": len(status),
        "included": int((status == "included").sum()),
        "relocalisable": len(analysis.relocalisable),
    }


def _match_for_allocation(ctx: BenchContext) -> MatchResult:
    return match(ctx.dataset)


@register_stage("match", requires=("cwb.matching.core",))
def _stage_match(ctx: BenchContext) -> dict[str, Any]:
    """Score asset–opportunity pairs with reasons (``cwb match``)."""
    result = match(ctx.dataset)
    return {
        "matches": len(result.matches),
        "opportunities": len(result.opportunities),
        "assets": len(result.assets),
    }


@register_stage("allocate", requires=("cwb.matching.allocation",), prepare=_match_for_allocation)
def _stage_allocate(ctx: BenchContext) -> dict[str, Any]:
    """Allocate with capacities as a min-cost flow, then propose consortia."""
    allocation = allocate(ctx.prepared)
    consortia = propose_consortia(ctx.prepared)
    return {
        "filled": allocation.filled,
        "unfilled": allocation.unfilled,
        "consortia": len(consortia),
    }


def _match_dataset(ctx: BenchContext) -> MatchResult:
    return match_dataset(ctx.dataset)


@register_stage(
    "graph",
    requires=("cwb.graph.build", "cwb.graph.metrics", "cwb.matching.core"),
    prepare=_match_dataset,
)
def _stage_graph(ctx: BenchContext) -> dict[str, Any]:
    """Build the typed network from the matches, then its metrics (``cwb graph``)."""
    G = build_graph(ctx.dataset, ctx.prepared)
    summary = graph_metrics(G).summary
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "communities": summary["communities"],
        "betweenness_sample": summary["betweenness_sample"],
    }


@register_stage("pipeline", requires=("cwb.pipeline",), needs_dataset=False)
def _stage_pipeline(ctx: BenchContext) -> dict[str, Any]:
    """Read → catalogue → match → allocate → graph + metrics in one process (steps in detail)."""
    return bench_pipeline(ctx.folder, seed=int(ctx.params.get("seed", 0)))


@register_stage("map", requires=("cwb.maps.compose",))
def _stage_map(ctx: BenchContext) -> dict[str, Any]:
    """Build and save the interactive map without links (``cwb map --no-links``)."""
    path = save_map(ctx.dataset, ctx.scratch / "map.html", links=False)
    return {"html_mb": round(path.stat().st_size / 1e6, 2)}


@register_stage("map_drawn", requires=("cwb.bench.maps", "playwright"))
def _stage_map_drawn(ctx: BenchContext) -> dict[str, Any]:
    """Map beside FastMarkerCluster: build+save, HTML MB, time-to-drawn in Chromium (detail)."""
    return bench_map(ctx.dataset, ctx.scratch, repeats=5 if ctx.size < 500_000 else 1)


@register_stage("flows_drawn", requires=("cwb.bench.flows", "playwright"), needs_dataset=False)
def _stage_flows_drawn(ctx: BenchContext) -> dict[str, Any]:
    """Flow map of SIZE synthetic flows beside a folium PolyLine per flow (baseline to 10k).

    The baseline stops at 10k here (at 100k it takes minutes to build); run
    ``python -m cwb.bench.flows`` for the table with the 100k baseline.
    """
    return bench_flows(
        ctx.size, ctx.scratch, baseline=ctx.size <= 10_000, repeats=3 if ctx.size < 500_000 else 1
    )


@register_stage("fuzz", needs_dataset=False)
def _stage_fuzz(ctx: BenchContext) -> dict[str, Any]:
    """Hostile CSV/XLSX/GeoJSON/TOML files read; a count per exception type (first size only).

    Runs ``params["fuzz_cases"]`` cases (2,000 by default) once, at the first size;
    needs hypothesis (``pip install 'cwb[test]'``): without it the stage is skipped
    with that hint. Anything but a CwbError is a crash (``non_cwb_errors``).
    """
    fuzz = importlib.import_module("cwb.bench.fuzz")  # needs hypothesis: imported here

    sizes = ctx.params.get("sizes") or [ctx.size]
    if ctx.size != sizes[0]:
        return {"cases": 0, "note": f"runs once, at the first size ({sizes[0]:,})"}
    cases = int(ctx.params.get("fuzz_cases", fuzz.DEFAULT_CASES))
    report = fuzz.run_fuzz(cases, seed=int(ctx.params.get("seed", 0)), scratch=ctx.scratch)
    return dict(report.to_dict())


if __name__ == "__main__":
    # Run through the importable module so that stages register in one registry.
    from cwb.bench import harness as _bench

    sys.exit(_bench.child_main(sys.argv[1:]))
