"""The layers of a cwb map, each built from the dataset: what they show and how.

One ``add_*`` function per layer (areas, catchment rings, each public asset
kind, residents in aggregate, opportunities, matched links, supplier spend,
projects) packs its points and popup fields into a :class:`cwb.maps.elements.CwbLayer`
and adds its legend section to the :class:`MapBuild` that :func:`cwb.maps.compose.make_map`
then composes into a folium map. Styles (shapes and colours) come from one
legend, :data:`KIND_STYLE` and :data:`CATEGORY_COLOURS`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb import settings
from cwb.dataset.model import Dataset
from cwb.dataset.notes import illustrative_ids, mark_illustrative, opportunity_notes
from cwb.dataset.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES
from cwb.flows.table import KIND_COLOURS, place_points, suppress_resident_flows
from cwb.maps.elements import (
    CwbControl,
    CwbLayer,
    encode_array,
    encode_points,
    joined_column,
    number_column,
    pack_fields,
    spatial_order,
    text_column,
)
from cwb.maps.flows import flow_layer
from cwb.maps.tables import (
    indicator_classes,
    indicator_direction,
    is_decile,
    link_table,
    located,
    lon_lat,
    opportunity_points,
    text_of,
)
from cwb.privacy import (
    Residents,
    aggregate_human,
    describe_suppressed,
    drop_private_columns,
    location_hidden,
)

if TYPE_CHECKING:
    from cwb.spend.analysis import SpendAnalysis

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- the one legend

#: Shape and colour of each asset kind (the colour is used for clusters and the human layer).
KIND_STYLE: dict[str, dict[str, str]] = {
    "physical": {"label": "Physical assets", "shape": "square", "colour": "#4c72b0"},
    "financial": {"label": "Financial assets", "shape": "diamond", "colour": "#dd8452"},
    "community": {"label": "Community assets", "shape": "circle", "colour": "#55a868"},
    "human": {"label": "Residents' skills (aggregate)", "shape": "circle", "colour": "#8172b3"},
    "opportunity": {"label": "Opportunities", "shape": "triangle", "colour": "#c44e52"},
    "spend": {"label": "Supplier spend by area", "shape": "circle", "colour": "#937860"},
}

_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
)

#: Colour of every category, per kind, and of each opportunity type.
CATEGORY_COLOURS: dict[str, dict[str, str]] = {
    kind: {cat: _PALETTE[i % len(_PALETTE)] for i, cat in enumerate(cats)}
    for kind, cats in ASSET_CATEGORIES.items()
}
OPPORTUNITY_COLOURS: dict[str, str] = dict(
    zip(OPPORTUNITY_TYPES, ("#e6550d", "#756bb1", "#31a354", "#de2d26", "#3182bd"), strict=True)
)

_LINK_COLOURS = ("#c6dbef", "#6baed6", "#3182bd", "#08519c", "#08306b")


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


@dataclass
class MapOptions:
    """Settings of :func:`make_map` (keyword arguments of the same names)."""

    indicator: str | None = "imd_decile"
    area_level: str | None = None
    links: bool = True
    max_links: int = settings.MAX_LINKS
    cluster_above: int = 10_000
    tiles: str | None = "OpenStreetMap"
    title: str | None = None
    date: str | None = None
    assets: str = settings.MAP_ASSETS
    links_on: bool = settings.MAP_LINKS_ON
    extra_sources: Sequence[str] = field(default_factory=tuple)


@dataclass
class MapBuild:
    """What the map builder collects on its way: layers, legend sections, notes, bounds."""

    ds: Dataset
    options: MapOptions
    layers: dict[str, CwbLayer] = field(default_factory=dict)
    searchable: list[CwbLayer] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float, float, float]] = field(default_factory=list)
    controls: list[CwbControl] = field(default_factory=list)


# ---------------------------------------------------------------- helpers


def _money(value: float) -> str:
    return f"£{value:,.0f}"


def _column(frame: pd.DataFrame, name: str, **kwargs: Any) -> dict[str, Any]:
    """A text column of ``frame`` for a popup (empty when the frame lacks it)."""
    return text_column(
        frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object), **kwargs
    )


def _list_display(text: str) -> str:
    return text.replace(";", "; ").replace("  ", " ").strip("; ")


def _provenance(frame: pd.DataFrame) -> dict[str, Any]:
    """The provenance fields a popup shows (:data:`cwb.settings.MAP_POPUP_PROVENANCE`)."""
    return joined_column([_column(frame, c) for c in settings.MAP_POPUP_PROVENANCE])


def _ordered(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Rows in spatial order with their lon/lat (representative points of non-points)."""
    lon, lat = lon_lat(frame)
    order = spatial_order(lon, lat)
    return frame.iloc[order], lon[order], lat[order]


def _style_options(layer_id: str, style: dict[str, str], **extra: Any) -> dict[str, Any]:
    """Options of a point layer drawn in a legend style: id, title, shape, colour and extras."""
    return {
        "id": layer_id,
        "title": style["label"],
        "shape": style["shape"],
        "colour": style["colour"],
        **extra,
    }


def _point_spec(
    lon: np.ndarray,
    lat: np.ndarray,
    categories: list[dict[str, str]],
    cat_index: np.ndarray,
    fields: list[tuple[str, dict[str, Any]]],
    *,
    options: dict[str, Any],
    size: np.ndarray | None = None,
) -> dict[str, Any]:
    """The spec of a canvas point layer (rows already in spatial order)."""
    spec = encode_points(lon, lat)
    spec["categories"] = categories
    spec["cat"] = encode_array(cat_index, "u8" if len(categories) < 256 else "u16")
    spec.update(pack_fields(fields))
    spec["nameField"] = 0
    spec["options"] = options
    if size is not None:
        spec["size"] = encode_array(np.asarray(size, dtype=float), "f32")
    return spec


def _add_points(
    build: MapBuild, key: str, spec: dict[str, Any], name: str, *, show: bool = True
) -> CwbLayer:
    layer = CwbLayer(spec, name=name, factory="points", show=show)
    build.layers[key] = layer
    build.searchable.append(layer)
    return layer


def _note_bounds(build: MapBuild, lon: np.ndarray, lat: np.ndarray) -> None:
    if len(lon):
        build.bounds.append(
            (
                float(np.nanmin(lon)),
                float(np.nanmin(lat)),
                float(np.nanmax(lon)),
                float(np.nanmax(lat)),
            )
        )


# ---------------------------------------------------------------- layers


# ---------------------------------------------------------------- layers


def add_areas(build: MapBuild) -> None:
    """The areas, shaded by the chosen indicator, with their legend classes."""
    areas = build.ds.areas
    if areas is None or areas.empty:
        return
    indicator = build.options.indicator
    placed = located(areas)
    areas = areas[placed]
    metric = build.ds.in_metric("areas")[placed]
    levels = list(dict.fromkeys(areas["level"].dropna().astype(str))) if "level" in areas else []
    if len(levels) > 1:
        # wards over LSOAs would hide each other: one level is drawn
        chosen = build.options.area_level or levels[0]
        keep = (areas["level"].astype(str) == chosen).to_numpy()
        areas, metric = areas[keep], metric[keep]
        build.notes.append(f"Areas: {chosen} (levels {', '.join(levels)}; choose with --level).")
    simple = metric.geometry.simplify(5.0).to_crs("EPSG:4326")
    geoms = shapely.transform(simple.to_numpy(), lambda c: np.round(c, 5))
    props = pd.DataFrame(
        {
            "code": text_of(areas, "code"),
            "name": text_of(areas, "name"),
            "local_authority": text_of(areas, "local_authority"),
        }
    )
    items: list[dict[str, Any]] = []
    if indicator:
        fills, items = indicator_classes(areas[indicator], indicator)
        values = pd.to_numeric(areas[indicator], errors="coerce")
        if is_decile(values.dropna(), indicator):  # the tooltip names the area's whole class
            values = values.round().clip(1, 10)
        # object dtype: a missing value stays None ("no data"), never a NaN that JSON rejects
        props["value"] = pd.Series(
            [
                None if pd.isna(x) else (int(x) if float(x).is_integer() else round(float(x), 3))
                for x in values
            ],
            index=props.index,
            dtype=object,
        )
        props["fill"] = fills.to_numpy()
    features = [
        {"type": "Feature", "properties": row, "geometry": shapely.geometry.mapping(g)}
        for row, g in zip(props.to_dict("records"), geoms, strict=True)
    ]
    label = _label(indicator) if indicator else "Indicator"
    if indicator == "imd_decile":
        label = "IMD decile"
    spec = {"geojson": {"type": "FeatureCollection", "features": features}, "indicatorLabel": label}
    name = f"Areas by {label}" if indicator else "Areas"
    build.layers["areas"] = CwbLayer(spec, name=name, factory="areas")
    if items:
        note = indicator_direction(indicator)
        build.sections.append(
            {"id": "areas", "title": f"Areas: {label}", "items": items, "note": note}
        )


def add_rings(build: MapBuild) -> None:
    """The catchment rings: each distance band around each project."""
    ds = build.ds
    projects = ds.projects
    if projects.empty or not ds.manifest.bands_m:
        return
    metric = ds.in_metric("projects")
    labels, lines = [], []
    for name, point in zip(projects["name"], metric.geometry, strict=True):
        for band in ds.manifest.bands_m:
            labels.append(f"{band / 1000:g} km from {name}")
            lines.append(shapely.LineString(point.buffer(band, 64).exterior.coords))
    rings = gpd.GeoSeries(lines, crs=metric.crs).to_crs("EPSG:4326")  # one reprojection
    features, items = [], []
    for label, ring in zip(labels, rings, strict=True):
        ring = shapely.transform(ring, lambda c: np.round(c, 5))
        features.append(
            {
                "type": "Feature",
                "properties": {"label": label},
                "geometry": shapely.geometry.mapping(ring),
            }
        )
        build.bounds.append(ring.bounds)
    for band in ds.manifest.bands_m:
        items.append({"label": f"{band / 1000:g} km", "colour": "#d7301f", "shape": "ring"})
    build.layers["rings"] = CwbLayer(
        {"geojson": {"type": "FeatureCollection", "features": features}},
        name="Catchment rings",
        factory="rings",
    )
    build.sections.append(
        {"id": "rings", "title": "Catchment (distance from the project)", "items": items}
    )


#: Where each kind's cluster sits in a grid cell (pixels), so that the kinds do not hide each other.
_CLUSTER_SHIFT = {"physical": [-12, -8], "financial": [12, -8], "community": [0, 12]}

_ASSET_FIELDS = (
    "name",
    "category",
    "skills",
    "sector",
    "capacity",
    *settings.MAP_POPUP_PROVENANCE,
    "last_verified",
    "precision",
)


def add_asset_kind(build: MapBuild, kind: str) -> None:
    """One public asset kind (physical, financial, community), coloured by category."""
    ds = build.ds
    rows = drop_private_columns(ds.assets[ds.assets["kind"] == kind])
    if rows.empty:
        return
    placed = located(rows)
    hidden = location_hidden(rows)
    unlocated = int((~placed & ~hidden).sum())
    rows = rows[placed]
    if unlocated:
        build.notes.append(f"{unlocated:,} {kind} asset(s) could not be located and are not drawn.")
    if hidden.any():
        build.notes.append(
            f"{int(hidden.sum()):,} {kind} asset(s) are counted but not drawn "
            "(their location is not published)."
        )
    if rows.empty:
        return
    style = KIND_STYLE[kind]
    known = list(ASSET_CATEGORIES[kind])
    extra = sorted(set(rows["category"].dropna().astype(str).unique().tolist()) - set(known))
    keys = known + extra
    colours = CATEGORY_COLOURS[kind]
    categories = [{"key": k, "label": _label(k), "colour": colours.get(k, "#7f7f7f")} for k in keys]
    rows, lon, lat = _ordered(rows[[c for c in _ASSET_FIELDS if c in rows] + [rows.geometry.name]])
    index = pd.Categorical(rows["category"].astype(str), categories=keys).codes.astype(np.int64)
    where = {"exact": "", "postcode": "postcode centroid", "area": "area centre"}
    fields = [
        ("Name", _column(rows, "name")),
        ("Skills", _column(rows, "skills", display=_list_display)),
        ("Sector", _column(rows, "sector")),
        (
            "Capacity",
            number_column(rows["capacity"]) if "capacity" in rows else _column(rows, "capacity"),
        ),
        ("Provenance", _provenance(rows)),
        ("Last verified", _column(rows, "last_verified")),
        ("Located at", _column(rows, "precision", display=lambda t: where.get(t, t))),
    ]
    options = _style_options(
        kind,
        style,
        radius=5,
        clusterAbove=build.options.cluster_above,
        clusterShift=_CLUSTER_SHIFT[kind],
    )
    spec = _point_spec(lon, lat, categories, index, fields, options=options)
    _add_points(build, kind, spec, f"{style['label']} ({len(rows):,})")
    _note_bounds(build, lon, lat)
    counts = pd.Series(index).value_counts()
    items = [
        {
            "label": c["label"],
            "colour": c["colour"],
            "shape": style["shape"],
            "layer": kind,
            "category": i,
            "count": int(counts.get(i, 0)),
        }
        for i, c in enumerate(categories)
        if counts.get(i, 0)
    ]
    build.sections.append({"id": kind, "title": style["label"], "items": items})


def add_human(build: MapBuild, residents: Residents | None = None) -> None:
    """Residents as counts per area (small groups suppressed), never one by one.

    ``residents`` is :func:`cwb.privacy.aggregate_human` of the dataset when
    already computed (it is computed here otherwise).
    """
    ds = build.ds
    groups, suppressed = residents or aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)
    k = ds.min_count
    if suppressed:
        build.notes.append(
            f"Residents in groups smaller than {k} are not shown "
            f"({describe_suppressed(suppressed, k)} of them)."
        )
    if groups.empty:
        return
    placed = groups[located(groups)]
    outside = int(groups.loc[~located(groups), "count"].sum())
    if outside:
        build.notes.append(f"{outside:,} resident(s) outside the mapped areas are not drawn.")
    if placed.empty:
        return
    table = pd.DataFrame(
        {
            "code": placed["area_code"].astype(str).to_numpy(),
            "area": placed["area_name"].astype(str).to_numpy(),
            "skills": placed["skills"].astype(object).to_numpy(),
            "count": placed["count"].astype("int64").to_numpy(),
        }
    )
    table = table.sort_values(["code", "count"], ascending=[True, False], kind="stable")
    labels: dict[str, list[str]] = {}
    for code, skills, count in zip(
        table["code"].tolist(), table["skills"].tolist(), table["count"].tolist(), strict=True
    ):
        labels.setdefault(code, []).append(
            f"{_list_display(str(skills or '')) or 'unspecified'}: {count:,}"
        )
    points = (
        placed.assign(area_code=placed["area_code"].astype(str))
        .drop_duplicates("area_code")
        .set_index("area_code")
    )
    totals = table.groupby("code")["count"].sum()
    per_area = [
        {
            "code": code,
            "area": points.at[code, "area_name"],
            "count": int(totals[code]),
            "groups": "; ".join(items[:10])
            + (f"; … {len(items) - 10} more groups" if len(items) > 10 else ""),
            "geometry": points.geometry[code],
        }
        for code, items in labels.items()
    ]
    frame, lon, lat = _ordered(gpd.GeoDataFrame(per_area, geometry="geometry", crs=placed.crs))
    style = KIND_STYLE["human"]
    categories = [{"key": "residents", "label": "Residents", "colour": style["colour"]}]
    fields = [
        ("Name", text_column("Residents with skills in " + frame["area"].astype(str))),
        ("Residents", number_column(frame["count"])),
        ("Skills groups", text_column(frame["groups"])),
        ("Area code", text_column(frame["code"])),
        (
            "Privacy",
            text_column([f"groups of fewer than {k} residents are suppressed"] * len(frame)),
        ),
    ]
    spec = _point_spec(
        lon,
        lat,
        categories,
        np.zeros(len(frame), dtype=np.int64),
        fields,
        options=_style_options(
            "human", style, radius=7, maxRadius=24, clusterAbove=build.options.cluster_above
        ),
        size=frame["count"].to_numpy(),
    )
    _add_points(build, "human", spec, f"{style['label']} ({int(frame['count'].sum()):,} residents)")
    build.sections.append(
        {
            "id": "human",
            "title": style["label"],
            "items": [
                {
                    "label": "residents per area (size = count)",
                    "colour": style["colour"],
                    "shape": "circle",
                    "count": int(frame["count"].sum()),
                }
            ],
            "note": f"Counted per area; groups of fewer than {k} are suppressed; "
            "no resident's location is shown.",
        }
    )


def add_opportunities(build: MapBuild) -> None:
    """The opportunities at their own location, else at their project's."""
    ds = build.ds
    opps, unplaced = opportunity_points(ds)
    hidden = int(location_hidden(ds.opportunities).sum())
    if unplaced - hidden:
        build.notes.append(
            f"{unplaced - hidden:,} opportunit(ies) have no location and no known project."
        )
    if hidden:
        build.notes.append(
            f"{hidden:,} opportunit(ies) are counted but not drawn (location not published)."
        )
    if opps.empty:
        return
    keys = list(OPPORTUNITY_TYPES) + sorted(set(opps["type"].astype(str)) - set(OPPORTUNITY_TYPES))
    categories = [
        {"key": t, "label": _label(t), "colour": OPPORTUNITY_COLOURS.get(t, "#7f7f7f")}
        for t in keys
    ]
    opps, lon, lat = _ordered(opps)
    index = pd.Categorical(opps["type"].astype(str), categories=keys).codes.astype(np.int64)
    names = {p.id: p.name for p in ds.manifest.projects}
    build.notes += opportunity_notes(ds)
    titles = opps["title"].where(opps["title"].notna(), "")
    fields = [
        ("Name", text_column(mark_illustrative(titles, opps["id"], illustrative_ids(opps)))),
        ("Project", text_column(opps["project"].astype(str).map(names))),
        ("Skills", _column(opps, "skills", display=_list_display)),
        ("Posts / places", number_column(opps["quantity"])),
        ("Value", number_column(opps["value"], "money")),
        ("Pay band", _column(opps, "pay_band")),
        ("Pathway", _column(opps, "pathway")),
        ("Starts", _column(opps, "starts")),
        ("Provenance", _provenance(opps)),
    ]
    style = KIND_STYLE["opportunity"]
    options = _style_options(
        "opportunities",
        style,
        radius=6,
        categoryLabel="Type",
        clusterAbove=build.options.cluster_above,
        priority=0,
    )
    spec = _point_spec(lon, lat, categories, index, fields, options=options)
    _add_points(build, "opportunities", spec, f"{style['label']} ({len(opps):,})")
    counts = pd.Series(index).value_counts()
    build.sections.append(
        {
            "id": "opportunities",
            "title": style["label"],
            "items": [
                {
                    "label": c["label"],
                    "colour": c["colour"],
                    "shape": "triangle",
                    "layer": "opportunities",
                    "category": i,
                    "count": int(counts.get(i, 0)),
                }
                for i, c in enumerate(categories)
                if counts.get(i, 0)
            ],
        }
    )


def add_links(build: MapBuild, matches: pd.DataFrame | None) -> None:
    """The matched links as lines weighted by score, with their reasons (none without matches)."""
    ds = build.ds
    if matches is None or matches.empty:
        return
    table = link_table(ds, matches)
    if table.empty:
        return
    table = strongest_first(table)
    if len(table) > build.options.max_links:
        build.notes.append(
            f"{build.options.max_links:,} of {len(table):,} links are drawn "
            "(each opportunity's strongest first)."
        )
        table = table.head(build.options.max_links)
    lon = np.column_stack([table["x1"], table["x2"]]).ravel()
    lat = np.column_stack([table["y1"], table["y2"]]).ravel()
    spec = encode_points(lon, lat)
    spec["score"] = encode_array(
        np.clip(np.rint(table["score"].to_numpy(float) * 100), 0, 100), "u8"
    )
    spec.update(
        pack_fields(
            [("Link", text_column(table["name"])), ("Reasons", text_column(table["reasons"]))]
        )
    )
    spec["nameField"] = 0
    spec["options"] = {"id": "links", "title": "Matched links"}
    build.layers["links"] = CwbLayer(
        spec,
        name=f"Matched links ({len(table):,})",
        factory="lines",
        show=build.options.links_on,
    )
    build.sections.append(
        {
            "id": "links",
            "title": "Matched links (score 0–1)",
            "items": [
                {"label": f"{lo:.2f} – {lo + 0.2:.2f}", "colour": colour, "shape": "line"}
                for lo, colour in zip(np.arange(0, 1, 0.2), _LINK_COLOURS, strict=True)
            ],
            "note": "Off when the map opens: switch on in the layers list.",
        }
    )


def strongest_first(table: pd.DataFrame) -> pd.DataFrame:
    """Links ordered so that a cap keeps every opportunity's best links.

    Each opportunity's strongest link comes first (best scores first among
    them), then each one's second strongest, and so on.
    """
    if table.empty:
        return table
    ordered = table.sort_values("score", ascending=False, kind="stable")
    rank = ordered.groupby("opportunity_id", sort=False).cumcount()
    return (
        ordered.assign(_rank=rank.to_numpy())
        .sort_values(["_rank", "score"], ascending=[True, False], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def add_spend(build: MapBuild, spend: SpendAnalysis | None) -> None:
    """Included spend by the area its suppliers are in (hidden until switched on).

    The figures are the spend analysis's own (:attr:`SpendAnalysis.by_area`), so
    suppliers located through the supplier register count where the register
    puts them. Without an analysis the map has no spend layer.
    """
    if spend is None or spend.by_area.empty:
        return
    agg = spend.by_area[spend.by_area["spend_gbp"] > 0]
    if agg.empty:
        return
    areas = gpd.GeoDataFrame(
        {
            "area_name": text_of(agg, "name").to_numpy(),
            "amount": agg["spend_gbp"].to_numpy(float),
            "transactions": agg["transactions"].to_numpy(),
            "suppliers": agg["suppliers"].to_numpy(),
        },
        geometry=agg.geometry.representative_point().to_numpy(),
        crs=agg.crs,
    )
    areas, lon, lat = _ordered(areas)
    style = KIND_STYLE["spend"]
    fields = [
        ("Name", text_column("Spend with suppliers in " + areas["area_name"])),
        ("Spend", number_column(areas["amount"], "money")),
        ("Transactions", number_column(areas["transactions"])),
        ("Suppliers", number_column(areas["suppliers"])),
    ]
    spec = _point_spec(
        lon,
        lat,
        [{"key": "spend", "label": "Spend", "colour": style["colour"]}],
        np.zeros(len(areas), dtype=np.int64),
        fields,
        options=_style_options("spend", style, radius=5, maxRadius=26, priority=3),
        size=areas["amount"].to_numpy(),
    )
    _add_points(build, "spend", spec, style["label"], show=False)
    build.sections.append(
        {
            "id": "spend",
            "title": style["label"],
            "items": [
                {
                    "label": "anchor spend with suppliers located in the area (size = £)",
                    "colour": style["colour"],
                    "shape": "circle",
                }
            ],
        }
    )


def add_projects(build: MapBuild) -> None:
    """The capital projects, drawn on top of everything and searchable first."""
    ds = build.ds
    projects = ds.manifest.projects
    if not projects:
        return
    frame = pd.DataFrame(
        {
            "Name": [p.name for p in projects],
            "Kind": [p.kind for p in projects],
            "Postcode": [p.postcode for p in projects],
            "Opens": [p.opened for p in projects],
            "Investment": [_money(p.investment) if p.investment else "" for p in projects],
            "Opportunities": [opportunity_summary(ds.opportunities, p.id) for p in projects],
            "About": [p.description for p in projects],
        }
    )
    lon = np.array([p.lon for p in projects])
    lat = np.array([p.lat for p in projects])
    spec = _point_spec(
        lon,
        lat,
        [{"key": "project", "label": "Capital project", "colour": "#d7301f"}],
        np.zeros(len(frame), dtype=np.int64),
        [(c, text_column(frame[c])) for c in frame.columns],
        options={
            "id": "projects",
            "title": "Capital project",
            "shape": "star",
            "radius": 10,
            "maxRadius": 14,
            "priority": -1,
            "clusterAbove": 10**9,
            "vectorBelow": 10**9,
        },
    )
    layer = _add_points(
        build, "projects", spec, "Capital project" + ("s" if len(projects) > 1 else "")
    )
    build.searchable.remove(layer)
    build.searchable.insert(0, layer)
    _note_bounds(build, lon, lat)
    build.sections.insert(
        0,
        {
            "id": "projects",
            "title": "Capital project",
            "items": [{"label": "capital project", "colour": "#d7301f", "shape": "star"}],
        },
    )


def add_flows(build: MapBuild) -> None:
    """The dataset's flows between places (hidden until switched on), with their control.

    Resident flows of fewer than ``min_count`` residents are left off (see
    :func:`cwb.flows.table.suppress_resident_flows`).
    """
    ds = build.ds
    if ds.flows is None or ds.flows.empty:
        return
    flows, hidden = suppress_resident_flows(ds.flows, ds.min_count)
    if flows.empty:
        return
    parts = flow_layer(flows, place_points(flows, ds), name="Flows between places", show=False)
    build.layers["flows"] = parts.layer
    build.controls.append(parts.control)
    kinds = sorted(flows["kind"].dropna().unique())
    note = "Arrows: width by magnitude; circles: flow through each place (dark: internal)."
    if hidden:
        note += f" {hidden:,} residents in flows smaller than {ds.min_count} are not shown."
    build.sections.append(
        {
            "id": "flows",
            "title": "Flows between places",
            "items": [
                {"label": _label(k), "colour": KIND_COLOURS.get(k, "#666666"), "shape": "line"}
                for k in kinds
            ],
            "note": note,
        }
    )


def opportunity_summary(opportunities: pd.DataFrame, project: str) -> str:
    """A project's opportunities by type with counts: ``67: 40 jobs, 15 contracts, 12 spaces``."""
    if opportunities.empty or "project" not in opportunities:
        return ""
    mine = opportunities[opportunities["project"].astype(str) == str(project)]
    if mine.empty:
        return ""
    counts = mine["type"].astype(str).value_counts()
    order = [t for t in OPPORTUNITY_TYPES if t in counts] + sorted(
        set(counts.index) - set(OPPORTUNITY_TYPES)
    )
    parts = [f"{int(counts[t]):,} {_plural(t, int(counts[t]))}" for t in order]
    return f"{len(mine):,}: " + ", ".join(parts)


_PLURALS = {
    "job": "jobs",
    "contract": "contracts",
    "training": "training courses",
    "volunteering": "volunteering roles",
    "space": "spaces",
}


def _plural(kind: str, n: int) -> str:
    label = kind.replace("_", " ")
    if n == 1:
        return {"training": "training course", "volunteering": "volunteering role"}.get(kind, label)
    return _PLURALS.get(kind, label)
