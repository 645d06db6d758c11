"""Interactive Folium maps of a dataset: fast at a million assets and safe to publish.

:func:`make_map` returns a :class:`folium.Map` (it renders inline in Jupyter);
:func:`save_map` writes it to an HTML file atomically. A map holds

- the capital project(s) and their catchment rings (bands from the manifest,
  buffered in the metric CRS);
- one toggleable layer per public asset kind (physical, financial, community),
  drawn on a canvas from compact arrays (:mod:`cwb.map_layers`), coloured by
  category from one legend that doubles as a category filter;
- human assets only in aggregate: residents per area (groups smaller than
  ``ds.min_count`` suppressed by :func:`cwb.privacy.aggregate_human`), drawn at
  the area's representative point, never at a resident's location;
- the opportunities, and the matched links as lines coloured and weighted by
  score with their reasons (links from residents are aggregated per area);
- the areas shaded by an indicator, supplier spend per area when the dataset
  has spend, a layer control, legend, title with sources and date, scale bar,
  fullscreen button and search by name.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb._atomic import atomic_path
from cwb.dataset import Dataset
from cwb.errors import UsageError
from cwb.map_data import (
    indicator_classes,
    link_table,
    located,
    lon_lat,
    matches_from_matching,
    opportunity_points,
    text_of,
)
from cwb.map_layers import (
    CwbControl,
    CwbLayer,
    drop_unused_links,
    encode_array,
    encode_points,
    joined_column,
    number_column,
    pack_fields,
    set_asset_prefix,
    spatial_order,
    text_column,
)
from cwb.privacy import aggregate_human, assign_area_codes, drop_private_columns
from cwb.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES

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
    links: bool = True
    max_links: int = 5000
    cluster_above: int = 10_000
    tiles: str | None = "OpenStreetMap"
    title: str | None = None
    date: str | None = None
    assets_prefix: str | None = None
    extra_sources: Sequence[str] = field(default_factory=tuple)


@dataclass
class _Build:
    """What the map builder collects on its way: layers, legend sections, notes."""

    ds: Dataset
    options: MapOptions
    layers: dict[str, CwbLayer] = field(default_factory=dict)
    searchable: list[CwbLayer] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float, float, float]] = field(default_factory=list)


# ---------------------------------------------------------------- public API


def make_map(
    ds: Dataset,
    *,
    matches: pd.DataFrame | None = None,
    indicator: str | None = "imd_decile",
    links: bool = True,
    max_links: int = 5000,
    cluster_above: int = 10_000,
    tiles: str | None = "OpenStreetMap",
    title: str | None = None,
    date: str | None = None,
    assets_prefix: str | None = None,
    folium_assets: bool = False,
) -> folium.Map:
    """Build the interactive map of a dataset.

    Parameters
    ----------
    ds
        The dataset.
    matches
        Matched links with columns ``asset_id, opportunity_id, score, reasons``;
        when None and ``links`` is true they come from :mod:`cwb.matching` if it
        is installed.
    indicator
        Area column to shade the areas by (None: outlines only).
    links
        Whether to draw the matched links.
    max_links
        Draw at most this many links (the best scores first).
    cluster_above
        Above this many points in view, a layer draws grid clusters with counts.
    tiles
        Folium tile set for the base map (None: no base map).
    title, date
        Title and date shown on the map (dataset name and today by default).
    assets_prefix
        URL or relative folder holding the JS/CSS packages (``node_modules``
        layout) to load instead of the public CDNs.
    folium_assets
        Keep every script and stylesheet folium links by default (jQuery,
        Bootstrap, Font Awesome, awesome-markers); needed only if you add
        ``folium.Icon`` markers to the returned map yourself.

    Returns
    -------
    folium.Map
    """
    options = MapOptions(
        indicator=indicator,
        links=links,
        max_links=max_links,
        cluster_above=cluster_above,
        tiles=tiles,
        title=title,
        date=date,
        assets_prefix=assets_prefix,
    )
    if indicator is not None and indicator not in ds.areas.columns:
        numeric = [
            c
            for c in ds.areas.columns
            if c not in ("code", "name", "geometry") and pd.api.types.is_numeric_dtype(ds.areas[c])
        ]
        raise UsageError(
            f"--indicator: the areas have no column {indicator!r}; "
            f"numeric columns: {', '.join(numeric) or 'none'}"
        )
    build = _Build(ds, options)
    fmap = _base_map(ds, options)
    _add_areas(build)
    _add_rings(build)
    for kind in ("physical", "financial", "community"):
        _add_asset_kind(build, kind)
    _add_human(build)
    _add_opportunities(build)
    if links:
        _add_links(build, matches)
    _add_spend(build)
    _add_projects(build)
    # the view is set before the layers are added, so that each draws once, for the final view
    if build.bounds:
        b = np.array(build.bounds)
        CwbControl(
            "fit",
            [
                [float(b[:, 1].min()), float(b[:, 0].min())],
                [float(b[:, 3].max()), float(b[:, 2].max())],
            ],
        ).add_to(fmap)
    for layer in build.layers.values():
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    CwbControl("fullscreen").add_to(fmap)
    CwbControl("search", layers=build.searchable).add_to(fmap)
    CwbControl(
        "legend",
        {"title": "Legend", "sections": build.sections, "footer": " ".join(build.notes)},
        layers=build.layers,
    ).add_to(fmap)
    CwbControl("title", _title_spec(ds, options)).add_to(fmap)
    if options.tiles:  # added last: tiles load once, for the fitted view
        folium.TileLayer(options.tiles, name="Base map", control=False, max_zoom=19).add_to(fmap)
    if folium_assets:
        drop_unused_links(fmap)
    else:  # a cwb map itself needs only Leaflet
        fmap.default_js = [(n, u) for n, u in fmap.default_js if n == "leaflet"]
        fmap.default_css = [(n, u) for n, u in fmap.default_css if n == "leaflet_css"]
    if assets_prefix:
        unknown = set_asset_prefix(fmap, assets_prefix)
        for url in unknown:
            log.warning("no local path known for %s; it still loads from the CDN", url)
    return fmap


def save_map(ds: Dataset | str | Path, path: str | Path, **kwargs: Any) -> Path:
    """Build the map (see :func:`make_map` for keyword arguments) and write it atomically.

    ``ds`` is a dataset or its folder. A folder given as ``assets_prefix`` is
    written relative to the HTML file.
    """
    if not isinstance(ds, Dataset):
        from cwb.io import read_dataset

        ds = read_dataset(ds)
    path = Path(path)
    prefix = kwargs.get("assets_prefix")
    if prefix and "://" not in prefix and Path(prefix).is_dir():
        relative = os.path.relpath(Path(prefix).resolve(), path.resolve().parent)
        kwargs["assets_prefix"] = Path(relative).as_posix()
    fmap = make_map(ds, **kwargs)
    with atomic_path(path) as tmp:
        fmap.save(str(tmp))
    log.info("map written to %s", path)
    return path


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
    return joined_column(
        [_column(frame, c) for c in ("source", "collected_by", "collected_on", "licence")]
    )


def _ordered(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Rows in spatial order with their lon/lat (representative points of non-points)."""
    lon, lat = lon_lat(frame)
    order = spatial_order(lon, lat)
    return frame.iloc[order], lon[order], lat[order]


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
    build: _Build, key: str, spec: dict[str, Any], name: str, *, show: bool = True
) -> CwbLayer:
    layer = CwbLayer(spec, name=name, factory="points", show=show)
    build.layers[key] = layer
    build.searchable.append(layer)
    return layer


def _note_bounds(build: _Build, lon: np.ndarray, lat: np.ndarray) -> None:
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


def _base_map(ds: Dataset, options: MapOptions) -> folium.Map:
    projects = ds.manifest.projects
    centre = [projects[0].lat, projects[0].lon] if projects else [52.48, -1.90]
    return folium.Map(
        location=centre, zoom_start=13, tiles=None, control_scale=True, max_zoom=19, maxZoom=19
    )


def _add_areas(build: _Build) -> None:
    areas = build.ds.areas
    if areas is None or areas.empty:
        return
    indicator = build.options.indicator
    areas = areas[located(areas)]
    metric = areas.to_crs(build.ds.metric_crs)
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
        props["value"] = [
            None if pd.isna(x) else (int(x) if float(x).is_integer() else round(float(x), 3))
            for x in values
        ]
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
        note = "1 = most deprived 10% in England" if indicator == "imd_decile" else None
        values = pd.to_numeric(areas[indicator], errors="coerce").dropna()
        if note and not ((values % 1) == 0).all():
            note += "; area means rounded to the nearest decile"
        build.sections.append(
            {"id": "areas", "title": f"Areas: {label}", "items": items, "note": note}
        )


def _add_rings(build: _Build) -> None:
    ds = build.ds
    projects = ds.projects
    if projects.empty or not ds.manifest.bands_m:
        return
    metric = projects.to_crs(ds.metric_crs)
    features, items = [], []
    for (_, proj), point in zip(projects.iterrows(), metric.geometry, strict=True):
        for band in ds.manifest.bands_m:
            ring = (
                gpd.GeoSeries(
                    [shapely.LineString(point.buffer(band, 64).exterior.coords)], crs=metric.crs
                )
                .to_crs("EPSG:4326")
                .iloc[0]
            )
            ring = shapely.transform(ring, lambda c: np.round(c, 5))
            km = f"{band / 1000:g} km"
            features.append(
                {
                    "type": "Feature",
                    "properties": {"label": f"{km} from {proj['name']}"},
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
    "source",
    "collected_by",
    "collected_on",
    "licence",
    "last_verified",
    "precision",
)


def _add_asset_kind(build: _Build, kind: str) -> None:
    ds = build.ds
    rows = drop_private_columns(ds.assets[ds.assets["kind"] == kind])
    if rows.empty:
        return
    placed = located(rows)
    unlocated = int((~placed).sum())
    rows = rows[placed]
    if unlocated:
        build.notes.append(f"{unlocated:,} {kind} asset(s) could not be located and are not drawn.")
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
    spec = _point_spec(
        lon,
        lat,
        categories,
        index,
        fields,
        options={
            "id": kind,
            "title": style["label"],
            "shape": style["shape"],
            "colour": style["colour"],
            "radius": 5,
            "clusterAbove": build.options.cluster_above,
            "clusterShift": _CLUSTER_SHIFT[kind],
        },
    )
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


def _add_human(build: _Build) -> None:
    ds = build.ds
    groups, suppressed = aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)
    k = ds.min_count
    if suppressed:
        build.notes.append(f"{suppressed:,} resident(s) in groups smaller than {k} are not shown.")
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
        options={
            "id": "human",
            "title": style["label"],
            "shape": "circle",
            "colour": style["colour"],
            "radius": 7,
            "maxRadius": 24,
            "clusterAbove": build.options.cluster_above,
        },
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


def _add_opportunities(build: _Build) -> None:
    ds = build.ds
    opps, unplaced = opportunity_points(ds)
    if unplaced:
        build.notes.append(f"{unplaced:,} opportunit(ies) have no location and no known project.")
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
    fields = [
        ("Name", _column(opps, "title")),
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
    spec = _point_spec(
        lon,
        lat,
        categories,
        index,
        fields,
        options={
            "id": "opportunities",
            "title": style["label"],
            "shape": "triangle",
            "colour": style["colour"],
            "radius": 6,
            "categoryLabel": "Type",
            "clusterAbove": build.options.cluster_above,
            "priority": 0,
        },
    )
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


def _add_links(build: _Build, matches: pd.DataFrame | None) -> None:
    ds = build.ds
    if matches is None:
        matches = matches_from_matching(ds)
    if matches is None or matches.empty:
        return
    table = link_table(ds, matches)
    if table.empty:
        return
    if len(table) > build.options.max_links:
        build.notes.append(
            f"The {build.options.max_links:,} best of {len(table):,} links are drawn."
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
    build.layers["links"] = CwbLayer(spec, name=f"Matched links ({len(table):,})", factory="lines")
    build.sections.append(
        {
            "id": "links",
            "title": "Matched links (score)",
            "items": [
                {"label": f"{lo:.1f} – {lo + 0.2:.1f}", "colour": colour, "shape": "line"}
                for lo, colour in zip(np.arange(0, 1, 0.2), _LINK_COLOURS, strict=True)
            ],
        }
    )


def _add_spend(build: _Build) -> None:
    ds = build.ds
    spend = ds.spend
    if spend is None or spend.empty or ds.areas is None or ds.areas.empty:
        return
    amount = pd.to_numeric(spend["amount"], errors="coerce")
    codes = assign_area_codes(spend, ds.areas)
    frame = pd.DataFrame(
        {
            "area": codes.to_numpy(),
            "amount": amount.to_numpy(),
            "supplier": text_of(spend, "supplier_name").to_numpy(),
        }
    )
    frame = frame[frame["area"].isin(ds.areas["code"].astype(str)) & frame["amount"].notna()]
    if frame.empty:
        return
    agg = frame.groupby("area").agg(
        amount=("amount", "sum"), transactions=("amount", "size"), suppliers=("supplier", "nunique")
    )
    agg = agg[agg["amount"] > 0]
    if agg.empty:
        return
    areas = ds.areas.assign(code=ds.areas["code"].astype(str)).set_index("code").loc[agg.index]
    areas = gpd.GeoDataFrame(
        agg.join(text_of(areas, "name").rename("area_name")),
        geometry=areas.geometry.representative_point(),
        crs=ds.areas.crs,
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
        options={
            "id": "spend",
            "title": style["label"],
            "shape": "circle",
            "colour": style["colour"],
            "radius": 5,
            "maxRadius": 26,
            "priority": 3,
        },
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


def _add_projects(build: _Build) -> None:
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


def _title_spec(ds: Dataset, options: MapOptions) -> dict[str, str]:
    sources: list[str] = []
    if "source" in ds.assets:
        sources = [
            str(s)
            for s in ds.assets["source"].dropna().astype(str).value_counts().index[:4]
            if str(s).strip()
        ]
    if options.indicator and options.indicator.startswith("imd"):
        sources.append("English Indices of Deprivation 2019")
    sources += list(options.extra_sources)
    date = options.date or _dt.date.today().isoformat()
    from cwb import __version__

    listed = "; ".join(sources) if sources else "dataset " + ds.name
    note = f"Sources: {listed}. Made {date} with cwb {__version__}."
    subtitle = "; ".join(p.name for p in ds.manifest.projects)
    return {"title": options.title or ds.name, "subtitle": subtitle, "note": note}
