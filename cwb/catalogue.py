"""The catalogue: what assets a neighbourhood has, how far from each project, in which area.

Distances are measured in the dataset's metric CRS (EPSG:27700 in Great
Britain). Human assets are counted in residents as well as rows; per-area
resident counts below the privacy threshold k are suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from cwb._atomic import atomic_path
from cwb.dataset.geography import OUTSIDE_AREAS, assign_area_codes
from cwb.dataset.model import Dataset
from cwb.dataset.projection import transformer
from cwb.privacy import in_published_group
from cwb.safe_output import neutralise_frame

UNLOCATED = "unlocated"


def distances_to_projects(ds: Dataset, frame: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Distance in metres from each row of ``frame`` (default: the assets) to each project.

    Returns a DataFrame aligned with ``frame`` with one column per project id, plus
    ``nearest_project`` and ``nearest_m``. Unlocated rows get NaN and no project.
    """
    frame = ds.assets if frame is None else frame
    metric = ds.metric_crs
    located = frame.geometry.notna() & ~frame.geometry.is_empty
    points = frame.geometry[located]
    all_points = bool((shapely.get_type_id(points.to_numpy()) == 0).all())
    if len(points) and not all_points:
        points = points.representative_point()
    if all_points:
        x, y = _metric_xy(points, metric)
    else:
        xy = points.to_crs(metric)
        x, y = xy.x.to_numpy(), xy.y.to_numpy()
    projects = ds.in_metric("projects")
    out = pd.DataFrame(index=frame.index)
    for pid, geom in zip(projects["id"], projects.geometry, strict=True):
        d = np.full(len(frame), np.nan)
        if len(x):
            d[located.to_numpy()] = np.hypot(x - geom.x, y - geom.y)
        out[pid] = d
    if len(projects):
        values = out[list(projects["id"])].to_numpy()
        has = ~np.isnan(values).all(axis=1)
        nearest = np.full(len(frame), None, dtype=object)
        nearest_m = np.full(len(frame), np.nan)
        if has.any():
            idx = np.nanargmin(np.where(np.isnan(values[has]), np.inf, values[has]), axis=1)
            nearest[has] = projects["id"].to_numpy()[idx]
            nearest_m[has] = values[has][np.arange(has.sum()), idx]
        out["nearest_project"] = pd.Series(nearest, index=frame.index, dtype="str")
        out["nearest_m"] = nearest_m
    return out


def _metric_xy(points: gpd.GeoSeries, metric: object) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of ``points`` in ``metric``, exactly as ``points.to_crs(metric)`` has them.

    Only the coordinates are transformed: no reprojected points are built.
    """
    coords = shapely.get_coordinates(points.to_numpy())
    if points.crs is None or points.crs.is_exact_same(CRS.from_user_input(metric)):
        return coords[:, 0], coords[:, 1]
    x, y = transformer(points.crs, metric).transform(coords[:, 0], coords[:, 1])
    return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


def band_labels(bands_m: tuple[float, ...]) -> list[str]:
    """Labels of the distance bands, e.g. ``['0–1 km', '1–2 km', '> 2 km']``."""
    edges = [0.0, *sorted(bands_m)]
    labels = [f"{_km(a)}–{_km(b)} km" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [*labels, f"> {_km(edges[-1])} km"]


def _km(metres: float) -> str:
    return f"{metres / 1000:g}"


def distance_bands(distances: pd.Series, bands_m: tuple[float, ...]) -> pd.Series:
    """The band label of each distance (metres); NaN → ``'unlocated'``."""
    edges = [0.0, *sorted(bands_m), np.inf]
    labels = band_labels(bands_m)
    banded = pd.cut(distances, bins=edges, labels=labels, right=True, include_lowest=True)
    return banded.astype("str").where(distances.notna(), UNLOCATED)


@dataclass
class Catalogue:
    """Asset counts by kind and category, by distance band from each project, and by area."""

    by_category: pd.DataFrame
    by_band: pd.DataFrame
    by_area: pd.DataFrame
    suppressed_residents: int
    areas_by_band: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_long(self) -> pd.DataFrame:
        """All three breakdowns in one long table (for ``cwb catalogue --csv``)."""
        parts = [
            self.by_category.assign(breakdown="kind_category"),
            self.by_band.assign(breakdown="distance_band"),
            self.by_area.assign(breakdown="area"),
            self.areas_by_band.assign(breakdown="areas_within_band"),
        ]
        columns = [
            "breakdown",
            "project",
            "band",
            "area_code",
            "area_name",
            "kind",
            "category",
            "assets",
            "residents",
            "within",
            "level",
            "areas",
            "indicator",
            "distribution",
        ]
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True).reindex(columns=columns)


def _residents(assets: gpd.GeoDataFrame) -> pd.Series:
    counts = pd.to_numeric(assets["count"], errors="coerce").fillna(1)
    return counts.where(assets["kind"] == "human", 0).astype("int64")


def catalogue(ds: Dataset) -> Catalogue:
    """Summarise the dataset's assets (see :class:`Catalogue`).

    Resident rows whose group the map and graph suppress (fewer than ``min_count``)
    are left out of every table and counted in ``suppressed_residents`` only, so no
    total minus published groups recovers a suppressed count.
    """
    published = in_published_group(ds.assets, ds.areas, min_count=ds.min_count)
    withheld = int(_residents(ds.assets)[~published].sum())
    # only the columns counted here, and no copy when every row is published
    wanted = [c for c in ("kind", "category", "count", "area_code") if c in ds.assets]
    assets = (
        ds.assets
        if published.all()
        else ds.assets.loc[published, [*wanted, ds.assets.geometry.name]]
    )
    base = pd.DataFrame(
        {
            "kind": assets["kind"].reset_index(drop=True),
            "category": assets["category"].reset_index(drop=True),
            "residents": _residents(assets).to_numpy(),
        }
    )
    by_category = (
        base.groupby(["kind", "category"], sort=True)
        .agg(assets=("kind", "size"), residents=("residents", "sum"))
        .reset_index()
    )
    distances = distances_to_projects(ds, assets)
    by_band = _by_band(base, distances, ds.projects["id"], ds.manifest.bands_m)
    order = {label: i for i, label in enumerate([*band_labels(ds.manifest.bands_m), UNLOCATED])}
    by_band = by_band.sort_values(
        ["project", "band", "kind"], key=lambda s: s.map(order) if s.name == "band" else s
    ).reset_index(drop=True)
    codes = assign_area_codes(assets, ds.areas)
    names = ds.areas.set_index("code")["name"] if len(ds.areas) else pd.Series(dtype="str")
    area_frame = base.assign(area_code=codes.to_numpy())
    by_area = (
        area_frame.groupby(["area_code", "kind"], sort=True)
        .agg(assets=("kind", "size"), residents=("residents", "sum"))
        .reset_index()
    )
    area_names = by_area["area_code"].map(names).astype(object)  # all missing: float on pandas 3
    by_area.insert(1, "area_name", area_names.fillna(OUTSIDE_AREAS).astype("str"))
    small = (by_area["kind"] == "human") & (by_area["residents"] < ds.min_count)
    suppressed = withheld + int(by_area.loc[small, "residents"].sum())
    by_area["residents"] = by_area["residents"].astype("Int64").mask(small)
    by_area.loc[small, "assets"] = pd.NA
    by_area["assets"] = by_area["assets"].astype("Int64")
    return Catalogue(by_category, by_band, by_area, suppressed, areas_by_band(ds))


def _by_band(
    base: pd.DataFrame, distances: pd.DataFrame, projects: pd.Series, bands_m: tuple[float, ...]
) -> pd.DataFrame:
    """Assets and residents per project, distance band and kind.

    The bands are cut as :func:`distance_bands` cuts them, counted over integer codes
    rather than labels.
    """
    columns = ["project", "band", "kind", "assets", "residents"]
    if not len(projects):
        return pd.DataFrame(columns=columns)
    labels = np.array([*band_labels(bands_m), UNLOCATED], dtype=object)
    edges = np.array([0.0, *sorted(bands_m), np.inf])
    kind_codes, kinds = pd.factorize(base["kind"])  # missing kinds (-1) are not counted
    kinds = np.asarray(kinds, dtype=object)
    counted = kind_codes >= 0
    residents = base["residents"].to_numpy()[counted]
    parts = []
    for pid in projects:
        d = distances[pid].to_numpy()
        # bins (a, b] with 0 itself in the first, as pd.cut(right=True, include_lowest=True)
        band = np.maximum(np.searchsorted(edges, d, side="left") - 1, 0)
        band = np.where(np.isnan(d), len(labels) - 1, band)[counted]
        key = band * len(kinds) + kind_codes[counted]
        sums = pd.Series(residents).groupby(key, sort=False).agg(["size", "sum"])
        found = sums.index.to_numpy()
        part = pd.DataFrame(
            {
                "band": labels[found // len(kinds)],
                "kind": kinds[found % len(kinds)],
                "assets": sums["size"].to_numpy(dtype="int64"),
                "residents": sums["sum"].to_numpy(dtype="int64"),
            }
        )
        part.insert(0, "project", pid)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def areas_by_band(ds: Dataset, indicator: str = "imd_decile") -> pd.DataFrame:
    """Per project and band edge, the areas whose polygons come within that distance.

    Counted per area ``level`` (``ward22``, ``lsoa11`` … as ``cwb areas`` writes
    them; ``area`` when the areas have no level column), with the distribution
    of ``indicator`` over them: ``1: 11 · 2: 4 · 3: 1`` for deciles (area means
    rounded to the nearest decile), ``min–median–max`` for other numbers, and
    ``no data`` for areas without the value. Bands are cumulative discs
    ("within 2 km" includes the areas within 1 km).

    Returns
    -------
    DataFrame
        ``project``, ``within`` (``1 km``), ``level``, ``areas``,
        ``indicator``, ``distribution``, ``codes`` (``;``-separated).
    """
    columns = ["project", "within", "level", "areas", "indicator", "distribution", "codes"]
    areas = ds.areas
    if areas is None or not len(areas) or not len(ds.projects):
        return pd.DataFrame(columns=columns)
    metric = areas.to_crs(ds.metric_crs)
    level = (
        areas["level"].fillna("area").astype(str)
        if "level" in areas
        else pd.Series("area", index=areas.index)
    )
    values = (
        pd.to_numeric(areas[indicator], errors="coerce")
        if indicator in areas
        else pd.Series(np.nan, index=areas.index)
    )
    rows = []
    projects = ds.projects.to_crs(ds.metric_crs)
    for pid, centre in zip(projects["id"], projects.geometry, strict=True):
        for edge in sorted(ds.manifest.bands_m):
            near = metric.intersects(centre.buffer(edge)).to_numpy()
            for name in dict.fromkeys(level[near]):
                hit = near & (level == name).to_numpy()
                rows.append(
                    {
                        "project": pid,
                        "within": f"{_km(edge)} km",
                        "level": name,
                        "areas": int(hit.sum()),
                        "indicator": indicator if indicator in areas else "",
                        "distribution": _distribution(values[hit], indicator)
                        if indicator in areas
                        else "",
                        "codes": ";".join(areas.loc[hit, "code"].astype(str)),
                    }
                )
    return pd.DataFrame(rows, columns=columns)


def _distribution(values: pd.Series, indicator: str) -> str:
    present = values.dropna()
    parts = []
    deciles = indicator.endswith("decile") or (
        len(present) and present.between(0.5, 10.5).all() and (present % 1 == 0).all()
    )
    if len(present) and deciles:
        counts = present.round().clip(1, 10).astype(int).value_counts().sort_index()
        parts += [f"{d}: {n}" for d, n in counts.items()]
    elif len(present):
        parts.append(
            f"{present.min():,.4g}–{present.median():,.4g}–{present.max():,.4g} (min–median–max)"
        )
    missing = int(values.isna().sum())
    if missing:
        parts.append(f"no data: {missing}")
    return " · ".join(parts)


def write_catalogue(cat: Catalogue, path: str | Path) -> Path:
    """Write the long catalogue table to CSV atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        neutralise_frame(cat.to_long()).to_csv(tmp, index=False)
    return path
