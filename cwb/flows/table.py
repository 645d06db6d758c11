"""The flows table in memory: normalising, placing endpoints, aggregating pairs.

A flows frame has the columns of :data:`cwb.dataset.schema.FLOWS` (origin,
destination, magnitude, unit, kind, period, tag, share, share_of, names and
coordinates of the ends, source, licence). Every place a flow names is put on
the map by :func:`place_points`: coordinates given in the row win, then an area
of the dataset (its representative point), an asset, an opportunity or a project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.model import Dataset
from cwb.dataset.parsing import exact_floats
from cwb.dataset.schema import FLOWS
from cwb.errors import UsageError

#: Columns of a flows frame, in order.
FLOW_COLUMNS: list[str] = FLOWS.column_names
#: Columns of :func:`place_points`.
PLACE_COLUMNS: list[str] = ["place", "name", "lat", "lon"]
#: The keys that make two rows the same flow (their magnitudes add up).
PAIR_KEYS: list[str] = ["origin", "destination", "kind", "unit", "period", "tag"]

_FLOATS = {c.name for c in FLOWS.columns if c.type == "float"}

#: Colours of the flow kinds cwb knows; other kinds take the palette in turn.
KIND_COLOURS: dict[str, str] = {
    "commuting": "#2b8cbe",
    "patients": "#e34a33",
    "spend": "#8c6d31",
    "matched_residents": "#756bb1",
    "allocated_residents": "#54278f",
    "consortium": "#31a354",
}


def flow_frame(records: pd.DataFrame | list[dict[str, object]]) -> pd.DataFrame:
    """A flows frame from ``records``: every column of the spec in order, then any extras.

    Magnitudes and coordinates become floats, an empty ``unit`` becomes
    ``people``; ``origin`` and ``destination`` become strings.
    """
    frame = pd.DataFrame(records).reset_index(drop=True)
    columns = FLOW_COLUMNS + [c for c in frame.columns if c not in FLOW_COLUMNS]
    frame = frame.reindex(columns=columns)
    for name in FLOW_COLUMNS:
        if name in _FLOATS:
            frame[name] = exact_floats(frame[name])
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame["unit"] = frame["unit"].fillna("people")
    for end in ("origin", "destination"):
        frame[end] = frame[end].astype(str)
    return frame


def select_flows(
    flows: pd.DataFrame,
    *,
    kind: str | None = None,
    period: str | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """The flows of one kind, period and unit (None: any), checked to share one unit.

    Raises
    ------
    UsageError
        When the selection mixes units (people and £ cannot be added up).
    """
    keep = pd.Series(True, index=flows.index)
    if kind is not None:
        keep &= flows["kind"] == kind
    if period is not None:
        keep &= flows["period"].astype(str) == str(period)
    if unit is not None:
        keep &= flows["unit"] == unit
    chosen = flows[keep]
    units = sorted(chosen["unit"].dropna().unique())
    if len(units) > 1:
        raise UsageError(
            f"the flows selected are in several units ({', '.join(units)}); choose a kind or a unit"
        )
    return chosen


@dataclass
class PairCodes:
    """Flows summed per pair, kind, unit, period and tag, as integer codes.

    ``codes[key][i]`` indexes ``uniques[key]`` for the i-th summed flow;
    ``magnitude[i]`` is its sum. Flows keep the order of their first row.
    """

    codes: dict[str, np.ndarray]
    uniques: dict[str, pd.Index]
    magnitude: np.ndarray

    def __len__(self) -> int:
        return len(self.magnitude)

    def column(self, key: str) -> pd.Index:
        """The values of one key, one per summed flow."""
        return self.uniques[key].take(self.codes[key])


def pair_codes(flows: pd.DataFrame) -> PairCodes:
    """Sum identical flows (vectorised: keys factorised and combined into one integer)."""
    codes, uniques = {}, {}
    for key in PAIR_KEYS:
        values = flows[key] if key in flows else pd.Series("", index=flows.index)
        if values.isna().any():
            values = values.astype(object).where(values.notna(), "")
        code, unique = pd.factorize(values, sort=False)
        codes[key], uniques[key] = code, pd.Index(unique).astype(str)
    if not len(flows):
        return PairCodes(codes, uniques, np.zeros(0))
    combined = np.ravel_multi_index(
        [codes[k] for k in PAIR_KEYS], [max(len(uniques[k]), 1) for k in PAIR_KEYS]
    )
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    sums = np.bincount(
        inverse.ravel(), weights=flows["magnitude"].to_numpy(dtype=float), minlength=len(first)
    )
    order = np.argsort(first, kind="stable")
    rows = first[order]
    return PairCodes({k: c[rows] for k, c in codes.items()}, uniques, sums[order])


def aggregate_pairs(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per origin, destination, kind, unit, period and tag, magnitudes summed.

    Rows keep the order of each pair's first appearance. Names, coordinates and
    shares are dropped (a sum of shares of different totals means nothing).
    """
    columns = [*PAIR_KEYS, "magnitude"]
    if flows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    pairs = pair_codes(flows)
    out: dict[str, object] = {key: pairs.column(key) for key in PAIR_KEYS}
    out["magnitude"] = pairs.magnitude
    return pd.DataFrame(out, columns=columns)


def place_points(flows: pd.DataFrame, ds: Dataset | None = None) -> pd.DataFrame:
    """Where each place of the flows is: ``place, name, lat, lon`` (NaN when unknown).

    Coordinates and names given in the flows come first; then, when ``ds`` is
    given, its areas (representative points), assets, opportunities and projects.
    """
    parts = []
    for end in ("origin", "destination"):
        parts.append(
            pd.DataFrame(
                {
                    "place": flows[end].astype(str).to_numpy(),
                    "name": flows[f"{end}_name"].to_numpy(),
                    "lat": flows[f"{end}_lat"].to_numpy(dtype=float),
                    "lon": flows[f"{end}_lon"].to_numpy(dtype=float),
                }
            )
        )
    given = pd.concat(parts, ignore_index=True)
    # first coordinates and first name given for each place (rows without them come last)
    with_xy = given[given["lat"].notna() & given["lon"].notna()].drop_duplicates("place")
    places = pd.concat([with_xy, given.drop_duplicates("place")]).drop_duplicates("place")
    names = given.dropna(subset=["name"]).drop_duplicates("place").set_index("place")["name"]
    places = places.set_index("place").sort_index()
    places["name"] = places.index.map(names)
    if ds is not None:
        known = dataset_places(ds, places.index)
        known = known[~known.index.duplicated()]
        codes = pd.Series(places.index, index=places.index)
        missing_xy = places["lat"].isna() | places["lon"].isna()
        for axis in ("lat", "lon"):
            found = exact_floats(codes.map(known[axis]))
            places[axis] = places[axis].astype(float).where(~missing_xy, found)
        places["name"] = places["name"].where(places["name"].notna(), codes.map(known["name"]))
    places["name"] = places["name"].fillna(pd.Series(places.index, index=places.index))
    places["lat"] = exact_floats(places["lat"])
    places["lon"] = exact_floats(places["lon"])
    return places.reset_index()[PLACE_COLUMNS]


def dataset_places(ds: Dataset, wanted: Iterable[str] | None = None) -> pd.DataFrame:
    """Every place of a dataset a flow may name, indexed by code or id: name, lat, lon.

    With ``wanted``, only the places of those codes or ids (a flows table names a
    few of a million assets).
    """
    keep = None if wanted is None else pd.Index([str(w) for w in wanted]).unique()

    def among(table: pd.DataFrame, key: str, name: str, public: bool = False) -> pd.DataFrame:
        rows = np.ones(len(table), dtype=bool)
        if public and "kind" in table:
            rows = (table["kind"] != "human").to_numpy()
        if keep is None:
            return table[rows] if public else table
        wanted_rows = rows & table[key].astype(str).isin(keep).to_numpy()
        if rows.any() and not wanted_rows.any():
            # one row no flow names keeps the columns' types as the whole table gives them
            named = np.flatnonzero(rows & table[name].notna().to_numpy())
            wanted_rows[named[0] if len(named) else np.flatnonzero(rows)[0]] = True
        return table[wanted_rows]

    frames = []
    projects = ds.projects
    frames.append(_points(among(projects, "id", "name"), "id", "name"))
    if len(ds.areas):
        areas = among(ds.areas, "code", "name").copy()
        areas["geometry"] = areas.geometry.representative_point()
        frames.append(_points(areas, "code", "name"))
    for table, name in ((ds.assets, "name"), (ds.opportunities, "title")):
        if len(table):
            frames.append(_points(among(table, "id", name, public=True), "id", name))
    return pd.concat(frames)


def _points(frame: pd.DataFrame, key: str, name: str) -> pd.DataFrame:
    geom = frame.geometry
    ok = geom.notna() & ~geom.is_empty
    xs = np.full(len(frame), np.nan)
    ys = np.full(len(frame), np.nan)
    xs[ok.to_numpy()] = geom[ok].x.to_numpy()
    ys[ok.to_numpy()] = geom[ok].y.to_numpy()
    return pd.DataFrame(
        {"name": frame[name].to_numpy(), "lat": ys, "lon": xs},
        index=pd.Index(frame[key].astype(str).to_numpy(), name="place"),
    )


def catchment_places(ds: Dataset, places: pd.DataFrame) -> list[str]:
    """The places of the flows that make up the project's catchment, for the catchment measures.

    The dataset's areas and projects, every other place of the flows within the
    outermost catchment band of a project, and the places listed in
    ``[flows] catchment = ["E08000028", …]`` of ``dataset.toml`` (e.g. the
    boroughs the wards lie in, for local-authority flows).
    """
    listed = ds.manifest.settings.get("flows", {}).get("catchment") or []
    inside = set(ds.areas["code"].astype(str)) | {p.id for p in ds.manifest.projects}
    inside |= {str(c) for c in listed}
    located = places.dropna(subset=["lat", "lon"])
    projects = ds.projects
    if len(located) and len(projects) and ds.manifest.bands_m:
        crs = ds.metric_crs
        points = gpd.GeoSeries(
            gpd.points_from_xy(located["lon"], located["lat"]), crs="EPSG:4326"
        ).to_crs(crs)
        reach = projects.to_crs(crs).geometry.buffer(max(ds.manifest.bands_m)).union_all()
        inside |= set(located["place"][points.within(reach).to_numpy()].astype(str))
    return sorted(p for p in inside if p in set(places["place"]))


#: Kinds of flow that count residents: shown and exported only in groups of at least k.
RESIDENT_KINDS: frozenset[str] = frozenset({"matched_residents", "allocated_residents"})


def suppress_resident_flows(flows: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, int]:
    """Flows without resident flows smaller than ``min_count``; and how many residents that hid.

    Rows of the same pair, kind, period and tag are summed first: each flow a
    map or table can show is a sum of at least ``min_count`` residents.
    """
    residents = flows["kind"].isin(RESIDENT_KINDS)
    if not residents.any():
        return flows, 0
    keys = ["origin", "destination", "kind", "period", "tag"]
    keyed = flows.assign(
        **{k: flows[k].fillna("") if k in flows else "" for k in ("period", "tag")}
    )
    pair_total = keyed.groupby(keys)["magnitude"].transform("sum")
    small = residents & (pair_total < min_count)
    return flows[~small], int(flows.loc[small, "magnitude"].sum())
