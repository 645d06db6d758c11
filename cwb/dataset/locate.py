"""Locating the rows of a table: the one place where cwb turns columns into points.

Validation, the importers, spend loading and the supplier register all locate
their rows here (:func:`locate_frame`, and :func:`locate_rows` for validation).
The best available location wins, in this order:

* ``geometry`` (precision ``exact``): a geometry read from a spatial file;
* ``coordinates`` (``exact``): ``lat`` / ``lon`` in WGS84;
* ``easting_northing`` (``exact``): ``easting`` / ``northing`` in British National Grid;
* ``postcode`` (``postcode``): ``postcode`` through the postcode lookup;
* ``area_code`` (``area``): the representative point of the area ``area_code``;
* ``project`` (``project``): opportunities sit at their project's site;
* ``""`` (``none``): nothing; the row is kept, unlocated.

Checks what a location can get wrong (out of range or 0, 0 placeholders, swapped,
only one of a pair, unknown postcode, far outside the dataset's areas) and
records each as a problem. Rows that cannot be located are kept, unlocated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cwb import settings
from cwb.dataset._checks import Checker, parse_numbers, text_or_missing
from cwb.dataset.manifest import MANIFEST_NAME, Manifest
from cwb.dataset.model import WGS84, metric_crs_for
from cwb.dataset.postcodes import (
    PostcodeLookup,
    as_postcode_lookup,
    is_valid_postcode,
    nearest_postcodes,
    normalise_postcodes,
)
from cwb.dataset.raw import RawTable
from cwb.dataset.schema import TableSpec
from cwb.errors import Problem, ProblemLog

#: CRS of ``easting`` / ``northing`` columns: British National Grid.
BNG = "EPSG:27700"

#: ``located_by`` → ``precision``, best first (``""``: not located).
LOCATED_BY: dict[str, str] = {
    "geometry": "exact",
    "coordinates": "exact",
    "easting_northing": "exact",
    "postcode": "postcode",
    "area_code": "area",
    "project": "project",
    "": "none",
}


@dataclass
class Place:
    """What a table needs to locate its rows.

    ``extent_metric`` (the areas' bounds in ``metric_crs``) enables the swapped
    and far-outside checks; None skips them.
    """

    postcodes: PostcodeLookup | None = None
    areas: gpd.GeoDataFrame | None = None
    extent_metric: tuple[float, float, float, float] | None = None
    metric_crs: object = None
    max_outside_m: float = settings.MAX_OUTSIDE_M
    projects: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class Located:
    """How each row of a table was located.

    Attributes
    ----------
    geometry
        WGS84 geometry per row (None where unlocated), on the table's index.
    precision
        ``exact``, ``postcode``, ``area``, ``project`` or ``none`` per row.
    located_by
        Which column located the row (see :data:`LOCATED_BY`), ``""`` if none.
    postcode
        The normalised postcodes, or None when the table has no postcode column.
    problems
        What was wrong with the locations (file, row as a spreadsheet numbers it, reason);
        at most a few hundred of one kind are listed.
    flagged
        Rows with each problem code, listed or not (``{"out_of_range": 3}``).
    """

    geometry: gpd.GeoSeries
    precision: pd.Series
    located_by: pd.Series
    postcode: pd.Series | None
    problems: list[Problem] = field(default_factory=list)
    flagged: dict[str, int] = field(default_factory=dict)

    def apply(self, frame: pd.DataFrame, *, located_by: bool = False) -> gpd.GeoDataFrame:
        """``frame`` located: ``precision`` (and ``located_by``) set, postcodes normalised.

        The ``lat``, ``lon`` and ``geometry`` columns are replaced by the geometry.
        """
        out = frame.drop(columns=[c for c in ("lat", "lon", "geometry") if c in frame])
        if self.postcode is not None:
            out["postcode"] = self.postcode.astype(object).where(self.postcode.notna(), None)
        out["precision"] = self.precision.astype(object)
        if located_by:
            out["located_by"] = self.located_by.astype(object)
        return gpd.GeoDataFrame(out, geometry=self.geometry, crs=WGS84)


def locate_frame(
    frame: pd.DataFrame,
    *,
    postcodes: Any = None,
    areas: gpd.GeoDataFrame | None = None,
    projects: Mapping[str, tuple[float, float]] | None = None,
    place: Place | None = None,
    table: str = "assets",
    file: str = "",
) -> Located:
    """Locate the rows of any table from its columns (see the module docstring).

    Parameters
    ----------
    frame
        Rows with any of ``geometry``, ``lat``/``lon``, ``easting``/``northing``,
        ``postcode``, ``area_code`` and (opportunities) ``project``; text or numbers.
    postcodes
        A postcode lookup (anything :func:`cwb.dataset.postcodes.as_postcode_lookup` takes).
    areas
        Area polygons with a ``code`` column, for rows with an ``area_code`` only.
    projects
        Project id → (lat, lon), where opportunities without a location sit.
    place
        All of the above plus the extent checks, as validation builds it; wins over them.
    table
        The table's name: ``areas`` are not located by area, ``opportunities`` fall back
        on their project, ``assets`` and ``opportunities`` are checked against the extent.
    file
        The file named in the problems.

    Returns
    -------
    Located
        The geometry, precision and ``located_by`` of every row, and the problems.
    """
    if place is None:
        place = Place(
            postcodes=as_postcode_lookup(postcodes), areas=areas, projects=dict(projects or {})
        )
    log = ProblemLog()
    chk = Checker(None, log, file=file, n=len(frame))
    geometry = frame["geometry"] if "geometry" in frame else None
    project = frame["project"] if "project" in frame else None
    located = _locate(chk, frame, geometry, project, place, table)
    located.problems = log.problems
    located.flagged = chk.flagged()
    return located


def locate_rows(
    chk: Checker,
    raw: RawTable,
    cells: pd.DataFrame,
    frame: pd.DataFrame,
    spec: TableSpec,
    place: Place,
) -> gpd.GeoSeries:
    """Validation's locating: each row's point, problems recorded in ``chk``.

    Sets ``precision`` (a precision given in the file wins for located rows) and
    the normalised ``postcode`` in ``frame``; returns the geometry.
    """
    project = frame["project"] if "project" in frame else None
    located = _locate(chk, cells, raw.geometry, project, place, spec.name)
    if located.postcode is not None:
        frame["postcode"] = text_or_missing(located.postcode)
    precision = located.precision.to_numpy(dtype=object, copy=True)
    if "precision" in frame:
        given = frame["precision"].to_numpy(dtype=object)
        keep = pd.notna(given) & (given != "none") & located.geometry.notna().to_numpy()
        precision[keep] = given[keep]
    frame["precision"] = pd.Series(precision, index=frame.index, dtype="str")
    return located.geometry


def _text(cells: pd.DataFrame, name: str) -> pd.Series:
    """A column as text, ``""`` where missing (an absent column is all ``""``)."""
    if name not in cells:
        return pd.Series("", index=cells.index, dtype="str")
    column = cells[name]
    if pd.api.types.is_string_dtype(column) and not column.isna().any():
        return column
    return column.astype(object).where(column.notna(), "").astype("str")


def _numbers(cells: pd.DataFrame, name: str) -> tuple[pd.Series, np.ndarray]:
    """A column's text and its numbers (NaN where empty or not a number)."""
    text = _text(cells, name)
    if name not in cells:
        return text, np.full(len(cells), np.nan)
    if pd.api.types.is_numeric_dtype(cells[name]):
        numbers = pd.to_numeric(cells[name], errors="coerce")
        return text, numbers.to_numpy(dtype="float64", na_value=np.nan)
    return text, parse_numbers(text).to_numpy(dtype="float64")


def _pair(
    chk: Checker, cells: pd.DataFrame, names: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray, Callable[[], pd.Series]]:
    """Two coordinate columns as numbers, flagging non-numbers and halves of a pair."""
    (a_text, a_num), (b_text, b_num) = _numbers(cells, names[0]), _numbers(cells, names[1])
    for name, text, num in ((names[0], a_text, a_num), (names[1], b_text, b_num)):
        chk.flag(
            ((text != "").to_numpy() & np.isnan(num)),
            name,
            text,
            "is not a number",
            code="not_a_number",
        )
    only_one = np.isnan(a_num) ^ np.isnan(b_num)
    chk.flag(
        only_one,
        names[0],
        a_text,
        f"give both {names[0]} and {names[1]}, or neither",
        code="half_location",
    )
    return a_num, b_num, lambda: a_text + ", " + b_text  # the cells shown, made when needed


def _locate(
    chk: Checker,
    cells: pd.DataFrame,
    geometry: Any,
    project: pd.Series | None,
    place: Place,
    table: str,
) -> Located:
    """The locating itself, shared by :func:`locate_frame` and :func:`locate_rows`."""
    n = len(cells)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    how = np.full(n, "", dtype=object)
    geoms = np.full(n, None, dtype=object)
    if geometry is not None:
        given = np.asarray(geometry, dtype=object)
        present = ~shapely.is_missing(given) & ~shapely.is_empty(given)
        invalid = present & ~shapely.is_valid(given)
        if invalid.any():
            reasons = shapely.is_valid_reason(given)
            chk.flag(
                invalid,
                "geometry",
                None,
                lambda i: f"invalid geometry: {reasons[i]}",
                code="invalid_geometry",
                hint="repair it in QGIS (Vector › Geometry Tools › Fix Geometries)",
            )
        geoms[present] = given[present]
        how[present] = "geometry"
        if table == "areas":
            chk.flag(
                ~present,
                "geometry",
                None,
                "geometry is empty: an area needs a polygon",
                code="empty_geometry",
            )
    # lat / lon columns
    lat_num, lon_num, pair = _pair(chk, cells, ("lat", "lon"))
    both = ~np.isnan(lat_num) & ~np.isnan(lon_num) & (how == "")
    out_of_range = both & ((np.abs(lat_num) > 90) | (np.abs(lon_num) > 180))
    chk.flag(
        out_of_range,
        "lat",
        pair() if out_of_range.any() else None,
        "lat/lon out of range (lat must be -90..90, lon -180..180)",
        code="out_of_range",
        hint="are these British National Grid metres? convert them, or give a postcode",
    )
    null_island = both & (lat_num == 0) & (lon_num == 0)
    chk.flag(
        null_island,
        "lat",
        pair() if null_island.any() else None,
        "lat/lon 0, 0 is a placeholder, not a place",
        code="out_of_range",
        hint="leave lat and lon empty when unknown, or give a postcode",
    )
    usable = both & ~out_of_range & ~null_island
    if usable.any() and place.extent_metric is not None:
        inside = _within_extent(lon_num, lat_num, place)
        swapped_inside = _within_extent(lat_num, lon_num, place)
        swapped = usable & ~inside & swapped_inside
        chk.flag(
            swapped,
            "lat",
            pair() if swapped.any() else None,
            "lat and lon look swapped",
            code="swapped",
            hint="lat is the north–south number (about 52.5 in Birmingham), lon the east–west one",
        )
        usable &= ~swapped
    lat[usable], lon[usable] = lat_num[usable], lon_num[usable]
    how[usable] = "coordinates"
    # easting / northing (British National Grid)
    if "easting" in cells or "northing" in cells:
        east, north, _ = _pair(chk, cells, ("easting", "northing"))
        grid = (how == "") & ~np.isnan(east) & ~np.isnan(north)
        if grid.any():
            x, y = _from_grid().transform(east[grid], north[grid])
            lon[grid], lat[grid] = x, y
            how[grid] = "easting_northing"
    unplaced = how == ""
    # postcodes
    postcode = None
    if "postcode" in cells:
        pc_text = _text(cells, "postcode")
        postcode = normalise_postcodes(pc_text.where(pc_text != ""))
        has_pc = unplaced & postcode.notna().to_numpy()
        if has_pc.any():
            well_formed = is_valid_postcode(postcode).to_numpy()
            bad_hints = (
                _postcode_hints(postcode[has_pc & ~well_formed], place.postcodes)
                if place.postcodes is not None
                else {}
            )
            chk.flag(
                has_pc & ~well_formed,
                "postcode",
                pc_text,
                "is not a valid UK postcode",
                code="bad_postcode",
                severity="warning",
                hint=lambda i: bad_hints.get(postcode.iloc[i], "check it, e.g. B66 2QT"),
            )
            if place.postcodes is None:
                chk.flag(
                    has_pc & well_formed,
                    "postcode",
                    pc_text,
                    "cannot be located: the dataset has no postcode lookup",
                    code="no_postcode_lookup",
                    severity="warning",
                    hint="add one: cwb geocode DATASET --postcodes ONSPD.csv --districts B66 "
                    f'(or --online), or name one in {MANIFEST_NAME}: [files] postcodes = "…"',
                )
            else:
                plat, plon, found = place.postcodes.locate(postcode)
                hit = has_pc & found
                lat[hit], lon[hit] = plat[hit], plon[hit]
                how[hit] = "postcode"
                unknown = has_pc & ~found
                hints = _postcode_hints(postcode[unknown], place.postcodes)
                chk.flag(
                    unknown & well_formed,
                    "postcode",
                    pc_text,
                    "is not a known postcode",
                    code="unknown_postcode",
                    severity="warning",
                    hint=lambda i: hints.get(postcode.iloc[i], "check it"),
                )
        unplaced = how == ""
    # area codes
    if "area_code" in cells and unplaced.any() and table != "areas":
        codes = _text(cells, "area_code").str.strip()
        wanted = unplaced & (codes != "").to_numpy()
        if wanted.any():
            hits = codes.map(_area_points(place.areas))
            found = wanted & hits.notna().to_numpy()
            geoms[found] = hits.to_numpy()[found]
            how[found] = "area_code"
            chk.flag(
                wanted & ~found,
                "area_code",
                codes,
                "is not the code of an area in the areas table",
                code="unknown_area",
                severity="warning",
            )
        unplaced = how == ""
    # opportunities sit at their project by default
    if table == "opportunities" and project is not None and unplaced.any():
        proj = project.to_numpy(dtype=object)
        for pid, (proj_lat, proj_lon) in place.projects.items():
            at = unplaced & (proj == pid)
            lat[at], lon[at] = proj_lat, proj_lon
            how[at] = "project"
        unplaced = how == ""
    if table != "areas":
        warn = unplaced & ~chk.row_error & ~chk.row_warning
        chk.flag(
            warn,
            None,
            None,
            "has no location (no lat/lon, known postcode or area_code); kept unlocated",
            code="unlocated",
            severity="warning",
            hint="add a postcode or an area_code",
        )
    points = (~np.isnan(lat)) & (geoms == None)  # noqa: E711
    geoms[points] = shapely.points(lon[points], lat[points])
    index = cells.index
    series = gpd.GeoSeries(geoms, index=index, crs=WGS84)
    if place.extent_metric is not None and table in ("assets", "opportunities"):
        # suppliers in spend may be anywhere: only the catalogue must sit near its areas
        _check_far(chk, series, place)
    codes, ways = pd.factorize(how)
    by_way = np.array([LOCATED_BY[w] for w in ways] + [None], dtype=object)
    precision = pd.Series(by_way[codes], index=index, dtype=object)
    return Located(
        geometry=series,
        precision=precision,
        located_by=pd.Series(how, index=index, dtype=object),
        postcode=None if postcode is None else postcode.set_axis(index),
    )


def _postcode_hints(postcodes: pd.Series, lookup: PostcodeLookup) -> dict[str, str]:
    """'did you mean …?' for each distinct postcode that has near ones in the lookup."""
    hints: dict[str, str] = {}
    for code in postcodes.dropna().unique()[: settings.MAX_POSTCODE_SUGGESTIONS]:
        near = nearest_postcodes(str(code), lookup, max_edits=settings.POSTCODE_SUGGESTION_EDITS)
        if near:
            hints[str(code)] = "did you mean " + " or ".join(near) + "?"
    return hints


def _area_points(areas: gpd.GeoDataFrame | None) -> pd.Series:
    """Area code → a WGS84 point inside the area (the first area of a repeated code)."""
    if areas is None or not len(areas):
        return pd.Series(dtype=object)
    if areas.crs is not None and not areas.crs.equals(WGS84):
        areas = areas.to_crs(WGS84)
    points = areas.set_index("code").geometry.representative_point()
    return points[~points.index.duplicated()]


@lru_cache(maxsize=1)
def _from_grid() -> Transformer:
    return Transformer.from_crs(BNG, WGS84, always_xy=True)


@lru_cache(maxsize=16)
def _to_metric(crs: object) -> Transformer:
    return Transformer.from_crs(WGS84, crs, always_xy=True)


def _within_extent(x: np.ndarray, y: np.ndarray, place: Place) -> np.ndarray:
    ok = ~np.isnan(x) & ~np.isnan(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    mx = np.full(len(x), np.nan)
    my = np.full(len(x), np.nan)
    mx[ok], my[ok] = _to_metric(place.metric_crs).transform(x[ok], y[ok])
    assert place.extent_metric is not None  # the callers check
    x0, y0, x1, y1 = place.extent_metric
    d = place.max_outside_m
    with np.errstate(invalid="ignore"):
        return ok & (mx >= x0 - d) & (mx <= x1 + d) & (my >= y0 - d) & (my <= y1 + d)


def _check_far(chk: Checker, geoms: gpd.GeoSeries, place: Place) -> None:
    present = (geoms.notna() & ~geoms.is_empty).to_numpy()
    if not present.any():
        return
    centres = geoms[present]
    if not (centres.geom_type == "Point").all():
        centres = centres.representative_point()
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[present], y[present] = centres.x.to_numpy(), centres.y.to_numpy()
    inside = _within_extent(x, y, place)
    far = present & ~inside & ~chk.row_error
    km = place.max_outside_m / 1000
    text = (
        pd.Series([f"{b:.5f}, {a:.5f}" for a, b in zip(x, y, strict=True)]) if far.any() else None
    )
    chk.flag(
        far,
        "lat",
        text,
        f"is more than {km:g} km outside the dataset's areas",
        code="far_outside",
        hint="check the coordinates or postcode; widen [catchment] max_outside_m if it is right",
    )


def place_for(
    manifest: Manifest, areas: gpd.GeoDataFrame | None, lookup: PostcodeLookup | None
) -> Place:
    """What rows can be located by: the projects, the areas and the postcode lookup."""
    projects = {p.id: (p.lat, p.lon) for p in manifest.projects}
    proj_gdf = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            [p.lon for p in manifest.projects], [p.lat for p in manifest.projects]
        ),
        crs=WGS84,
    )
    reference = (
        areas if areas is not None and len(areas) and areas.geometry.notna().any() else proj_gdf
    )
    metric = metric_crs_for(reference if len(reference) else proj_gdf, manifest.metric_crs)
    extent = None
    located = reference[reference.geometry.notna() & ~reference.geometry.is_empty]
    if len(located):
        extent = tuple(located.to_crs(metric).total_bounds)
    return Place(lookup, areas, extent, metric, manifest.max_outside_m, projects)
