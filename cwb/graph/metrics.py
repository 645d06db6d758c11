"""Metrics of a cwb graph: degree, brokers (betweenness), components, communities, reach.

Betweenness, components and communities describe who is related to whom, so
they are computed on :func:`relational_view`: areas and ``located_in`` edges
are left out (an area would join every asset of a ward and hide the brokers
that matter), edges are undirected and parallel edges merged. Degree counts
every edge of the graph. Louvain communities and sampled betweenness are
seeded, so the same graph always gives the same result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Betweenness is exact up to this many connected (non-isolated) nodes; above it, it is
#: estimated from :data:`BETWEENNESS_SAMPLE` source nodes (``betweenness_centrality(k=…)``,
#: seeded); time grows with sample × edges, and the top brokers keep their rank.
BETWEENNESS_EXACT_MAX_NODES = 2000
BETWEENNESS_SAMPLE = 100
#: Above this many nodes in the relational view the graph counts as *large*: components come
#: from ``scipy.sparse.csgraph`` (same numbering) and betweenness is estimated from only
#: :data:`BETWEENNESS_SAMPLE_LARGE` sources. Louvain communities are skipped when more than
#: this many nodes are *connected* (isolated nodes are communities of one and cost nothing).
#: Both choices are recorded in the summary (``betweenness_note``, ``communities_note``).
LARGE_GRAPH_NODES = 200_000
BETWEENNESS_SAMPLE_LARGE = 20
#: Edges that place a node rather than relate it; left out of the relational metrics.
GEOGRAPHIC_EDGES = frozenset({"located_in"})
#: Edges by which an asset reaches an opportunity (directly, or through a consortium).
_REACH_EDGES = frozenset({"match", "allocated"})
#: Metrics stored as node attributes by ``graph_metrics(set_attributes=True)``.
_METRIC_ATTRIBUTES = ("degree", "betweenness", "component", "community", "reach")


@dataclass
class GraphMetrics:
    """Metrics of a graph: a summary, one row per node, and the reach of each asset kind.

    ``nodes`` has ``node, node_type, label, kind, degree, betweenness, component,
    community, reach`` (``betweenness``, ``component`` and ``community`` are empty
    for area nodes, which the relational metrics leave out). ``reach`` has one row
    per asset kind: ``assets`` (nodes; a residents' group counts once),
    ``residents``, ``linked_assets``, ``opportunities`` and ``projects`` reached.
    """

    summary: dict[str, Any]
    nodes: pd.DataFrame
    reach: pd.DataFrame

    def brokers(self, n: int = 10) -> pd.DataFrame:
        """Return the ``n`` nodes with the highest betweenness (ties broken by node id)."""
        ranked = self.nodes.dropna(subset=["betweenness"])
        ranked = ranked[ranked["betweenness"] > 0]
        return ranked.sort_values(["betweenness", "node"], ascending=[False, True]).head(n)


def relational_view(G: nx.MultiDiGraph) -> nx.Graph:
    """Return the relations as an undirected simple graph: no areas, no ``located_in`` edges.

    Parallel edges collapse into one whose ``weight`` is their number. Areas would
    otherwise join every asset of a ward and hide the brokers that matter.
    """
    H = nx.Graph()
    H.add_nodes_from(n for n, d in G.nodes(data=True) if d.get("node_type") != "area")
    for u, v, d in G.edges(data=True):
        if d.get("edge_type") in GEOGRAPHIC_EDGES or u not in H or v not in H or u == v:
            continue
        if H.has_edge(u, v):
            H[u][v]["weight"] += 1
        else:
            H.add_edge(u, v, weight=1)
    return H


def _numbered(groups: Iterable[Iterable[str]]) -> dict[str, int]:
    """Node → group number; groups numbered by size (largest 0), then by smallest member."""
    ordered = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
    return {node: i for i, g in enumerate(ordered) for node in g}


def _components_sparse(H: nx.Graph) -> dict[str, int]:
    """:func:`_numbered` connected components of ``H``, computed with scipy (large graphs)."""
    nodes = list(H)
    n = len(nodes)
    if not n:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = np.array([(index[u], index[v]) for u, v in H.edges()], dtype=np.int64).reshape(-1, 2)
    adjacency = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    ).tocsr()
    count, labels = connected_components(adjacency, directed=False)
    sizes = np.bincount(labels, minlength=count)
    # rank of each node in name order; a component is known by its smallest member
    rank = np.empty(n, dtype=np.int64)
    rank[sorted(range(n), key=nodes.__getitem__)] = np.arange(n)
    smallest = np.full(count, n, dtype=np.int64)
    np.minimum.at(smallest, labels, rank)
    order = np.lexsort((smallest, -sizes))  # largest first, then by smallest member
    number = np.empty(count, dtype=np.int64)
    number[order] = np.arange(count)
    return dict(zip(nodes, number[labels].tolist(), strict=True))


def asset_reach(G: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Map each asset node to the opportunities it reaches (match, allocation, consortium)."""
    reach: dict[str, set[str]] = {n: set() for n, t in G.nodes(data="node_type") if t == "asset"}
    joined: list[tuple[str, str]] = []  # (asset, consortium)
    proposed: dict[str, set[str]] = {}  # consortium → opportunities
    for u, v, edge_type in G.edges(data="edge_type"):  # one pass over the edges
        if edge_type in _REACH_EDGES and u in reach:
            reach[u].add(v)
        elif edge_type == "consortium_member" and u in reach:
            joined.append((u, v))
        elif edge_type == "proposed_for":
            proposed.setdefault(u, set()).add(v)
    for asset, consortium in joined:
        reach[asset].update(proposed.get(consortium, ()))
    return reach


def _reach_table(G: nx.MultiDiGraph, reach: dict[str, set[str]]) -> pd.DataFrame:
    project_of = {v: u for u, v, d in G.edges(data=True) if d.get("edge_type") == "offers"}
    rows = []
    by_kind: dict[str, list[str]] = {}
    for n in reach:
        by_kind.setdefault(G.nodes[n].get("kind", ""), []).append(n)
    for kind in sorted(by_kind):
        nodes = by_kind[kind]
        opps = set().union(*(reach[n] for n in nodes)) if nodes else set()
        residents = sum(int(G.nodes[n].get("count", 0)) for n in nodes) if kind == "human" else 0
        rows.append(
            {
                "kind": kind,
                "assets": len(nodes),
                "residents": residents,
                "linked_assets": sum(1 for n in nodes if reach[n]),
                "opportunities": len(opps),
                "projects": len({project_of[o] for o in opps if o in project_of}),
            }
        )
    columns = ["kind", "assets", "residents", "linked_assets", "opportunities", "projects"]
    return pd.DataFrame(rows, columns=columns)


def graph_metrics(
    G: nx.MultiDiGraph,
    *,
    seed: int = 0,
    betweenness_k: int | None = None,
    set_attributes: bool = True,
) -> GraphMetrics:
    """Degree, betweenness (brokers), components, communities and reach of a cwb graph.

    Parameters
    ----------
    G
        A graph from :func:`build_graph`.
    seed
        Seed of the Louvain communities and of the betweenness sample: same graph,
        same result.
    betweenness_k
        Source nodes sampled to estimate betweenness. By default betweenness is
        exact up to :data:`BETWEENNESS_EXACT_MAX_NODES` connected nodes of the
        relational view and estimated from :data:`BETWEENNESS_SAMPLE` sources above
        it. Values are normalised over every node of the view.
    set_attributes
        Also store ``degree``, ``betweenness``, ``component``, ``community`` and
        (assets) ``reach`` as node attributes of ``G``.

    Returns
    -------
    GraphMetrics
        The summary, the per-node table and the reach of each asset kind.

    Notes
    -----
    Degree counts every edge of ``G``. Betweenness, components and communities
    are computed on :func:`relational_view` (areas and ``located_in`` edges left
    out, undirected, parallel edges merged).

    Large graphs: above :data:`LARGE_GRAPH_NODES` nodes in the relational view,
    components come from ``scipy.sparse.csgraph`` (numbered exactly as below the
    threshold) and betweenness is estimated from :data:`BETWEENNESS_SAMPLE_LARGE`
    seeded sources unless ``betweenness_k`` is given. Louvain communities are
    skipped only when more than :data:`LARGE_GRAPH_NODES` nodes are connected (the
    ``community`` column is then empty, ``summary["communities"]`` is 0).
    Both choices are recorded in ``summary["betweenness_note"]`` and
    ``summary["communities_note"]``, never silently.
    """
    H = relational_view(G)
    # isolated nodes broker nothing and form communities of one: leave them out of the work
    # a plain graph in H's node order: a subgraph view of a node set iterates that set in
    # string-hash order, which changes from one Python process to the next (so did the
    # betweenness sample), and walking a view is slow
    core = nx.Graph()
    core.add_nodes_from(node for node, nbrs in H.adj.items() if nbrs)
    core.add_edges_from(H.edges(data=True))
    n, m = H.number_of_nodes(), core.number_of_nodes()
    large = n > LARGE_GRAPH_NODES
    notes: dict[str, str] = {}
    if large:
        if betweenness_k is None:
            betweenness_k = BETWEENNESS_SAMPLE_LARGE
            notes["betweenness_note"] = (
                f"estimated from {BETWEENNESS_SAMPLE_LARGE} sampled sources: the relational "
                f"view has {n} nodes (more than {LARGE_GRAPH_NODES})"
            )
    elif betweenness_k is None and m > BETWEENNESS_EXACT_MAX_NODES:
        betweenness_k = BETWEENNESS_SAMPLE
    k = betweenness_k if betweenness_k is not None and betweenness_k < m else None
    raw = nx.betweenness_centrality(core, k=k, normalized=False, seed=seed) if m else {}
    scale = 2 / ((n - 1) * (n - 2)) if n > 2 else 0.0  # normalised over the whole view
    betweenness = {node: raw.get(node, 0.0) * scale for node in H}
    components = _components_sparse(H) if large else _numbered(nx.connected_components(H))
    communities: dict[str, int] = {}
    if m > LARGE_GRAPH_NODES:
        notes["communities_note"] = (
            f"Louvain communities skipped: {m} nodes of the relational view are connected "
            f"(more than {LARGE_GRAPH_NODES}); the community column is empty"
        )
    else:
        groups = nx.community.louvain_communities(core, weight="weight", seed=seed) if m else []
        isolated = sorted(set(H) - set(core))
        communities = _numbered([*groups, *([node] for node in isolated)])
    reach = asset_reach(G)
    degrees = dict(G.degree())
    rows = []
    for node, d in G.nodes(data=True):
        rows.append(
            {
                "node": node,
                "node_type": d.get("node_type", ""),
                "label": d.get("label", ""),
                "kind": d.get("kind", ""),
                "degree": int(degrees[node]),
                "betweenness": betweenness.get(node, np.nan),
                "component": components.get(node, pd.NA),
                "community": communities.get(node, pd.NA),
                "reach": len(reach[node]) if node in reach else pd.NA,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "node",
            "node_type",
            "label",
            "kind",
            "degree",
            "betweenness",
            "component",
            "community",
            "reach",
        ],
    )
    for col in ("component", "community", "reach"):
        table[col] = table[col].astype("Int64")
    if set_attributes:
        for row in rows:  # the same values as the table's (ints, NaN and pd.NA for missing)
            # plain ints and floats already: missing (NaN, pd.NA) values are left out
            G.nodes[row["node"]].update(
                {c: v for c in _METRIC_ATTRIBUTES if (v := row[c]) is not pd.NA and v == v}
            )
    sizes = Counter(components.values())
    summary: dict[str, Any] = {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_type": dict(
            sorted(Counter(d.get("node_type", "") for _, d in G.nodes(data=True)).items())
        ),
        "edges_by_type": dict(
            sorted(Counter(d.get("edge_type", "") for *_, d in G.edges(data=True)).items())
        ),
        "components": len(sizes),
        "largest_component": max(sizes.values(), default=0),
        "isolated_nodes": sum(1 for s in sizes.values() if s == 1),
        "communities": len(set(communities.values())),
        "betweenness_sample": k or 0,
        **notes,
        **{
            key: G.graph[key]
            for key in (
                "suppressed_groups",
                "suppressed_residents",
                "suppressed_edges",
                "unknown_references",
                "unlocated_nodes",
            )
            if key in G.graph
        },
    }
    return GraphMetrics(summary=summary, nodes=table, reach=_reach_table(G, reach))
