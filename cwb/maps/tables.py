"""The tables a cwb map draws, before they become layers.

Located points, opportunities placed at their project, matched links with
residents merged per area, and indicator classes. Kept apart from
:mod:`cwb.maps.compose` (which turns them into layers) so that other outputs (the
report, exports) can use the same privacy-safe link table.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb.dataset.geography import assign_area_codes
from cwb.dataset.model import Dataset
from cwb.errors import UsageError
from cwb.privacy import location_hidden

log = logging.getLogger(__name__)

#: Classes of an indicator where a low value means more deprived (drawn darker).
LOW_IS_DEPRIVED = ("imd_decile", "imd_rank")
DECILE_COLOURS = (
    "#67001f",
    "#980043",
    "#ce1256",
    "#e7298a",
    "#df65b0",
    "#c994c7",
    "#d4b9da",
    "#e7e1ef",
    "#f1eef6",
    "#fbf9fc",
)
QUINTILE_COLOURS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
MISSING_FILL = "#cccccc"


def located(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each row has a non-empty geometry."""
    geom = gdf.geometry
    return (geom.notna() & ~geom.is_empty).to_numpy()


def lon_lat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of points (representative points of other shapes)."""
    geom = gdf.geometry
    if len(geom) and not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    return shapely.get_x(geom.to_numpy()), shapely.get_y(geom.to_numpy())


def text_of(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as strings ("" for missing values and for an absent column)."""
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    s = frame[column]
    return s.astype(object).where(s.notna(), "").astype(str)


def opportunity_points(ds: Dataset) -> tuple[gpd.GeoDataFrame, int]:
    """Opportunities at their own geometry, else at their project; and how many have neither.

    An opportunity whose location is withheld (``map`` = no) is not
    placed at its project either: it is left out (and counted as not placed).
    """
    opps = ds.opportunities.copy()
    if opps.empty:
        return opps, 0
    projects = {p.id: shapely.Point(p.lon, p.lat) for p in ds.manifest.projects}
    own = located(opps)
    fallback = opps["project"].astype(str).map(projects).where(~location_hidden(opps), None)
    geometry = [g if ok else fb for g, ok, fb in zip(opps.geometry, own, fallback, strict=True)]
    opps = opps.set_geometry(gpd.GeoSeries(geometry, index=opps.index, crs="EPSG:4326"))
    placed = located(opps)
    return opps[placed], int((~placed).sum())


def _reasons_text(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return "; ".join(str(v) for v in value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def link_table(ds: Dataset, matches: pd.DataFrame) -> pd.DataFrame:
    """The lines a map draws for ``matches``, with no resident shown individually.

    Links from public assets start at the asset; links from residents are merged
    per (area, opportunity) into one line from the area's representative point,
    kept only when at least ``ds.min_count`` residents stand behind it.

    Returns
    -------
    pandas.DataFrame
        ``x1, y1, x2, y2, score, name, reasons, kind, opportunity_id`` (lon/lat), best
        score first.
    """
    needed = {"asset_id", "opportunity_id", "score"}
    missing = needed - set(matches.columns)
    if missing:
        raise UsageError(f"matches: missing column(s) {', '.join(sorted(missing))}")
    columns = ["x1", "y1", "x2", "y2", "score", "name", "reasons", "kind", "opportunity_id"]
    opps, _ = opportunity_points(ds)
    if opps.empty or matches.empty:
        return pd.DataFrame(columns=columns)
    ox, oy = lon_lat(opps)
    opp_at = pd.DataFrame(
        {"ox": ox, "oy": oy, "title": text_of(opps, "title").to_numpy()},
        index=opps["id"].astype(str).to_numpy(),
    )
    m = matches.assign(
        asset_id=matches["asset_id"].astype(str),
        opportunity_id=matches["opportunity_id"].astype(str),
    )
    m = m.join(opp_at, on="opportunity_id", how="inner")
    if "reasons" not in m:
        m["reasons"] = ""
    assets = ds.assets.assign(id=ds.assets["id"].astype(str)).drop_duplicates("id").set_index("id")
    kind = m["asset_kind"] if "asset_kind" in m else m["asset_id"].map(assets["kind"])
    public = assets[(assets["kind"] != "human") & located(assets)]
    px, py = lon_lat(public)
    pub = pd.DataFrame(
        {"x1": px, "y1": py, "aname": text_of(public, "name").to_numpy()}, index=public.index
    )
    direct = m[kind.ne("human") & m["asset_id"].isin(pub.index)].join(pub, on="asset_id")
    out = [
        pd.DataFrame(
            {
                "x1": direct["x1"],
                "y1": direct["y1"],
                "x2": direct["ox"],
                "y2": direct["oy"],
                "score": pd.to_numeric(direct["score"], errors="coerce").fillna(0.0),
                "name": direct["aname"] + " → " + direct["title"],
                "reasons": direct["reasons"].map(_reasons_text),
                "kind": "asset",
                "opportunity_id": direct["opportunity_id"],
            }
        )
    ]
    human = m[kind.eq("human")]
    if len(human):
        h = human.assign(
            area=_human_areas(ds, human),
            residents=_human_counts(ds, human),
            score=pd.to_numeric(human["score"], errors="coerce").fillna(0.0),
        )
        agg = (
            h.groupby(["area", "opportunity_id"], sort=False)
            .agg(
                residents=("residents", "sum"),
                score=("score", "max"),
                title=("title", "first"),
                ox=("ox", "first"),
                oy=("oy", "first"),
            )
            .reset_index()
        )
        agg = agg[agg["residents"] >= ds.min_count]
        area_index = ds.areas.assign(code=ds.areas["code"].astype(str)).set_index("code")
        agg = agg[agg["area"].isin(area_index.index)]
        if len(agg):
            pts = area_index.loc[agg["area"]].geometry.representative_point()
            area_names = text_of(area_index, "name")
            out.append(
                pd.DataFrame(
                    {
                        "x1": shapely.get_x(pts.to_numpy()),
                        "y1": shapely.get_y(pts.to_numpy()),
                        "x2": agg["ox"].to_numpy(),
                        "y2": agg["oy"].to_numpy(),
                        "score": agg["score"].to_numpy(),
                        "name": (
                            agg["residents"].astype(int).map("{:,}".format)
                            + " residents in "
                            + agg["area"].map(area_names).to_numpy()
                            + " → "
                            + agg["title"]
                        ).to_numpy(),
                        "reasons": (
                            "residents' skills groups in this area match (groups under "
                            f"{ds.min_count} residents are not shown)"
                        ),
                        "kind": "residents",
                        "opportunity_id": agg["opportunity_id"].to_numpy(),
                    }
                )
            )
    table = pd.concat(out, ignore_index=True)
    return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)[
        columns
    ]


def _human_areas(ds: Dataset, human: pd.DataFrame) -> pd.Series:
    """Area code of each human match: the matcher's ``area_code``, else the asset's area."""
    known = (
        human["area_code"].astype(object)
        if "area_code" in human
        else pd.Series(None, index=human.index)
    )
    rows = ds.assets[ds.assets["id"].astype(str).isin(human["asset_id"])].drop_duplicates("id")
    own = assign_area_codes(rows, ds.areas) if len(rows) else pd.Series(dtype=object)
    by_id = pd.Series(own.to_numpy(), index=rows["id"].astype(str).to_numpy())
    return known.where(known.notna() & known.astype(str).ne(""), human["asset_id"].map(by_id))


def _human_counts(ds: Dataset, human: pd.DataFrame) -> pd.Series:
    """Residents behind each human match: the matcher's ``count``, else the asset's (or 1)."""
    counts = (
        pd.to_numeric(human["count"], errors="coerce")
        if "count" in human
        else pd.Series(np.nan, index=human.index)
    )
    uniq = ds.assets.drop_duplicates("id")
    by_id = pd.Series(
        pd.to_numeric(uniq["count"], errors="coerce").to_numpy(),
        index=uniq["id"].astype(str).to_numpy(),
    )
    return counts.fillna(human["asset_id"].map(by_id)).fillna(1)


def indicator_direction(indicator: str | None) -> str | None:
    """How to read an indicator's classes ("1 = most deprived …"), when cwb knows it."""
    if indicator == "imd_decile":
        return "1 = most deprived 10% of areas in England, 10 = least deprived"
    if indicator == "imd_rank":
        return "rank 1 = most deprived area in England (darker = more deprived)"
    return None


def _class_bound(value: float, whole: bool) -> str:
    """A class bound as a legend shows it: whole numbers grouped, others to 2 decimals."""
    if whole or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def indicator_classes(values: pd.Series, indicator: str) -> tuple[pd.Series, list[dict[str, Any]]]:
    """A fill colour per area and the legend items of the classes.

    Deciles (1-10) are classes of their own, an area's value taken to the
    nearest whole decile; other indicators fall into up to five classes of equal
    counts, labelled with whole bounds (``8,275 – 17,400``) and, for an
    indicator where low means deprived, which end is the most deprived.
    """
    v = pd.to_numeric(values, errors="coerce")
    low_dark = indicator in LOW_IS_DEPRIVED
    present = v.dropna()
    fills = pd.Series(MISSING_FILL, index=values.index, dtype=object)
    items: list[dict[str, Any]] = []
    if present.empty:
        return fills, items
    whole = bool(((present % 1) == 0).all())
    if is_decile(present, indicator):
        classes = v.round().clip(1, 10)
        for d in range(1, 11):
            colour = DECILE_COLOURS[d - 1]
            hit = classes == d
            fills[hit] = colour
            if hit.any():
                tag = " (most deprived)" if d == 1 else " (least deprived)" if d == 10 else ""
                items.append(
                    {
                        "label": f"{d}{tag}",
                        "colour": colour,
                        "shape": "area",
                        "count": int(hit.sum()),
                    }
                )
    else:
        k = min(5, present.nunique())
        bins = pd.qcut(present.rank(method="first"), k, labels=False)
        palette = [QUINTILE_COLOURS[int(i)] for i in np.linspace(0, 4, k).round()]
        colours = palette[::-1] if low_dark else palette
        for b in range(k):
            members = present[bins == b]
            fills[members.index] = colours[b]
            label = f"{_class_bound(members.min(), whole)} – {_class_bound(members.max(), whole)}"
            if low_dark and k > 1 and b in (0, k - 1):
                label += " (most deprived)" if b == 0 else " (least deprived)"
            items.append(
                {"label": label, "colour": colours[b], "shape": "area", "count": int(len(members))}
            )
    if (v.isna()).any():
        items.append(
            {
                "label": "no data",
                "colour": MISSING_FILL,
                "shape": "area",
                "count": int(v.isna().sum()),
            }
        )
    return fills, items


def is_decile(present: pd.Series, indicator: str | None) -> bool:
    """Whether an indicator's values are deciles (1-10), drawn as ten whole classes."""
    whole = bool(((present % 1) == 0).all())
    return bool(
        (indicator == "imd_decile" and present.between(0.5, 10.5).all())
        or (whole and present.between(1, 10).all() and present.nunique() > 5)
    )
