"""Locating the rows of a table: geometry, lat/lon, postcode, area code or project.

Checks what a location can get wrong (out of range, swapped, only one of lat/lon,
unknown postcode, far outside the dataset's areas) and records how each row was
located in ``precision``. Rows that cannot be located are kept, unlocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cwb.dataset._checks import Checker, parse_numbers
from cwb.dataset.manifest import MANIFEST_NAME, Manifest
from cwb.dataset.model import WGS84, metric_crs_for
from cwb.dataset.postcodes import PostcodeLookup, is_valid_postcode, normalise_postcodes
from cwb.dataset.raw import RawTable
from cwb.dataset.schema import TableSpec


@dataclass
class Place:
    """What a table needs to locate its rows."""

    postcodes: PostcodeLookup | None
    areas: gpd.GeoDataFrame | None
    extent_metric: tuple[float, float, float, float] | None
    metric_crs: object
    max_outside_m: float
    projects: dict[str, tuple[float, float]]


def locate_rows(
    chk: Checker,
    raw: RawTable,
    cells: pd.DataFrame,
    frame: pd.DataFrame,
    spec: TableSpec,
    place: Place,
) -> gpd.GeoSeries:
    """Each row's point: its geometry, lat/lon, postcode, area or project, in that order.

    Sets ``precision`` in ``frame`` and records a problem for each row that cannot be
    placed or is placed implausibly; returns the points (None where unlocated).
    """
    n = len(cells)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    precision = np.full(n, None, dtype=object)
    geoms = np.full(n, None, dtype=object)
    if raw.geometry is not None:
        given = raw.geometry.to_numpy()
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
        precision[present] = "exact"
        if spec.name == "areas":
            chk.flag(
                ~present,
                "geometry",
                None,
                "geometry is empty: an area needs a polygon",
                code="empty_geometry",
            )
    # lat / lon columns
    lat_text = cells["lat"] if "lat" in cells else pd.Series("", index=cells.index, dtype="str")
    lon_text = cells["lon"] if "lon" in cells else pd.Series("", index=cells.index, dtype="str")
    lat_num = parse_numbers(lat_text).to_numpy(dtype="float64")
    lon_num = parse_numbers(lon_text).to_numpy(dtype="float64")
    for name, text, num in (("lat", lat_text, lat_num), ("lon", lon_text, lon_num)):
        chk.flag(
            ((text != "").to_numpy() & np.isnan(num)),
            name,
            text,
            "is not a number",
            code="not_a_number",
        )
    only_one = np.isnan(lat_num) ^ np.isnan(lon_num)
    chk.flag(only_one, "lat", lat_text, "give both lat and lon, or neither", code="half_location")
    both = ~np.isnan(lat_num) & ~np.isnan(lon_num) & (geoms == None)  # noqa: E711
    out_of_range = both & ((np.abs(lat_num) > 90) | (np.abs(lon_num) > 180))
    pair = lat_text + ", " + lon_text
    chk.flag(
        out_of_range,
        "lat",
        pair,
        "lat/lon out of range (lat must be -90..90, lon -180..180)",
        code="out_of_range",
        hint="are these British National Grid metres? convert them, or give a postcode",
    )
    usable = both & ~out_of_range
    if usable.any() and place.extent_metric is not None:
        inside = _within_extent(lon_num, lat_num, place)
        swapped_inside = _within_extent(lat_num, lon_num, place)
        swapped = usable & ~inside & swapped_inside
        chk.flag(
            swapped,
            "lat",
            pair,
            "lat and lon look swapped",
            code="swapped",
            hint="lat is the north–south number (about 52.5 in Birmingham), lon the east–west one",
        )
        usable &= ~swapped
    lat[usable], lon[usable] = lat_num[usable], lon_num[usable]
    precision[usable] = "exact"
    unplaced = (geoms == None) & np.isnan(lat)  # noqa: E711
    # postcodes
    if "postcode" in cells and unplaced.any():
        pc_text = cells["postcode"]
        normal = normalise_postcodes(pc_text.where(pc_text != ""))
        frame["postcode"] = normal.astype("str")
        has_pc = unplaced & normal.notna().to_numpy()
        if has_pc.any():
            well_formed = is_valid_postcode(normal).to_numpy()
            chk.flag(
                has_pc & ~well_formed,
                "postcode",
                pc_text,
                "is not a valid UK postcode",
                code="bad_postcode",
                severity="warning",
                hint="check it, e.g. B66 2QT",
            )
            if place.postcodes is None:
                chk.flag(
                    has_pc & well_formed,
                    "postcode",
                    pc_text,
                    "cannot be located: the dataset has no postcode lookup",
                    code="no_postcode_lookup",
                    severity="warning",
                    hint=f'name one in {MANIFEST_NAME}: [files] postcodes = "postcodes.csv"',
                )
            else:
                plat, plon, found = place.postcodes.locate(normal)
                hit = has_pc & found
                lat[hit], lon[hit] = plat[hit], plon[hit]
                precision[hit] = "postcode"
                chk.flag(
                    has_pc & well_formed & ~found,
                    "postcode",
                    pc_text,
                    "is not a known postcode",
                    code="unknown_postcode",
                    severity="warning",
                    hint="check it",
                )
        unplaced = (geoms == None) & np.isnan(lat)  # noqa: E711
    # area codes
    if "area_code" in cells and unplaced.any() and spec.name != "areas":
        codes = cells["area_code"].str.strip()
        wanted = unplaced & (codes != "").to_numpy()
        if wanted.any():
            centres = (
                place.areas.set_index("code").geometry.representative_point()
                if place.areas is not None and len(place.areas)
                else gpd.GeoSeries(dtype=object)
            )
            hits = codes.map(centres)
            found = wanted & hits.notna().to_numpy()
            geoms[found] = hits.to_numpy()[found]
            precision[found] = "area"
            chk.flag(
                wanted & ~found,
                "area_code",
                codes,
                "is not the code of an area in the areas table",
                code="unknown_area",
                severity="warning",
            )
        unplaced = (geoms == None) & np.isnan(lat)  # noqa: E711
    # opportunities sit at their project by default
    if spec.name == "opportunities" and unplaced.any():
        proj = frame["project"].to_numpy(dtype=object)
        for pid, (plat, plon) in place.projects.items():
            at = unplaced & (proj == pid)
            lat[at], lon[at] = plat, plon
            precision[at] = "project"
        unplaced = (geoms == None) & np.isnan(lat)  # noqa: E711
    if spec.name != "areas":
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
    precision[(geoms == None)] = "none"  # noqa: E711
    given_precision = frame["precision"].to_numpy(dtype=object) if "precision" in frame else None
    if given_precision is not None:
        keep = pd.notna(given_precision) & (given_precision != "none") & (geoms != None)  # noqa: E711
        precision[keep] = given_precision[keep]
    frame["precision"] = pd.Series(precision, index=frame.index, dtype="str")
    series = gpd.GeoSeries(geoms, index=frame.index, crs=WGS84)
    if place.extent_metric is not None and spec.name in ("assets", "opportunities"):
        # suppliers in spend may be anywhere: only the catalogue must sit near its areas
        _check_far(chk, series, place)
    return series


@lru_cache(maxsize=16)
def _to_metric(crs: object) -> Transformer:
    return Transformer.from_crs(WGS84, crs, always_xy=True)


def _within_extent(x: np.ndarray, y: np.ndarray, place: Place) -> np.ndarray:
    ok = ~np.isnan(x) & ~np.isnan(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    mx = np.full(len(x), np.nan)
    my = np.full(len(x), np.nan)
    mx[ok], my[ok] = _to_metric(place.metric_crs).transform(x[ok], y[ok])
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
