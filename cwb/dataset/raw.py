"""Read one table file, in any supported format, as raw text cells plus an optional geometry.

Tables can be CSV (lat/lon columns, a postcode, an area code or a WKT
``geometry`` column), Excel workbooks (.xlsx), GeoJSON, GeoPackage, Parquet
(GeoParquet when it has geometry) or Shapefile. :mod:`cwb.dataset.validate`
checks and types the cells; :mod:`cwb.dataset.io` reads and writes whole datasets.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from geopandas.io.arrow import _arrow_to_geopandas
from pyproj import CRS
from pyproj.exceptions import CRSError

from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, ReadLimits
from cwb.dataset.model import WGS84
from cwb.errors import ProblemLog, UsageError
from cwb.safe_output import unneutralise_text

#: File formats by suffix.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".shp": "shp",
}
#: Suffix written for each format name.
SUFFIXES: dict[str, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "geojson": ".geojson",
    "gpkg": ".gpkg",
    "parquet": ".parquet",
    "shp": ".shp",
}

#: Common header spellings mapped to cwb's column names.
HEADER_ALIASES: dict[str, str] = {
    "latitude": "lat",
    "longitude": "lon",
    "lng": "lon",
    "long": "lon",
    "post_code": "postcode",
    "postal_code": "postcode",
    "wkt": "geometry",
}

#: Shapefile field names are at most 10 characters: cwb's long names and their short forms.
SHAPEFILE_NAMES: dict[str, str] = {
    "registered_number": "reg_number",
    "collected_by": "collect_by",
    "collected_on": "collect_on",
    "last_verified": "last_verif",
    "contact_name": "cont_name",
    "contact_email": "cont_email",
    "contact_phone": "cont_phone",
    "supplier_name": "supp_name",
    "supplier_id": "supp_id",
    "local_authority": "local_auth",
    "description": "descriptn",
    "hours_used_per_week": "hours_used",
    "floor_area_m2": "floor_m2",
    "site_area_ha": "site_ha",
    "available_from": "avail_from",
    "available_until": "avail_to",
    "accessibility": "access",
    "free_sessions": "free_sess",
    "cost_per_session": "cost_sess",
    "planning_status": "planning",
    "permission_type": "permission",
}
_FROM_SHAPEFILE = {short: long for long, short in SHAPEFILE_NAMES.items()}

_CP1252_HINT = "in Excel use File › Save As › 'CSV UTF-8 (Comma delimited)'"


@dataclass
class RawTable:
    """A table as read from its file: text cells, and geometry when the format has it."""

    file: str  # name shown in messages
    cells: pd.DataFrame  # every cell as text ("" when empty)
    geometry: gpd.GeoSeries | None = None  # in EPSG:4326, aligned with cells


def table_format(path: Path) -> str:
    """The format of a table file, from its suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{path.name}: unsupported file type {path.suffix!r}; "
            f"use one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


def normalise_header(name: object) -> str:
    """``' Post Code '`` → ``'post_code'`` → alias → ``'postcode'``."""
    text = "_".join(str(name).strip().lower().replace("-", " ").split())
    return HEADER_ALIASES.get(text, text)


def read_raw_table(
    folder: Path,
    entry: FileEntry,
    problems: ProblemLog,
    limits: ReadLimits | None = None,
    *,
    row_groups: Sequence[int] | None = None,
    rows: tuple[int, int] | None = None,
) -> RawTable | None:
    """Read one table file named by a manifest entry; record file-level problems.

    Returns None when the file cannot be read at all (missing, a folder, empty,
    too big, unparseable); the problem, naming the file, is then in ``problems``.
    ``row_groups`` reads only these row groups of a Parquet file (a national store
    build validates a big file batch by batch); ``rows`` = ``(start, count)`` then keeps
    only ``count`` of their rows from ``start`` (a row group bigger than a batch), decoded
    a slice at a time. Other formats are read whole.
    """
    limits = limits or ReadLimits()
    path = (folder / entry.path) if not Path(entry.path).is_absolute() else Path(entry.path)
    shown = f"{entry.path}, sheet {entry.sheet}" if entry.sheet else entry.path
    if not path.exists():
        problems.add(
            shown,
            "file is missing",
            code="missing_file",
            hint=f"create it (see `cwb init`) or fix the path in {MANIFEST_NAME}",
        )
        return None
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        problems.add(
            shown,
            f"unsupported file type {path.suffix!r}",
            code="unsupported_format",
            hint=f"use one of {', '.join(sorted(FORMATS))}",
        )
        return None
    # a folder of Parquet parts (a national store's partitioned table) is one table
    parts = sorted(path.glob("*.parquet")) if fmt == "parquet" and path.is_dir() else []
    if not path.is_file() and not parts:
        problems.add(shown, "is a folder, not a file", code="not_a_file")
        return None
    size = sum(p.stat().st_size for p in parts) if parts else path.stat().st_size
    if size == 0:
        problems.add(shown, "file is empty", code="empty_file")
        return None
    if size > limits.max_file_mb * 2**20:
        problems.add(
            shown,
            f"file is {size / 2**20:,.0f} MiB, more than the limit of {limits.max_file_mb:g} MiB",
            code="too_big",
            hint="raise [limits] max_file_mb in dataset.toml if you mean it",
        )
        return None
    try:
        if fmt == "csv":
            raw = _read_csv(path, shown, problems, limits)
        elif fmt == "xlsx":
            raw = _read_xlsx(path, shown, entry, problems, limits)
        elif fmt == "parquet":
            raw = _read_parquet(path, shown, entry, problems, row_groups, rows)
        else:
            raw = _read_vector(path, shown, entry, problems)
    except _Unreadable:
        return None
    except UsageError:
        raise
    except Exception as exc:  # a corrupt or mislabelled file: name it, never a traceback
        problems.add(
            shown,
            f"could not be read as a {fmt} file: {_clip(exc, 200) or type(exc).__name__}",
            code="parse",
            hint="check that the file is complete and that its suffix matches its content",
        )
        return None
    if raw is None:
        return None
    if len(raw.cells.columns) > limits.max_columns:
        _too_wide(shown, len(raw.cells.columns), limits, problems)
        return None
    renames = {source: target for target, source in entry.columns.items()}
    cells = raw.cells.rename(columns=lambda c: renames.get(c, c))
    cells.columns = [normalise_header(c) for c in cells.columns]
    if fmt == "shp":
        cells = cells.rename(columns=_FROM_SHAPEFILE)
    duplicated = cells.columns[cells.columns.duplicated()].tolist()
    if duplicated:
        problems.add(
            shown, f"column(s) {duplicated} appear more than once", code="duplicate_column"
        )
        cells = cells.loc[:, ~cells.columns.duplicated()]
    raw.cells = cells.reset_index(drop=True)
    if raw.geometry is not None:
        # one ring orientation whatever the format (shapefiles store exteriors clockwise)
        geoms = raw.geometry.to_numpy()
        rings = np.isin(shapely.get_type_id(geoms), (3, 6, 7))  # polygons, multi-, collections
        oriented = shapely.orient_polygons(geoms, exterior_cw=False) if rings.any() else geoms
        raw.geometry = gpd.GeoSeries(oriented, crs=WGS84)
    return raw


class _Unreadable(Exception):
    """Internal: the file could not be parsed; the problem is already recorded."""


def _decode(path: Path, shown: str, problems: ProblemLog) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[max(exc.start - 20, 0) : exc.start + 20]
        line = data[: exc.start].count(b"\n") + 1
        for encoding, label in (
            ("cp1252", "Windows-1252 (cp1252)"),
            ("latin-1", "Latin-1 (ISO-8859-1)"),
        ):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            sample = bad.decode(encoding, errors="replace").strip()
            problems.add(
                shown,
                f"file is not UTF-8: it looks like {label} text "
                f"(first odd byte on line {line}, near {sample!r})",
                code="encoding",
                hint=_CP1252_HINT,
            )
            return text
        raise AssertionError("latin-1 decodes any bytes") from exc  # pragma: no cover


def _too_wide(shown: str, width: int, limits: ReadLimits, problems: ProblemLog) -> None:
    problems.add(
        shown,
        f"has {width:,} columns, more than the limit of {limits.max_columns:,}",
        code="too_wide",
        hint="raise [limits] max_columns in dataset.toml if you mean it",
    )


def _read_csv(path: Path, shown: str, problems: ProblemLog, limits: ReadLimits) -> RawTable:
    text = _decode(path, shown, problems)
    if not text.strip():
        problems.add(shown, "file is empty", code="empty_file")
        raise _Unreadable
    _check_csv_shape(text, shown, problems, limits)
    stand_in = _nul_stand_in(text)
    try:
        cells = pd.read_csv(
            StringIO(text.replace("\0", stand_in) if stand_in else text),
            dtype="str",
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        problems.add(
            shown,
            f"is not a well-formed CSV file: {exc}",
            code="parse",
            hint="check for unbalanced quotes or a wrong number of commas on that line",
        )
        raise _Unreadable from None
    if stand_in:
        cells = _put_back_nul(cells, stand_in)
    geometry = None
    header = [normalise_header(c) for c in cells.columns]
    if "geometry" in header:
        column = cells.columns[header.index("geometry")]
        geometry = _wkt_geometry(cells.pop(column), shown, problems)
    return RawTable(shown, unneutralise_text(cells), geometry)


#: Unicode noncharacters: never meant for interchange, so a CSV file will hardly hold them all.
_NONCHARACTERS = tuple(chr(code) for code in range(0xFDD0, 0xFDF0))


def _nul_stand_in(text: str) -> str:
    """A character to hold each NUL while pandas parses ``text`` ("" when it has none).

    pandas 2's C parser ends a cell at a NUL byte and drops the rest of it, so the
    data after it would be lost without a word; pandas 3 keeps it. With a stand-in
    both keep every NUL, and the dataset checks name its row and column.
    """
    if "\0" not in text:
        return ""
    for char in _NONCHARACTERS:
        if char not in text:
            return char
    raise ValueError("it holds NUL bytes, and every character cwb could put in their place")


def _put_back_nul(cells: pd.DataFrame, stand_in: str) -> pd.DataFrame:
    out = cells.apply(lambda column: column.str.replace(stand_in, "\0", regex=False))
    out.columns = [str(c).replace(stand_in, "\0") for c in cells.columns]
    return out


def _check_csv_shape(text: str, shown: str, problems: ProblemLog, limits: ReadLimits) -> None:
    """Refuse a header wider than the limit; warn of rows shorter than the header.

    pandas pads a short row with empty cells at its end; a warning names each such
    row, since its values may belong to other columns (the type checks then usually
    catch it).
    """
    first = text[: text.find("\n") if "\n" in text else len(text)]
    if first.count(",") + 1 > limits.max_columns:
        _too_wide(shown, first.count(",") + 1, limits, problems)
        raise _Unreadable
    reader = csv.reader(StringIO(text, newline=""))
    header = next(reader, [])
    short: list[int] = []
    for values in reader:
        if values and len(values) < len(header):
            short.append(reader.line_num)
    for line in short[:20]:
        problems.warn(
            shown,
            f"row has fewer cells than the header's {len(header)}; its last cells are "
            "read as empty",
            row=line,
            code="ragged_row",
            hint="add the missing commas so every row has a cell for every column",
        )
    if len(short) > 20:
        problems.warn(shown, f"{len(short) - 20} more short rows are not listed", code="ragged_row")


def _wkt_geometry(text: pd.Series, shown: str, problems: ProblemLog) -> gpd.GeoSeries:
    values = text.fillna("").astype(str).str.strip().to_numpy(dtype=object)
    geoms = shapely.from_wkt(np.where(values == "", None, values), on_invalid="ignore")
    failed = np.flatnonzero((values != "") & shapely.is_missing(geoms))
    for i in failed:
        problems.add(
            shown,
            "is not valid WKT geometry",
            row=int(i) + 2,
            column="geometry",
            value=_clip(values[i]),
            code="invalid_geometry",
        )
    return gpd.GeoSeries(geoms, crs=WGS84)


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if (
        isinstance(value, float | np.floating)
        and float(value).is_integer()
        and abs(float(value)) < 2**53
    ):
        return str(int(value))
    return str(value)


def _to_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text; numbers, dates and booleans written the way cwb reads them."""
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
            out[column] = series.fillna("").astype("str")
        elif pd.api.types.is_float_dtype(series.dtype):
            values = series.to_numpy(dtype="float64", na_value=np.nan)
            text = pd.Series(values.astype(str), index=frame.index, dtype="str")  # repr: exact
            whole = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 2**53)
            text[whole] = values[whole].astype("int64").astype(str)
            out[column] = text.where(~np.isnan(values), "")
        elif pd.api.types.is_integer_dtype(series.dtype):
            out[column] = series.astype("str").where(series.notna(), "").astype("str")
        else:
            out[column] = series.map(_cell_text).astype("str")
    return pd.DataFrame(out, index=frame.index)


def _cells_by_value(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`_to_cells`, each float column written once per distinct value (a big typed file)."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    if len(frame) < 1000 or not floats:
        return _to_cells(frame)
    out = _to_cells(frame.drop(columns=floats))
    for column in floats:
        codes, values = pd.factorize(frame[column], use_na_sentinel=False)
        text = _to_cells(pd.DataFrame({column: values}))[column]
        out[column] = pd.Series(text.array.take(codes), index=frame.index)
    return out[list(frame.columns)]


def cells_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``frame`` as text: numbers, dates, booleans written as cwb reads them."""
    return _to_cells(frame)


def _read_xlsx(
    path: Path, shown: str, entry: FileEntry, problems: ProblemLog, limits: ReadLimits
) -> RawTable:
    _check_workbook(path, shown, problems, limits)
    try:
        frame = pd.read_excel(path, sheet_name=entry.sheet or 0, dtype=object, engine="openpyxl")
    except ValueError as exc:
        if "not found" not in str(exc):
            raise
        raise UsageError(f"{shown}: {exc}") from None
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        EOFError,
        ElementTree.ParseError,
        OverflowError,
        zlib.error,
    ) as exc:
        # a damaged workbook: not a zip, a part missing or truncated, broken XML inside, a
        # number cell holding 1e999 (pandas turns whole numbers to int, and inf overflows)
        problems.add(
            shown,
            f"could not be read as an Excel workbook: {exc}",
            code="parse",
            hint="open it in Excel or LibreOffice and save it again as .xlsx",
        )
        raise _Unreadable from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame.columns) > limits.max_columns:
        _too_wide(shown, len(frame.columns), limits, problems)
        raise _Unreadable
    _check_formulas(path, entry, frame, shown, problems)
    filled = frame.notna().any(axis=1).to_numpy()
    last = int(filled.nonzero()[0].max()) + 1 if filled.any() else 0
    frame = frame.iloc[:last]  # formatted but empty rows below the data are not rows
    cells = _to_cells(frame)
    geometry = None
    header = [normalise_header(c) for c in cells.columns]
    if "geometry" in header:
        geometry = _wkt_geometry(
            cells.pop(cells.columns[header.index("geometry")]), shown, ProblemLog()
        )
    return RawTable(shown, cells, geometry)


def _check_workbook(path: Path, shown: str, problems: ProblemLog, limits: ReadLimits) -> None:
    """Refuse a file that is not a workbook, or whose parts unzip to more than the limit."""
    try:
        with zipfile.ZipFile(path) as book:
            unzipped = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError):
        problems.add(
            shown,
            "is not an Excel .xlsx workbook (not a zip archive: truncated, corrupt, or "
            "another format renamed .xlsx)",
            code="parse",
            hint="open it in Excel or LibreOffice and save it as .xlsx",
        )
        raise _Unreadable from None
    if unzipped > limits.max_xlsx_unzipped_mb * 2**20:
        problems.add(
            shown,
            f"unzips to {unzipped / 2**20:,.0f} MiB, more than the limit of "
            f"{limits.max_xlsx_unzipped_mb:g} MiB (a zip bomb, or a very large workbook)",
            code="too_big",
            hint="raise [limits] max_xlsx_unzipped_mb in dataset.toml if you trust it",
        )
        raise _Unreadable


def _check_formulas(
    path: Path, entry: FileEntry, frame: pd.DataFrame, shown: str, problems: ProblemLog
) -> None:
    """Report formula cells with no saved result: pandas would read them as empty.

    A workbook written by a program and never opened in Excel has none.
    """
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = book[entry.sheet] if entry.sheet else book.worksheets[0]
        header: list[str] = []
        for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if r == 1:
                header = [str(v) for v in row]
                continue
            for c, value in enumerate(row):
                if not (isinstance(value, str) and value.startswith("=")):
                    continue
                if r - 2 < len(frame) and c < len(frame.columns):
                    cached = frame.iat[r - 2, c]
                    if cached is None or (isinstance(cached, float) and math.isnan(cached)):
                        problems.add(
                            shown,
                            f"formula {value!r} has no saved value",
                            row=r,
                            column=header[c] if c < len(header) else None,
                            code="formula_without_value",
                            hint="open the workbook in Excel or LibreOffice and save it, "
                            "so each formula's result is stored",
                        )
    finally:
        book.close()


def _read_parquet(
    path: Path,
    shown: str,
    entry: FileEntry,
    problems: ProblemLog,
    row_groups: Sequence[int] | None = None,
    rows: tuple[int, int] | None = None,
) -> RawTable:
    # a folder of parts (a national store's partitioned table) reads as one table
    first = min(path.glob("*.parquet"), default=path) if path.is_dir() else path
    metadata = pq.read_schema(first).metadata or {}
    if row_groups is not None and path.is_file():
        table = _read_row_groups(pq.ParquetFile(path), row_groups, rows)
        if b"geo" in metadata:
            # the GeoParquet 1.1 covering column is not a column of the table
            geo = json.loads(metadata[b"geo"])
            covering = [
                c["covering"]["bbox"]["xmin"][0]
                for c in geo.get("columns", {}).values()
                if "covering" in c
            ]
            table = table.drop_columns([c for c in covering if c in table.column_names])
            gdf = _arrow_to_geopandas(table)
            return _from_geodataframe(gdf, shown, entry, problems)
        return RawTable(shown, _cells_by_value(table.to_pandas()))
    if b"geo" in metadata:
        gdf = gpd.read_parquet(path)
        return _from_geodataframe(gdf, shown, entry, problems)
    return RawTable(shown, _cells_by_value(pd.read_parquet(path)))


def _read_row_groups(
    handle: pq.ParquetFile, groups: Sequence[int], rows: tuple[int, int] | None
) -> pa.Table:
    """``groups`` of a Parquet file, or ``rows`` = ``(start, count)`` of them only."""
    if rows is None:
        return handle.read_row_groups(list(groups))
    start, count = rows
    kept, at = [], 0
    for batch in handle.iter_batches(batch_size=max(count, 1), row_groups=list(groups)):
        end = at + batch.num_rows
        lo, hi = max(at, start), min(end, start + count)
        if hi > lo:
            kept.append(batch.slice(lo - at, hi - lo))
        at = end
        if at >= start + count:
            break
    return pa.Table.from_batches(kept, schema=handle.schema_arrow)


#: The old GeoJSON ``crs`` member (``{"type": "name", "properties": {"name": "EPSG:…"}}``).
_GEOJSON_CRS = re.compile(r'"crs"\s*:\s*\{[^{}]*\{[^{}]*"name"\s*:\s*"([^"]*)"')


def _check_geojson_crs(path: Path, shown: str, problems: ProblemLog) -> None:
    """Refuse a GeoJSON whose ``crs`` member names a CRS cwb does not know.

    GDAL would quietly read its coordinates as longitude/latitude.
    """
    with path.open("rb") as handle:
        head = handle.read(65_536).decode("utf-8", errors="replace")
    found = _GEOJSON_CRS.search(head)
    if found is None:
        return
    try:
        CRS.from_user_input(found.group(1))
    except CRSError:
        problems.add(
            shown,
            f"declares CRS {found.group(1)!r}, which cwb does not know",
            column="geometry",
            code="unknown_crs",
            hint="write the coordinates in longitude/latitude (EPSG:4326) and drop the crs "
            "member, or name a known EPSG code",
        )
        raise _Unreadable from None


def _read_vector(path: Path, shown: str, entry: FileEntry, problems: ProblemLog) -> RawTable:
    if path.suffix.lower() in (".geojson", ".json"):
        _check_geojson_crs(path, shown, problems)
    try:
        gdf = gpd.read_file(path, layer=entry.layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError types
        problems.add(shown, f"could not be read as {path.suffix} data: {exc}", code="parse")
        raise _Unreadable from None
    return _from_geodataframe(gdf, shown, entry, problems)


def _from_geodataframe(
    gdf: gpd.GeoDataFrame, shown: str, entry: FileEntry, problems: ProblemLog
) -> RawTable:
    declared = gdf.crs
    if declared is None and entry.crs is None:
        problems.add(
            shown,
            "has no CRS, so its coordinates cannot be placed",
            column="geometry",
            code="missing_crs",
            hint='add crs = "EPSG:27700" (or the right one) to its [files] entry',
        )
        raise _Unreadable
    if declared is None:
        gdf = gdf.set_crs(entry.crs)
    elif entry.crs is not None and not declared.equals(gpd.GeoSeries(crs=entry.crs).crs):
        problems.add(
            shown,
            f"declares CRS {declared.to_string()} but {MANIFEST_NAME} says {entry.crs}",
            column="geometry",
            code="wrong_crs",
            hint="remove one of them or make them agree",
        )
    located = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if len(located) and gdf.crs.is_geographic:
        minx, miny, maxx, maxy = located.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            problems.add(
                shown,
                f"coordinates up to ({maxx:.0f}, {maxy:.0f}) cannot be degrees of "
                f"{gdf.crs.to_string()}: the CRS is wrong",
                column="geometry",
                code="wrong_crs",
                hint='set crs = "EPSG:27700" in its [files] entry '
                "if these are British National Grid metres",
            )
            raise _Unreadable
    geometry = (
        gdf.geometry.to_crs(WGS84)
        if not gdf.crs.equals(gpd.GeoSeries(crs=WGS84).crs)
        else gdf.geometry
    )
    cells = _cells_by_value(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    return RawTable(shown, cells, gpd.GeoSeries(geometry.to_numpy(), crs=WGS84))


def _clip(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
