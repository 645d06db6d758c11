"""``cwb demo``: run every stage on the bundled Birmingham dataset and write the outputs.

Each step is a function ``(pipe: Pipeline, out_dir: Path) -> list[Path]``
returning the files it wrote. Steps run in order; a step's failure is reported
and the others still run. The steps share one :class:`cwb.pipeline.Pipeline`,
so each stage (matching, spend analysis, graph, map, report …) is computed once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cwb.dataset.catalogue import write_catalogue
from cwb.dataset.io import read_dataset
from cwb.errors import UsageError
from cwb.graph.io import write_graph
from cwb.matching.core import write_csv
from cwb.pipeline import Pipeline
from cwb.progress import track
from cwb.spend.analysis import write_spend

log = logging.getLogger(__name__)

DemoStep = Callable[[Pipeline, Path], list[Path]]


@dataclass(frozen=True)
class StepResult:
    """What one demo step did."""

    name: str
    written: list[Path]
    error: str | None = None


def demo_dataset_path() -> Path:
    """Folder of the bundled Birmingham dataset (installed copy first, then the source tree)."""
    try:
        packaged = Path(str(resources.files("cwb") / "_data" / "birmingham"))
        if (packaged / "dataset.toml").exists():
            return packaged
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - depends on install
        pass
    source = Path(__file__).resolve().parents[1] / "data" / "birmingham"
    if (source / "dataset.toml").exists():
        return source
    raise UsageError("the bundled Birmingham dataset was not found; reinstall cwb")


def catalogue_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """Write ``catalogue.csv``."""
    return [write_catalogue(pipe.catalogue, out_dir / "catalogue.csv")]


def matching_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """Write ``matches.csv``, ``allocation.csv``, ``consortia.csv`` and ``gaps.csv``."""
    result = pipe.matches
    return [
        write_csv(result.matches, out_dir / "matches.csv"),
        write_csv(result.allocation.table(), out_dir / "allocation.csv"),
        write_csv(result.consortia, out_dir / "consortia.csv"),
        write_csv(result.gaps.table(), out_dir / "gaps.csv"),
    ]


def spend_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """Write ``spend.json`` and ``spend_summary.csv`` (nothing when there is no spend)."""
    if pipe.spend is None:
        log.warning("the dataset has no spend table; the spend step writes nothing")
        return []
    return [
        write_spend(pipe.spend, out_dir / "spend.json"),
        write_spend(pipe.spend, out_dir / "spend_summary.csv"),
    ]


def graph_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """The graph in every format, per-node metrics and the reach of each asset kind."""
    written = pipe.write_graph(out_dir / "graph.graphml", metrics_csv=out_dir / "graph_metrics.csv")
    for name in ("graph.gexf", "graph.json", "graph.gpkg"):
        written.append(write_graph(pipe.graph, out_dir / name))
    reach = out_dir / "graph_reach.csv"
    write_csv(pipe.graph_metrics.reach, reach)
    return [*written, reach]


def map_report_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """The map (with the matched links) and the report that links to it, in HTML and Markdown."""
    return [
        pipe.write_map(out_dir / "map.html"),
        pipe.write_report(out_dir / "report.html"),
        pipe.write_report(out_dir / "report.md"),
    ]


#: The demo steps in order.
STEPS: tuple[tuple[str, DemoStep], ...] = (
    ("catalogue", catalogue_step),
    ("matching", matching_step),
    ("spend", spend_step),
    ("graph", graph_step),
    ("map and report", map_report_step),
)


def run_demo(out_dir: Path, dataset_path: Path | None = None) -> list[StepResult]:
    """Read the dataset, then run every demo step into ``out_dir`` on one :class:`Pipeline`."""
    ds = read_dataset(dataset_path or demo_dataset_path())
    out_dir.mkdir(parents=True, exist_ok=True)
    pipe = Pipeline(ds, map_href="map.html")
    results: list[StepResult] = []
    for name, step in track(STEPS, "cwb demo: running each stage"):
        try:
            results.append(StepResult(name, step(pipe, out_dir)))
        except Exception as exc:  # noqa: BLE001 - reported to the user, other steps go on
            results.append(StepResult(name, [], f"{type(exc).__name__}: {exc}"))
    return results
