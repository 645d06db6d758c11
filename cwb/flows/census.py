"""Importers of flows: Census 2021 origin–destination tables and flows given as shares.

:func:`read_census_flows` reads an origin–destination table at any level
(local authority, MSOA) as CSV or GeoJSON: columns ``origin_code, origin_name,
dest_code, dest_name, count`` (the layout of the Census 2021 flow files cwb
was tested with) or the ONS bulk-download headers (residence and workplace
"… code" and "… label" columns and ``Count``). Every row becomes one flow of
kind ``commuting`` in ``people``; same-place rows are kept as internal flows.
Coordinates come from a GeoJSON's line ends, or from a centroids table
(``code, lat, lon``), optionally averaged over a lookup (``msoa21cd, ltla22cd``)
to place local authorities at the mean of their MSOAs.

:func:`flows_from_shares` turns shares (a hospital trust's admissions by local
authority) into flows, keeping the share and, where a total is known, a count.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cwb.dataset.parsing import exact_floats
from cwb.errors import DatasetError, Problem, UsageError
from cwb.flows.table import flow_frame

#: Source and licence written on imported Census rows.
CENSUS_SOURCE = "ONS Census 2021 origin-destination, workplace (ODWP01EW)"
CENSUS_LICENCE = "OGL-UK-3.0"

#: Source column names accepted for each part of an origin–destination row.
_ALIASES: dict[str, tuple[str, ...]] = {
    "origin": (
        "origin_code",
        "origin",
        "middle layer super output areas code",
        "lower tier local authorities code",
        "residence code",
    ),
    "origin_name": (
        "origin_name",
        "middle layer super output areas label",
        "lower tier local authorities label",
        "residence label",
    ),
    "destination": (
        "dest_code",
        "destination_code",
        "destination",
        "msoa of workplace code",
        "ltla of workplace code",
        "lower tier local authorities of workplace code",
        "workplace code",
    ),
    "destination_name": (
        "dest_name",
        "destination_name",
        "msoa of workplace label",
        "ltla of workplace label",
        "lower tier local authorities of workplace label",
        "workplace label",
    ),
    "magnitude": ("count", "observation", "magnitude", "flow", "people"),
}


def _pick(columns: list[str], wanted: str) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[a] for a in _ALIASES[wanted] if a in lowered), None)


def _read_table(path: Path) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The rows of a CSV or GeoJSON, and for GeoJSON the line ends (n × 4: lon0 lat0 lon1 lat1)."""
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise DatasetError(
                [Problem(str(path), f"is not valid JSON: {exc.msg}", row=exc.lineno, code="parse")]
            ) from None
        features = data.get("features", []) if isinstance(data, dict) else []
        rows = [f.get("properties") or {} for f in features]
        ends = np.full((len(features), 4), np.nan)
        for i, feature in enumerate(features):
            coords = (feature.get("geometry") or {}).get("coordinates") or []
            if feature.get("geometry", {}).get("type") == "LineString" and len(coords) >= 2:
                ends[i] = [*coords[0][:2], *coords[-1][:2]]
        return pd.DataFrame(rows), ends
    if path.suffix.lower() not in (".csv", ".txt"):
        raise UsageError(f"{path}: expected a .csv or .geojson origin–destination table")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), None


def read_centroids(path: Path, lookup: Path | None = None) -> pd.DataFrame:
    """Centroids ``code → lat, lon`` from a table, optionally averaged up a lookup.

    ``lookup`` maps the centroids' codes (first column, e.g. ``msoa21cd``) to
    larger areas (a column ending ``cd`` other than the first, e.g. ``ltla22cd``):
    each larger area is placed at the mean of its parts, and both levels are returned.
    """
    table = pd.read_csv(path, dtype={"code": str})
    missing = [c for c in ("code", "lat", "lon") if c not in table]
    if missing:
        raise UsageError(
            f"{path}: a centroids table needs columns code, lat, lon; missing {missing}"
        )
    points = table.set_index("code")[["lat", "lon"]].astype(float)
    if lookup is None:
        return points
    pairs = pd.read_csv(lookup, dtype=str, keep_default_na=False)
    codes = [c for c in pairs.columns if c.lower().endswith("cd")]
    if len(codes) < 2:
        raise UsageError(f"{lookup}: a lookup needs two code columns (e.g. msoa21cd, ltla22cd)")
    small, large = codes[0], codes[1]
    joined = pairs[[small, large]].join(points, on=small).dropna(subset=["lat"])
    upper = joined.groupby(large)[["lat", "lon"]].mean()
    return pd.concat([points, upper[~upper.index.isin(points.index)]])


@cache
def bundled_centroids() -> pd.DataFrame:
    """Centroids of the 331 local authorities of England and Wales in the Census 2021 flows.

    ``code → name, lat, lon``, taken from the line ends of the local-authority
    flow GeoJSON (see ``data/README.md``); used when a table gives no coordinates.
    """
    path = resources.files("cwb") / "resources" / "ltla_centroids.csv"
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"code": str}).set_index("code")


def read_census_flows(
    path: str | Path,
    *,
    centroids: pd.DataFrame | None = None,
    kind: str = "commuting",
    period: str = "2021",
    source: str = CENSUS_SOURCE,
    licence: str = CENSUS_LICENCE,
) -> pd.DataFrame:
    """Read a Census origin–destination table into a flows frame, every row kept.

    Ends without coordinates (in the file or ``centroids``) are placed at the
    bundled local-authority centroids when their code is one
    (:func:`bundled_centroids`); others keep empty coordinates.

    Raises
    ------
    DatasetError
        When a needed column is missing or a count is not a non-negative number
        (every bad row is listed).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist")
    raw, ends = _read_table(path)
    found = {k: _pick(list(raw.columns), k) for k in _ALIASES}
    missing = [k for k in ("origin", "destination", "magnitude") if found[k] is None]
    if missing:
        raise DatasetError(
            [
                Problem(
                    path.name,
                    f"has no {k} column",
                    column=k,
                    code="missing_column",
                    hint="expected one of: " + ", ".join(_ALIASES[k]),
                )
                for k in missing
            ],
            summary=f"{path.name}: not an origin–destination table "
            f"(columns: {', '.join(map(str, raw.columns))})",
        )
    text = raw[found["magnitude"]].astype(str).str.replace(",", "", regex=False).str.strip()
    count = pd.to_numeric(text, errors="coerce")
    bad = count.isna() | (count < 0)
    if bad.any():
        raise DatasetError(
            [
                Problem(
                    path.name,
                    "is not a count of people (a whole number, 0 or more)",
                    row=int(i) + 2,
                    column=found["magnitude"],
                    value=str(raw[found["magnitude"]].iloc[i]),
                    code="not_a_number",
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
        )
    frame = pd.DataFrame(
        {
            "origin": raw[found["origin"]].astype(str).str.strip(),
            "destination": raw[found["destination"]].astype(str).str.strip(),
            "magnitude": count.astype(float),
            "unit": "people",
            "kind": kind,
            "period": period,
            "origin_name": raw[found["origin_name"]] if found["origin_name"] else None,
            "destination_name": (
                raw[found["destination_name"]] if found["destination_name"] else None
            ),
            "source": source,
            "licence": licence,
        }
    )
    if ends is not None:
        frame["origin_lon"], frame["origin_lat"] = ends[:, 0], ends[:, 1]
        frame["destination_lon"], frame["destination_lat"] = ends[:, 2], ends[:, 3]
    for table in (centroids, bundled_centroids()):
        if table is None:
            continue
        for end in ("origin", "destination"):
            for axis in ("lat", "lon"):
                column = f"{end}_{axis}"
                mapped = frame[end].map(table[axis]).astype(float)
                frame[column] = frame[column].fillna(mapped) if column in frame else mapped
    return flow_frame(frame)


def flows_from_shares(
    table: pd.DataFrame,
    *,
    kind: str,
    unit: str = "people",
    total: float | None = None,
    share_of: str = "destination",
    period: str | None = None,
) -> pd.DataFrame:
    """Flows from shares: ``origin, destination, share`` (0–1, or percentages summing to ~100).

    The share is kept in ``share``; the magnitude is share × total in ``unit``
    when a total is known (``total``, or a ``total`` column per row), else the
    share itself in unit ``share``.
    """
    for column in ("origin", "destination", "share"):
        if column not in table:
            raise UsageError(
                f"a shares table needs columns origin, destination, share; no {column!r}"
            )
    if share_of not in ("origin", "destination"):
        raise UsageError(f"share_of must be origin or destination; got {share_of!r}")
    share = exact_floats(table["share"].astype(str).str.rstrip("% ").str.strip())
    side_totals = share.groupby(table[share_of]).transform("sum")
    if (share > 1).any() or (side_totals > 1.5).all():
        share = share / 100.0  # percentages
    frame = table.copy()
    frame["share"] = share
    frame["share_of"] = share_of
    frame["kind"] = kind
    if period is not None:
        frame["period"] = period
    totals = (
        pd.to_numeric(table["total"], errors="coerce")
        if "total" in table
        else pd.Series(np.nan, index=table.index)
    )
    if total is not None:
        totals = totals.fillna(float(total))
    known = totals.notna()
    frame["magnitude"] = np.where(known, (share * totals).round(0), share)
    frame["unit"] = np.where(known, unit, "share")
    return flow_frame(frame.drop(columns=["total"], errors="ignore"))
