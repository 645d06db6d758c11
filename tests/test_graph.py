"""Tests of cwb.graph.build: building the typed network, privacy of residents, metrics."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import cwb.graph.metrics as stats
from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.model import Dataset
from cwb.dataset.schema import AREAS, ASSETS, OPPORTUNITIES, TableSpec
from cwb.graph.build import build_graph, plain
from cwb.graph.metrics import (
    BETWEENNESS_EXACT_MAX_NODES,
    _components_sparse,
    _numbered,
    graph_metrics,
    relational_view,
)

SOHO, LADYWOOD = "E05000001", "E05000002"
PRIVATE_TEXT = ("Jane Doe", "jane@example.org", "07700 900123", "Amir Khan", "amir@example.org")


def table(spec: TableSpec, rows: list[dict], geometries: list) -> gpd.GeoDataFrame:
    """A located table with every column of its spec, like ``read_dataset`` gives."""
    frame = pd.DataFrame(rows)
    for col in spec.column_names:
        if col not in frame.columns:
            frame[col] = None
    for col in ("count", "quantity"):
        if col in frame.columns:
            frame[col] = frame[col].astype("Int64")
    for col in ("capacity", "value"):
        if col in frame.columns:
            frame[col] = frame[col].astype("float64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"))


def make_dataset(human_counts: list[int] | None = None, min_count: int = 5) -> Dataset:
    """Two wards, one hospital, two opportunities, three public assets and some residents."""
    manifest = manifest_from_dict(
        {
            "dataset": {"name": "tiny"},
            "projects": [
                {
                    "id": "mmuh",
                    "name": "Midland Metropolitan University Hospital",
                    "lat": 52.495,
                    "lon": -1.955,
                    "kind": "hospital",
                }
            ],
            "privacy": {"min_count": min_count},
        }
    )
    areas = table(
        AREAS,
        [
            {
                "code": SOHO,
                "name": "Soho",
                "imd_decile": 1.0,
                "population": 28000,
                "local_authority": "Sandwell",
            },
            {
                "code": LADYWOOD,
                "name": "Ladywood",
                "imd_decile": 3.0,
                "population": 31000,
                "local_authority": "Birmingham",
            },
        ],
        [box(-1.98, 52.48, -1.96, 52.50), box(-1.96, 52.48, -1.94, 52.50)],
    )
    areas["population"] = areas["population"].astype("int64")
    opportunities = table(
        OPPORTUNITIES,
        [
            {
                "id": "O001",
                "project": "mmuh",
                "type": "job",
                "title": "Registered nurse (band 5)",
                "skills": "registered nurse",
                "quantity": 20,
                "value": 28000.0,
                "precision": "exact",
            },
            {
                "id": "O002",
                "project": "mmuh",
                "type": "contract",
                "title": "Catering lot",
                "skills": "catering;food hygiene",
                "value": 400000.0,
                "precision": "none",
            },
        ],
        [Point(-1.955, 52.495), None],
    )
    assets = [
        {
            "id": "A0001",
            "name": "Soho Road Kitchen",
            "kind": "financial",
            "category": "social_enterprise",
            "skills": "catering;food hygiene",
            "capacity": 250000.0,
            "contact_name": "Amir Khan",
            "contact_email": "amir@example.org",
            "precision": "exact",
        },
        {
            "id": "A0002",
            "name": "Ladywood Caterers",
            "kind": "financial",
            "category": "business",
            "skills": "catering",
            "capacity": 200000.0,
            "precision": "exact",
        },
        {
            "id": "A0003",
            "name": "Soho Community Centre",
            "kind": "physical",
            "category": "community_centre",
            "capacity": 300.0,
            "precision": "postcode",
        },
    ]
    geoms = [Point(-1.97, 52.49), Point(-1.95, 52.49), Point(-1.975, 52.485)]
    counts = human_counts if human_counts is not None else [4, 3]
    for i, count in enumerate(counts, start=1):  # one group of nurses in Soho
        assets.append(
            {
                "id": f"H{i:03d}",
                "name": f"Nurses with overseas qualifications {i}",
                "kind": "human",
                "category": "skills_group",
                "skills": "registered nurse",
                "count": count,
                "precision": "postcode",
            }
        )
        geoms.append(Point(-1.97 + 0.001 * i, 52.49))
    if human_counts is None:
        assets += [
            {
                "id": "H101",
                "name": "Jane Doe",
                "kind": "human",
                "category": "individual",
                "skills": "chef",
                "count": 1,
                "contact_email": "jane@example.org",
                "contact_phone": "07700 900123",
                "precision": "exact",
            },
            {
                "id": "H102",
                "name": "Unplaced residents",
                "kind": "human",
                "category": "skills_group",
                "skills": "porter",
                "count": 2,
                "precision": "none",
            },
        ]
        geoms += [Point(-1.945, 52.485), None]
    links = (
        pd.DataFrame(
            [
                {
                    "source": "A0001",
                    "target": "A0002",
                    "relation": "partner",
                    "description": "shared kitchen",
                    "since": "2019-01-01",
                },
                {
                    "source": "A0003",
                    "target": "H001",
                    "relation": "hosts",
                    "description": "Jane Doe",
                },
                {"source": "H101", "target": "A0001", "relation": "member_of", "description": ""},
            ]
        )
        if human_counts is None
        else None
    )
    return Dataset(
        manifest=manifest,
        assets=table(ASSETS, assets, geoms),
        opportunities=opportunities,
        areas=areas,
        links=links,
    )


def make_matching() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Matches, allocation and consortia in the shape cwb.matching.core gives them."""
    matches = pd.DataFrame(
        [
            {
                "asset_id": "A0001",
                "opportunity_id": "O002",
                "project": "mmuh",
                "score": 0.8,
                "reasons": "covers catering; 800 m from the project",
                "distance_m": 800.0,
            },
            {
                "asset_id": "A0002",
                "opportunity_id": "O002",
                "project": "mmuh",
                "score": 0.6,
                "reasons": ["covers catering", "missing food hygiene"],
                "distance_m": 500.0,
            },
            {
                "asset_id": "H001",
                "opportunity_id": "O001",
                "project": "mmuh",
                "score": 0.9,
                "reasons": "Nurses with overseas qualifications 1 cover registered nurse; "
                "1.2 km from the project",
                "distance_m": 1200.0,
                "count": 4,
            },
            {
                "asset_id": "H002",
                "opportunity_id": "O001",
                "project": "mmuh",
                "score": 0.7,
                "reasons": "covers registered nurse",
                "distance_m": 1100.0,
                "count": 3,
            },
            {
                "asset_id": "H101",
                "opportunity_id": "O001",
                "project": "mmuh",
                "score": 0.5,
                "reasons": "Jane Doe covers chef",
                "distance_m": 300.0,
            },
        ]
    )
    allocation = pd.DataFrame(
        [
            {"asset_id": "H001", "opportunity_id": "O001", "quantity": 4},
            {"asset_id": "H002", "opportunity_id": "O001", "quantity": 3},
            {"asset_id": "A0001", "opportunity_id": "O002", "amount": 250000.0},
        ]
    )
    consortia = pd.DataFrame(
        [
            {
                "consortium_id": "C1",
                "opportunity_id": "O002",
                "members": "A0001;A0002",
                "score": 0.7,
                "reasons": "combined capacity £450,000 covers £400,000",
            },
        ]
    )
    return matches, allocation, consortia


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    matches, allocation, consortia = make_matching()
    return build_graph(make_dataset(), matches, allocation, consortia)


def edges_of(G: nx.MultiDiGraph, edge_type: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, d in G.edges(data=True) if d["edge_type"] == edge_type}


def group_node(G: nx.MultiDiGraph) -> str:
    (node,) = [n for n, d in G.nodes(data=True) if d.get("is_group")]
    return node


def test_nodes_are_typed_and_prefixed(graph):
    types = {n: d["node_type"] for n, d in graph.nodes(data=True)}
    assert types["project:mmuh"] == "project"
    assert types["opportunity:O001"] == types["opportunity:O002"] == "opportunity"
    assert types["asset:A0001"] == "asset"
    assert types[f"area:{SOHO}"] == "area"
    assert types["consortium:C1"] == "consortium"
    assert all(
        n.split(":", 1)[0] in {"project", "opportunity", "asset", "area", "consortium", "group"}
        for n in graph
    )
    a = graph.nodes["asset:A0001"]
    assert (a["kind"], a["category"], a["label"]) == (
        "financial",
        "social_enterprise",
        "Soho Road Kitchen",
    )
    assert a["capacity"] == 250000.0 and a["area_code"] == SOHO
    assert graph.nodes[f"area:{SOHO}"]["imd_decile"] == 1.0
    assert graph.nodes[f"area:{SOHO}"]["population"] == 28000


def test_edges_are_typed(graph):
    g = group_node(graph)
    assert edges_of(graph, "offers") == {
        ("project:mmuh", "opportunity:O001"),
        ("project:mmuh", "opportunity:O002"),
    }
    assert edges_of(graph, "match") == {
        ("asset:A0001", "opportunity:O002"),
        ("asset:A0002", "opportunity:O002"),
        (g, "opportunity:O001"),
    }
    assert edges_of(graph, "allocated") == {
        (g, "opportunity:O001"),
        ("asset:A0001", "opportunity:O002"),
    }
    assert edges_of(graph, "consortium_member") == {
        ("asset:A0001", "consortium:C1"),
        ("asset:A0002", "consortium:C1"),
    }
    assert edges_of(graph, "proposed_for") == {("consortium:C1", "opportunity:O002")}
    assert edges_of(graph, "link") == {("asset:A0001", "asset:A0002"), ("asset:A0003", g)}
    located = edges_of(graph, "located_in")
    assert ("asset:A0001", f"area:{SOHO}") in located
    assert ("asset:A0002", f"area:{LADYWOOD}") in located
    assert ("project:mmuh", f"area:{LADYWOOD}") in located
    assert (g, f"area:{SOHO}") in located
    # the key of every edge is its type, so both a match and an allocation join g and O001
    assert set(graph[g]["opportunity:O001"]) == {"match", "allocated"}
    assert graph["asset:A0001"]["asset:A0002"]["link:partner"]["relation"] == "partner"


def test_edge_attributes(graph):
    g = group_node(graph)
    match = graph["asset:A0002"]["opportunity:O002"]["match"]
    assert match["score"] == 0.6
    assert match["reasons"] == "covers catering; missing food hygiene"
    assert match["distance_m"] == 500.0
    # residents: the best member's score, both members counted, residents allocated summed
    assert graph[g]["opportunity:O001"]["match"]["score"] == 0.9
    assert graph[g]["opportunity:O001"]["match"]["residents"] == 7
    assert graph[g]["opportunity:O001"]["allocated"]["quantity"] == 7
    assert graph["asset:A0001"]["opportunity:O002"]["allocated"]["amount"] == 250000.0
    assert graph["consortium:C1"]["opportunity:O002"]["proposed_for"]["score"] == 0.7
    assert graph.nodes["consortium:C1"]["size"] == 2


def test_opportunity_without_place_sits_at_its_project(graph):
    o2 = graph.nodes["opportunity:O002"]
    assert (o2["lon"], o2["lat"], o2["precision"]) == (-1.955, 52.495, "project")
    assert graph.nodes["opportunity:O001"]["opportunity_type"] == "job"


def test_residents_only_as_groups(graph):
    g = group_node(graph)
    d = graph.nodes[g]
    assert d["count"] == 7 and d["members"] == 2 and d["kind"] == "human"
    assert d["label"] == "7 residents: registered nurse (Soho)"
    assert not any(n.startswith("asset:H") for n in graph)
    # placed at the ward's representative point, not at a resident's home
    soho = graph.nodes[f"area:{SOHO}"]
    assert (d["lon"], d["lat"]) == (soho["lon"], soho["lat"])


def test_small_groups_are_suppressed_and_counted(graph):
    # Jane Doe (1 resident) and two unplaced porters fall below k = 5
    assert graph.graph["suppressed_groups"] == 2
    # 3 residents, published rounded down to a multiple of k (issue 11 item 4: differencing)
    assert graph.graph["suppressed_residents"] == 0
    # her match and her membership link are left out, and counted
    assert graph.graph["suppressed_edges"] == 2
    assert graph.graph["min_count"] == 5


def test_no_private_data_anywhere(graph):
    texts = [str(v) for _, d in graph.nodes(data=True) for v in d.values()]
    texts += [str(v) for *_, d in graph.edges(data=True) for v in d.values()]
    texts += list(graph)
    keys = {k for _, d in graph.nodes(data=True) for k in d} | {
        k for *_, d in graph.edges(data=True) for k in d
    }
    assert not any(k.startswith("contact") for k in keys)
    for secret in (*PRIVATE_TEXT, "Nurses with overseas qualifications"):
        assert not any(secret.lower() in t.lower() for t in texts), secret
    # a group edge keeps no one's distance from home
    reasons = graph[group_node(graph)]["opportunity:O001"]["match"]["reasons"]
    assert "km" not in reasons and "lives in Soho" in reasons
    assert "distance_m" not in graph[group_node(graph)]["opportunity:O001"]["match"]


def test_attributes_are_plain(graph):
    for _, d in [*graph.nodes(data=True), *((None, d) for *_, d in graph.edges(data=True))]:
        for key, value in d.items():
            assert type(value) in (str, int, float, bool), (key, value)
            assert value == value, key  # no NaN
    for value in graph.graph.values():
        assert type(value) in (str, int, float, bool)


def test_unknown_references_are_counted_not_silent():
    ds = make_dataset()
    matches = pd.DataFrame(
        [
            {"asset_id": "NOPE", "opportunity_id": "O001", "score": 0.5, "reasons": ""},
            {"asset_id": "A0001", "opportunity_id": "O999", "score": 0.5, "reasons": ""},
        ]
    )
    G = build_graph(ds, matches)
    assert G.graph["unknown_references"] == 2
    assert not edges_of(G, "match")


def test_result_object_and_long_consortia():
    matches, allocation, _ = make_matching()
    long = pd.DataFrame(
        [
            {"consortium_id": "K9", "opportunity_id": "O002", "asset_id": a}
            for a in ("A0001", "A0002", "A0003")
        ]
    )

    class Result:  # the shape of cwb.matching.core's result
        pass

    result = Result()
    result.matches, result.allocation, result.consortia = matches, allocation, long
    G = build_graph(make_dataset(), result)
    assert len(edges_of(G, "consortium_member")) == 3
    assert edges_of(G, "proposed_for") == {("consortium:K9", "opportunity:O002")}
    assert len(edges_of(G, "allocated")) == 2


def test_groups_named_by_matching_map_to_graph_groups():
    """cwb.matching.core names its own groups ``group:…`` and lists their rows in ``members``."""

    class Result:
        pass

    result = Result()
    result.members = {"group:E05000001:x1": ["H001", "H002"], "group:E05000002:x2": ["H101"]}
    result.matches = pd.DataFrame(
        [
            {
                "asset_id": "group:E05000001:x1",
                "opportunity_id": "O001",
                "score": 0.8,
                "reasons": "7 residents hold registered nurse · 1,200 m away",
                "count": 7,
            },
            {
                "asset_id": "group:E05000002:x2",
                "opportunity_id": "O001",
                "score": 0.4,
                "reasons": "",
                "count": 1,
            },
        ]
    )
    G = build_graph(make_dataset(), result)
    g = group_node(G)
    assert edges_of(G, "match") == {(g, "opportunity:O001")}
    edge = G[g]["opportunity:O001"]["match"]
    assert edge["residents"] == 7
    assert edge["reasons"] == "7 residents hold registered nurse; lives in Soho"
    assert G.graph["suppressed_edges"] == 2  # Jane Doe's group, and her link


def test_graph_without_matching_has_structure_only():
    G = build_graph(make_dataset())
    assert not edges_of(G, "match") and edges_of(G, "offers") and edges_of(G, "link")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=6),
    k=st.integers(min_value=1, max_value=12),
)
def test_residents_are_conserved_and_groups_never_small(counts, k):
    ds = make_dataset(human_counts=counts, min_count=k)
    G = build_graph(ds)
    groups = [d for _, d in G.nodes(data=True) if d.get("is_group")]
    assert all(g["count"] >= k for g in groups)
    hidden = sum(counts) - sum(g["count"] for g in groups)
    assert G.graph["suppressed_residents"] == (hidden // k * k if k > 1 else hidden)
    assert G.graph["suppressed_groups"] == (0 if sum(counts) >= k else 1)


# metrics -----------------------------------------------------------------------------------


def star_graph() -> nx.MultiDiGraph:
    """Hand-made: O1 is the only bridge between two matched assets and a project."""
    G = nx.MultiDiGraph()
    G.add_node("project:p", node_type="project", label="P")
    G.add_node("opportunity:o1", node_type="opportunity", label="O1")
    G.add_node("opportunity:o2", node_type="opportunity", label="O2")
    G.add_node("area:x", node_type="area", label="X")
    for a, kind in (("a", "financial"), ("b", "financial"), ("c", "community"), ("h", "human")):
        G.add_node(f"asset:{a}", node_type="asset", label=a.upper(), kind=kind, count=6)
        G.add_edge(f"asset:{a}", "area:x", key="located_in", edge_type="located_in")
    G.add_edge("project:p", "opportunity:o1", key="offers", edge_type="offers")
    G.add_edge("project:p", "opportunity:o2", key="offers", edge_type="offers")
    G.add_edge("asset:a", "opportunity:o1", key="match", edge_type="match")
    G.add_edge("asset:b", "opportunity:o1", key="match", edge_type="match")
    G.add_edge("asset:b", "opportunity:o1", key="allocated", edge_type="allocated")
    G.add_edge("asset:h", "opportunity:o2", key="match", edge_type="match")
    return G


def test_metrics_known_answer():
    G = star_graph()
    m = graph_metrics(G)
    s = m.summary
    assert s["nodes"] == 8 and s["edges"] == 10
    assert s["nodes_by_type"] == {"area": 1, "asset": 4, "opportunity": 2, "project": 1}
    assert s["edges_by_type"] == {"allocated": 1, "located_in": 4, "match": 3, "offers": 2}
    # relational view: a-o1-b, o1-p-o2-h, and c alone; the area is left out
    assert s["components"] == 2 and s["largest_component"] == 6 and s["isolated_nodes"] == 1
    assert s["betweenness_sample"] == 0
    nodes = m.nodes.set_index("node")
    assert nodes.loc["asset:b", "degree"] == 3
    assert pd.isna(nodes.loc["area:x", "betweenness"])
    # path graph a,b - o1 - p - o2 - h: o1 and p are the brokers
    assert list(m.brokers(2)["node"]) == ["opportunity:o1", "project:p"]
    assert nodes.loc["opportunity:o1", "betweenness"] == pytest.approx(
        7 / 15
    )  # 7 of 15 pairs of the 7 nodes
    assert nodes.loc["asset:a", "betweenness"] == 0
    assert nodes.loc["asset:c", "component"] != nodes.loc["asset:a", "component"]
    reach = m.reach.set_index("kind")
    assert (
        reach.loc["financial", "opportunities"] == 1
        and reach.loc["financial", "linked_assets"] == 2
    )
    assert reach.loc["human", "residents"] == 6 and reach.loc["human", "projects"] == 1
    assert reach.loc["community", "linked_assets"] == 0
    # attributes written back
    assert G.nodes["asset:b"]["reach"] == 1 and G.nodes["opportunity:o1"]["degree"] == 4
    assert "betweenness" not in G.nodes["area:x"]


def test_metrics_deterministic_and_sampled(graph):
    first = graph_metrics(graph, seed=3)
    second = graph_metrics(graph, seed=3)
    pd.testing.assert_frame_equal(first.nodes, second.nodes)
    sampled = graph_metrics(graph, betweenness_k=3)
    assert sampled.summary["betweenness_sample"] == 3
    # consortium C1 and O002 join the two caterers: a community of their own
    nodes = first.nodes.set_index("node")
    assert nodes.loc["asset:A0001", "community"] == nodes.loc["asset:A0002", "community"]
    reach = first.reach.set_index("kind")
    assert reach.loc["human", "opportunities"] == 1 and reach.loc["human", "residents"] == 7
    assert reach.loc["financial", "opportunities"] == 1


def test_large_graphs_sample_betweenness():
    G = nx.MultiDiGraph()
    n = BETWEENNESS_EXACT_MAX_NODES + 10
    G.add_nodes_from((f"asset:{i}", {"node_type": "asset", "kind": "physical"}) for i in range(n))
    G.add_edges_from(
        (f"asset:{i}", f"asset:{i + 1}", "link:x", {"edge_type": "link"}) for i in range(n - 1)
    )
    m = graph_metrics(G, set_attributes=False)
    assert m.summary["betweenness_sample"] > 0 and m.summary["components"] == 1


def test_relational_view_merges_parallel_edges():
    H = relational_view(star_graph())
    assert H["asset:b"]["opportunity:o1"]["weight"] == 2 and "area:x" not in H


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (["a", "b"], "a; b"),
        (pd.Timestamp("2024-01-02"), "2024-01-02"),
        (3, 3),
        (2.5, 2.5),
        (True, True),
    ],
)
def test_plain(value, expected):
    assert plain(value) == expected


def test_large_graph_rule_keeps_components_and_records_what_it_skips(graph, monkeypatch):
    small = graph_metrics(graph.copy(), set_attributes=False)
    monkeypatch.setattr(stats, "LARGE_GRAPH_NODES", 0)
    large = graph_metrics(graph.copy(), set_attributes=False)
    # components come from scipy above the threshold, numbered exactly as networkx's
    pd.testing.assert_series_equal(small.nodes["component"], large.nodes["component"])
    assert large.summary["components"] == small.summary["components"]
    # communities are skipped, never silently
    assert large.nodes["community"].isna().all() and large.summary["communities"] == 0
    assert "Louvain communities skipped" in large.summary["communities_note"]
    assert "sampled sources" in large.summary["betweenness_note"]
    assert "communities_note" not in small.summary


def test_sparse_components_match_networkx_numbering():
    H = nx.Graph([("b", "c"), ("x", "y"), ("y", "z"), ("a", "q")])
    H.add_nodes_from(["m", "d"])
    assert _components_sparse(H) == _numbered(nx.connected_components(H))
    assert _components_sparse(H)["x"] == 0 and _components_sparse(H)["a"] == 1


def test_louvain_runs_when_only_isolated_nodes_make_the_graph_large(graph, monkeypatch):
    """A million assets with a few thousand related ones still get communities."""
    graph = graph.copy()
    for i in range(3):  # assets nobody is related to
        graph.add_node(f"asset:alone{i}", node_type="asset", kind="physical", label=f"alone {i}")
    H = stats.relational_view(graph)
    connected = sum(1 for _, nbrs in H.adj.items() if nbrs)
    assert 0 < connected < H.number_of_nodes()
    small = graph_metrics(graph.copy(), set_attributes=False, seed=3)
    monkeypatch.setattr(stats, "LARGE_GRAPH_NODES", connected)  # n is above it, m is not
    large = graph_metrics(graph.copy(), set_attributes=False, seed=3)
    assert "sampled sources" in large.summary["betweenness_note"]
    assert "communities_note" not in large.summary
    pd.testing.assert_series_equal(small.nodes["community"], large.nodes["community"])
    assert large.summary["communities"] == small.summary["communities"] > 0
