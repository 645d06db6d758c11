"""A projects table of any length: the sites whose catchments the national runs cover.

A CSV with ``id``, ``name``, ``lat``, ``lon`` (WGS84) and optionally ``kind``,
``description`` and any other columns (kept in :attr:`Project.extra`). The bundled
example is the NHS New Hospital Programme schemes in England
(``data/national/nhp_schemes.csv``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from cwb.dataset.manifest import Project
from cwb.dataset.parsing import exact_floats
from cwb.errors import UsageError

#: Name accepted by ``--projects`` for the bundled New Hospital Programme table.
NHP = "nhp"
_REQUIRED = ("id", "name", "lat", "lon")
_KNOWN = ("id", "name", "lat", "lon", "kind", "description")


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
    """Read a projects CSV (or ``"nhp"``, the bundled New Hospital Programme schemes).

    Raises
    ------
    UsageError
        The file is missing, lacks a required column, has an empty or repeated id, or a
        coordinate that is not a number in range.
    """
    path = nhp_schemes_path() if str(path) == NHP else Path(path)
    if not path.exists():
        raise UsageError(f"projects table {path} not found", argument="projects")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise UsageError(f"{path} lacks column(s) {', '.join(missing)}", argument="projects")
    ids = frame["id"].str.strip()
    if (ids == "").any() or ids.duplicated().any():
        bad = sorted(set(ids[(ids == "") | ids.duplicated()]))
        raise UsageError(f"{path}: empty or repeated project ids {bad}", argument="projects")
    lat = exact_floats(frame["lat"])
    lon = exact_floats(frame["lon"])
    bad_rows = ~(lat.between(-90, 90) & lon.between(-180, 180))
    if bad_rows.any():
        rows = [int(i) + 2 for i in frame.index[bad_rows][:5]]
        raise UsageError(f"{path}: lat/lon missing or out of range on line(s) {rows}")
    projects = []
    for i, row in frame.iterrows():
        extra = {k: v for k, v in row.items() if k not in _KNOWN and v != ""}
        projects.append(
            Project(
                id=ids[i],
                name=row["name"].strip() or ids[i],
                lat=float(lat[i]),
                lon=float(lon[i]),
                kind=row.get("kind", ""),
                description=row.get("description", ""),
                extra=extra,
            )
        )
    return projects
