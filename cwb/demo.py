"""``cwb demo`` and ``cwb publish``: run the stages on a dataset and write the outputs.

``cwb demo`` runs every stage on the bundled Birmingham dataset; :func:`publish`
writes what a planner sends (map, report, tables) with the map's options.

Each step is a function ``(pipe: Pipeline, out_dir: Path) -> list[Path]``
returning the files it wrote. Steps run in order; a step's failure is reported
and the others still run. The steps share one :class:`cwb.pipeline.Pipeline`,
so each stage (matching, spend analysis, graph, map, report …) is computed once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from cwb.catalogue import write_catalogue
from cwb.commons.pacts import commons_figures, write_commons
from cwb.dataset.io import read_dataset, write_table
from cwb.errors import UsageError
from cwb.graph.io import write_graph
from cwb.matching.core import write_csv
from cwb.pdf import pdf_engine
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


def flows_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """Write the flows (the dataset's and derived ones) and their measures under ``flows/``."""
    atlas = pipe.flows
    folder = out_dir / "flows"
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_table(atlas.flows, folder / "flows.csv")]
    for name, table in atlas.measures.tables().items():
        written.append(write_table(table, folder / f"flows_{name}.csv"))
    return written


def commons_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """Places proposed for groups, the gaps and the CO-CITY figures as CSV."""
    result = pipe.places
    written = write_commons(result, out_dir) if result is not None else []
    figures = pd.DataFrame(
        commons_figures(pipe.dataset, result).rows(), columns=["figure", "value"]
    )
    written.append(write_table(figures, out_dir / "commons_figures.csv"))
    return written


def graph_step(pipe: Pipeline, out_dir: Path) -> list[Path]:
    """The graph in every format, per-node metrics and the reach of each asset kind."""
    written = pipe.write_graph(out_dir / "graph.graphml", metrics_csv=out_dir / "graph_metrics.csv")
    for name in ("graph.gexf", "graph.json", "graph.gpkg"):
        written.append(write_graph(pipe.graph, out_dir / name, areas=pipe.dataset.areas))
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
    ("community use of places", commons_step),
    ("flows", flows_step),
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


# ---------------------------------------------------------------- cwb publish

#: ``--assets`` values besides a URL or folder prefix.
ASSET_MODES = ("cdn", "inline")


def map_asset_options(assets: str | None, tiles: str | None) -> dict[str, Any]:
    """Keyword arguments of :func:`cwb.maps.compose.make_map` for ``--assets`` and ``--tiles``.

    ``assets`` is ``inline`` (the default: the map opens offline), ``cdn`` or a
    URL/folder prefix; ``tiles`` ``none`` draws no base map.
    """
    options: dict[str, Any] = {}
    if tiles is not None:
        options["tiles"] = None if tiles.lower() == "none" else tiles
    if assets is not None:
        options["assets"] = assets
    return options


def publish(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    bands_m: Sequence[float] | None = None,
    indicator: str | None = "imd_decile",
    title: str | None = None,
    assets: str | None = None,
    tiles: str | None = None,
    pdf: bool = False,
) -> list[Path]:
    """Write a planner's outputs into ``out_dir``: ``map.html``, ``report.html`` and ``tables/``.

    One :class:`~cwb.pipeline.Pipeline` computes each stage once. ``tables/``
    holds the catalogue, the matches, allocation, consortia and gaps and (when the
    dataset has spend) the spend summary, as CSV. The report links the map and
    shades its static map by the same ``indicator``.

    Parameters
    ----------
    dataset
        The dataset folder.
    out_dir
        The folder to write into (created if needed).
    bands_m
        Catchment distance bands (metres) replacing the manifest's.
    indicator
        Area column to shade the areas by (None: outlines).
    title
        Title of the map and the report (default: the dataset's name).
    assets, tiles
        The map's script source and base map (see :func:`map_asset_options`).
    pdf
        Also print the report to ``report.pdf`` (see :func:`cwb.pdf.write_pdf`).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{str(out)!r} is a file, not a folder", argument="output")
    options = {"indicator": indicator, "title": title, **map_asset_options(assets, tiles)}
    pipe = Pipeline.open(dataset, bands_m=bands_m, map_href="map.html", map_options=options)
    if pdf:
        pdf_engine()  # no engine: fail before any work is done
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    written = [pipe.write_map(out / "map.html")]
    if title:
        pipe.report.title = title
    written.append(pipe.write_report(out / "report.html"))
    if pdf:
        written.append(pipe.write_report(out / "report.pdf"))
    for step in (catalogue_step, matching_step, spend_step):
        written += step(pipe, tables)
    return written
