"""What the registers of places share: forgiving headers, dates, coordinates, quirk counts.

Real registers of land and buildings deviate from their standards in the same ways:
misspelt or re-cased headers, dates as ``YYYYMMDD``, ``DD/MM/YYYY`` or ISO, coordinates
as WGS84/ETRS89 degrees or OSGB36 metres (sometimes with GeoX and GeoY swapped),
references with stray spaces, addresses over several lines, empty trailing rows. The
helpers here read all of them and count every deviation in a :class:`Quirks` counter,
so that an importer can report each one and none is fatal.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cwb.dataset.parsing import exact_floats
from cwb.importers.registers import read_register_csv

#: lon/lat box of Great Britain and Ireland, for telling degrees from metres and spotting swaps.
_LON = (-11.0, 3.0)
_LAT = (49.0, 61.5)
#: British National Grid extent (metres).
_EASTING = (0.0, 700_000.0)
_NORTHING = (0.0, 1_300_000.0)

_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


class Quirks(Counter[str]):
    """How many times each deviation from a register's standard was met (and handled)."""

    def lines(self) -> list[str]:
        """One line per quirk, most frequent first."""
        return [f"{n} × {quirk}" for quirk, n in self.most_common()]


def header_key(name: object) -> str:
    """A header reduced to lower-case letters and digits: ``Site Reference`` → ``sitereference``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def read_register(
    path: Path, variants: dict[str, str], quirks: Quirks
) -> tuple[pd.DataFrame, pd.Series]:
    """Read a register CSV as text with its headers renamed to the standard's names.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with or without BOM, else Windows-1252).
    variants
        Header key (see :func:`header_key`) → standard name.
    quirks
        Counts headers that differ from the standard's spelling and empty rows.

    Returns
    -------
    frame, rows
        The non-empty rows (renamed columns; unknown ones kept as they were) and each
        row's number as a spreadsheet shows it (header = 1).
    """
    frame = read_register_csv(path)
    renamed: dict[str, str] = {}
    for column in frame.columns:
        standard = variants.get(header_key(column))
        if standard and standard not in renamed.values():
            renamed[column] = standard
            if column != standard:
                quirks[f"header {column!r} read as {standard}"] += 1
    frame = frame.rename(columns=renamed)
    frame = frame.apply(lambda s: s.str.replace("\r\n", "\n").str.replace("\r", "\n"))
    blank = (frame.apply(lambda s: s.str.strip()) == "").all(axis=1)
    if blank.any():
        quirks["empty row ignored"] += int(blank.sum())
    rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    return frame.loc[~blank], rows.loc[~blank]


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column stripped of surrounding space ("" when the register lacks it)."""
    if name not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[name].fillna("").astype(str).str.strip()


def clean_reference(values: pd.Series, quirks: Quirks) -> pd.Series:
    """References stripped of surrounding spaces (counted)."""
    raw = values.fillna("").astype(str)
    stripped = raw.str.strip()
    quirks["reference with surrounding spaces, trimmed"] += int((raw != stripped).sum())
    return stripped


def one_line(values: pd.Series, quirks: Quirks) -> pd.Series:
    """Addresses over several lines joined with ", " (counted)."""
    multi = values.str.contains("\n", regex=False)
    quirks["address over several lines, joined"] += int(multi.sum())
    return values.str.replace(r"\s*,?\s*\n\s*", ", ", regex=True).str.strip(" ,")


def parse_date(text: str) -> tuple[str | None, str]:
    """``YYYY-MM-DD`` and the layout found (``iso``, ``yyyymmdd``, ``dd/mm/yyyy``, ``bad``)."""
    text = text.strip()
    if not text:
        return None, ""
    for pattern, layout, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", "iso", (1, 2, 3)),
        (r"(\d{4})(\d{2})(\d{2})", "yyyymmdd", (1, 2, 3)),
        (r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", "dd/mm/yyyy", (3, 2, 1)),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})", "yyyy/mm/dd", (1, 2, 3)),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            y, m, d = (int(match[i]) for i in order)
            try:
                return _dt.date(y, m, d).isoformat(), layout
            except ValueError:
                return None, "bad"
    return None, "bad"


def dates(values: pd.Series, name: str, quirks: Quirks) -> pd.Series:
    """Dates in any of the layouts registers use, as ``YYYY-MM-DD`` (layouts counted)."""
    parsed = values.map(parse_date)
    for layout, n in Counter(p[1] for p in parsed).items():
        if layout == "bad":
            quirks[f"{name} not a date, left empty"] += n
        elif layout and layout != "iso":
            quirks[f"{name} written {layout.upper()}"] += n
    return parsed.map(lambda p: p[0])


def numbers(values: pd.Series, name: str, quirks: Quirks) -> pd.Series:
    """Numbers (thousands separators allowed); text that is not a number counted, left empty."""
    cleaned = values.str.replace(r"[,£\s]", "", regex=True)
    out = exact_floats(cleaned.where(cleaned != ""))
    bad = (cleaned != "") & out.isna()
    quirks[f"{name} not a number, left empty"] += int(bad.sum())
    return out.astype("float64")


def wkt_shapes(values: pd.Series) -> np.ndarray:
    """Shapes from WKT text (None where empty or not WKT)."""
    text = np.array([v if isinstance(v, str) and v.strip() else None for v in values], dtype=object)
    return shapely.from_wkt(text, on_invalid="ignore")


def _inside(v: np.ndarray, box: tuple[float, float]) -> np.ndarray:
    return (v >= box[0]) & (v <= box[1])


def coordinates(
    x: pd.Series,
    y: pd.Series,
    crs: pd.Series,
    quirks: Quirks,
    *,
    near: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lat/lon from a register's GeoX/GeoY, whatever their CRS and order.

    Degrees and metres are told apart by their values, not by the CRS column (which
    is often wrong): values inside the lon/lat box of the British Isles are degrees
    (ETRS89 is taken as WGS84: they differ by well under a metre here), and a latitude
    in GeoX is a swap, fixed row by row. Otherwise they are British National Grid
    metres (OSGB36); a swap of easting and northing is detected for the whole file,
    as the order that puts the sites nearer ``near`` (lon, lat; e.g. the dataset's
    centre) when given, else by the values' ranges. Every conversion, swap and
    disagreement with the CRS column is counted.

    Returns
    -------
    lat, lon
        NaN where there are no usable coordinates (counted).
    """
    gx = exact_floats(x.str.replace(",", "")).to_numpy(dtype=float, copy=True)
    gy = exact_floats(y.str.replace(",", "")).to_numpy(dtype=float, copy=True)
    lat = np.full(len(gx), np.nan)
    lon = np.full(len(gx), np.nan)
    lonlat = _inside(gx, _LON) & _inside(gy, _LAT)
    latlon = _inside(gx, _LAT) & _inside(gy, _LON) & ~lonlat
    lon[lonlat], lat[lonlat] = gx[lonlat], gy[lonlat]
    lon[latlon], lat[latlon] = gy[latlon], gx[latlon]
    quirks["GeoX/GeoY in degrees given as latitude, longitude: swapped"] += int(latlon.sum())
    metres = ~(lonlat | latlon) & ~np.isnan(gx) & ~np.isnan(gy) & (np.abs(gx) > 1000)
    if metres.any():
        e, n = _grid_order(gx[metres], gy[metres], quirks, near)
        lon[metres], lat[metres] = _TO_WGS84.transform(e, n)
        quirks["GeoX/GeoY in OSGB36 metres, converted to WGS84"] += int(metres.sum())
    label = crs.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True).to_numpy()
    degrees = lonlat | latlon
    says_grid = np.isin(label, ["OSGB36", "OSGB", "EPSG27700", "BNG", "BRITISHNATIONALGRID"])
    says_degrees = np.isin(label, ["WGS84", "ETRS89", "EPSG4326", "EPSG4258"])
    quirks["CRS column says metres but GeoX/GeoY are degrees"] += int((degrees & says_grid).sum())
    quirks["CRS column says degrees but GeoX/GeoY are metres"] += int((metres & says_degrees).sum())
    missing = np.isnan(lat)
    quirks["no usable GeoX/GeoY: located by postcode where possible"] += int(missing.sum())
    return lat, lon


def _grid_order(
    gx: np.ndarray, gy: np.ndarray, quirks: Quirks, near: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing from GeoX/GeoY in metres, swapped when the file has them reversed."""
    as_given = (_inside(gx, _EASTING) & _inside(gy, _NORTHING)).mean()
    swapped = (_inside(gy, _EASTING) & _inside(gx, _NORTHING)).mean()
    swap = swapped > as_given
    if as_given == swapped and near is not None:
        lon0, lat0 = near
        e0, n0 = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
            lon0, lat0
        )
        d_given = np.nanmedian(np.hypot(gx - e0, gy - n0))
        d_swapped = np.nanmedian(np.hypot(gy - e0, gx - n0))
        swap = d_swapped < d_given
    if swap:
        quirks["GeoX/GeoY in metres given as northing, easting: swapped"] += len(gx)
        return gy, gx
    return gx, gy
