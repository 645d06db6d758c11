"""Interactive Folium maps of a dataset: fast at a million assets and safe to publish.

:func:`make_map` returns a :class:`folium.Map` (it renders inline in Jupyter);
:func:`save_map` writes it to an HTML file atomically. A map holds

- the capital project(s) and their catchment rings (bands from the manifest,
  buffered in the metric CRS);
- one toggleable layer per public asset kind (physical, financial, community),
  drawn on a canvas from compact arrays (:mod:`cwb.maps.elements`), coloured by
  category from one legend that doubles as a category filter;
- human assets only in aggregate: residents per area (groups smaller than
  ``ds.min_count`` suppressed by :func:`cwb.privacy.aggregate_human`), drawn at
  the area's representative point, never at a resident's location;
- the opportunities, and the matched links as lines coloured and weighted by
  score with their reasons (links from residents are aggregated per area);
- the areas shaded by an indicator, supplier spend per area when a spend
  analysis is given, a layer control, legend, title with sources and date, scale bar,
  fullscreen button and search by name; while the template's example rows
  remain in the dataset (left out of every layer), the title panel says so.

The layers themselves are built in :mod:`cwb.maps.layers`; this module composes
them with the controls into one folium map.
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import folium
import numpy as np
import pandas as pd
import xyzservices  # type: ignore[import-untyped]  # folium depends on it

from cwb import settings
from cwb._atomic import atomic_path
from cwb._version import __version__
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.dataset.validate import example_rows_note
from cwb.errors import UsageError
from cwb.maps.commons import add_pacts, add_places
from cwb.maps.elements import (
    CwbControl,
    add_base_map,
    add_page_parts,
    drop_unused_links,
    set_asset_prefix,
)
from cwb.maps.layers import (
    CATEGORY_COLOURS,
    KIND_STYLE,
    OPPORTUNITY_COLOURS,
    MapBuild,
    MapOptions,
    add_areas,
    add_asset_kind,
    add_flows,
    add_human,
    add_links,
    add_opportunities,
    add_projects,
    add_rings,
    add_spend,
)
from cwb.privacy import hide_locations
from cwb.reproducible import output_date, stable_ids

if TYPE_CHECKING:
    from cwb.matching.core import MatchResult
    from cwb.privacy import Residents
    from cwb.spend.analysis import SpendAnalysis

__all__ = [
    "CATEGORY_COLOURS",
    "KIND_STYLE",
    "OPPORTUNITY_COLOURS",
    "MapOptions",
    "make_map",
    "relative_assets_prefix",
    "save_map",
    "tile_source",
    "write_map",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- public API


def make_map(
    ds: Dataset,
    *,
    matches: MatchResult | pd.DataFrame | None = None,
    spend: SpendAnalysis | None = None,
    residents: Residents | None = None,
    indicator: str | None = "imd_decile",
    area_level: str | None = None,
    links: bool = True,
    max_links: int = settings.MAX_LINKS,
    cluster_above: int = 10_000,
    tiles: str | None = settings.MAP_TILES,
    title: str | None = None,
    date: str | None = None,
    assets: str = settings.MAP_ASSETS,
    assets_prefix: str | None = None,
    folium_assets: bool = False,
    links_on: bool = settings.MAP_LINKS_ON,
) -> folium.Map:
    """Build the interactive map of a dataset.

    Parameters
    ----------
    ds
        The dataset.
    matches
        A :class:`~cwb.matching.core.MatchResult`, or its match table (columns
        ``asset_id, opportunity_id, score, reasons``). When None the map has no
        links layer: matching is never run here (the Pipeline runs it once).
    spend
        The dataset's :class:`~cwb.spend.analysis.SpendAnalysis`; its spend per
        supplier area becomes a layer. When None the map has no spend layer.
    residents
        :func:`cwb.privacy.aggregate_human` of the dataset, when already computed.
    indicator
        Area column to shade the areas by (None: outlines only).
    area_level
        When the areas hold several levels (``ward22``, ``lsoa11`` … as ``cwb areas``
        writes them), the one to draw; default the first.
    links
        Whether to add the matched links layer.
    max_links
        Draw at most this many links: the strongest link of each opportunity
        first, then the next strongest of each, and so on.
    links_on
        Whether the links layer is on when the map opens (off by default: a
        layer to switch on, so that a board sees the places first).
    cluster_above
        Above this many points in view, a layer draws grid clusters with counts.
    tiles
        Base map: ``openstreetmap``, ``cartodb-positron`` or ``none`` (None too);
        any other folium tile set name or a tile URL template is passed to folium.
    title, date
        Title and date shown on the map (dataset name and today by default).
    assets
        Where Leaflet's script and stylesheet come from: ``inline`` (written into
        the page from cwb's vendored copy: the file opens with no network),
        ``cdn`` (folium's public CDN links), or a URL or relative folder holding
        the JS/CSS packages (``node_modules`` layout).
    assets_prefix
        Deprecated alias of ``assets`` with a prefix (kept for old scripts).
    folium_assets
        Keep every script and stylesheet folium links by default (jQuery,
        Bootstrap, Font Awesome, awesome-markers); needed only if you add
        ``folium.Icon`` markers to the returned map yourself. They are linked
        (from their CDNs, or ``assets`` when a prefix), never inlined.

    Returns
    -------
    folium.Map
    """
    if assets_prefix:
        assets = assets_prefix
    options = MapOptions(
        indicator=indicator,
        area_level=area_level,
        links=links,
        max_links=max_links,
        cluster_above=cluster_above,
        tiles=tile_source(tiles),
        title=title,
        date=date,
        assets=assets,
        links_on=links_on,
    )
    if indicator is not None and indicator not in ds.areas.columns:
        numeric = [
            c
            for c in ds.areas.columns
            if c not in ("code", "name", "geometry") and pd.api.types.is_numeric_dtype(ds.areas[c])
        ]
        raise UsageError(
            f"the areas have no column {indicator!r}; "
            f"numeric columns: {', '.join(numeric) or 'none'}",
            argument="indicator",
        )
    levels = set(ds.areas["level"].dropna().astype(str)) if "level" in ds.areas else set()
    if area_level is not None and area_level not in levels:
        raise UsageError(
            f"--level: the areas have no level {area_level!r}; "
            f"levels: {', '.join(sorted(levels)) or 'none (no level column)'}"
        )
    # rows marked map = no stay (counted), without a location, on every layer
    ds = replace(
        ds, assets=hide_locations(ds.assets), opportunities=hide_locations(ds.opportunities)
    )
    build = MapBuild(ds, options)
    fmap = _base_map(ds, options)
    add_areas(build)
    add_rings(build)
    for kind in ("physical", "financial", "community"):
        add_asset_kind(build, kind)
    add_human(build, residents)
    add_places(build)
    add_pacts(build)
    add_opportunities(build)
    if links:
        add_links(build, getattr(matches, "matches", matches))
    add_spend(build, spend)
    add_flows(build)
    add_projects(build)
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
    for control in build.controls:
        control.add_to(fmap)
    CwbControl("arrange").add_to(fmap)  # lays out the controls, once all are on the map
    if options.tiles:  # added last: tiles load once, for the fitted view (and only online)
        add_base_map(
            fmap,
            options.tiles,
            attr=tile_attribution(options.tiles),
            subdomains="abcd" if options.tiles == POSITRON else "abc",
        )
    if folium_assets:
        drop_unused_links(fmap)
        if assets == "inline":
            log.warning(
                "folium_assets=True: jQuery, Bootstrap, Font Awesome and awesome-markers stay "
                "linked from their CDNs (only Leaflet is inlined): the map needs the internet "
                "for the markers that use them"
            )
    else:  # a cwb map itself needs only Leaflet
        fmap.default_js = [(n, u) for n, u in fmap.default_js if n == "leaflet"]
        fmap.default_css = [(n, u) for n, u in fmap.default_css if n == "leaflet_css"]
    page_title = _title_spec(ds, options)["title"]
    add_page_parts(fmap, page_title, assets)
    if assets not in ("inline", "cdn"):
        unknown = set_asset_prefix(fmap, assets)
        for url in unknown:
            log.warning("no local path known for %s; it still loads from the CDN", url)
    # ids fixed now, before any render: a map shown in Jupyter and then saved renders each
    # element once (new ids at save time would add every script a second time)
    stable_ids(fmap.get_root())
    return fmap


#: CARTO's light base map (public tiles; xyzservices' entry warns about a key it does not need).
POSITRON = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"

#: ``--tiles`` names and the folium tile sets they stand for (None: no base map).
TILES: dict[str, str | None] = {
    "openstreetmap": "OpenStreetMap",
    "cartodb-positron": POSITRON,
    "none": None,
}
TILE_ATTRIBUTION: dict[str, str] = {
    POSITRON: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    'contributors &copy; <a href="https://carto.com/attributions">CARTO</a>',
}


def tile_attribution(tiles: str) -> str | None:
    """The attribution shown for a base map (HTML, as Leaflet writes it).

    cwb's named base maps have their own; folium knows its providers' (None);
    a URL template names its server (folium refuses custom tiles without one).
    """
    if tiles in TILE_ATTRIBUTION:
        return TILE_ATTRIBUTION[tiles]
    if "{" not in tiles:
        return None
    host = urlsplit(tiles.replace("{s}", "a")).hostname or tiles
    return "Base map: " + html.escape(host)


def tile_source(tiles: str | None) -> str | None:
    """The folium tile set of a ``--tiles`` name (other names and URL templates pass through)."""
    if tiles is None:
        return None
    key = tiles.strip().lower().replace("_", "-")
    key = "cartodb-positron" if key == "cartodb positron" else key
    if key in TILES:
        return TILES[key]
    if "{" not in tiles and not _known_tiles(tiles):
        raise UsageError(
            f"--tiles: unknown base map {tiles!r}; choose {', '.join(TILES)} or a URL template "
            "like https://tile.example/{z}/{x}/{y}.png",
            argument="tiles",
        )
    return tiles


def save_map(ds: Dataset | str | Path, path: str | Path, **kwargs: Any) -> Path:
    """Build the map (see :func:`make_map` for keyword arguments) and write it atomically.

    ``ds`` is a dataset or its folder. A folder given as ``assets`` (or
    ``assets_prefix``) is written relative to the HTML file.
    """
    if not isinstance(ds, Dataset):
        ds = read_dataset(ds)
    for key in ("assets", "assets_prefix"):
        if kwargs.get(key):
            kwargs[key] = relative_assets_prefix(kwargs[key], path)
    return write_map(make_map(ds, **kwargs), path)


def relative_assets_prefix(prefix: str | None, path: str | Path) -> str | None:
    """``prefix`` as the map at ``path`` should load it: an existing folder relative to the file.

    Parameters
    ----------
    prefix
        A URL, a folder, or None.
    path
        Where the map's HTML file will be written.

    Returns
    -------
    str or None
        The folder relative to ``path``'s folder; a URL or a missing folder unchanged.
    """
    if prefix and prefix not in ("inline", "cdn") and "://" not in prefix and Path(prefix).is_dir():
        relative = os.path.relpath(Path(prefix).resolve(), Path(path).resolve().parent)
        return Path(relative).as_posix()
    return prefix


def write_map(fmap: folium.Map, path: str | Path) -> Path:
    """Write a map built by :func:`make_map` to an HTML file, atomically."""
    path = Path(path)
    stable_ids(fmap.get_root())
    with atomic_path(path) as tmp:
        fmap.save(str(tmp))
    log.info("map written to %s", path)
    return path


def _base_map(ds: Dataset, options: MapOptions) -> folium.Map:
    projects = ds.manifest.projects
    centre = [projects[0].lat, projects[0].lon] if projects else [52.48, -1.90]
    return folium.Map(
        location=centre, zoom_start=13, tiles=None, control_scale=True, max_zoom=19, maxZoom=19
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
    date = options.date or output_date()

    listed = "; ".join(sources) if sources else "dataset " + ds.name
    note = f"Sources: {listed}. Made {date} with cwb {__version__}."
    subtitle = "; ".join(p.name for p in ds.manifest.projects)
    spec = {"title": options.title or ds.name, "subtitle": subtitle, "note": note}
    warning = example_rows_note(ds.problems)
    if warning:  # shown in the title panel (as text) until the rows are deleted
        spec["warning"] = warning
    return spec


def _known_tiles(name: str) -> bool:
    """Whether folium knows a tile set by this name (xyzservices' providers)."""
    try:
        xyzservices.providers.query_name(name)
    except ValueError:
        return False
    return True
