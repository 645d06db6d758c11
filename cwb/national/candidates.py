"""Candidate matching over the store: a partition function, then scoring per project.

1. :func:`candidate_rows` runs on each store file that meets some catchment (plainly or
   with ``map_partitions`` on Dask): it keeps the rows within a project's catchment whose
   category may serve one of that project's opportunity types (``eligibility.csv``;
   resident groups always, since individuals are grouped by area before matching), and
   the worker writes them to ``_parts/candidates/<file>`` with ``to_parquet`` — one row
   per (asset, project) pair, a ``_project`` column naming the project.
2. :func:`match_candidates` runs per project (one task each): it reads only that
   project's candidates (a Parquet filter on ``_project``, only the files that hold
   some), matches them with cwb's matcher and writes ``<project>/matches.csv``.

The matches are those of the matcher run on the project's whole catchment: a row left
out by step 1 could not be matched (wrong category, outside the catchment).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cwb.dataset.model import WGS84, Dataset
from cwb.matching.core import match
from cwb.matching.model import load_eligibility, write_csv
from cwb.national.store import only_points, open_store, to_geoframe

PROJECT = "_project"
FILE = "_file"
COUNT_META = pd.DataFrame(
    {
        "file": pd.Series(dtype="object"),
        "project": pd.Series(dtype="object"),
        "candidates": pd.Series(dtype="int64"),
    }
)


def read_for_candidates(item: Any) -> gpd.GeoDataFrame:
    """A work item's rows in its boxes, every column, with its file's name in ``_file``."""
    from cwb.national.stages import read_table  # noqa: PLC0415 - stages imports this module

    columns = None
    if only_points(item.path):  # the points are the bbox column: no geometry to decode
        columns = [c for c in pq.read_schema(item.path).names if c != "geometry"]
    table = read_table(item, columns)
    frame = to_geoframe(table)
    frame[FILE] = Path(item.path).name
    return frame


def eligible_categories(opportunities: pd.DataFrame, project: str) -> tuple[str, ...]:
    """Asset categories that may serve some opportunity type of ``project``."""
    if "project" in opportunities:
        opportunities = opportunities[opportunities["project"].astype(str) == project]
    types = set(opportunities["type"].dropna().astype(str)) if "type" in opportunities else set()
    return tuple(
        sorted({r.asset_category for r in load_eligibility() if r.opportunity_type in types})
    )


def eligible_pairs(
    projects: np.ndarray, categories: np.ndarray, eligible: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """Whether each (project, category) pair is one of ``eligible``'s, vectorised.

    Pairs are coded as integers (project code × categories + category code) and looked
    up with ``np.isin``: no Python loop over the rows.
    """
    allowed = [(p, c) for p, cats in eligible.items() for c in cats]
    if not allowed or not len(projects):
        return np.zeros(len(projects), dtype=bool)
    project_codes, _ = pd.factorize(
        np.concatenate([np.asarray(projects, dtype=object), [p for p, _ in allowed]])
    )
    category_codes, category_names = pd.factorize(
        np.concatenate([np.asarray(categories, dtype=object), [c for _, c in allowed]])
    )
    pairs = project_codes.astype(np.int64) * len(category_names) + category_codes
    n = len(projects)
    return np.isin(pairs[:n], pairs[n:])


def candidate_rows(
    frame: gpd.GeoDataFrame,
    scope: Any,
    eligible: dict[str, tuple[str, ...]],
    folder: str,
) -> pd.DataFrame:
    """The candidates of one partition, written to ``folder/<file>``; counts per project."""
    from cwb.national.stages import _banded  # noqa: PLC0415 - stages imports this module

    if not len(frame):
        return COUNT_META.copy()
    source = str(frame[FILE].iloc[0])
    frame = frame.drop(columns=[FILE])
    rows, projects, _bands = _banded(frame, scope)
    if len(rows):
        category = frame["category"].astype(str).to_numpy()[rows]
        human = frame["kind"].astype(str).to_numpy()[rows] == "human"
        keep = human | eligible_pairs(projects, category, eligible)
        rows, projects = rows[keep], projects[keep]
    picked = frame.iloc[rows].reset_index(drop=True)
    picked.insert(0, PROJECT, pd.array(projects.astype(str), dtype="str"))
    path = Path(folder) / source
    path.parent.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(picked, geometry="geometry", crs=WGS84).to_parquet(path, index=False)
    counts = pd.Series(projects, dtype="str").value_counts(sort=False)
    return pd.DataFrame(
        {
            "file": [source] * len(counts),
            "project": counts.index.astype(str),
            "candidates": counts.to_numpy(dtype="int64"),
        }
    )


def match_candidates(
    project: Any, scope: Any, out: str, candidates: str, files: list[str]
) -> dict[str, Any]:
    """Match one project from its candidates; writes ``out/<project>/matches.csv``.

    A project without opportunities has nothing to match: its candidates are counted
    from their files' ``project`` column only.
    """
    store = open_store(scope.store)
    opportunities = store.read_small("opportunities")
    if "project" in opportunities:
        opportunities = opportunities[opportunities["project"].astype(str) == project.id]
    opportunities = opportunities.reset_index(drop=True)
    path = Path(out) / project.id / "matches.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    row: dict[str, Any] = {"project": project.id, "name": project.name}
    if not len(opportunities):
        found = sum(_count(Path(candidates) / f, project.id) for f in files)
        write_csv(pd.DataFrame(), path)
        return {**row, "candidates": found, "opportunities": 0, **_matched(None)}
    frames = [
        gpd.read_parquet(Path(candidates) / f, filters=[(PROJECT, "==", project.id)]) for f in files
    ]
    frames = [f for f in frames if len(f)]
    if frames:
        assets = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
        assets = assets.drop(columns=[PROJECT])
    else:
        assets = store.empty("assets").drop(columns=["bbox"], errors="ignore")
    row = {**row, "candidates": len(assets), "opportunities": len(opportunities)}
    if not len(assets):
        write_csv(pd.DataFrame(), path)
        return {**row, **_matched(None)}
    # every area: an asset's area_code may name one beyond the catchment's box
    areas = store.read_small("areas").drop(columns=["bbox"], errors="ignore")
    manifest = replace(store.manifest, projects=[project], files={})
    ds = Dataset(manifest=manifest, assets=assets, opportunities=opportunities, areas=areas)
    matches = match(ds).matches
    write_csv(matches, path)
    return {**row, **_matched(matches)}


def _count(path: Path, project: str) -> int:
    """Rows of a candidates file for ``project`` (its ``project`` column read alone)."""
    column = pq.read_table(path, columns=[PROJECT])[PROJECT]
    return int(pc.sum(pc.equal(column, project)).as_py() or 0)


def _matched(matches: pd.DataFrame | None) -> dict[str, int]:
    """The match counts of a project's summary row (zeros without matches)."""
    if matches is None:
        return {"matches": 0, "opportunities_matched": 0, "assets_matched": 0}
    return {
        "matches": len(matches),
        "opportunities_matched": int(matches["opportunity_id"].nunique()),
        "assets_matched": int(matches["asset_id"].nunique()),
    }
