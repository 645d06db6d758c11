"""The graph at scale: the fast build and metrics give what networkx's own methods give."""

from __future__ import annotations

import gc
import json
import math
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import cwb.graph.build as build
import cwb.graph.metrics as stats
from cwb._gc import paused_gc
from cwb.graph.build import _folds_to_ascii, _plain_values, add_new_edges, add_new_nodes, plain
from cwb.graph.insert import add_typed_edges
from cwb.graph.metrics import (
    _numbered,
    _relations,
    asset_reach,
    graph_metrics,
    relational_view,
    sampled_betweenness,
)
from cwb.graph.values import SharedKeyDicts, shared_floats
from cwb.pipeline import Pipeline
from cwb.synth.generate import synth_dataset

DEMO = Path(__file__).resolve().parents[1] / "data" / "birmingham"


def reference_metrics(G: nx.MultiDiGraph, seed: int = 0) -> pd.DataFrame:
    """The metrics as networkx computes them, node by node (the small-graph method)."""
    H = relational_view(G)
    core = nx.Graph()
    core.add_nodes_from(node for node, nbrs in H.adj.items() if nbrs)
    core.add_edges_from(H.edges(data=True))
    n, m = H.number_of_nodes(), core.number_of_nodes()
    k = stats.BETWEENNESS_SAMPLE if m > stats.BETWEENNESS_EXACT_MAX_NODES else None
    raw = nx.betweenness_centrality(core, k=k, normalized=False, seed=seed) if m else {}
    scale = 2 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    components = _numbered(nx.connected_components(H))
    groups = nx.community.louvain_communities(core, weight="weight", seed=seed) if m else []
    communities = _numbered([*groups, *([node] for node in sorted(set(H) - set(core)))])
    reach = asset_reach(G)
    rows = [
        {
            "node": node,
            "degree": G.degree(node),
            "betweenness": raw.get(node, 0.0) * scale if node in H else np.nan,
            "component": components.get(node, pd.NA),
            "community": communities.get(node, pd.NA),
            "reach": len(reach[node]) if node in reach else pd.NA,
        }
        for node in G
    ]
    table = pd.DataFrame(rows)
    for col in ("component", "community", "reach"):
        table[col] = table[col].astype("Int64")
    return table


@pytest.fixture(scope="module")
def synthetic_graph(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    folder = tmp_path_factory.mktemp("synth") / "s"
    synth_dataset(folder, assets=3000, opportunities=40, seed=2, fmt="parquet")
    return Pipeline.open(folder).graph


@pytest.fixture(scope="module")
def demo_graph() -> nx.MultiDiGraph:
    return Pipeline.open(DEMO).graph


@pytest.mark.parametrize("which", ["demo_graph", "synthetic_graph"])
def test_metrics_are_networkx_metrics(which: str, request: pytest.FixtureRequest) -> None:
    G = request.getfixturevalue(which)
    expected = reference_metrics(G, seed=4)
    got = graph_metrics(G, seed=4, set_attributes=False).nodes
    assert got["community"].notna().sum() > 0 and got["betweenness"].max() > 0
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected, check_dtype=False)


def test_relations_are_the_relational_view_in_its_order(demo_graph: nx.MultiDiGraph) -> None:
    rel = _relations(demo_graph)
    pairs = [
        (rel.nodes[a], rel.nodes[b], w)
        for (a, b), w in zip(rel.pairs.tolist(), rel.weights.tolist(), strict=True)
    ]
    assert pairs == list(relational_view(demo_graph).edges(data="weight"))
    assert any(w > 1 for *_, w in pairs)  # parallel edges merged into a weight
    assert [(u, v, t) for u, v, t in demo_graph.edges(data="edge_type")] == rel.edges


@pytest.mark.parametrize(("k", "seed"), [(1, 0), (5, 1), (30, 7)])
def test_sampled_betweenness_is_networkx_betweenness(k: int, seed: int) -> None:
    G = nx.Graph()
    G.add_edges_from(nx.gnm_random_graph(60, 90, seed=3).edges())
    G.add_edges_from((f"p{i}", f"q{i}") for i in range(40))  # many small components
    G.add_edges_from(nx.relabel_nodes(nx.path_graph(7), lambda x: f"path{x}").edges())
    expected = nx.betweenness_centrality(G, k=k, normalized=False, seed=seed)
    got = sampled_betweenness(G, k, seed=seed)
    assert list(got) == list(expected)
    for node, value in expected.items():
        assert got[node] == value or (math.isnan(got[node]) and math.isnan(value))


def ring_of_cliques(prefix: str, cliques: int, size: int) -> list[tuple[str, str]]:
    ring = nx.ring_of_cliques(cliques, size)
    return [(f"asset:{prefix}{u}", f"asset:{prefix}{v}") for u, v in ring.edges()]


def test_large_graphs_run_louvain_only_where_components_must_split(monkeypatch) -> None:
    G = nx.MultiDiGraph()
    edges = ring_of_cliques("r", 6, 5)
    edges += [(f"asset:a{i}", f"asset:b{i}") for i in range(300)]  # pairs
    edges += [(f"asset:c{i}", f"asset:d{i}") for i in range(100)]
    edges += [(f"asset:d{i}", f"asset:e{i}") for i in range(100)]  # paths of three
    nodes = {node for edge in edges for node in edge} | {f"asset:alone{i}" for i in range(50)}
    G.add_nodes_from(sorted(nodes), node_type="asset", kind="community")
    G.add_edges_from((u, v, "link:x", {"edge_type": "link"}) for u, v in edges)
    small = graph_metrics(G.copy(), seed=1, set_attributes=False)
    monkeypatch.setattr(stats, "LARGE_GRAPH_NODES", 100)
    large = graph_metrics(G.copy(), seed=1, set_attributes=False)
    again = graph_metrics(G.copy(), seed=1, set_attributes=False)
    pd.testing.assert_frame_equal(large.nodes, again.nodes)
    assert "communities_note" not in large.summary
    assert "Louvain ran on 30 nodes in 1 component(s)" in large.summary["communities_method"]
    community = large.nodes.set_index("node")["community"]
    component = large.nodes.set_index("node")["component"]
    # every small component is one community, and no community spans two components
    assert (community.groupby(component).nunique().drop(component["asset:r0"]) == 1).all()
    assert (component.groupby(community).nunique() == 1).all()
    # the ring splits as Louvain on the whole graph splits it: the padding edge keeps the
    # modularity of the whole view (alone, the ring would split into its 6 cliques)
    ring = [f"asset:r{i}" for i in range(30)]
    whole = small.nodes.set_index("node")["community"][ring]
    assert 1 < community[ring].nunique() == whole.nunique() < 6
    alone = nx.relabel_nodes(nx.ring_of_cliques(6, 5), lambda x: f"asset:r{x}")
    assert len(nx.community.louvain_communities(alone, seed=1)) == 6
    assert large.summary["communities"] == small.summary["communities"]
    # too many nodes in components that must split: skipped, and said so
    monkeypatch.setattr(stats, "LARGE_GRAPH_NODES", 20)
    skipped = graph_metrics(G.copy(), seed=1, set_attributes=False)
    assert skipped.nodes["community"].isna().all()
    assert "30 nodes" in skipped.summary["communities_note"]


def test_new_nodes_and_edges_are_networkx_nodes_and_edges() -> None:
    items = [(f"n{i}", {"a": i, "b": str(i)}) for i in range(5)]
    edges = [
        ("n0", "n1", "x", {"edge_type": "x"}),
        ("n0", "n1", "y", {"edge_type": "y", "w": 1}),
        ("n2", "n0", "x", {"edge_type": "x"}),
        ("n0", "n1", "x", {"w": 2}),  # an existing key: updated
    ]
    expected, got = nx.MultiDiGraph(), nx.MultiDiGraph()
    for G in (expected, got):
        G.add_node("n3", c=1)  # already there: merged
        G.add_edge("n4", "n3", key="z")
    expected.add_nodes_from(items)
    expected.add_edges_from(edges)
    add_new_nodes(got, iter(items))
    add_new_edges(got, iter(edges))
    assert list(got.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(got.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    assert {u: list(p) for u, p in got.pred.items()} == {
        u: list(p) for u, p in expected.pred.items()
    }
    assert got.number_of_edges() == expected.number_of_edges() == 4


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(["a", None, "c"], dtype="str"),
        pd.Series(["a", None, "c"], dtype="string"),
        pd.Series([1.5, np.nan, 3.0]),
        pd.Series([1, None, 3], dtype="Int64"),
        pd.Series([["a", "b"], None, pd.Timestamp("2024-01-02")], dtype=object),
    ],
)
def test_plain_values_are_plain(series: pd.Series) -> None:
    got = _plain_values(series)
    expected = [plain(v) for v in series.tolist()]  # value by value, as before
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert got[1] is None


def test_typed_edges_are_keyed_edges() -> None:
    pairs = [("n0", "n1"), ("n2", "n0"), ("n0", "n1"), ("n1", "n2")]

    def start() -> nx.MultiDiGraph:
        G = nx.MultiDiGraph()
        G.add_nodes_from(["n0", "n1", "n2"])
        G.add_edge("n1", "n2", key="other", w=1)  # joined already, by another key
        return G

    expected, got = start(), start()
    expected.add_edges_from((u, v, "placed", {"edge_type": "placed"}) for u, v in pairs)
    add_typed_edges(got, iter(pairs), "placed")
    assert list(got.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    assert {u: list(p) for u, p in got.pred.items()} == {
        u: list(p) for u, p in expected.pred.items()
    }
    # a graph keeping its adjacency in other dicts goes the general way, with the same result
    ordered = nx.MultiDiGraph()
    ordered.adjlist_inner_dict_factory = OrderedDict
    ordered.add_nodes_from(["n0", "n1", "n2"])
    add_typed_edges(ordered, iter(pairs), "placed")
    assert sorted(ordered.edges(keys=True)) == sorted(
        (u, v, k) for u, v, k in expected.edges(keys=True) if k == "placed"
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_gc_restores_the_collector(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), paused_gc():
            raise RuntimeError("inside")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_case_forms_that_reach_ascii() -> None:
    assert not _folds_to_ascii("Ann Lee · 2 km; café £5")
    for text in ("\u212a", "ſam", "İan", "straße"):  # Kelvin sign, long s, dotted I, sharp s
        assert _folds_to_ascii(text)


@pytest.mark.parametrize(
    "reasons",
    [
        "Ann Lee holds nursing; near ANN LEE · 300 m away",
        "ann lee and Annabel Lee; Bo",
        "\u212aate Moss; sam; ſam · İan",  # case forms reaching ASCII: every name tried
        "Zoë Ng is near; zoë ng café",
        "no names here; lives in Soho",
        "",
    ],
)
def test_scrubbed_reasons_are_those_of_a_pattern_of_every_name(
    reasons: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = {"Ann Lee", "Annabel Lee", "Kate Moss", "Sam", "Ian", "Zoë Ng", "Bob"}

    def scrub() -> str:
        builder = build._Builder(ds=None, G=nx.MultiDiGraph())  # type: ignore[arg-type]
        builder.groups["group:x"] = ("Soho", names)
        return builder.scrub("group:x", reasons)

    got = scrub()
    monkeypatch.setattr(build, "_folds_to_ascii", lambda text: True)  # every name, always
    assert got == scrub()
    assert not any(name.lower() in got.lower() for name in names)
    assert "lives in Soho" in got


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(["a", None, "c", "a"], dtype="str"),
        pd.Series([1.5, np.nan, 3.0, -0.0]),
        pd.Series([1, None, 3, 4], dtype="Int64"),
        pd.Series([["a"], None, pd.Timestamp("2024-01-02"), "x"], dtype=object, index=[9, 8, 7, 6]),
    ],
)
def test_plain_values_of_chosen_rows_are_those_of_the_rows_chosen_first(series: pd.Series) -> None:
    rows = np.array([True, True, False, True])
    got = _plain_values(series, rows)
    expected = _plain_values(series[rows])
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert len(got) == 3 and got[1] is None


def test_shared_key_dicts_are_plain_dicts_of_the_items_given() -> None:
    keys = ("node_type", "label", "capacity", "located", "lon", "lat", "degree", "reach")
    new = SharedKeyDicts(keys)
    # any subset, in any order, later additions, deletions and keys outside the table
    orders = [keys[:4], ("label", "node_type", "located"), keys[::-1], ()]
    for order in orders:
        items = [(key, f"value of {key}") for key in order]
        attrs = new(items)
        assert type(attrs) is dict
        assert list(attrs.items()) == items
        attrs["degree"] = 3
        attrs["not shared"] = 1.5
        attrs.pop("label", None)
        expected = dict(items)
        expected["degree"] = 3
        expected["not shared"] = 1.5
        expected.pop("label", None)
        assert list(attrs.items()) == list(expected.items())
        assert pickle.loads(pickle.dumps(attrs)) == expected
        assert json.loads(json.dumps(attrs)) == expected
    assert new() == {}


def test_shared_key_dicts_are_smaller_and_not_resized_by_later_keys() -> None:
    keys = [f"attribute_{i}" for i in range(29)]
    attrs = SharedKeyDicts(keys)(zip(keys[:21], range(21), strict=True))
    plain_attrs = dict(zip(keys[:21], range(21), strict=True))
    size = sys.getsizeof(attrs)
    assert size < sys.getsizeof(plain_attrs)
    attrs.update(zip(keys[21:], range(8), strict=True))  # as the metrics add theirs
    assert sys.getsizeof(attrs) == size


def test_asset_nodes_share_their_keys(synthetic_graph: nx.MultiDiGraph) -> None:
    # the graph's node dicts are the compact kind, metrics included, groups too
    graph = synthetic_graph.copy()  # plain dicts again: the reference size
    graph_metrics(synthetic_graph)
    graph_metrics(graph)
    sizes = {
        (d.get("is_group"), sys.getsizeof(d) < sys.getsizeof(graph.nodes[n]))
        for n, d in synthetic_graph.nodes(data=True)
        if d["node_type"] == "asset"
    }
    assert sizes == {(False, True), (True, True)}
    assert list(synthetic_graph.nodes(data=True)) == list(graph.nodes(data=True))


def test_shared_floats_are_the_values_with_equal_numbers_shared() -> None:
    values = np.array([1.5, -0.0, 0.0, np.nan, 1.5, 0.0, -0.0, 2.25, np.inf])
    got = shared_floats(values)
    assert [math.copysign(1, v) if v == 0 else v for v in got if v == v] == [
        math.copysign(1, v) if v == 0 else v for v in values.tolist() if v == v
    ]
    assert math.isnan(got[3]) and all(type(v) is float for v in got)
    assert got[0] is got[4] and got[2] is got[5] and got[1] is got[6]
    assert got[1] is not got[2]  # -0.0 and 0.0 are not the same number here
    assert shared_floats(np.array([])) == [] and shared_floats(np.array([3.0])) == [3.0]


def test_nodes_on_one_point_share_its_coordinates(synthetic_graph: nx.MultiDiGraph) -> None:
    for group in (False, True):  # assets, then residents' groups
        located = [
            d
            for _, d in synthetic_graph.nodes(data=True)
            if d["node_type"] == "asset" and d["is_group"] is group and d["located"]
        ]
        for key in ("lon", "lat"):
            values = {d[key] for d in located}
            assert len(values) < len(located)  # some share a point: the test means something
            assert len({id(d[key]) for d in located}) == len(values)


@pytest.mark.parametrize("block", [1, 7, 10**6])
def test_metric_attributes_set_block_by_block_are_the_table(
    demo_graph: nx.MultiDiGraph, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats, "_ATTRIBUTE_BLOCK", block)
    G = demo_graph.copy()
    for attrs in G._node.values():  # noqa: SLF001 - a graph without metrics
        for key in ("degree", "betweenness", "component", "community", "reach"):
            attrs.pop(key, None)
    table = graph_metrics(G, seed=3).nodes.set_index("node")
    assert list(table.index) == list(G)
    for node, attrs in G.nodes(data=True):
        row = table.loc[node]
        assert attrs["degree"] == row["degree"]
        for key in ("betweenness", "component", "community", "reach"):
            if pd.isna(row[key]):
                assert key not in attrs
            else:
                assert attrs[key] == row[key]
                assert type(attrs[key]) is (float if key == "betweenness" else int)
