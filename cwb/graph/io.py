"""Write and read cwb graphs: GraphML and GEXF (Gephi), node-link JSON (the web), GeoPackage (QGIS).

The format follows the file's suffix (:data:`GRAPH_FORMATS`). Every writer is
atomic and every format reads back into the same ``networkx.MultiDiGraph``:
same node ids, edges with their keys, and attributes with their types.

- **GraphML** (``.graphml``) and **GEXF** (``.gexf``, version 1.3, with edge weights,
  node colours and positions, see :func:`write_gexf`) open in Gephi.
  Attributes are plain ``str``/``int``/``float``/``bool``; an attribute has one
  type everywhere (mixed ints and floats become floats). GEXF keeps no graph
  attributes, so cwb writes them (the suppression counts among them) as JSON in the
  file's ``<meta><description>``, where Gephi shows them. Each GEXF edge id is
  ``source->target#key``, which is how :func:`read_graph` recovers the edge key.
  ``lat``/``lon`` node attributes suit Gephi's Geo Layout.
- **node-link JSON** (``.json``): ``{"directed", "multigraph", "graph", "nodes",
  "links"}`` as written by ``networkx.node_link_data(G, edges="links")``, the shape
  d3-force reads.
- **GeoPackage** (``.gpkg``, EPSG:4326): a layer per node type (``nodes_asset``,
  ``nodes_area`` … with that type's columns; points, areas as polygons when the
  dataset's areas are given), an ``edges`` LineString layer (source, target, key
  and attributes; empty geometry where an end is not located or both ends
  coincide), and two plain tables: ``attributes`` (the type of every column, so
  that integers, booleans and dates come back as such) and ``graph`` (the graph
  attributes). Text attributes holding only ISO dates are DATE fields.
"""

from __future__ import annotations

import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from networkx.readwrite.gexf import GEXFWriter

from cwb._atomic import atomic_open, atomic_path, write_text_atomic
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.errors import UsageError
from cwb.graph.build import Scalar, build_graph, plain
from cwb.graph.metrics import GraphMetrics, graph_metrics
from cwb.reproducible import gdal_fixed_date
from cwb.safe_output import neutralise_frame

log = logging.getLogger(__name__)

#: Output suffix → format name.
GRAPH_FORMATS: dict[str, str] = {
    ".graphml": "GraphML",
    ".gexf": "GEXF",
    ".json": "node-link JSON",
    ".gpkg": "GeoPackage",
}
_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
_GEXF_KEY_MARK = "#"
#: How the graph attributes start in a GEXF file's ``<meta><description>`` (see :func:`write_gexf`).
GEXF_ATTRIBUTES_PREFIX = "cwb graph attributes: "


def graph_format(path: str | Path) -> str:
    """Return the export format (suffix) of ``path``; raise :class:`UsageError` if unknown."""
    suffix = Path(path).suffix.lower()
    if suffix not in GRAPH_FORMATS:
        allowed = ", ".join(GRAPH_FORMATS)
        raise UsageError(
            f"cannot write a graph to {str(path)!r}: unknown suffix {suffix or '(none)'!r}; "
            f"use one of {allowed}"
        )
    return suffix


# plain attributes ----------------------------------------------------------------------------


def _common_type(values: list[Scalar]) -> type:
    kinds = {type(v) for v in values}
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {int, float, bool}:
        return float if float in kinds else int
    return str


def _harmonise(records: list[dict[str, Any]]) -> dict[str, type]:
    """Make attributes plain and of one type per name across ``records``; return the types."""
    values: dict[str, list[Scalar]] = defaultdict(list)
    for attrs in records:
        for key in list(attrs):
            v = plain(attrs[key])
            if v is None:
                del attrs[key]
            else:
                attrs[key] = v
                values[key].append(v)
    types = {key: _common_type(vs) for key, vs in values.items()}
    for attrs in records:
        for key, v in attrs.items():
            if type(v) is not types[key]:
                attrs[key] = types[key](v)
    return types


@dataclass
class _PlainTables:
    """A graph's attributes made plain, without copying the graph: records and their types."""

    nodes: list[str]
    node_attrs: list[dict[str, Scalar]]
    edges: list[tuple[str, str, str]]
    edge_attrs: list[dict[str, Scalar]]
    graph_attrs: dict[str, Scalar]
    types: dict[str, dict[str, type]]


def _plain_tables(G: nx.MultiDiGraph) -> _PlainTables:
    node_attrs = [dict(d) for _, d in G.nodes(data=True)]
    edge_attrs = [dict(d) for *_, d in G.edges(keys=True, data=True)]
    graph_attrs = dict(G.graph)
    types = {
        "node": _harmonise(node_attrs),
        "edge": _harmonise(edge_attrs),
        "graph": _harmonise([graph_attrs]),
    }
    return _PlainTables(
        list(G.nodes), node_attrs, list(G.edges(keys=True)), edge_attrs, graph_attrs, types
    )


def plain_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Return a copy of ``G`` with plain node, edge and graph attributes, one type per name."""
    t = _plain_tables(G)
    H = nx.MultiDiGraph(**t.graph_attrs)
    H.add_nodes_from(zip(t.nodes, t.node_attrs, strict=True))
    H.add_edges_from((u, v, k, d) for (u, v, k), d in zip(t.edges, t.edge_attrs, strict=True))
    return H


# GraphML, GEXF, node-link JSON ------------------------------------------------------------


def write_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``G`` as GraphML (atomically)."""
    with atomic_path(path) as tmp:
        nx.write_graphml(plain_graph(G), tmp, encoding="utf-8", prettyprint=True)
    return Path(path)


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Read a GraphML graph written by :func:`write_graphml`."""
    H = nx.read_graphml(path, node_type=str, edge_key_type=str, force_multigraph=True)
    H.graph.pop("node_default", None)
    H.graph.pop("edge_default", None)
    return nx.MultiDiGraph(H)


#: GEXF 1.3's namespaces and schema (https://gexf.net/schema.html).
GEXF_NS = "http://gexf.net/1.3"
GEXF_VIZ_NS = "http://gexf.net/1.3/viz"
GEXF_SCHEMA = "http://gexf.net/1.3/gexf.xsd"
_GEXF_12 = ("http://www.gexf.net/1.2draft", "http://www.gexf.net/1.2draft/viz")
#: Node colours in Gephi, by ``node_type``.
NODE_COLOURS: dict[str, str] = {
    "project": "#d7301f",
    "opportunity": "#08519c",
    "asset": "#31a354",
    "group": "#e6550d",
    "area": "#969696",
    "consortium": "#756bb1",
    "pact": "#1b7837",
    "place": "#bdbdbd",
}
#: Asset colours by ``kind`` (physical, financial, community), over the node type's.
ASSET_COLOURS: dict[str, str] = {
    "physical": "#1f78b4",
    "financial": "#33a02c",
    "community": "#e31a1c",
}
#: The edge attribute that becomes each edge type's GEXF ``weight`` (else 1).
EDGE_WEIGHTS: dict[str, tuple[str, ...]] = {
    "match": ("score",),
    "allocated": ("amount", "quantity"),
    "flow": ("magnitude",),
    "proposed_for": ("capacity_cover",),
}
_GEXF_DERIVED_NODE = ("latitude", "longitude")
#: Metres per degree of latitude; viz positions are in kilometres east and north of the centre.
_M_PER_DEGREE = 111_320.0


def _rgb(colour: str) -> dict[str, int | float]:
    return {
        "r": int(colour[1:3], 16),
        "g": int(colour[3:5], 16),
        "b": int(colour[5:7], 16),
        "a": 1.0,
    }


def _gexf_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``G`` made plain, with GEXF's extras: edge ids and weights, node colours and positions."""
    H = plain_graph(G)
    for u, v, k, d in H.edges(keys=True, data=True):
        d["id"] = f"{u}->{v}{_GEXF_KEY_MARK}{k}"
        names = EDGE_WEIGHTS.get(str(d.get("edge_type")), ())
        found = [d[n] for n in names if isinstance(d.get(n), int | float) and d[n] == d[n]]
        d["weight"] = float(found[0]) if found else 1.0
    located = [
        (d["lat"], d["lon"])
        for _, d in H.nodes(data=True)
        if isinstance(d.get("lat"), float) and isinstance(d.get("lon"), float)
    ]
    lat0 = float(np.mean([a for a, _ in located])) if located else 0.0
    lon0 = float(np.mean([b for _, b in located])) if located else 0.0
    shrink = float(np.cos(np.radians(lat0)))
    for _, d in H.nodes(data=True):
        colour = NODE_COLOURS.get(str(d.get("node_type")), "#636363")
        if d.get("node_type") == "asset":
            colour = ASSET_COLOURS.get(str(d.get("kind")), colour)
        viz: dict[str, Any] = {
            "color": _rgb(colour),
            "size": 10.0 if d.get("node_type") == "project" else 4.0,
        }
        lat, lon = d.get("lat"), d.get("lon")
        if isinstance(lat, float) and isinstance(lon, float):
            d["latitude"], d["longitude"] = lat, lon  # what Gephi's Geo Layout reads
            viz["position"] = {
                "x": round((lon - lon0) * shrink * _M_PER_DEGREE / 1000, 4),
                "y": round((lat - lat0) * _M_PER_DEGREE / 1000, 4),
                "z": 0.0,
            }
        d["viz"] = viz
    return H


def write_gexf(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``G`` as GEXF 1.3 (atomically) for Gephi.

    Each edge id carries its key, and each edge a ``weight`` (:data:`EDGE_WEIGHTS`:
    a match's score, an allocation's amount or quantity, a flow's magnitude; else 1).
    Nodes carry a ``viz:color`` by type (:data:`NODE_COLOURS`) and, when located,
    ``latitude``/``longitude`` attributes (Gephi's Geo Layout) and a ``viz:position``
    in kilometres east and north of the nodes' centre.
    GEXF has no graph attributes: they (the suppression counts among them) go
    into the file's ``<meta><description>`` as JSON after :data:`GEXF_ATTRIBUTES_PREFIX`,
    which Gephi shows as the graph's description.
    """
    return write_text_atomic(path, gexf_text(G))


def gexf_text(G: nx.MultiDiGraph) -> str:
    """``G`` as GEXF 1.3 text (see :func:`write_gexf`)."""
    H = _gexf_graph(G)
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is not None and H.graph:
        description = ET.SubElement(meta, "description")
        description.text = GEXF_ATTRIBUTES_PREFIX + json.dumps(H.graph, ensure_ascii=False)
    writer.add_graph(H)
    graph = writer.xml.find("graph")
    if graph is not None:  # GEXF 1.3's graph has no name (it is in the meta description)
        graph.attrib.pop("name", None)
    buffer = io.BytesIO()
    writer.write(buffer)
    text = buffer.getvalue().decode("utf-8")
    head, body = text.split("<graph", 1)  # namespaces and version live in the root element
    head = (
        head.replace(_GEXF_12[1], GEXF_VIZ_NS)
        .replace(_GEXF_12[0] + "/gexf.xsd", GEXF_SCHEMA)
        .replace(_GEXF_12[0], GEXF_NS)
        .replace('version="1.2"', 'version="1.3"')
    )
    return head + "<graph" + body


def _gexf_graph_attributes(path: str | Path) -> dict[str, Any]:
    """The graph attributes :func:`write_gexf` put in the meta description (read up to it only)."""
    for _, element in ET.iterparse(str(path), events=("end",)):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "description" and (element.text or "").startswith(GEXF_ATTRIBUTES_PREFIX):
            try:
                found = json.loads(element.text[len(GEXF_ATTRIBUTES_PREFIX) :])
            except json.JSONDecodeError:
                log.warning("%s: graph attributes in the GEXF description are not JSON", path)
                return {}
            return found if isinstance(found, dict) else {}
        if tag in ("meta", "nodes"):
            break
    return {}


def read_gexf(path: str | Path) -> nx.MultiDiGraph:
    """Read a GEXF graph written by :func:`write_gexf` (keys recovered from the edge ids).

    The derived ``weight``, ``latitude``/``longitude`` and ``viz`` are dropped, so
    the graph is the one written. GEXF 1.2draft files are read too.
    """
    text = Path(path).read_bytes()
    for new, old in ((GEXF_VIZ_NS, _GEXF_12[1]), (GEXF_NS, _GEXF_12[0])):
        text = text.replace(b'"' + new.encode() + b'"', b'"' + old.encode() + b'"')
    R = nx.read_gexf(io.BytesIO(text), node_type=str, version="1.2draft")
    H = nx.MultiDiGraph()
    for n, d in R.nodes(data=True):
        H.add_node(n, **{k: v for k, v in d.items() if k not in (*_GEXF_DERIVED_NODE, "viz")})
    for u, v, d in R.edges(data=True):
        d = {k: val for k, val in d.items() if k != "weight"}
        edge_id = str(d.pop("id", ""))
        key = edge_id.rsplit(_GEXF_KEY_MARK, 1)[1] if _GEXF_KEY_MARK in edge_id else None
        H.add_edge(u, v, key=key, **d)
    H.graph.update(
        {k: v for k, v in R.graph.items() if k not in ("mode", "node_default", "edge_default")}
    )
    H.graph.update(_gexf_graph_attributes(path))
    return H


def write_node_link(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``G`` as node-link JSON (UTF-8, no NaN) atomically."""
    data = nx.node_link_data(plain_graph(G), edges="links")
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, allow_nan=False))


def read_node_link(path: str | Path) -> nx.MultiDiGraph:
    """Read node-link JSON written by :func:`write_node_link`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return nx.MultiDiGraph(nx.node_link_graph(data, directed=True, multigraph=True, edges="links"))


# GeoPackage --------------------------------------------------------------------------------


def _column(values: list[Any], kind: type) -> pd.Series:
    dtype = {int: "Int64", float: "float64", bool: "boolean", str: "object"}[kind]
    return pd.Series(values, dtype=dtype)


def _table(records: list[dict[str, Any]], types: dict[str, type]) -> pd.DataFrame:
    columns = {name: _column([r.get(name) for r in records], kind) for name, kind in types.items()}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


def graph_to_gdfs(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes as points and edges as lines (EPSG:4326), attributes as columns.

    Nodes have a ``node`` column (the node id); edges ``source``, ``target`` and
    ``key``. An unlocated node has an empty geometry, and so has every edge with
    an unlocated end or whose ends are at the same place. Column dtypes follow the
    attribute types (``Int64``, ``float64``, ``boolean``, text).
    """
    return _gdfs(_plain_tables(G))


def _gdfs(t: _PlainTables) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = _table(t.node_attrs, t.types["node"])
    nodes.insert(0, "node", pd.Series(t.nodes, dtype="object"))
    xy = np.array(
        [(d.get("lon", np.nan), d.get("lat", np.nan)) for d in t.node_attrs], dtype=float
    ).reshape(-1, 2)
    located = ~np.isnan(xy).any(axis=1)
    points = np.full(len(xy), None, dtype=object)
    points[located] = shapely.points(xy[located])
    gdf_nodes = gpd.GeoDataFrame(nodes, geometry=gpd.GeoSeries(points, crs="EPSG:4326"))
    edges = _table(t.edge_attrs, t.types["edge"])
    for i, name in enumerate(("source", "target", "key")):
        edges.insert(i, name, pd.Series([str(e[i]) for e in t.edges], dtype="object"))
    index = {n: i for i, n in enumerate(t.nodes)}
    ends = np.array([(index[u], index[v]) for u, v, _ in t.edges], dtype=np.int64).reshape(-1, 2)
    a, b = xy[ends[:, 0]], xy[ends[:, 1]]
    drawn = located[ends[:, 0]] & located[ends[:, 1]] & (a != b).any(axis=1)
    lines = np.full(len(ends), None, dtype=object)
    if drawn.any():
        lines[drawn] = shapely.linestrings(np.stack([a[drawn], b[drawn]], axis=1))
    gdf_edges = gpd.GeoDataFrame(edges, geometry=gpd.GeoSeries(lines, crs="EPSG:4326"))
    return gdf_nodes, gdf_edges


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_dates(frame: pd.DataFrame) -> list[str]:
    """Turn text columns that hold only ISO dates into dates (GeoPackage DATE); their names."""
    found = []
    for name in frame.columns:
        if name == "geometry" or frame[name].dtype != object:
            continue
        values = [v for v in frame[name] if isinstance(v, str) and v != ""]
        if not values or not all(_ISO_DATE.match(v) for v in values):
            continue
        if any(v is not None and not isinstance(v, str) for v in frame[name]):
            continue
        try:
            dates = [date.fromisoformat(v) if v else None for v in frame[name]]
        except ValueError:
            continue
        frame[name] = pd.Series(dates, index=frame.index, dtype=object)
        found.append(name)
    return found


def _node_layers(
    nodes: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, dates: set[str]
) -> list[tuple[str, gpd.GeoDataFrame, str]]:
    """One layer per node type (``nodes_<type>``): its own columns, areas as polygons.

    Columns of dates become dates (:func:`_as_dates`); their names are added to ``dates``.
    """
    layers = []
    types = nodes["node_type"] if "node_type" in nodes else pd.Series("node", index=nodes.index)
    for kind in types.fillna("node").unique():
        part = nodes[types.fillna("node") == kind]
        keep = [c for c in part.columns if c in ("node", "geometry") or part[c].notna().any()]
        part = gpd.GeoDataFrame(part[keep].reset_index(drop=True), geometry="geometry")
        dates.update(_as_dates(part))
        geometry_type = "Point"
        if kind == "area" and areas is not None and "code" in part and len(areas):
            shapes = areas.to_crs("EPSG:4326").drop_duplicates("code").set_index("code").geometry
            polygons = part["code"].map(shapes)
            if polygons.notna().all():
                part = part.set_geometry(
                    gpd.GeoSeries(
                        [shapely.multipolygons(shapely.get_parts(g)) for g in polygons],
                        crs="EPSG:4326",
                    )
                )
                geometry_type = "MultiPolygon"
        name = "nodes_" + re.sub(r"\W+", "_", str(kind)).strip("_").lower()
        layers.append((name, part, geometry_type))
    return layers


def write_gpkg(
    G: nx.MultiDiGraph, path: str | Path, *, areas: gpd.GeoDataFrame | None = None
) -> Path:
    """Write ``G`` as a GeoPackage (atomically) for QGIS.

    Layers: ``nodes_<type>`` (one per node type, e.g. ``nodes_asset``, with that
    type's columns; points, and the areas' polygons when ``areas`` (the
    dataset's areas, a ``code`` column) is given), ``edges`` (lines), and the
    plain tables ``attributes`` (each column's type) and ``graph`` (the graph
    attributes). A node type's text attributes holding only ISO dates (or "")
    are written as DATE fields, and read back as text.
    """
    t = _plain_tables(G)
    nodes, edges = _gdfs(t)
    for layer, frame in (("nodes", nodes), ("edges", edges)):
        seen: dict[str, str] = {}
        for name in frame.columns:
            if name.lower() in seen:
                raise UsageError(
                    f"cannot write {path}: the {layer} attributes {seen[name.lower()]!r} "
                    f"and {name!r} differ only in case, which a GeoPackage cannot hold"
                )
            seen[name.lower()] = name
    dates: set[str] = set()
    layers = _node_layers(nodes, areas, dates)
    graph_rows = pd.DataFrame(
        [{"name": k, "value": str(v), "type": type(v).__name__} for k, v in t.graph_attrs.items()],
        columns=["name", "value", "type"],
    )
    types = pd.DataFrame(
        [
            {
                "scope": scope,
                "name": name,
                "type": "date" if scope == "node" and name in dates else kind.__name__,
            }
            for scope, kinds in t.types.items()
            for name, kind in kinds.items()
        ],
        columns=["scope", "name", "type"],
    )
    with atomic_path(path) as tmp, gdal_fixed_date():
        for name, frame, geometry_type in layers:
            _write_layer(frame, tmp, name, geometry_type)
        _write_layer(edges, tmp, "edges", "LineString")
        pyogrio.write_dataframe(types, tmp, layer="attributes", driver="GPKG")
        pyogrio.write_dataframe(graph_rows, tmp, layer="graph", driver="GPKG")
    return Path(path)


def _write_layer(frame: gpd.GeoDataFrame, path: str | Path, layer: str, geometry_type: str) -> None:
    """Write one layer; through Arrow when it has dates (so that they become DATE fields)."""
    has_dates = any(
        frame[c].map(lambda v: isinstance(v, date)).any()
        for c in frame.columns
        if c != "geometry" and frame[c].dtype == object
    )
    pyogrio.write_dataframe(
        frame, path, layer=layer, driver="GPKG", geometry_type=geometry_type, use_arrow=has_dates
    )


def _cast(value: Any, kind: str) -> Scalar | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if value is pd.NaT:
        return None
    if kind == "date":  # a text elsewhere (another node type) stays text
        return value if isinstance(value, str) else pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "bool":
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true")
    return _TYPES[kind](value)


def _rows(frame: pd.DataFrame, types: dict[str, str], skip: set[str]) -> list[dict[str, Scalar]]:
    out = []
    for record in frame.drop(columns=[c for c in ("geometry",) if c in frame]).to_dict("records"):
        attrs = {}
        for name, value in record.items():
            if name in skip:
                continue
            kind = types.get(name, "str")
            v = _cast(value, kind)
            if v is None and kind == "date":
                v = ""  # the layer's type has the column: a missing text is "" in the graph
            if v is not None:
                attrs[name] = v
        out.append(attrs)
    return out


def read_gpkg(path: str | Path) -> nx.MultiDiGraph:
    """Read a GeoPackage written by :func:`write_gpkg` back into a graph.

    The node layers (``nodes_<type>``, or one ``nodes`` layer of older files) are
    read in the order they were written.
    """
    types = pyogrio.read_dataframe(path, layer="attributes", read_geometry=False)
    by_scope = {s: dict(zip(g["name"], g["type"], strict=True)) for s, g in types.groupby("scope")}
    names = [str(n) for n, _ in pyogrio.list_layers(path)]
    node_layers = [n for n in names if n == "nodes" or n.startswith("nodes_")]
    edges = pyogrio.read_dataframe(path, layer="edges")
    graph = pyogrio.read_dataframe(path, layer="graph", read_geometry=False)
    H = nx.MultiDiGraph()
    for layer in node_layers:
        nodes = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        for node, attrs in zip(
            nodes["node"], _rows(nodes, by_scope.get("node", {}), {"node"}), strict=True
        ):
            H.add_node(str(node), **attrs)
    edge_attrs = _rows(edges, by_scope.get("edge", {}), {"source", "target", "key"})
    for (u, v, k), attrs in zip(
        edges[["source", "target", "key"]].itertuples(index=False), edge_attrs, strict=True
    ):
        H.add_edge(str(u), str(v), key=str(k), **attrs)
    for name, value, kind in graph[["name", "value", "type"]].itertuples(index=False):
        H.graph[name] = _cast(value, kind)
    return H


# by suffix ---------------------------------------------------------------------------------

_WRITERS = {
    ".graphml": write_graphml,
    ".gexf": write_gexf,
    ".json": write_node_link,
    ".gpkg": write_gpkg,
}
_READERS = {
    ".graphml": read_graphml,
    ".gexf": read_gexf,
    ".json": read_node_link,
    ".gpkg": read_gpkg,
}


def write_graph(
    G: nx.MultiDiGraph, path: str | Path, *, areas: gpd.GeoDataFrame | None = None
) -> Path:
    """Write ``G`` in the format named by the suffix of ``path`` (see :data:`GRAPH_FORMATS`).

    ``areas`` (the dataset's areas) gives a GeoPackage's area nodes their polygons.

    Raises
    ------
    UsageError
        The suffix is not one of ``.graphml``, ``.gexf``, ``.json``, ``.gpkg``.
    """
    suffix = graph_format(path)
    if suffix == ".gpkg":
        out = write_gpkg(G, path, areas=areas)
    else:
        out = _WRITERS[suffix](G, path)
    log.info("wrote %s graph to %s", GRAPH_FORMATS[suffix], out)
    return out


def read_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by :func:`write_graph`, choosing the reader by suffix."""
    return _READERS[graph_format(path)](path)


def write_metrics_csv(
    metrics: GraphMetrics, path: str | Path, *, formula_safe: bool | None = None
) -> Path:
    """Write the per-node metrics table as CSV (atomically, formula triggers neutralised)."""
    with atomic_open(path) as handle:
        neutralise_frame(metrics.nodes, formula_safe=formula_safe).to_csv(handle, index=False)
    return Path(path)


# a dataset's graph in one call -------------------------------------------------------------


@dataclass
class GraphExport:
    """What :func:`export_dataset_graph` built and wrote."""

    graph: nx.MultiDiGraph
    metrics: GraphMetrics
    written: list[Path]


def export_dataset_graph(
    dataset: Dataset | str | Path,
    output: str | Path,
    *,
    matches: Any = None,
    metrics_csv: str | Path | None = None,
    seed: int = 0,
) -> GraphExport:
    """Build a dataset's graph, compute its metrics, write it.

    Parameters
    ----------
    dataset
        A :class:`~cwb.dataset.model.Dataset` or the folder of one.
    output
        The graph file; its suffix chooses the format (:data:`GRAPH_FORMATS`).
    matches
        A :class:`cwb.matching.core.MatchResult` (or a match table, see
        :func:`cwb.graph.build.build_graph`) whose matches, allocation and
        consortia become edges. When None the graph holds the dataset's own
        structure and links only: matching is never run here.
    metrics_csv
        Where to write the per-node metrics table too (optional).
    seed
        Seed of the community detection and betweenness sampling.
    """
    graph_format(output)  # a wrong suffix fails before any work is done
    if not isinstance(dataset, Dataset):
        dataset = read_dataset(Path(dataset))
    G = build_graph(dataset, matches)
    metrics = graph_metrics(G, seed=seed)
    written = [write_graph(G, output, areas=dataset.areas)]
    if metrics_csv is not None:
        written.append(write_metrics_csv(metrics, metrics_csv))
    return GraphExport(graph=G, metrics=metrics, written=written)
