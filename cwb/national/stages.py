"""The national stages: catalogue, candidate matching and spend, per project catchment.

Each stage has a partition function (a GeoDataFrame of store rows in, a small frame of
counts out) or a catchment task (one project in, its files written, one summary row
out); :mod:`cwb.national.engine` runs them plainly or on Dask. A project's catchment is
the disc of the largest distance band (``bands_m`` of the store's ``dataset.toml``).

Outputs, in ``OUT``: ``<project>/catalogue.csv``, ``<project>/matches.csv``,
``<project>/spend.csv`` (one result set per project) and ``national_catalogue.csv``,
``national_match.csv``, ``national_spend.csv`` (one row per project); ``_parts/`` keeps
the per-partition results the summaries were made from.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from cwb._atomic import atomic_path
from cwb.catalogue import band_labels
from cwb.dataset.manifest import Project
from cwb.dataset.model import WGS84
from cwb.errors import UsageError
from cwb.national.candidates import (
    COUNT_META,
    candidate_rows,
    eligible_categories,
    match_candidates,
    read_for_candidates,
)
from cwb.national.engine import Executor, read_parts, run_parts, run_tasks
from cwb.national.store import (
    Store,
    catchment_bbox,
    metric_xy,
    open_store,
    read_boxes,
    table_points,
    transformer,
)
from cwb.safe_output import neutralise_frame

CATALOGUE_COLUMNS = ["project", "band", "kind", "category", "assets", "residents"]
SPEND_COLUMNS = ["project", "band", "transactions", "amount", "sme_amount"]


@dataclass(frozen=True)
class Scope:
    """What a national run covers: the store, the projects and the distance bands."""

    store: Path
    projects: tuple[Project, ...]
    bands_m: tuple[float, ...]
    metric_crs: str
    min_count: int

    @property
    def radius_m(self) -> float:
        """The catchment radius: the largest band edge."""
        return max(self.bands_m)


#: Characters a project id may not hold: it names the project's folder of results.
_UNSAFE_ID = re.compile(r'[/\\<>:"|?*\x00-\x1f]|^\.{1,2}$|^\s|\s$')


def scope_for(store: Store, projects: Sequence[Project] | None = None) -> Scope:
    """The scope of ``projects`` (default: the store's own) over ``store``.

    Raises
    ------
    UsageError
        A project id that cannot name a folder on every system (a slash, ``..``, one of
        ``<>:"|?*``, a control character, or spaces around it): each project's results go
        to ``OUT/<id>/``, so such an id would write elsewhere or fail half way.
    """
    chosen = tuple(projects) if projects is not None else tuple(store.manifest.projects)
    unsafe = [p.id for p in chosen if not p.id or _UNSAFE_ID.search(p.id)]
    if unsafe:
        shown = ", ".join(repr(i) for i in unsafe[:5])
        raise UsageError(
            f"project id(s) {shown} cannot name a results folder (OUT/<id>/): an id may not "
            "be '.' or '..', hold a slash, a backslash, one of <>:\"|?* or a control "
            "character, or start or end with a space",
            argument="projects",
        )
    return Scope(
        store.path,
        chosen,
        tuple(store.manifest.bands_m),
        store.manifest.metric_crs or "EPSG:27700",
        store.manifest.min_count,
    )


# --------------------------------------------------------------------------- work lists


@dataclass(frozen=True)
class PartItem:
    """One partition file to read: only the rows in the boxes of the catchments it meets."""

    path: str
    boxes: tuple[tuple[float, float, float, float], ...]
    columns: tuple[str, ...]


def work_items(store: Store, table: str, scope: Scope, columns: Sequence[str]) -> list[PartItem]:
    """The partitions of ``table`` that meet some catchment, with the boxes to read."""
    boxes = [catchment_bbox(p, scope.radius_m, scope.metric_crs) for p in scope.projects]
    items = []
    for part in store.partitions.get(table, []):
        meeting = tuple(b for b in boxes if part.bbox is not None and _meets(part.bbox, b))
        if meeting:
            items.append(PartItem(str(store.path / part.path), meeting, tuple(columns)))
    return items


def _meets(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def read_table(item: PartItem, columns: Sequence[str] | None = None) -> pa.Table:
    """The rows of one work item in any of its boxes, as Arrow (one read per partition)."""
    return read_boxes(item.path, item.boxes, columns)


def read_item(item: PartItem) -> pd.DataFrame:
    """One work item: the columns needed and each row's point (``_lon``, ``_lat``).

    Points come from the bbox covering column (a point's box is the point); only other
    shapes are decoded, to their representative point — no geometry is built otherwise.
    """
    table = read_table(item, [*item.columns, "bbox"])
    lon, lat = table_points(table, lambda: read_table(item, ["geometry"])["geometry"])
    frame = table.drop_columns(["bbox"]).to_pandas()
    frame["_lon"], frame["_lat"] = lon, lat
    return frame


def _banded(frame: pd.DataFrame, scope: Scope) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (row, project) pair within the catchment: row positions, project ids, bands.

    One projection of the rows' points (``_lon``/``_lat`` from :func:`read_item`, else the
    geometry), rows sorted by x once, then per project a binary search for the x slice,
    a y test and distances for those rows only (no rows × projects matrix); pairs in row
    order.
    """
    none = np.array([], dtype=object)
    if not len(frame) or not scope.projects:
        return np.array([], dtype=np.int64), none, none
    if "_lon" in frame:
        lon, lat = frame["_lon"].to_numpy(float), frame["_lat"].to_numpy(float)
        located = ~np.isnan(lon)
        x, y = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
        if located.any():
            mx, my = transformer(WGS84, scope.metric_crs).transform(lon[located], lat[located])
            x[located], y[located] = mx, my
    else:
        x, y, located = metric_xy(frame.geometry, scope.metric_crs)
    px, py = transformer(WGS84, scope.metric_crs).transform(
        [p.lon for p in scope.projects], [p.lat for p in scope.projects]
    )
    radius = scope.radius_m
    where = np.flatnonzero(located)
    order = where[np.argsort(x[where], kind="stable")]
    xs = x[order]
    found_rows, found_cols, found_d = [], [], []
    for col, (cx, cy) in enumerate(zip(px, py, strict=True)):
        lo = np.searchsorted(xs, cx - radius, side="left")
        hi = np.searchsorted(xs, cx + radius, side="right")
        near = order[lo:hi]
        near = near[np.abs(y[near] - cy) <= radius]
        d = np.hypot(x[near] - cx, y[near] - cy)
        inside = d <= radius
        found_rows.append(near[inside])
        found_cols.append(np.full(int(inside.sum()), col, dtype=np.int64))
        found_d.append(d[inside])
    rows, cols, dist = (np.concatenate(v) for v in (found_rows, found_cols, found_d))
    pairs = np.lexsort((cols, rows))
    rows, cols, dist = rows[pairs], cols[pairs], dist[pairs]
    edges = np.array(sorted(scope.bands_m))
    labels = np.array(band_labels(scope.bands_m)[: len(edges)], dtype=object)
    # a distance on an edge belongs to the band below it, as in cwb catalogue
    band = labels[np.searchsorted(edges, dist, side="left")]
    ids = np.array([p.id for p in scope.projects], dtype=object)
    return rows, ids[cols], band


# --------------------------------------------------------------------------- catalogue


def catalogue_counts(frame: gpd.GeoDataFrame, scope: Scope) -> pd.DataFrame:
    """Assets and residents per project, band, kind and category of one partition."""
    rows, projects, bands = _banded(frame, scope)
    if not len(rows):
        return _empty(CATALOGUE_COLUMNS, {"assets": "int64", "residents": "int64"})
    kind = frame["kind"].astype(str).to_numpy()[rows]
    counts = pd.to_numeric(frame["count"], errors="coerce").fillna(1).to_numpy()[rows]
    pairs = pd.DataFrame(
        {
            "project": projects,
            "band": bands,
            "kind": kind,
            "category": frame["category"].astype(str).to_numpy()[rows],
            "residents": np.where(kind == "human", counts, 0).astype("int64"),
        }
    )
    return (
        pairs.groupby(["project", "band", "kind", "category"], sort=True)
        .agg(assets=("kind", "size"), residents=("residents", "sum"))
        .reset_index()[CATALOGUE_COLUMNS]
    )


def spend_counts(frame: gpd.GeoDataFrame, scope: Scope) -> pd.DataFrame:
    """Transactions, amount and SME amount per project and band of one spend partition."""
    rows, projects, bands = _banded(frame, scope)
    if not len(rows):
        return _empty(
            SPEND_COLUMNS, {"transactions": "int64", "amount": "float64", "sme_amount": "float64"}
        )
    amount = pd.to_numeric(frame["amount"], errors="coerce").fillna(0.0).to_numpy()[rows]
    sme = frame["sme"].fillna(False).astype(bool).to_numpy()[rows]
    pairs = pd.DataFrame(
        {"project": projects, "band": bands, "amount": amount, "sme": amount * sme}
    )
    return (
        pairs.groupby(["project", "band"], sort=True)
        .agg(transactions=("amount", "size"), amount=("amount", "sum"), sme_amount=("sme", "sum"))
        .reset_index()[SPEND_COLUMNS]
    )


def _empty(columns: list[str], numeric: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=numeric.get(c, "object")) for c in columns})


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        neutralise_frame(frame).to_csv(tmp, index=False)
    return path


def _band_order(scope: Scope) -> dict[str, int]:
    return {label: i for i, label in enumerate(band_labels(scope.bands_m))}


def _sorted(frame: pd.DataFrame, scope: Scope, keys: list[str]) -> pd.DataFrame:
    order = _band_order(scope)
    return frame.sort_values(
        keys, key=lambda s: s.map(order) if s.name == "band" else s, kind="stable"
    ).reset_index(drop=True)


@dataclass
class NationalResult:
    """What a national stage wrote: the summary table and every file."""

    summary: pd.DataFrame
    files: list[Path]


def _partitioned_stage(
    run: Executor,
    scope: Scope,
    out: Path,
    table: str,
    columns: list[str],
    apply: Callable[..., pd.DataFrame],
    meta: pd.DataFrame,
) -> pd.DataFrame:
    store = open_store(scope.store)
    items = work_items(store, table, scope, columns)
    folder = out / "_parts" / table
    label = f"{table}: partitions"
    parts = run_parts(run, read_item, items, apply, meta, folder, label=label, scope=scope)
    return read_parts(parts)


def national_catalogue(run: Executor, scope: Scope, out: str | Path) -> NationalResult:
    """Catalogue every project's catchment: ``<project>/catalogue.csv`` and a summary.

    Human rows (resident groups) whose residents in a band and category number fewer
    than ``min_count`` are suppressed (assets and residents left empty) and counted in
    the summary's ``suppressed_residents`` only.
    """
    out = Path(out)
    meta = catalogue_counts(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84)), scope)
    parts = _partitioned_stage(
        run, scope, out, "assets", ["kind", "category", "count"], catalogue_counts, meta
    )
    keys = ["project", "band", "kind", "category"]
    table = parts.groupby(keys, sort=False)[["assets", "residents"]].sum().reset_index()
    table = _sorted(table, scope, keys)
    small = (table["kind"] == "human") & (table["residents"] < scope.min_count)
    shown = table.copy()
    shown["residents"] = shown["residents"].astype("Int64").mask(small)
    shown["assets"] = shown["assets"].astype("Int64").mask(small)
    published = table[~small]
    by_kind = published.pivot_table(
        index="project", columns="kind", values="assets", aggfunc="sum", fill_value=0
    )
    totals = published.groupby("project")[["assets", "residents"]].sum()
    hidden = table[small].groupby("project")["residents"].sum()
    groups = dict(tuple(shown.groupby("project", sort=False)))
    files, rows = [], []
    for project in scope.projects:
        mine = groups.get(project.id, shown.iloc[:0])
        files.append(_write(mine, out / project.id / "catalogue.csv"))
        row: dict[str, Any] = {"project": project.id, "name": project.name}
        row["assets"] = int(totals["assets"].get(project.id, 0))
        for kind in ("physical", "financial", "community", "human"):
            row[kind] = int(by_kind[kind].get(project.id, 0)) if kind in by_kind else 0
        row["residents"] = int(totals["residents"].get(project.id, 0))
        row["suppressed_residents"] = int(hidden.get(project.id, 0))
        rows.append(row)
    summary = pd.DataFrame(rows)
    files.append(_write(summary, out / "national_catalogue.csv"))
    return NationalResult(summary, files)


def national_spend(run: Executor, scope: Scope, out: str | Path) -> NationalResult:
    """Spend with suppliers in each project's catchment, by band; ``national_spend.csv``."""
    out = Path(out)
    meta = spend_counts(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84)), scope)
    parts = _partitioned_stage(run, scope, out, "spend", ["amount", "sme"], spend_counts, meta)
    keys = ["project", "band"]
    table = parts.groupby(keys, sort=False)[["transactions", "amount", "sme_amount"]].sum()
    table = _sorted(table.reset_index(), scope, keys)
    total = float(sum(p.rows for p in open_store(scope.store).partitions.get("spend", [])))
    files, rows = [], []
    for project in scope.projects:
        mine = table[table["project"] == project.id]
        files.append(_write(mine, out / project.id / "spend.csv"))
        amount = float(mine["amount"].sum())
        rows.append(
            {
                "project": project.id,
                "name": project.name,
                "transactions": int(mine["transactions"].sum()),
                "amount": round(amount, 2),
                "sme_amount": round(float(mine["sme_amount"].sum()), 2),
                "sme_share": round(float(mine["sme_amount"].sum()) / amount, 4) if amount else None,
            }
        )
    summary = pd.DataFrame(rows)
    summary.attrs["store_transactions"] = int(total)
    files.append(_write(summary, out / "national_spend.csv"))
    return NationalResult(summary, files)


# --------------------------------------------------------------------------- matching


def national_candidates(run: Executor, scope: Scope, out: str | Path) -> pd.DataFrame:
    """Every project's candidates for matching, written per partition under ``_parts/``.

    A partition function over the store files meeting any catchment
    (:func:`cwb.national.candidates.candidate_rows`): each worker writes the rows of its
    file in a project's catchment whose category may serve one of that project's
    opportunity types to ``_parts/candidates/`` with ``to_parquet``. Returns the counts:
    ``file, project, candidates`` per partition and project.
    """
    out = Path(out)
    store = open_store(scope.store)
    opportunities = store.read_small("opportunities")
    eligible = {p.id: eligible_categories(opportunities, p.id) for p in scope.projects}
    items = work_items(store, "assets", scope, ())
    folder = out / "_parts" / "candidates"
    shutil.rmtree(folder, ignore_errors=True)
    return read_parts(
        run_parts(
            run,
            read_for_candidates,
            items,
            candidate_rows,
            COUNT_META,
            out / "_parts" / "candidate_counts",
            label="candidates: partitions",
            scope=scope,
            eligible=eligible,
            folder=str(folder),
        )
    )


def national_match(run: Executor, scope: Scope, out: str | Path) -> NationalResult:
    """Candidate matching: ``<project>/matches.csv`` and ``national_match.csv``.

    Candidates come from :func:`national_candidates`; each project is then scored
    from its own candidates only.
    """
    out = Path(out)
    counts = national_candidates(run, scope, out)
    holding = {
        p.id: sorted(counts.loc[counts["project"] == p.id, "file"].astype(str).unique())
        for p in scope.projects
    }
    rows = [
        row
        for row in run_tasks(
            run,
            _match_one,
            [(p, holding[p.id]) for p in scope.projects],
            label="matching: projects",
            scope=scope,
            out=str(out),
            candidates=str(out / "_parts" / "candidates"),
        )
    ]
    summary = pd.DataFrame(rows)
    files = [out / p.id / "matches.csv" for p in scope.projects]
    files.append(_write(summary, out / "national_match.csv"))
    return NationalResult(summary, files)


def _match_one(
    item: tuple[Project, list[str]], scope: Scope, out: str, candidates: str
) -> dict[str, Any]:
    project, files = item
    return match_candidates(project, scope, out, candidates, files)
