"""Map layers of community use of places (CO-CITY): places by use status, pacts by status.

Two point layers, each filterable by its legend (one checkbox per status):
``places`` (physical assets with a recorded ``use_status``, coloured by it, with owner,
hours used, area, access and their pacts in the popup) and ``pacts`` (one star per pact
at its place, coloured by its lifecycle status, with partners, dates, activities and who
insures). Text from the dataset reaches the page only as packed data that the map's own
code writes as text, never as HTML.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.schema import PACT_STATUSES, USE_STATUSES, split_list
from cwb.maps.elements import number_column, text_column
from cwb.maps.layers import (
    MapBuild,
    _add_points,
    _column,
    _label,
    _list_display,
    _note_bounds,
    _ordered,
    _point_spec,
)
from cwb.maps.tables import located
from cwb.privacy import drop_private_columns

USE_COLOURS: dict[str, str] = dict(
    zip(USE_STATUSES, ("#1a9850", "#fee08b", "#f46d43", "#a50026"), strict=True)
)
PACT_COLOURS: dict[str, str] = dict(
    zip(PACT_STATUSES, ("#c2a5cf", "#9970ab", "#5aae61", "#1b7837", "#878787"), strict=True)
)
PLACES_STYLE = {"label": "Places by use", "shape": "square", "colour": "#f46d43"}
PACTS_STYLE = {"label": "Pacts of collaboration", "shape": "star", "colour": "#1b7837"}


def _status_layer(
    build: MapBuild,
    layer: str,
    style: dict[str, str],
    colours: dict[str, str],
    index: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    fields: list[tuple[str, dict[str, Any]]],
    *,
    radius: int,
) -> None:
    """A point layer whose categories are statuses, with its legend section (one per status)."""
    categories = [{"key": k, "label": _label(k), "colour": c} for k, c in colours.items()]
    counts = pd.Series(index).value_counts()
    items = [
        {
            "label": c["label"],
            "colour": c["colour"],
            "shape": style["shape"],
            "layer": layer,
            "category": i,
            "count": int(counts.get(i, 0)),
        }
        for i, c in enumerate(categories)
        if counts.get(i, 0)
    ]
    build.sections.append({"id": layer, "title": style["label"], "items": items})
    options = {
        "id": layer,
        "title": style["label"],
        "shape": style["shape"],
        "colour": style["colour"],
        "radius": radius,
        "clusterAbove": build.options.cluster_above,
    }
    spec = _point_spec(lon, lat, categories, index, fields, options=options)
    _add_points(build, layer, spec, f"{style['label']} ({len(index):,})")


def _pacts_by_place(pacts: pd.DataFrame | None) -> dict[str, str]:
    if pacts is None or not len(pacts):
        return {}
    text = pacts.assign(
        line=pacts["title"].fillna(pacts["id"]).astype(str)
        + " ("
        + pacts["status"].astype(str)
        + ")"
    )
    return text.groupby("asset")["line"].agg("; ".join).to_dict()


def add_places(build: MapBuild) -> None:
    """Physical assets with a recorded use, coloured by use status (in use … derelict)."""
    ds = build.ds
    assets = ds.assets
    rows = drop_private_columns(
        assets[(assets["kind"] == "physical") & assets["use_status"].notna()]
    )
    rows = rows[located(rows)]
    if rows.empty:
        return
    rows = rows.assign(pacts=rows["id"].map(_pacts_by_place(ds.pacts)))
    rows, lon, lat = _ordered(rows)
    keys = list(USE_STATUSES)
    index = pd.Categorical(rows["use_status"], categories=keys).codes.astype(np.int64)
    area = rows["floor_area_m2"].where(rows["floor_area_m2"].notna(), rows["site_area_ha"] * 10_000)
    owner = rows["owner_type"].fillna("unknown").astype(str) + rows["owner"].map(
        lambda o: f" ({o})" if isinstance(o, str) and o else ""
    )
    fields = [
        ("Name", _column(rows, "name")),
        ("Category", _column(rows, "category", display=_label)),
        ("Use", _column(rows, "use_status", display=_label)),
        ("Owner", text_column(owner)),
        ("Hours used a week", number_column(rows["hours_used_per_week"])),
        ("Area (m²)", number_column(area)),
        ("Access", _column(rows, "accessibility", display=_label)),
        ("Spaces", _column(rows, "spaces", display=_list_display)),
        ("Pacts", _column(rows, "pacts")),
    ]
    _status_layer(build, "places", PLACES_STYLE, USE_COLOURS, index, lon, lat, fields, radius=6)
    _note_bounds(build, lon, lat)


def _partner_names(cell: Any, names: dict[str, str]) -> str:
    return "; ".join(names.get(p, p) for p in split_list(cell))


def add_pacts(build: MapBuild) -> None:
    """One star per pact of collaboration at its place, coloured by lifecycle status."""
    ds = build.ds
    pacts = ds.pacts
    if pacts is None or not len(pacts):
        return
    assets = drop_private_columns(ds.assets)
    public = assets[assets["kind"] != "human"]
    names = dict(zip(public["id"].astype(str), public["name"].astype(str), strict=True))
    where = assets.drop_duplicates("id").set_index("id").geometry
    rows = pacts.assign(
        geometry=pacts["asset"].map(where),
        place=pacts["asset"].map(names),
        partner_names=pacts["partners"].map(lambda c: _partner_names(c, names)),
    )
    rows = gpd.GeoDataFrame(rows, geometry="geometry", crs=assets.crs)
    rows = rows[located(rows)]
    if rows.empty:
        return
    rows, lon, lat = _ordered(rows)
    keys = list(PACT_STATUSES)
    index = pd.Categorical(rows["status"], categories=keys).codes.astype(np.int64)
    dates = rows[["proposed_on", "signed_on", "starts", "ends"]].apply(
        lambda r: " · ".join(
            f"{k.replace('_on', '')} {v}" for k, v in r.items() if isinstance(v, str)
        ),
        axis=1,
    )
    fields = [
        ("Name", text_column(rows["title"].fillna(rows["id"]))),
        ("Status", _column(rows, "status", display=_label)),
        ("Place", _column(rows, "place")),
        ("Partners", _column(rows, "partner_names")),
        ("Dates", text_column(dates)),
        ("Activities", _column(rows, "activities", display=_list_display)),
        ("Responsibilities", _column(rows, "responsibilities")),
        ("Insured by", _column(rows, "insured_by")),
        ("Hours a week", number_column(rows["hours_per_week"])),
    ]
    _status_layer(build, "pacts", PACTS_STYLE, PACT_COLOURS, index, lon, lat, fields, radius=8)
