"""A projects table of any length: the sites whose catchments the national runs cover.

The table is what people already have: a CSV or Excel sheet with coordinates (any
encoding and delimiter; ``read_published_table``), or a GIS file of points or shapes
(GeoJSON, GeoPackage, shapefile, FlatGeobuf). Its columns are found by their usual
names (:data:`PROJECT_COLUMNS`): ``OrganisationCode``/``Latitude``/``Longitude`` in an
NHS export, ``hospital22_name`` in geographr's hospitals. Without an id column, ids are
made from the names. Other columns are kept in :attr:`Project.extra`. The bundled
example is the NHS New Hospital Programme schemes in England
(``data/national/nhp_schemes.csv``).

Rows that cannot be a catchment's centre (no coordinates, or coordinates outside the
globe; no or an empty shape) are not dropped silently: :func:`read_project_table`
returns them with their line and reason, and :func:`read_projects` refuses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb.dataset.manifest import Project
from cwb.dataset.model import WGS84
from cwb.dataset.parsing import exact_floats
from cwb.dataset.sheets import read_published_table
from cwb.errors import UsageError
from cwb.matching.model import write_csv

#: Name accepted by ``--projects`` for the bundled New Hospital Programme table.
NHP = "nhp"
#: Headers read as each column, compared in lower case without spaces or punctuation,
#: in order of preference. Failing these, a single header ending in "name" is the name.
PROJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "siteid", "sitecode", "code", "organisationcode", "orgcode", "odscode"),
    "name": ("name", "sitename", "organisationname", "orgname", "hospitalname", "title"),
    "lat": ("lat", "latitude", "ycoord"),
    "lon": ("lon", "lng", "long", "longitude", "xcoord"),
}
_OPTIONAL = ("kind", "description")
#: Suffixes read as GIS files (the geometry gives each site's point).
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet")
#: The columns of :attr:`ProjectTable.skipped`.
SKIPPED_COLUMNS = ["line", "id", "name", "reason"]
#: Where a national run lists the projects table's rows that were not projects.
SKIPPED_FILE = "projects_skipped.csv"


@dataclass
class ProjectTable:
    """The projects read from a file, and the rows that could not be projects.

    Attributes
    ----------
    projects
        One :class:`Project` per row with a location.
    skipped
        ``line`` (the file's own line or feature number), ``id``, ``name``, ``reason``.
    notes
        What the reader decided (encoding, delimiter, columns, made-up ids), for the user.
    """

    projects: list[Project]
    skipped: pd.DataFrame
    notes: list[str]

    def write_skipped(self, folder: str | Path) -> Path | None:
        """Write ``folder/projects_skipped.csv`` when rows were kept aside (else nothing)."""
        if not len(self.skipped):
            return None
        Path(folder).mkdir(parents=True, exist_ok=True)
        return write_csv(self.skipped, Path(folder) / SKIPPED_FILE)


def nhp_schemes_path() -> Path:
    """The bundled New Hospital Programme schemes table (installed copy first)."""
    try:
        packaged = Path(str(resources.files("cwb") / "_data" / "national" / "nhp_schemes.csv"))
        if packaged.exists():
            return packaged
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - depends on install
        pass
    source = Path(__file__).resolve().parents[2] / "data" / "national" / "nhp_schemes.csv"
    if source.exists():
        return source
    raise UsageError("the bundled New Hospital Programme table was not found; reinstall cwb")


def read_projects(path: str | Path) -> list[Project]:
    """Read a projects table (or ``"nhp"``, the bundled New Hospital Programme schemes).

    Every row must be a project; see :func:`read_project_table` to read the rows that
    can be and learn which cannot.

    Raises
    ------
    UsageError
        The file is missing or unreadable, lacks a name or coordinates, has an empty or
        repeated id, or a row without a usable location (its line is named).
    """
    table = read_project_table(path)
    if len(table.skipped):
        first = table.skipped.head(5)
        where = "; ".join(f"line {r.line}: {r.reason}" for r in first.itertuples())
        more = f" (and {len(table.skipped) - 5} more)" if len(table.skipped) > 5 else ""
        raise UsageError(f"{_shown(path)}: {where}{more}", argument="projects")
    return table.projects


def read_project_table(path: str | Path) -> ProjectTable:
    """Read a projects table, keeping aside (with line and reason) rows without a location.

    ``path``: a CSV/TSV/text or ``.xlsx`` table with coordinates in WGS84 degrees, a GIS
    file (:data:`SPATIAL_SUFFIXES`; reprojected to WGS84, shapes taken at a point inside
    them), or ``"nhp"``.

    Raises
    ------
    UsageError
        The file is missing or unreadable, lacks a name or coordinates, has an empty or
        repeated id, or has no row with a location.
    """
    path = nhp_schemes_path() if str(path) == NHP else Path(path)
    if not path.exists():
        raise UsageError(f"projects table {path} not found", argument="projects")
    notes: list[str] = []
    if path.suffix.lower() in SPATIAL_SUFFIXES:
        cells, lines, lat, lon, missing = _read_spatial(path, notes)
    else:
        cells, lines, lat, lon, missing = _read_table(path, notes)
    ids, names = _ids_and_names(path, cells, notes)
    reason = pd.Series("", index=cells.index, dtype=object)
    reason[missing] = "no location"
    out_of_range = ~missing & ~(lat.between(-90, 90) & lon.between(-180, 180))
    reason[out_of_range] = "latitude or longitude out of range (are they swapped?)"
    skipped = pd.DataFrame(
        {"line": lines, "id": ids, "name": names, "reason": reason}, columns=SKIPPED_COLUMNS
    )[reason != ""].reset_index(drop=True)
    used = {_find(cells, role) for role in PROJECT_COLUMNS} | set(_OPTIONAL)
    projects = []
    for i in cells.index[reason == ""]:
        row = cells.loc[i]
        extra = {k: v for k, v in row.items() if v != "" and k not in used}
        projects.append(
            Project(
                id=ids[i],
                name=names[i],
                lat=float(lat[i]),
                lon=float(lon[i]),
                kind=str(row.get("kind", "")),
                description=str(row.get("description", "")),
                extra=extra,
            )
        )
    if not projects:
        raise UsageError(f"{_shown(path)}: no row has a usable location", argument="projects")
    return ProjectTable(projects, skipped, notes)


def _shown(path: str | Path) -> str:
    return "the New Hospital Programme table" if str(path) == NHP else str(path)


def _key(header: object) -> str:
    """A header in lower case without spaces or punctuation: ``Site Name`` → ``sitename``."""
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


def _find(cells: pd.DataFrame, role: str) -> str | None:
    """The column of ``cells`` playing ``role`` (id, name, lat, lon), if any."""
    by_key = {_key(c): c for c in cells.columns}
    for alias in PROJECT_COLUMNS[role]:
        if alias in by_key:
            return str(by_key[alias])
    if role == "name":
        named = [c for c in cells.columns if _key(c).endswith("name")]
        if len(named) == 1:
            return str(named[0])
    return None


def _lacking(path: Path, cells: pd.DataFrame, what: str, roles: tuple[str, ...]) -> UsageError:
    """The error for a table without the columns of ``roles``, naming what would do."""
    accepted = "; ".join(f"{role}: {', '.join(PROJECT_COLUMNS[role])}" for role in roles)
    return UsageError(
        f"{path} has no {what} ({accepted}); it has {', '.join(map(str, cells.columns))}",
        argument="projects",
    )


def _read_table(
    path: Path, notes: list[str]
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Cells, lines, lat, lon and "no location" of a CSV or Excel projects table."""
    table = read_published_table(path)
    notes.extend(table.notes)
    cells = table.cells.reset_index(drop=True)
    lat_col, lon_col = _find(cells, "lat"), _find(cells, "lon")
    if lat_col is None or lon_col is None:
        raise _lacking(path, cells, "latitude/longitude columns", ("lat", "lon"))
    lat = exact_floats(cells[lat_col].str.strip().replace("", None))
    lon = exact_floats(cells[lon_col].str.strip().replace("", None))
    missing = lat.isna() | lon.isna()
    return cells, table.rows.reset_index(drop=True), lat, lon, missing


def _read_spatial(
    path: Path, notes: list[str]
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Cells, feature numbers, lat, lon and "no location" of a GIS projects file."""
    try:
        frame = gpd.read_parquet(path) if path.suffix.lower() == ".parquet" else gpd.read_file(path)
    except Exception as exc:  # pyogrio/arrow raise many kinds; the message names the cause
        raise UsageError(f"{path} could not be read as a GIS file: {exc}") from exc
    if frame.crs is None:
        notes.append(f"{path.name} names no CRS: read as WGS84 degrees")
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    values = frame.geometry.to_numpy()
    missing = np.asarray(shapely.is_missing(values) | shapely.is_empty(values))
    points = np.full(len(values), None, dtype=object)
    points[~missing] = shapely.point_on_surface(values[~missing])
    if not (shapely.get_type_id(values[~missing]) == 0).all():
        notes.append(f"{path.name}: sites that are shapes are taken at a point inside them")
    lon = pd.Series(np.where(missing, np.nan, shapely.get_x(points.astype(object))))
    lat = pd.Series(np.where(missing, np.nan, shapely.get_y(points.astype(object))))
    cells = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
    cells = cells.astype(object).where(cells.notna(), "").astype(str)
    lines = pd.Series(np.arange(1, len(cells) + 1))
    return cells, lines, lat, lon, pd.Series(missing)


def _ids_and_names(
    path: Path, cells: pd.DataFrame, notes: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Each row's id and name; ids made from names when the table has none."""
    name_col, id_col = _find(cells, "name"), _find(cells, "id")
    if name_col is None and id_col is None:
        raise _lacking(path, cells, "id or name column", ("id", "name"))
    if id_col is None:
        assert name_col is not None
        ids = _ids_from_names(cells[name_col].str.strip())
        notes.append(f"{path.name} has no id column: ids made from {name_col!r}")
    else:
        ids = cells[id_col].str.strip()
    if (ids == "").any() or ids.duplicated().any():
        bad = sorted(set(ids[(ids == "") | ids.duplicated()]))
        raise UsageError(f"{path}: empty or repeated project ids {bad}", argument="projects")
    names = cells[name_col].str.strip() if name_col is not None else ids
    return ids, names.where(names != "", ids)


def _ids_from_names(names: pd.Series) -> pd.Series:
    """Ids from names: ``Children's Hospital`` → ``childrens_hospital``; repeats get ``_2``."""
    base = names.str.lower().str.replace(r"['’]", "", regex=True)
    base = base.str.replace(r"[^a-z0-9]+", "_", regex=True).str.strip("_")
    base = base.where(base != "", "site")
    rank = base.groupby(base).cumcount() + 1
    return base.where(rank == 1, base + "_" + rank.astype(str))
