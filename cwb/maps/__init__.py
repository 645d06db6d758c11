"""The map stage: an interactive Folium map of a dataset, fast at a million assets, safe to share.

Draws the dataset, its catchment and (from matching) the links; residents appear
only in aggregate.

- ``tables``: the tables a map draws, before they become layers.
- ``elements``: compact canvas layers, legend, title and search as Folium elements.
- ``layers``: each layer of the map built from the dataset.
- ``flows``: the flow layer (flows between places on cwb's canvas).
- ``commons``: places by use status and pacts by status (CO-CITY).
- ``compose``: :func:`make_map` and :func:`save_map`.
- ``js/``: the map's JavaScript and CSS.
- ``vendor/``: Leaflet 1.9.3 (BSD-2-Clause), inlined into maps so that they open offline.
"""

from cwb.maps.compose import KIND_STYLE, make_map, save_map
from cwb.maps.layers import MapOptions

__all__ = [
    "KIND_STYLE",
    "MapOptions",
    "make_map",
    "save_map",
]
