"""Keep an import local: rows within a distance of the project(s), or in a set of areas.

One rule for every importer (registers, 360Giving, Open Referral, OSM …), applied
to an :class:`~cwb.importers.common.ImportResult` before it is merged:

- an asset (or opportunity) is *local* when its location lies within ``within_m``
  metres of a project, or inside one of the chosen areas, or its ``area_code``,
  ``ward_code`` or ``lsoa_code`` is one of the chosen areas' codes;
- every other row is skipped with the reason ``not local`` (so the counts still add
  up to the rows read);
- links (grants) are kept when their *target* (the recipient) is kept; the *source*
  of a kept link (a funder) is kept whatever its location: a national funder of a
  local group stays, with its grants, and is dropped only when it has none left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from cwb.errors import UsageError
from cwb.importers.common import ImportResult

if TYPE_CHECKING:
    from pyproj import CRS

#: Importers whose records read are links (grants): organisations left out are noted, not
#: counted as skipped records.
LINK_RECORDS: frozenset[str] = frozenset({"360giving"})

#: Columns of an imported row that may hold the code of an area it lies in.
AREA_CODE_COLUMNS: tuple[str, ...] = ("area_code", "ward_code", "lsoa_code")


def parse_distance(text: str | float | None) -> float | None:
    """Metres from ``"3km"``, ``"500m"``, ``"2.5 km"`` or a number of metres.

    Raises
    ------
    UsageError
        When the text is not a positive distance.
    """
    if text is None or text == "":
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        item = str(text).strip().lower().replace(" ", "")
        scale = 1000.0 if item.endswith("km") else 1.0
        try:
            value = float(item.removesuffix("km").removesuffix("m")) * scale
        except ValueError:
            raise UsageError(
                f"{text!r} is not a distance; write e.g. 3km or 500m", argument="within"
            ) from None
    if not value > 0:
        raise UsageError(f"{text!r}: the distance must be positive", argument="within")
    return value


def local_mask(
    frame: gpd.GeoDataFrame,
    *,
    centres: Sequence[tuple[float, float]] = (),
    within_m: float | None = None,
    areas: gpd.GeoDataFrame | None = None,
    area_codes: Iterable[str] | None = None,
    metric_crs: CRS | str = "EPSG:27700",
) -> np.ndarray:
    """Which rows of a located table are local (see the module notes).

    ``centres`` are ``(lat, lon)`` pairs; ``areas`` the dataset's areas (``code``,
    geometry) from which ``area_codes`` picks (all of them when ``area_codes`` is None).
    """
    n = len(frame)
    keep = np.zeros(n, dtype=bool)
    if not n:
        return keep
    geoms = frame.geometry
    if geoms.crs is None:
        geoms = geoms.set_crs("EPSG:4326")
    geoms = geoms.to_crs(metric_crs)
    located = (geoms.notna() & ~geoms.is_empty).to_numpy()
    if within_m is not None and centres:
        pts = gpd.GeoSeries(
            gpd.points_from_xy([c[1] for c in centres], [c[0] for c in centres]),
            crs="EPSG:4326",
        ).to_crs(metric_crs)
        zone = shapely.union_all(pts.buffer(within_m).to_numpy())
        keep[located] |= shapely.intersects(geoms[located].to_numpy(), zone)
    if area_codes is not None or (within_m is None and areas is not None):
        chosen = areas if areas is not None else None
        codes = {str(c) for c in area_codes} if area_codes is not None else None
        if chosen is not None and len(chosen):
            if codes is not None:
                chosen = chosen[chosen["code"].astype(str).isin(codes)]
            codes = set(chosen["code"].astype(str)) if codes is None else codes
            if len(chosen) and located.any():
                shape = shapely.union_all(chosen.to_crs(metric_crs).geometry.to_numpy())
                keep[located] |= shapely.intersects(geoms[located].to_numpy(), shape)
        for column in AREA_CODE_COLUMNS:
            if codes and column in frame:
                keep |= frame[column].astype(str).isin(codes).to_numpy()
    return keep


def keep_local(
    result: ImportResult,
    *,
    centres: Sequence[tuple[float, float]] = (),
    within_m: float | None = None,
    areas: gpd.GeoDataFrame | None = None,
    area_codes: Iterable[str] | None = None,
    metric_crs: CRS | str = "EPSG:27700",
) -> None:
    """Skip the rows of ``result`` that are not local, in place (see the module notes).

    Links are kept when their target is kept; the source of a kept link is kept too.
    """
    if within_m is None and area_codes is None:
        return
    codes = list(area_codes) if area_codes is not None else None
    links = result.tables.get("links")
    kept_ids: set[str] = set()
    masks: dict[str, np.ndarray] = {}
    for table in ("assets", "opportunities"):
        frame = result.tables.get(table)
        if frame is None or not len(frame):
            continue
        masks[table] = local_mask(
            frame,
            centres=centres,
            within_m=within_m,
            areas=areas,
            area_codes=codes,
            metric_crs=metric_crs,
        )
        kept_ids |= set(frame.loc[masks[table], "id"].astype(str))
    if links is not None and len(links):
        ok = links["target"].astype(str).isin(kept_ids)
        for row in links.loc[~ok].itertuples():
            result.skip(
                "not local (grant or link to an organisation outside the area)",
                value=f"{getattr(row, 'grant_id', '') or ''} {row.source} → {row.target}".strip(),
            )
        links = links.loc[ok].reset_index(drop=True)
        result.tables["links"] = links
        sources = set(links["source"].astype(str))
    else:
        sources = set()
    where = (f"within {within_m / 1000:g} km of the project(s)" if within_m is not None else "") + (
        " or " if within_m is not None and codes is not None else ""
    )
    where += f"in the {len(codes)} chosen area(s)" if codes is not None else ""
    for table, mask in masks.items():
        frame = result.tables[table]
        ids = frame["id"].astype(str)
        mask = mask | ids.isin(sources).to_numpy()  # a funder of local recipients stays
        if result.importer in LINK_RECORDS:  # the records read are the grants, counted above
            if (~mask).any():
                result.notes.append(
                    f"{int((~mask).sum())} organisation(s) not {where} left out with their grants"
                )
        else:
            for rid in frame.loc[~mask, "id"]:
                result.skip(f"not local (not {where})", value=rid)
        result.tables[table] = frame.loc[mask].reset_index(drop=True)
