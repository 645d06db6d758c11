"""Folium elements of a cwb map: compact canvas layers, legend, title and search.

Folium's stock layers cost one Python object and one JavaScript object per
point, which does not scale past tens of thousands of points. The elements
here pack a whole layer into a few base64 strings instead: coordinates are
quantised to integer steps of ``1e-5`` degrees (about a metre), put in
Z-order so that neighbours follow each other, delta-encoded and written as
zigzag varints; categories and repeated strings become small integer arrays
into a dictionary. ``cwb/maps/js/cwb_map.js`` decodes them and draws them on
one canvas per layer (shapes, a fast pixel stamp, or grid clusters with
counts), with click and hover hit-testing for popups and tooltips.

Every string reaches the page as JSON in which ``<``, ``>`` and ``&`` are
escaped, and the JavaScript puts it into the DOM with ``textContent`` only.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any, cast

import numpy as np
import pandas as pd
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.raster_layers import TileLayer
from folium.template import Template

#: Size of one coordinate step, in degrees (about 1.1 m of latitude).
QUANTUM = 1e-5


def safe_json(obj: Any) -> str:
    """JSON safe inside an HTML ``<script>``: no ``</script>``, ``<!--`` or ``&`` survive."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# ---------------------------------------------------------------- encoding


def zigzag_varints(values: np.ndarray) -> bytes:
    """Encode signed integers as zigzag LEB128 varints (vectorised)."""
    v = np.asarray(values, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).view(np.uint64)
    nbytes = np.ones(len(z), dtype=np.int64)
    for k in range(1, 10):
        nbytes += z >= np.uint64(1) << np.uint64(7 * k)
    offsets = np.cumsum(nbytes) - nbytes
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max(initial=1))):
        sel = nbytes > k
        low = ((z[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[offsets[sel] + k] = low | more
    return out.tobytes()


def _read_varints(data: bytes, n: int) -> np.ndarray:
    """Decode ``n`` zigzag varints (the inverse of :func:`zigzag_varints`)."""
    out = np.empty(n, dtype=np.int64)
    pos = 0
    for i in range(n):
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        out[i] = (value >> 1) ^ -(value & 1)
    return out


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _spread16(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.uint64) & np.uint64(0xFFFF)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def spatial_order(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """A permutation that puts points in Z-order (Morton) so that neighbours follow each other."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if len(lon) < 2:
        return np.arange(len(lon))

    def grid(a: np.ndarray) -> np.ndarray:
        lo, hi = float(a.min()), float(a.max())
        span = hi - lo or 1.0
        return np.floor((a - lo) / span * 65535).astype(np.int64)

    code = _spread16(grid(lon)) | (_spread16(grid(lat)) << np.uint64(1))
    return np.argsort(code, kind="stable")


def encode_points(lon: np.ndarray, lat: np.ndarray, *, quantum: float = QUANTUM) -> dict[str, Any]:
    """Pack coordinates as base64 zigzag-varint deltas of integer steps of ``quantum`` degrees."""
    ix = np.rint(np.asarray(lon, dtype=float) / quantum).astype(np.int64)
    iy = np.rint(np.asarray(lat, dtype=float) / quantum).astype(np.int64)
    x0 = int(ix[0]) if len(ix) else 0
    y0 = int(iy[0]) if len(iy) else 0
    return {
        "n": len(ix),
        "q": quantum,
        "x0": x0,
        "y0": y0,
        "dx": _b64(zigzag_varints(np.diff(ix, prepend=x0))),
        "dy": _b64(zigzag_varints(np.diff(iy, prepend=y0))),
    }


def decode_points(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The (lon, lat) arrays packed in a layer spec (for tests and checks)."""
    n = int(spec["n"])
    xs = spec["x0"] + np.cumsum(_read_varints(base64.b64decode(spec["dx"]), n))
    ys = spec["y0"] + np.cumsum(_read_varints(base64.b64decode(spec["dy"]), n))
    return xs * spec["q"], ys * spec["q"]


_DTYPES = {"u8": "<u1", "u16": "<u2", "u32": "<u4", "f32": "<f4", "f64": "<f8"}


def encode_array(values: np.ndarray, kind: str | None = None) -> dict[str, str]:
    """A typed array as ``{"type": "u8"|"u16"|"u32"|"f32"|"f64", "data": base64}``."""
    arr = np.asarray(values)
    if kind is None:
        top = int(arr.max(initial=0))
        kind = "u8" if top < 256 else "u16" if top < 65536 else "u32"
    return {"type": kind, "data": _b64(arr.astype(_DTYPES[kind]).tobytes())}


def decode_array(spec: dict[str, str]) -> np.ndarray:
    """The inverse of :func:`encode_array`."""
    return np.frombuffer(base64.b64decode(spec["data"]), dtype=_DTYPES[spec["type"]])


def text_column(
    values: Sequence[object] | pd.Series | np.ndarray, display: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """A column of strings: a constant, a dictionary with indices, or a plain list.

    Missing values become empty strings (a popup leaves those rows out);
    ``display`` rewrites each distinct value once (e.g. ``;`` lists as ``; ``).
    """
    s = pd.Series(values, copy=False)
    codes, uniques = pd.factorize(s, sort=False, use_na_sentinel=True)
    texts = [
        str(u).replace("\r", " ").replace("\n", " ")
        for u in np.asarray(uniques, dtype=object).tolist()
    ]
    if display is not None:
        texts = [display(t) for t in texts]
    if (codes < 0).any():
        texts.append("")
        codes = np.where(codes < 0, len(texts) - 1, codes)
    if len(texts) <= 1:
        return {"const": texts[0] if texts else ""}
    if len(texts) <= max(255, len(s) // 4):
        return {"dict": texts, "idx": encode_array(codes)}
    return {"list": [texts[c] for c in codes]}


def number_column(
    values: Sequence[object] | pd.Series | np.ndarray, fmt: str = "int"
) -> dict[str, Any]:
    """A numeric column shown as ``int`` (12,345), ``money`` (£12,345) or ``plain``."""
    arr = pd.to_numeric(pd.Series(values, copy=False), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    return {"num": encode_array(arr, "f64"), "fmt": fmt}


def joined_column(columns: Sequence[dict[str, Any]], sep: str = " · ") -> dict[str, Any]:
    """Several columns shown as one, non-empty parts joined by ``sep``."""
    return {"join": list(columns), "sep": sep}


def decode_column(col: dict[str, Any], n: int) -> list[str]:
    """The values of an encoded column as strings (numbers unformatted; for tests and checks)."""
    if "const" in col:
        return [col["const"]] * n
    if "dict" in col:
        return [col["dict"][i] for i in decode_array(col["idx"])]
    if "list" in col:
        return list(col["list"])
    if "num" in col:
        return ["" if np.isnan(v) else f"{v:g}" for v in decode_array(col["num"])]
    parts = [decode_column(c, n) for c in col["join"]]
    return [col["sep"].join(p for p in row if p) for row in zip(*parts, strict=True)]


#: Fields JSON larger than this is deflated (the browser inflates it with DecompressionStream).
COMPRESS_ABOVE = 16_000


def pack_fields(fields: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Layer spec entries for popup fields: inline JSON when small, deflated base64 when large."""
    listed = [{"label": label, "col": col} for label, col in fields]
    raw = json.dumps(listed, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if len(raw) <= COMPRESS_ABOVE:
        return {"fields": listed}
    data = raw.encode("utf-8")
    return {"fieldsZ": _b64(zlib.compress(data, 1 if len(data) > 4_000_000 else 6))}


def unpack_fields(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Every popup field of a layer spec as strings, by label (for tests and checks)."""
    listed = spec.get("fields")
    if listed is None:
        listed = json.loads(zlib.decompress(base64.b64decode(spec["fieldsZ"])).decode("utf-8"))
    n = int(spec["n"]) // (2 if "score" in spec else 1)
    return {f["label"]: decode_column(f["col"], n) for f in listed}


# ---------------------------------------------------------------- elements


@cache
def _resource(name: str) -> str:
    return (resources.files("cwb.maps") / "js" / name).read_text(encoding="utf-8")


def _add_cwb_code(element: Element) -> None:
    """Put cwb's map script and stylesheet in the page header (once per page)."""
    figure = element.get_root()
    if not isinstance(figure, Figure):  # pragma: no cover - folium always builds a Figure
        return
    if "cwb_map_js" not in figure.header._children:
        figure.header.add_child(
            RawHtml(f"<style>{_resource('cwb_map.css')}</style>"), name="cwb_map_css"
        )
        figure.header.add_child(
            RawHtml(f"<script>{_resource('cwb_map.js')}</script>"), name="cwb_map_js"
        )


class RawHtml(Element):
    """Trusted HTML written as is (not parsed as a Jinja template)."""

    def __init__(self, html: str) -> None:
        super().__init__("")
        self.html = html

    def render(self, **kwargs: Any) -> str:
        """The HTML, unchanged."""
        return self.html


class CwbLayer(JSCSSMixin, Layer):
    """A map layer built by a ``cwbMap.<factory>(spec)`` call; listed in the layer control.

    Parameters
    ----------
    spec
        The layer's data and options (JSON-serialisable; escaped on output).
    name
        Name in the layer control (a fixed label, never a dataset string).
    factory
        ``points``, ``lines``, ``areas``, ``rings`` or ``projects``.
    show
        Whether the layer is on when the map opens.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = cwbMap.{{ this.factory }}({{ this.spec_json|safe }});"
        "{% endmacro %}"
    )

    def __init__(self, spec: dict[str, Any], *, name: str, factory: str, show: bool = True) -> None:
        # Leaflet's layer control writes names as HTML: a name from the data stays text
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "CwbLayer"
        self.spec = spec
        self.factory = factory

    @property
    def spec_json(self) -> str:
        """The spec as script-safe JSON."""
        return safe_json(self.spec)

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # branca says str
        """Render the layer's script as is (folium would re-parse its data as a template)."""
        _add_cwb_code(self)
        figure = cast(Figure, self.get_root())
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        script = self._template.module.__dict__["script"]
        figure.script.add_child(RawHtml(script(self, kwargs)), name=self.get_name())
        if self.show:
            figure.script.add_child(
                RawHtml(f"{self.get_name()}.addTo({cast(Element, self._parent).get_name()});"),
                name=self.get_name() + "_add",
            )
        for child in self._children.values():
            child.render(**kwargs)


class CwbControl(JSCSSMixin, MacroElement):
    """A ``cwbMap.<factory>(map, …)`` call: a control (title, legend, search, basemap …)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "cwbMap.{{ this.factory }}({{ this._parent.get_name() }}"
        "{% if this.spec is not none %}, {{ this.spec_json|safe }}{% endif %}"
        "{% if this.layers is not none %}, {{ this.layers_js }}{% endif %});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        factory: str,
        spec: dict[str, Any] | list[Any] | None = None,
        layers: dict[str, CwbLayer] | Sequence[Layer] | None = None,
    ) -> None:
        super().__init__()
        self._name = "CwbControl"
        self.factory = factory
        self.spec = spec
        self.layers = layers

    @property
    def spec_json(self) -> str:
        """The spec as script-safe JSON."""
        return safe_json(self.spec)

    @property
    def layers_js(self) -> str:
        """The JavaScript names of the layers this control drives."""
        if isinstance(self.layers, dict):
            pairs = ", ".join(f"{safe_json(k)}: {v.get_name()}" for k, v in self.layers.items())
            return "{" + pairs + "}"
        return "[" + ", ".join(v.get_name() for v in self.layers or []) + "]"

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # branca says str
        """Render, adding cwb's script to the page header first."""
        _add_cwb_code(self)
        super().render(**kwargs)


# ---------------------------------------------------------------- the base map

#: The base map's note when the browser is offline (no tile is requested then).
BASEMAP_OFFLINE = "Offline: no base map. Every layer is drawn; the base map comes back online."
#: The base map's note when its first tiles could not be fetched (a firewall, a proxy).
BASEMAP_FAILED = "The base map could not be loaded from its server. Every layer is drawn."


def add_base_map(
    fmap: Element, tiles: str, *, attr: str | None = None, subdomains: str = "abc"
) -> TileLayer:
    """Add the tile layer ``tiles`` as cwb's base map: requested only while the browser is online.

    The page adds the tiles when ``navigator.onLine`` is true (and whenever the
    browser comes back online); offline, or when the first tiles fail before any
    has loaded, it shows a small note instead (:data:`BASEMAP_OFFLINE`,
    :data:`BASEMAP_FAILED`), so an emailed map opened offline logs no failed request.
    Add it after the layers and the ``fit`` control, so that tiles load once, for the
    fitted view.
    """
    layer = TileLayer(
        tiles,
        name="Base map",
        control=False,
        show=False,  # the basemap control adds it, when online
        max_zoom=19,
        attr=attr,
        subdomains=subdomains,
    )
    layer.add_to(fmap)
    spec = {"offline": BASEMAP_OFFLINE, "failed": BASEMAP_FAILED}
    CwbControl("basemap", spec, layers=[layer]).add_to(fmap)
    return layer


# ---------------------------------------------------------------- the page itself

#: Shown in words when the map library did not load (no network for the CDN, or a blocked script).
NO_LEAFLET_MESSAGE = (
    "This map could not load its map library (Leaflet), so nothing can be drawn. "
    "It was probably made with --assets cdn and this computer cannot reach the internet: "
    "ask for the map made with the default --assets inline, which opens offline."
)
NO_SCRIPT_MESSAGE = "This map needs JavaScript: open the file in a web browser with it enabled."

_FALLBACK_CSS = (
    ".cwb-no-map { position: fixed; inset: 0; z-index: 10000; display: flex; align-items: center;"
    " justify-content: center; padding: 2em; background: #fff; color: #222;"
    " font: 16px/1.5 system-ui, sans-serif; text-align: center; }"
)


@cache
def vendored(name: str) -> str:
    """A vendored file of the map library (``cwb/maps/vendor``: Leaflet 1.9.3, BSD-2-Clause)."""
    return (resources.files("cwb.maps") / "vendor" / name).read_text(encoding="utf-8")


def add_page_parts(fmap: Element, title: str, assets: str) -> None:
    """The page's ``<title>``, Leaflet inlined when ``assets`` is ``inline``, and the fallbacks.

    The fallbacks say in words what went wrong instead of a blank page: a
    ``<noscript>`` message, and a message shown when ``L`` is undefined once the
    page's scripts have run (the library could not load).
    """
    figure = cast(Figure, fmap.get_root())
    figure.title = html.escape(title)  # branca writes it as is, in <title>
    if assets == "inline":
        for element in iter_elements(fmap):
            if isinstance(element, JSCSSMixin):
                element.default_js = [(n, u) for n, u in element.default_js if n != "leaflet"]
                element.default_css = [(n, u) for n, u in element.default_css if n != "leaflet_css"]
        figure.header.add_child(
            RawHtml(f"<style>{vendored('leaflet.css')}</style>"), name="leaflet_css_inline"
        )
        figure.header.add_child(
            RawHtml(f"<script>{vendored('leaflet.js')}</script>"), name="leaflet_inline"
        )
    message = safe_json(NO_LEAFLET_MESSAGE)
    figure.header.add_child(
        RawHtml(
            f"<style>{_FALLBACK_CSS}</style>"
            "<script>window.addEventListener('DOMContentLoaded', function () {"
            "if (typeof L !== 'undefined') { return; }"
            "var box = document.createElement('div'); box.className = 'cwb-no-map';"
            "box.setAttribute('role', 'alert');"
            f"box.textContent = {message}; document.body.appendChild(box); }});</script>"
        ),
        name="cwb_no_leaflet",
    )
    figure.html.add_child(
        RawHtml(
            f'<noscript><div class="cwb-no-map">{html.escape(NO_SCRIPT_MESSAGE)}</div></noscript>'
        ),
        name="cwb_noscript",
    )


# ---------------------------------------------------------------- self-hosted assets

#: Stylesheets that folium links but cwb maps never use, and that have no npm source.
UNUSED_LINKS: frozenset[str] = frozenset({"awesome_rotate_css", "glyphicons_css"})

_JSDELIVR = re.compile(r"^https://cdn\.jsdelivr\.net/npm/((?:@[^/@]+/)?[^/@]+)@[^/]+/(.+)$")
_KNOWN: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",  # noqa: E501
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",  # noqa: E501
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",  # noqa: E501
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",  # noqa: E501
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",  # noqa: E501
    # jsDelivr minifies this file on the fly; the npm package ships only the source
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "leaflet.fullscreen/Control.FullScreen.js",  # noqa: E501
}

#: Folders of CDN files (images and fonts that stylesheets refer to) and their npm paths.
_KNOWN_FOLDERS: dict[str, str] = {
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/images/": "drmonty-leaflet-awesome-markers/css/images/",  # noqa: E501
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/": "leaflet.markercluster/dist/",  # noqa: E501
}

#: npm packages (exact versions) holding every file folium links (a cwb map needs only Leaflet).
ASSET_PACKAGES: tuple[str, ...] = (
    "leaflet@1.9.3",
    "jquery@3.7.1",
    "bootstrap@5.2.2",
    "drmonty-leaflet-awesome-markers@2.0.2",
    "@fortawesome/fontawesome-free@6.2.0",
    "leaflet.markercluster@1.1.0",
    "leaflet.fullscreen@3.0.0",
)


def local_asset_path(url: str) -> str | None:
    """Where a CDN file lives in an npm ``node_modules`` folder (None if cwb does not know it)."""
    if url in _KNOWN:
        return _KNOWN[url]
    match = _JSDELIVR.match(url)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    for folder, local in _KNOWN_FOLDERS.items():
        if url.startswith(folder):
            return local + url[len(folder) :]
    return None


def iter_elements(root: Element) -> Iterator[Element]:
    """The element and all its descendants."""
    yield root
    for child in list(root._children.values()):
        yield from iter_elements(child)


def drop_unused_links(root: Element) -> None:
    """Remove the stylesheets folium links that cwb maps never use (see :data:`UNUSED_LINKS`)."""
    for element in iter_elements(root):
        if isinstance(element, JSCSSMixin):
            element.default_css = [(n, u) for n, u in element.default_css if n not in UNUSED_LINKS]


def set_asset_prefix(root: Element, prefix: str) -> list[str]:
    """Point every JS and CSS link of the map at ``prefix`` + the file's npm path.

    ``prefix`` is a URL (``https://intranet.example/npm/``) or a folder path,
    relative to the HTML file, that holds ``node_modules``-style packages (see
    :data:`ASSET_PACKAGES`). Returns the URLs that have no known local path
    (left unchanged).
    """
    if not prefix.endswith("/"):
        prefix += "/"
    unknown: list[str] = []

    def rewrite(url: str) -> str:
        local = local_asset_path(url)
        if local is None:
            unknown.append(url)
            return url
        return prefix + local

    for element in iter_elements(root):
        if isinstance(element, JSCSSMixin):
            # instance copies: never mutate the class-level lists folium shares between maps
            element.default_js = [(n, rewrite(u)) for n, u in element.default_js]
            element.default_css = [
                (n, rewrite(u)) for n, u in element.default_css if n not in UNUSED_LINKS
            ]
    return unknown
