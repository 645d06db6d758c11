"""Metrics of a cwb graph: degree, brokers (betweenness), components, communities, reach.

Betweenness, components and communities describe who is related to whom, so
they are computed on :func:`relational_view`: areas and ``located_in`` edges
are left out (an area would join every asset of a ward and hide the brokers
that matter), edges are undirected and parallel edges merged. Degree counts
every edge of the graph. Louvain communities and sampled betweenness are
seeded, so the same graph always gives the same result.
"""

from __future__ import annotations

import math
import operator
import random
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cwb._gc import paused_gc
from cwb.graph.values import shared_floats

#: Betweenness is exact up to this many connected (non-isolated) nodes; above it, it is
#: estimated from :data:`BETWEENNESS_SAMPLE` source nodes (``betweenness_centrality(k=…)``,
#: seeded); time grows with sample × edges, and the top brokers keep their rank.
BETWEENNESS_EXACT_MAX_NODES = 2000
BETWEENNESS_SAMPLE = 100
#: Above this many nodes in the relational view the graph counts as *large*: betweenness is
#: estimated from only :data:`BETWEENNESS_SAMPLE_LARGE` sources and Louvain runs component by
#: component, skipped when more than this many nodes lie in components it must split.
#: Each choice is recorded in the summary (``betweenness_note``, ``communities_method``,
#: ``communities_note``).
LARGE_GRAPH_NODES = 200_000
BETWEENNESS_SAMPLE_LARGE = 20
#: Edges that place a node rather than relate it; left out of the relational metrics.
GEOGRAPHIC_EDGES = frozenset({"located_in"})
#: Edges by which an asset reaches an opportunity (directly, or through a consortium).
_REACH_EDGES = frozenset({"match", "allocated"})
#: Every edge :func:`_reach_of` follows.
_REACH_WALK = _REACH_EDGES | {"consortium_member", "proposed_for"}


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
    """:func:`_numbered` connected components of ``H``, computed with scipy."""
    nodes = list(H)
    if not nodes:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = np.array([(index[u], index[v]) for u, v in H.edges()], dtype=np.int64).reshape(-1, 2)
    labels = _component_labels(pairs, len(nodes))
    return dict(zip(nodes, _group_numbers(labels, _name_ranks(nodes)).tolist(), strict=True))


def _component_labels(pairs: np.ndarray, n: int) -> np.ndarray:
    """A connected component label for each of ``n`` nodes joined by ``pairs`` (scipy)."""
    adjacency = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    ).tocsr()
    return connected_components(adjacency, directed=False)[1]


def asset_reach(G: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Map each asset node to the opportunities it reaches (match, allocation, consortium)."""
    assets = [n for n, t in G.nodes(data="node_type") if t == "asset"]
    reach = _reach_of(assets, G.edges(data="edge_type"))
    return {n: reach.get(n, set()) for n in assets}


def _reach_of(assets: Iterable[str], edges: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """The opportunities each of ``assets`` reaches; assets reaching none are left out."""
    is_asset = set(assets)
    reach: dict[str, set[str]] = {}
    joined: list[tuple[str, str]] = []  # (asset, consortium)
    proposed: dict[str, set[str]] = {}  # consortium → opportunities
    for u, v, edge_type in edges:  # one pass over the edges
        if edge_type in _REACH_EDGES and u in is_asset:
            reach.setdefault(u, set()).add(v)
        elif edge_type == "consortium_member" and u in is_asset:
            joined.append((u, v))
        elif edge_type == "proposed_for":
            proposed.setdefault(u, set()).add(v)
    for asset, consortium in joined:
        reach.setdefault(asset, set()).update(proposed.get(consortium, ()))
    return reach


def _reach(rel: _Relations) -> dict[str, set[str]]:
    assets = (n for n, t in zip(rel.nodes, rel.types, strict=True) if t == "asset")
    return _reach_of(assets, _edges_of_types(rel, _REACH_WALK))


def _reach_table(G: nx.MultiDiGraph, rel: _Relations, reach: dict[str, set[str]]) -> pd.DataFrame:
    project_of = {v: u for u, v, _ in _edges_of_types(rel, frozenset({"offers"}))}
    rows = []
    by_kind: dict[str, list[str]] = {}
    for node, node_type, kind in zip(rel.nodes, rel.types, rel.kinds, strict=True):
        if node_type == "asset":
            by_kind.setdefault(kind, []).append(node)
    # the assets reaching something, by kind (reach holds asset nodes only)
    reaching: dict[str, list[set[str]]] = {}
    for node, opps in reach.items():
        if opps:
            reaching.setdefault(rel.kinds[rel.index[node]], []).append(opps)
    for kind in sorted(by_kind):
        nodes = by_kind[kind]
        opps = set().union(*reaching.get(kind, ()))
        residents = sum(int(G.nodes[n].get("count", 0)) for n in nodes) if kind == "human" else 0
        rows.append(
            {
                "kind": kind,
                "assets": len(nodes),
                "residents": residents,
                "linked_assets": len(reaching.get(kind, ())),
                "opportunities": len(opps),
                "projects": len({project_of[o] for o in opps if o in project_of}),
            }
        )
    columns = ["kind", "assets", "residents", "linked_assets", "opportunities", "projects"]
    return pd.DataFrame(rows, columns=columns)


def sampled_betweenness(G: nx.Graph, k: int, *, seed: int = 0) -> dict[str, float]:
    """``nx.betweenness_centrality(G, k=k, normalized=False, seed=seed)``: the same values.

    networkx sets up a table of every node of ``G`` for each sampled source; here
    each source's breadth-first search touches only its own component, so a
    sample over a million mostly unrelated nodes costs what their components cost.
    """
    sources = random.Random(seed).sample(list(G), k)
    betweenness = dict.fromkeys(G, 0.0)
    adj = G.adj
    for s in sources:
        order: list[str] = []
        preds: dict[str, list[str]] = {s: []}
        sigma = {s: 1.0}
        dist = {s: 0}
        queue = deque([s])
        while queue:  # breadth first: shortest paths and how many there are (Brandes)
            v = queue.popleft()
            order.append(v)
            dv, sigmav = dist[v], sigma[v]
            for w in adj[v]:
                if w not in dist:
                    queue.append(w)
                    dist[w] = dv + 1
                    sigma[w] = 0.0
                    preds[w] = []
                if dist[w] == dv + 1:
                    sigma[w] += sigmav
                    preds[w].append(v)
        delta = dict.fromkeys(order, 0.0)
        while order:  # dependencies, back from the farthest
            w = order.pop()
            coeff = (1 + delta[w]) / sigma[w]
            for v in preds[w]:
                delta[v] += sigma[v] * coeff
            if w != s:
                betweenness[w] += delta[w]
    pairs = len(G) - 1  # networkx's rescaling of a sample (undirected, no endpoints)
    if pairs < 2:
        return betweenness
    scale_source = pairs / ((k - 1) * 2) if k > 1 else math.nan
    scale_other = pairs / (k * 2)
    sampled = set(sources)
    for v in betweenness:
        betweenness[v] *= scale_source if v in sampled else scale_other
    return betweenness


@dataclass
class _Relations:
    """The graph as arrays, read in one pass: positions are positions in ``G``'s node order."""

    nodes: list[str]
    types: list[str]
    labels: list[str]
    kinds: list[str]
    index: dict[str, int]
    #: the type of every edge, in ``G.edges`` order
    edge_types: list[str]
    #: node positions of every edge's ends
    src: np.ndarray
    dst: np.ndarray
    #: not an area: a node of :func:`relational_view`
    relational: np.ndarray
    #: the relational view's edges (a < b) in the order ``relational_view(G).edges`` yields them
    pairs: np.ndarray
    weights: np.ndarray

    @property
    def edges(self) -> list[tuple[str, str, str]]:
        """(source, target, edge_type) of every edge, in ``G.edges`` order."""
        return self._edges(slice(None))

    def _edges(self, chosen: slice | list[int]) -> list[tuple[str, str, str]]:
        nodes, types = self.nodes, self.edge_types
        if isinstance(chosen, slice):
            picked = types[chosen]
        else:
            picked = [types[i] for i in chosen]
        return [
            (nodes[a], nodes[b], t)
            for a, b, t in zip(
                self.src[chosen].tolist(), self.dst[chosen].tolist(), picked, strict=True
            )
        ]


def _relations(G: nx.MultiDiGraph) -> _Relations:
    """:func:`relational_view` of ``G`` as arrays (same nodes, edges, weights and order)."""
    attrs_of = G._node  # noqa: SLF001 - what G.nodes(data=True) iterates, read only
    nodes = list(attrs_of)
    types = [attrs.get("node_type", "") for attrs in attrs_of.values()]
    labels = [attrs.get("label", "") for attrs in attrs_of.values()]
    kinds = [attrs.get("kind", "") for attrs in attrs_of.values()]
    index = dict(zip(nodes, range(len(nodes)), strict=True))
    position = index.__getitem__
    with paused_gc():  # lists of a million items: see paused_gc
        if G.is_multigraph():
            # G.edges(data=…)'s order, read from the adjacency itself (the edge view counts
            # every edge before a list of it is made, and is several times slower); each
            # source's edges follow each other, so its position is repeated, not looked up
            adj = G._adj  # noqa: SLF001 - G.edges' own source, read only
            out_edges = [sum(map(len, nbrs.values())) for nbrs in adj.values()]
            targets = [v for nbrs in adj.values() for v, keyed in nbrs.items() for _ in keyed]
            edge_types = [
                attrs.get("edge_type", "")
                for nbrs in adj.values()
                for keyed in nbrs.values()
                for attrs in keyed.values()
            ]
            sources = np.fromiter(map(position, adj), np.int64, len(adj))
            src = np.repeat(sources, np.array(out_edges, dtype=np.int64))
        else:
            triples = list(G.edges(data="edge_type", default=""))
            targets = list(map(itemgetter(1), triples))
            edge_types = list(map(itemgetter(2), triples))
            src = np.fromiter(map(position, map(itemgetter(0), triples)), np.int64, len(triples))
    n_nodes, n_edges = len(nodes), len(edge_types)
    dst = np.fromiter(map(position, targets), np.int64, n_edges)
    relational = np.fromiter(map(operator.ne, types, repeat("area")), bool, n_nodes)
    placing = np.fromiter(map(GEOGRAPHIC_EDGES.__contains__, edge_types), bool, n_edges)
    keep = ~placing & relational[src] & relational[dst] & (src != dst)
    low, high = np.minimum(src, dst)[keep], np.maximum(src, dst)[keep]
    keys, first, counts = np.unique(
        low * max(n_nodes, 1) + high, return_index=True, return_counts=True
    )
    a, b = np.divmod(keys, max(n_nodes, 1))
    # relational_view(G).edges: by the earlier end in node order, then in the order each
    # pair was first met among G's edges (the order of the earlier end's adjacency)
    order = np.lexsort((first, a))
    pairs = np.column_stack([a[order], b[order]]) if len(keys) else np.empty((0, 2), np.int64)
    return _Relations(
        nodes,
        types,
        labels,
        kinds,
        index,
        edge_types,
        src,
        dst,
        relational,
        pairs,
        counts[order],
    )


def _edges_of_types(rel: _Relations, wanted: frozenset[str]) -> list[tuple[str, str, str]]:
    """The edges of ``rel`` whose type is one of ``wanted``, in their order."""
    chosen = np.fromiter(map(wanted.__contains__, rel.edge_types), bool, len(rel.edge_types))
    return rel._edges(np.flatnonzero(chosen).tolist())


def _name_ranks(nodes: list[str]) -> np.ndarray:
    """The rank of each node id in sorted order."""
    rank = np.empty(len(nodes), dtype=np.int64)
    rank[sorted(range(len(nodes)), key=nodes.__getitem__)] = np.arange(len(nodes))
    return rank


def _group_numbers(labels: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """:func:`_numbered` of groups given as labels: largest group 0, ties by smallest member."""
    if not len(labels):
        return np.empty(0, dtype=np.int64)
    _, dense = np.unique(labels, return_inverse=True)
    count = int(dense.max()) + 1
    sizes = np.bincount(dense, minlength=count)
    smallest = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, dense, rank)
    order = np.lexsort((smallest, -sizes))
    number = np.empty(count, dtype=np.int64)
    number[order] = np.arange(count)
    return number[dense]


def _core_graph(rel: _Relations, keep: np.ndarray) -> nx.Graph:
    """The related nodes of ``keep`` (a node mask) and their edges, as a plain graph.

    Nodes in ``G``'s order and edges in the relational view's order, so that seeded
    sampling and Louvain see the same graph in every process: the graph
    ``add_nodes_from``/``add_edges_from`` would build, without their per-item checks.
    """
    core = nx.Graph()
    adj, attrs_of = core._adj, core._node  # noqa: SLF001 - filled as add_*_from fill them
    names = rel.nodes
    with paused_gc():
        for i in np.flatnonzero(keep).tolist():
            adj[names[i]] = {}
            attrs_of[names[i]] = {}
        chosen = keep[rel.pairs[:, 0]]
        pairs, weights = rel.pairs[chosen].tolist(), rel.weights[chosen].tolist()
        for (a, b), w in zip(pairs, weights, strict=True):
            u, v = names[a], names[b]
            if v not in adj:  # an end outside keep joins, as add_edges_from adds it
                adj[v] = {}
                attrs_of[v] = {}
            adj[u][v] = adj[v][u] = {"weight": w}  # the pairs are distinct, a ≠ b
    nx._clear_cache(core)
    return core


def _louvain_labels(
    rel: _Relations, core: nx.Graph, components: np.ndarray, *, large: bool, seed: int
) -> tuple[np.ndarray | None, str | None]:
    """A community label per node (None: skipped) and the note to keep in the summary.

    Isolated nodes are communities of one. Small views run Louvain on ``core`` whole.
    Large views (:data:`LARGE_GRAPH_NODES`) run it component by component: Louvain
    never joins two components, and a component whose edge weight ``W`` has
    ``W² ≤ M`` (``M`` the view's total weight) gains modularity from every merge of
    two of its parts, so Louvain leaves it whole. Such components are one community
    each; Louvain runs only on the larger ones, with their share of ``M`` kept (a
    padding edge carries the rest). Skipped when more than
    :data:`LARGE_GRAPH_NODES` nodes lie in those larger components.
    """
    labels = np.arange(len(rel.nodes), dtype=np.int64) + len(rel.nodes)  # alone: own label
    index = rel.index
    note = None
    if not large:
        groups = nx.community.louvain_communities(core, weight="weight", seed=seed) if index else []
    else:
        total = int(rel.weights.sum())
        pair_component = components[rel.pairs[:, 0]]
        weight = np.bincount(pair_component, weights=rel.weights, minlength=len(rel.nodes))
        split = weight**2 > total
        connected = np.zeros(len(rel.nodes), dtype=bool)
        connected[rel.pairs.ravel()] = True
        in_split = connected & split[components]
        count = int(in_split.sum())
        if count > LARGE_GRAPH_NODES:
            return None, (
                f"Louvain communities skipped: {count} nodes of the relational view lie in "
                f"components too large to be one community each (more than "
                f"{LARGE_GRAPH_NODES}); the community column is empty"
            )
        whole = connected & ~in_split
        labels[whole] = components[whole]
        groups = []
        if count:
            sub = _core_graph(rel, in_split)
            rest = total - int(rel.weights[in_split[rel.pairs[:, 0]]].sum())
            if rest:  # the other components' weight: modularity stays the whole view's
                sub.add_edge(_PAD[0], _PAD[1], weight=rest)
            found = nx.community.louvain_communities(sub, weight="weight", seed=seed)
            groups = [g for g in found if _PAD[0] not in g]
        note = (
            f"Louvain ran on {count} nodes in {int((split & (weight > 0)).sum())} component(s); "
            f"each other component (edge weight W with W² ≤ {total}, the relational view's "
            "weight) is one community, as Louvain leaves it"
        )
    offset = 2 * len(rel.nodes)
    for number, group in enumerate(groups):
        labels[[index[node] for node in group]] = offset + number
    return labels, note


#: Two nodes no cwb graph has (tuples, never strings): the padding edge of a split view.
_PAD = (("", "pad", 0), ("", "pad", 1))


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

    Everything is computed from arrays read in one pass over ``G`` (components
    with ``scipy.sparse.csgraph``); networkx runs only on the connected nodes.

    Large graphs: above :data:`LARGE_GRAPH_NODES` nodes in the relational view,
    betweenness is estimated from :data:`BETWEENNESS_SAMPLE_LARGE` seeded sources
    unless ``betweenness_k`` is given, and Louvain runs component by component (see
    :func:`_louvain_labels`; ``summary["communities_method"]`` says so). Louvain is
    skipped when more than :data:`LARGE_GRAPH_NODES` nodes lie in components it must
    split (the ``community`` column is then empty, ``summary["communities"]`` is 0).
    Each choice is recorded in ``summary["betweenness_note"]``,
    ``summary["communities_method"]`` or ``summary["communities_note"]``, never silently.
    """
    rel = _relations(G)
    nodes, n_nodes = rel.nodes, len(rel.nodes)
    connected = np.zeros(n_nodes, dtype=bool)
    connected[rel.pairs.ravel()] = True
    # isolated nodes broker nothing and form communities of one: leave them out of the work.
    # A plain graph in G's node order: a subgraph view of a node set iterates that set in
    # string-hash order, which changes from one Python process to the next (so did the
    # betweenness sample), and walking a view is slow
    core = _core_graph(rel, connected)
    n, m = int(rel.relational.sum()), core.number_of_nodes()
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
    if not m:
        raw: dict[str, float] = {}
    elif k is None:
        raw = nx.betweenness_centrality(core, normalized=False, seed=seed)
    else:
        raw = sampled_betweenness(core, k, seed=seed)
    scale = 2 / ((n - 1) * (n - 2)) if n > 2 else 0.0  # normalised over the whole view
    index = rel.index
    betweenness = np.where(rel.relational, 0.0, np.nan)
    for node, value in raw.items():
        betweenness[index[node]] = value * scale
    # components over every node (areas are isolated there, and left out below)
    labels = _component_labels(rel.pairs, n_nodes)
    rank = _name_ranks(nodes)
    related = np.flatnonzero(rel.relational)
    component = np.full(n_nodes, -1, dtype=np.int64)
    component[related] = _group_numbers(labels[related], rank[related])
    community_labels, note = _louvain_labels(rel, core, labels, large=large, seed=seed)
    community = np.full(n_nodes, -1, dtype=np.int64)
    if community_labels is None:
        notes["communities_note"] = note or ""
    else:
        community[related] = _group_numbers(community_labels[related], rank[related])
        if note:
            notes["communities_method"] = note
    reach = _reach(rel)
    degree = np.bincount(rel.src, minlength=n_nodes) + np.bincount(rel.dst, minlength=n_nodes)
    reach_count = np.where(np.array(rel.types, dtype=object) == "asset", 0, -1)
    for node, opps in reach.items():
        reach_count[index[node]] = len(opps)
    table = pd.DataFrame(
        {
            "node": nodes,
            "node_type": rel.types,
            "label": rel.labels,
            "kind": rel.kinds,
            "degree": degree.astype(np.int64),
            "betweenness": betweenness,
            "component": _nullable(component),
            "community": _nullable(community),
            "reach": _nullable(reach_count),
        }
    )
    sizes = np.bincount(component[related]) if len(related) else np.empty(0, np.int64)
    summary: dict[str, Any] = {
        "nodes": n_nodes,
        "edges": len(rel.edge_types),
        "nodes_by_type": dict(sorted(Counter(rel.types).items())),
        "edges_by_type": dict(sorted(Counter(rel.edge_types).items())),
        "components": len(sizes),
        "largest_component": int(sizes.max(initial=0)),
        "isolated_nodes": int((sizes == 1).sum()),
        "communities": len(np.unique(community[community >= 0])),
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
    reach_table = _reach_table(G, rel, reach)
    # last, once the working structures are gone: the attributes stay with G for good
    del rel, core, raw, reach, labels, community_labels, index, nodes
    if set_attributes:
        _set_metric_attributes(G, degree, betweenness, component, community, reach_count)
    return GraphMetrics(summary=summary, nodes=table, reach=reach_table)


def _nullable(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Integers with -1 as missing, as a nullable ``Int64`` array."""
    return pd.arrays.IntegerArray(values.astype(np.int64), values < 0)


def _set_metric_attributes(
    G: nx.MultiDiGraph,
    degree: np.ndarray,
    betweenness: np.ndarray,
    component: np.ndarray,
    community: np.ndarray,
    reach: np.ndarray,
) -> None:
    """Store the metrics as node attributes (plain ints and floats; missing ones left out).

    Block by block (no list of a million values per metric at once); a component and a
    community of the same number hold one int object, equal betweenness one float.
    """
    top = int(max(component.max(initial=-1), community.max(initial=-1)))
    numbers = np.arange(top + 1).tolist()  # one int per number, shared by both columns
    attrs_of = iter(G._node.values())  # noqa: SLF001 - what G.nodes(data=True) iterates
    for start in range(0, len(degree), _ATTRIBUTE_BLOCK):
        block = slice(start, start + _ATTRIBUTE_BLOCK)
        columns = zip(
            degree[block].tolist(),
            shared_floats(betweenness[block]),  # mostly 0.0: one object, not one per node
            component[block].tolist(),
            community[block].tolist(),
            reach[block].tolist(),
            strict=True,
        )
        # the block's values first: zip stops at their end without taking the next node
        for (deg, btw, comp, comm, rch), attrs in zip(columns, attrs_of, strict=False):
            attrs["degree"] = deg
            if btw == btw:
                attrs["betweenness"] = btw
            if comp >= 0:
                attrs["component"] = numbers[comp]
            if comm >= 0:
                attrs["community"] = numbers[comm]
            if rch >= 0:
                attrs["reach"] = rch


#: Nodes whose metric attributes are set together (see :func:`_set_metric_attributes`).
_ATTRIBUTE_BLOCK = 65_536
