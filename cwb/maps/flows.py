"""The flow layer of a cwb map: flows between places drawn on cwb's canvas, offline.

:func:`flow_layer` packs a flows table into one :class:`FlowLayer` (typed
arrays, no object per flow): identical pairs are summed, flows are sorted
largest first, and ``cwb_flows.js`` draws the largest N in view as curved
arrows with per-place circles (internal flows as the inner disc).
:func:`add_flow_layer` puts it and its control (kinds, period, tag, how many)
on any folium map; :func:`flow_map` makes a map of flows alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import Figure

from cwb import settings
from cwb.flows.table import KIND_COLOURS, PAIR_KEYS, pair_codes, place_points
from cwb.maps.elements import (
    CwbControl,
    CwbLayer,
    RawHtml,
    add_base_map,
    add_page_parts,
    encode_array,
    encode_points,
    set_asset_prefix,
    text_column,
)

log = logging.getLogger(__name__)

_PALETTE = ("#d95f02", "#1b9e77", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")

#: Flows drawn when the map opens (the control offers more).
DEFAULT_TOP = 5000


@cache
def _resource(name: str) -> str:
    return (resources.files("cwb.maps") / "js" / name).read_text(encoding="utf-8")


class FlowLayer(CwbLayer):
    """A :class:`CwbLayer` that also puts ``cwb_flows.js`` in the page (once)."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # branca says str
        """Render the layer after cwb's scripts and the flow script."""
        super().render(**kwargs)
        figure = self.get_root()
        if isinstance(figure, Figure) and "cwb_flows_js" not in figure.header._children:
            figure.header.add_child(
                RawHtml(f"<style>{_resource('cwb_flows.css')}</style>"), name="cwb_flows_css"
            )
            figure.header.add_child(
                RawHtml(f"<script>{_resource('cwb_flows.js')}</script>"), name="cwb_flows_js"
            )


@dataclass
class FlowLayerParts:
    """A flow layer, its control, the bounds of its places and what was left off."""

    layer: FlowLayer
    control: CwbControl
    bounds: tuple[float, float, float, float] | None
    unplaced: int


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def flow_layer_spec(
    flows: pd.DataFrame, places: pd.DataFrame, *, top: int = DEFAULT_TOP
) -> tuple[dict[str, Any], int]:
    """The packed spec of a flow layer and the number of flows left off (an end not placed).

    Parameters
    ----------
    flows
        A flows frame (any kinds and units; each kind keeps its unit).
    places
        ``place, name, lat, lon`` of the flows' ends (see :func:`place_points`).
    top
        How many flows are drawn when the map opens.
    """
    located = places.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    index = pd.Index(located["place"].astype(str))
    pairs = pair_codes(flows)
    o = index.get_indexer(pairs.uniques["origin"])[pairs.codes["origin"]]
    d = index.get_indexer(pairs.uniques["destination"])[pairs.codes["destination"]]
    placed = (o >= 0) & (d >= 0)
    unplaced = int((~placed).sum())
    keep = np.flatnonzero(placed)[np.argsort(-pairs.magnitude[placed], kind="stable")]
    magnitude = pairs.magnitude[keep]

    def codes_of(key: str) -> tuple[np.ndarray, list[str]]:
        """Codes of the kept flows for ``key``, numbered in sorted order of the values present."""
        raw = pairs.codes[key][keep]
        present = np.unique(raw)
        values = [str(pairs.uniques[key][i]) for i in present]
        order = np.argsort(np.asarray(values, dtype=str), kind="stable")
        rank = np.full(len(pairs.uniques[key]), -1, dtype=np.int64)
        rank[present[order]] = np.arange(len(present))
        return rank[raw], [values[i] for i in order]

    kind_codes, kinds = codes_of("kind")
    period_codes, periods = codes_of("period")
    tag_codes, tags = codes_of("tag")
    units = (
        pd.Series(pairs.uniques["unit"].take(pairs.codes["unit"][keep]), index=kind_codes)
        .groupby(level=0)
        .first()
    )
    counts = np.bincount(kind_codes, minlength=len(kinds))
    extra = iter(_PALETTE)
    spec: dict[str, Any] = {
        "places": encode_points(located["lon"].to_numpy(), located["lat"].to_numpy()),
        "names": text_column(located["name"].fillna(located["place"])),
        "n": len(keep),
        "o": encode_array(o[keep]),
        "d": encode_array(d[keep]),
        "mag": encode_array(magnitude, "f32"),
        "k": encode_array(kind_codes, "u8" if len(kinds) < 256 else "u16"),
        "kinds": [
            {
                "key": k,
                "label": _label(k),
                "colour": KIND_COLOURS.get(k) or next(extra, "#666666"),
                "unit": str(units.get(i, "")),
                "count": int(counts[i]),
            }
            for i, k in enumerate(kinds)
        ],
        "options": {"id": "flows", "title": "Flows", "top": int(top)},
    }
    if len(periods) > 1:
        spec["p"], spec["periods"] = encode_array(period_codes), periods
    if len(tags) > 1:
        spec["t"], spec["tags"] = encode_array(tag_codes), tags
    if "share" in flows and flows["share"].notna().any():
        keyed = flows.assign(**{k: flows[k].fillna("") for k in ("period", "tag")})
        shares = keyed.groupby(PAIR_KEYS)["share"].sum(min_count=1)
        wanted = pd.MultiIndex.from_arrays(
            [pairs.uniques[k].take(pairs.codes[k][keep]) for k in PAIR_KEYS]
        )
        spec["share"] = encode_array(shares.reindex(wanted).to_numpy(dtype=float), "f32")
    return spec, unplaced


def flow_layer(
    flows: pd.DataFrame,
    places: pd.DataFrame | None = None,
    *,
    top: int = DEFAULT_TOP,
    name: str = "Flows between places",
    show: bool = True,
) -> FlowLayerParts:
    """A flow layer and its control, ready to add to a folium map."""
    if places is None:
        places = place_points(flows)
    spec, unplaced = flow_layer_spec(flows, places, top=top)
    layer = FlowLayer(spec, name=f"{name} ({spec['n']:,})", factory="flows", show=show)
    note = f"{unplaced:,} flow(s) not drawn: an end has no coordinates." if unplaced else None
    control = CwbControl("flowControl", {"title": name, "note": note}, layers=[layer])
    located = places.dropna(subset=["lat", "lon"])
    bounds = (
        (
            float(located["lon"].min()),
            float(located["lat"].min()),
            float(located["lon"].max()),
            float(located["lat"].max()),
        )
        if len(located)
        else None
    )
    if unplaced:
        log.warning("%d flow(s) have an end without coordinates and are not drawn", unplaced)
    return FlowLayerParts(layer, control, bounds, unplaced)


def add_flow_layer(fmap: folium.Map, parts: FlowLayerParts) -> None:
    """Add a flow layer and its control to ``fmap``."""
    parts.layer.add_to(fmap)
    parts.control.add_to(fmap)


def flow_map(
    flows: pd.DataFrame,
    places: pd.DataFrame | None = None,
    *,
    top: int = DEFAULT_TOP,
    tiles: str | None = "OpenStreetMap",
    title: str = "Flows between places",
    assets: str = settings.MAP_ASSETS,
) -> folium.Map:
    """A map of flows alone (e.g. the Census commuting flows of England and Wales).

    Self-contained like every cwb map: ``assets="inline"`` (the default) writes
    Leaflet into the page, ``cdn`` links it, a URL or folder prefix points at
    self-hosted copies; the base map is requested only online.
    """
    parts = flow_layer(flows, places, top=top, name=title)
    fmap = folium.Map(location=[52.5, -1.9], zoom_start=7, tiles=None, max_zoom=19, maxZoom=19)
    fmap.default_js = [(n, u) for n, u in fmap.default_js if n == "leaflet"]
    fmap.default_css = [(n, u) for n, u in fmap.default_css if n == "leaflet_css"]
    if parts.bounds:
        x0, y0, x1, y1 = parts.bounds
        CwbControl("fit", [[y0, x0], [y1, x1]]).add_to(fmap)
    add_flow_layer(fmap, parts)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    if tiles:
        add_base_map(fmap, tiles)
    add_page_parts(fmap, title, assets)
    if assets not in ("inline", "cdn"):
        set_asset_prefix(fmap, assets)
    return fmap
