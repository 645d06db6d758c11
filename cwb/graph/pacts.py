"""Pacts of collaboration in the graph: a pact node joining its partners and its place.

Each row of ``pacts.csv`` becomes a node ``pact:<id>`` (``node_type = "pact"``) placed at
its place, with the edges ``pact_place`` (pact → the physical asset) and
``pact_partner`` (each partner → pact). Partners that are residents' rows, or ids the
graph does not hold, are counted (``unknown_references`` / ``suppressed_edges``) by the
builder and get no edge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import pandas as pd

from cwb.dataset.schema import split_list

#: Pact columns copied onto the pact node.
PACT_ATTRIBUTES: tuple[str, ...] = (
    "status",
    "proposed_on",
    "signed_on",
    "starts",
    "ends",
    "activities",
    "insured_by",
    "hours_per_week",
)


def _value(value: Any) -> str | float | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return float(value) if isinstance(value, int | float) else str(value)


def add_pacts(
    G: nx.MultiDiGraph,
    pacts: pd.DataFrame,
    asset_node: Callable[[object], str | None],
) -> int:
    """Add a node per pact and its ``pact_place`` and ``pact_partner`` edges; return the count.

    Parameters
    ----------
    G
        The graph being built (asset nodes already in it).
    pacts
        The dataset's pacts table.
    asset_node
        Asset id → node id (None when unknown or suppressed).
    """
    added = 0
    for row in pacts.to_dict("records"):
        nid = f"pact:{row['id']}"
        place = asset_node(row["asset"])
        where = G.nodes[place] if place is not None else {}
        attrs: dict[str, Any] = {
            "node_type": "pact",
            "record_id": str(row["id"]),
            "label": str(_value(row.get("title")) or f"Pact {row['id']}"),
            "located": bool(where.get("located", False)),
        }
        if attrs["located"]:
            attrs["lon"], attrs["lat"] = where["lon"], where["lat"]
        for column in PACT_ATTRIBUTES:
            value = _value(row.get(column))
            attrs[column] = "" if value is None and column != "hours_per_week" else value
        G.add_node(nid, **{k: v for k, v in attrs.items() if v is not None})
        added += 1
        if place is not None:
            G.add_edge(nid, place, key="pact_place", edge_type="pact_place")
        for partner in split_list(row.get("partners")):
            node = asset_node(partner)
            if node is not None:
                G.add_edge(node, nid, key="pact_partner", edge_type="pact_partner")
    return added
