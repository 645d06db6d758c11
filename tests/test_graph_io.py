"""Round trips of every graph export: GraphML, GEXF, node-link JSON, GeoPackage."""

from __future__ import annotations

import io
import json
import math
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyogrio
import pytest
from test_graph import PRIVATE_TEXT, make_dataset, make_matching

from cwb.demo import graph_step
from cwb.errors import UsageError
from cwb.graph.build import build_graph
from cwb.graph.io import (
    GRAPH_FORMATS,
    export_dataset_graph,
    graph_format,
    graph_to_gdfs,
    plain_graph,
    read_gexf,
    read_gpkg,
    read_graph,
    read_graphml,
    read_node_link,
    write_graph,
)
from cwb.graph.metrics import graph_metrics
from cwb.pipeline import Pipeline

SUFFIXES = list(GRAPH_FORMATS)


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    matches, allocation, consortia = make_matching()
    G = build_graph(make_dataset(), matches, allocation, consortia)
    graph_metrics(G)  # metrics travel as node attributes too
    return G


def typed(d: dict) -> dict:
    """Attributes with their types, so that 1 and 1.0 and True differ."""
    return {k: (type(v).__name__, v) for k, v in d.items()}


def assert_same_graph(G: nx.MultiDiGraph, H: nx.MultiDiGraph, *, graph_attrs: bool = True) -> None:
    assert isinstance(H, nx.MultiDiGraph)
    assert set(G) == set(H)
    for n, d in G.nodes(data=True):
        assert typed(H.nodes[n]) == typed(d), n
    assert sorted(G.edges(keys=True)) == sorted(H.edges(keys=True))
    for u, v, k, d in G.edges(keys=True, data=True):
        assert typed(H[u][v][k]) == typed(d), (u, v, k)
    if graph_attrs:
        assert typed(H.graph) == typed(G.graph)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip(graph, tmp_path, suffix):
    path = write_graph(graph, tmp_path / f"g{suffix}")
    H = read_graph(path)
    # GEXF keeps the graph attributes in its meta description, the other three natively
    assert_same_graph(graph, H, graph_attrs=True)


def nx_read_gexf13(path):
    """networkx's own GEXF reader (it knows 1.1draft and 1.2draft) on a GEXF 1.3 file."""
    text = Path(path).read_bytes()
    text = text.replace(b"http://gexf.net/1.3/viz", b"http://www.gexf.net/1.2draft/viz")
    text = text.replace(b'"http://gexf.net/1.3"', b'"http://www.gexf.net/1.2draft"')
    return nx.read_gexf(io.BytesIO(text))


def test_gexf_meta_description_holds_the_suppression_counts(graph, tmp_path):
    """What Gephi shows as the graph's description: the graph attributes, escaped XML."""
    graph.graph["name"] = 'Smethwick <&> "test"'
    path = write_graph(graph, tmp_path / "g.gexf")
    ns = {"g": "http://gexf.net/1.3"}
    text = ET.parse(path).getroot().find("g:meta/g:description", ns).text
    assert text.startswith("cwb graph attributes: ")
    attrs = json.loads(text.split(": ", 1)[1])
    assert attrs["name"] == 'Smethwick <&> "test"'
    assert attrs["suppressed_residents"] == graph.graph["suppressed_residents"]
    assert read_graph(path).graph == attrs
    assert nx_read_gexf13(path).number_of_nodes() == graph.number_of_nodes()


def test_round_trip_with_plain_networkx_readers(graph, tmp_path):
    """What Gephi and a notebook see: the files read with networkx's own readers."""
    write_graph(graph, tmp_path / "g.graphml")
    write_graph(graph, tmp_path / "g.gexf")
    write_graph(graph, tmp_path / "g.json")
    G1 = nx.read_graphml(tmp_path / "g.graphml")
    G2 = nx_read_gexf13(tmp_path / "g.gexf")
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    G3 = nx.node_link_graph(data, edges="links")
    for H in (G1, G2, G3):
        assert set(H) == set(graph) and H.number_of_edges() == graph.number_of_edges()
        assert H.nodes["asset:A0001"]["capacity"] == 250000.0
        assert H.nodes["opportunity:O001"]["quantity"] == 20
        assert H.nodes["asset:A0001"]["is_group"] is False
    assert set(data) == {"directed", "multigraph", "graph", "nodes", "links"}


def test_gpkg_layers_open_with_geopandas(graph, tmp_path):
    path = write_graph(graph, tmp_path / "g.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers["nodes_asset"] == "Point" and layers["edges"] == "LineString"
    node_layers = [name for name in layers if name.startswith("nodes_")]
    types = {t for _, t in graph.nodes(data="node_type")}
    assert sorted(node_layers) == sorted(f"nodes_{t}" for t in types)
    nodes = pd.concat([gpd.read_file(path, layer=name) for name in node_layers])
    for name in node_layers:  # each layer holds one type
        assert set(gpd.read_file(path, layer=name)["node_type"]) == {name.removeprefix("nodes_")}
    edges = gpd.read_file(path, layer="edges")
    assert nodes.crs.to_epsg() == 4326 and edges.crs.to_epsg() == 4326
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    a1 = nodes.set_index("node").loc["asset:A0001"]
    assert (a1.geometry.x, a1.geometry.y) == pytest.approx((-1.97, 52.49))
    match = edges[(edges["source"] == "asset:A0001") & (edges["key"] == "match")].iloc[0]
    assert match.geometry.geom_type == "LineString"
    coords = [c for xy in match.geometry.coords for c in xy]
    assert coords == pytest.approx([-1.97, 52.49, -1.955, 52.495])  # O002 sits at the hospital
    assert match["score"] == 0.8


def test_gpkg_areas_are_polygons_and_dates_are_dates(graph, tmp_path):
    ds = make_dataset()
    opportunity = next(n for n, t in graph.nodes(data="node_type") if t == "opportunity")
    for n, t in graph.nodes(data="node_type"):
        if t == "opportunity":
            graph.nodes[n]["starts"] = "2026-04-01" if n == opportunity else ""
    path = write_graph(graph, tmp_path / "g.gpkg", areas=ds.areas)
    layers = dict(pyogrio.list_layers(path))
    assert layers["nodes_area"] == "MultiPolygon"
    areas = gpd.read_file(path, layer="nodes_area")
    assert len(areas) == len(ds.areas) and set(areas.geom_type) == {"MultiPolygon"}
    assert not areas.geometry.is_empty.any()
    info = pyogrio.read_info(path, layer="nodes_opportunity")
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert fields["starts"].startswith("datetime64")  # a DATE field, not text
    with sqlite3.connect(path) as db:
        sql = db.execute("select sql from sqlite_master where name='nodes_opportunity'").fetchone()
    assert '"starts" DATE' in sql[0]
    H = read_graph(path)
    assert H.nodes[opportunity]["starts"] == "2026-04-01"
    assert_same_graph(graph, H)


def test_gdfs_dtypes(graph):
    nodes, edges = graph_to_gdfs(graph)
    assert str(nodes["count"].dtype) == "Int64" and str(nodes["is_group"].dtype) == "boolean"
    assert str(nodes["capacity"].dtype) == "float64"
    assert list(edges.columns[:3]) == ["source", "target", "key"]
    # an offers edge joins two points at the same site: no line
    offers = edges[edges["key"] == "offers"]
    assert offers.geometry.isna().all()


def test_exports_hold_no_private_text(graph, tmp_path):
    for suffix in SUFFIXES:
        data = write_graph(graph, tmp_path / f"g{suffix}").read_bytes()
        for secret in PRIVATE_TEXT:
            assert secret.encode() not in data, (suffix, secret)
        assert b"contact_" not in data


def test_exports_of_an_empty_graph(tmp_path):
    G = nx.MultiDiGraph(name="empty")
    G.add_node("asset:x", node_type="asset", label="X", located=False)
    for suffix in SUFFIXES:
        H = read_graph(write_graph(G, tmp_path / f"e{suffix}"))
        assert list(H) == ["asset:x"] and H.number_of_edges() == 0


def test_mixed_attribute_types_are_harmonised(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("a", score=1, tags=["x", "y"], note=None)
    G.add_node("b", score=0.5, tags="z")
    H = plain_graph(G)
    assert H.nodes["a"] == {"score": 1.0, "tags": "x; y"} and type(H.nodes["a"]["score"]) is float
    assert read_graphml(write_graph(G, tmp_path / "m.graphml")).nodes["a"]["score"] == 1.0
    assert read_gexf(write_graph(G, tmp_path / "m.gexf")).nodes["b"]["tags"] == "z"
    assert read_gpkg(write_graph(G, tmp_path / "m.gpkg")).nodes["a"]["tags"] == "x; y"
    assert read_node_link(write_graph(G, tmp_path / "m.json")).nodes["b"]["score"] == 0.5


def test_no_nan_reaches_json(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("a", x=math.nan, y=1.5)
    text = write_graph(G, tmp_path / "n.json").read_text()
    assert "NaN" not in text and read_graph(tmp_path / "n.json").nodes["a"] == {"y": 1.5}


@pytest.mark.parametrize("name", ["graph.csv", "graph", "graph.GEXF.txt"])
def test_unknown_suffix_is_a_usage_error(tmp_path, name):
    with pytest.raises(UsageError, match=r"\.graphml, \.gexf, \.json, \.gpkg"):
        write_graph(nx.MultiDiGraph(), tmp_path / name)
    assert not (tmp_path / name).exists()


def test_suffix_is_case_insensitive():
    assert graph_format("G.GraphML") == ".graphml"


def test_failed_write_leaves_old_file(tmp_path, graph):
    path = write_graph(graph, tmp_path / "g.gpkg")
    before = path.read_bytes()
    bad = nx.MultiDiGraph()
    bad.add_node("a", Count=1, count=2)  # SQLite column names ignore case
    with pytest.raises(UsageError, match="differ only in case"):
        write_graph(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gpkg"]


def test_export_dataset_graph(tmp_path):
    ds = make_dataset()
    result = export_dataset_graph(ds, tmp_path / "out.gexf", metrics_csv=tmp_path / "m.csv")
    assert [p.name for p in result.written] == ["out.gexf", "m.csv"]
    assert result.metrics.summary["nodes"] == result.graph.number_of_nodes()
    edge_types = {d["edge_type"] for _, _, d in result.graph.edges(data=True)}
    assert "match" not in edge_types  # no matches given: matching is not run
    matches, _, _ = make_matching()
    linked = export_dataset_graph(ds, tmp_path / "linked.json", matches=matches)
    assert "match" in {d["edge_type"] for _, _, d in linked.graph.edges(data=True)}
    with pytest.raises(UsageError):
        export_dataset_graph(ds, tmp_path / "out.png")


def test_demo_step_runs_matching(tmp_path):
    """Integration with cwb.matching.core: the demo step writes every format and the metrics."""
    ds = make_dataset()
    (tmp_path / "demo").mkdir()
    written = graph_step(Pipeline(ds), tmp_path / "demo")
    names = sorted(Path(p).name for p in written)
    assert names == [
        "graph.gexf",
        "graph.gpkg",
        "graph.graphml",
        "graph.json",
        "graph_metrics.csv",
        "graph_reach.csv",
    ]
    assert all(Path(p).stat().st_size > 0 for p in written)
    assert "betweenness" in (tmp_path / "demo" / "graph_metrics.csv").read_text().splitlines()[0]
