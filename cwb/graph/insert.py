"""Fast insertion of many new nodes and edges into a networkx multigraph.

networkx's ``add_nodes_from``/``add_edges_from`` copy every attribute dict (twice
for nodes) and build views per item; at a million assets that is seconds and a
gigabyte held twice. These functions give the same graph, in the same adjacency
order, keeping each attribute dict as given. ``paused_gc`` (:mod:`cwb._gc`) keeps the
garbage collector from walking the growing graph again and again while it is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from cwb._gc import paused_gc


def _plain_dicts(G: nx.MultiDiGraph) -> bool:
    """Whether ``G`` keeps its adjacency and attributes in plain dicts (networkx's default)."""
    return (
        G.adjlist_inner_dict_factory is dict
        and G.edge_key_dict_factory is dict
        and G.edge_attr_dict_factory is dict
    )


def add_new_nodes(G: nx.MultiDiGraph, nodes: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """``G.add_nodes_from(nodes)`` for nodes not yet in ``G``, keeping each dict as given.

    A node already in ``G`` is merged as networkx does.
    """
    succ, pred, attrs_of = G._succ, G._pred, G._node  # noqa: SLF001 - see the module docstring
    factory = G.adjlist_inner_dict_factory
    with paused_gc():
        for node, attrs in nodes:
            if node in attrs_of:
                G.add_node(node, **attrs)
                continue
            succ[node] = factory()
            pred[node] = factory()
            attrs_of[node] = attrs
    nx._clear_cache(G)


def add_new_edges(
    G: nx.MultiDiGraph, edges: Iterable[tuple[str, str, str, dict[str, Any]]]
) -> None:
    """``G.add_edges_from(edges)`` of keyed edges between nodes already in ``G``.

    The same graph as networkx's own method (the same adjacency order), without its
    views and copies; an edge whose key already joins the two nodes is updated.
    """
    succ, pred = G._succ, G._pred  # noqa: SLF001 - see the module docstring
    with paused_gc():
        for u, v, key, attrs in edges:
            keyed = succ[u].get(v)
            if keyed is None:
                keyed = G.edge_key_dict_factory()
                succ[u][v] = keyed
                pred[v][u] = keyed
            data = keyed.get(key)
            if data is None:
                keyed[key] = data = G.edge_attr_dict_factory()
            data.update(attrs)
    nx._clear_cache(G)


def add_typed_edges(G: nx.MultiDiGraph, pairs: Iterable[tuple[str, str]], edge_type: str) -> None:
    """Add an edge keyed ``edge_type`` with only ``edge_type`` as attribute for each pair.

    The same graph as :func:`add_new_edges` of ``(u, v, edge_type, {"edge_type":
    edge_type})``; a pair not yet joined (the usual case: a new node placed in its
    area) gets its dicts made in one step.
    """
    if not _plain_dicts(G):
        add_new_edges(G, ((u, v, edge_type, {"edge_type": edge_type}) for u, v in pairs))
        return
    succ, pred = G._succ, G._pred  # noqa: SLF001 - see the module docstring
    with paused_gc():
        for u, v in pairs:
            nbrs = succ[u]
            keyed = nbrs.get(v)
            if keyed is None:
                nbrs[v] = pred[v][u] = {edge_type: {"edge_type": edge_type}}
            elif edge_type in keyed:
                keyed[edge_type]["edge_type"] = edge_type
            else:
                keyed[edge_type] = {"edge_type": edge_type}
    nx._clear_cache(G)
