"""Measures of flows between places: totals, self-containment, partners, network, catchment.

Every measure is of one unit at a time (people and £ are never added up), so
the functions take flows of one kind (see :func:`cwb.flows.table.select_flows`)
or group by ``kind`` and ``unit`` themselves.

Definitions (for a place P and one kind of flow):

- ``incoming``: flows from other places into P; ``outgoing``: from P to others;
  ``internal``: from P to P; ``net`` = incoming − outgoing.
- ``containment_out`` = internal / (internal + outgoing): the share of what
  starts in P that stays in P (for commuting, of P's working residents who
  work in P: the "supply-side" self-containment of travel-to-work areas);
- ``containment_in`` = internal / (internal + incoming): the share of what
  ends in P that started in P (of P's jobs, those held by P's residents).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from cwb.flows.table import aggregate_pairs

#: Columns of :func:`place_totals`.
TOTAL_COLUMNS: list[str] = [
    "place",
    "name",
    "kind",
    "unit",
    "incoming",
    "outgoing",
    "internal",
    "net",
    "containment_out",
    "containment_in",
]
#: Columns of :func:`catchment_summary`.
CATCHMENT_COLUMNS: list[str] = [
    "kind",
    "unit",
    "within",
    "out_of_catchment",
    "into_catchment",
    "stays_share",
    "dependence",
    "top_outside_partner",
    "top_outside_magnitude",
]


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).round(6)


def place_totals(flows: pd.DataFrame, names: pd.Series | None = None) -> pd.DataFrame:
    """Incoming, outgoing, internal and net flow per place, kind and unit, and containment.

    Parameters
    ----------
    flows
        A flows frame (any kinds; each kind and unit is measured apart).
    names
        Place names indexed by place (defaults to the names in the flows).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOTAL_COLUMNS`, largest throughput first.
    """
    if flows.empty:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    keys = ["kind", "unit"]
    internal_rows = flows["origin"] == flows["destination"]
    external = flows[~internal_rows]
    out = external.groupby(["origin", *keys])["magnitude"].sum().rename("outgoing")
    inc = external.groupby(["destination", *keys])["magnitude"].sum().rename("incoming")
    own = flows[internal_rows].groupby(["origin", *keys])["magnitude"].sum().rename("internal")
    out.index.names = inc.index.names = own.index.names = ["place", *keys]
    table = pd.concat([inc, out, own], axis=1).fillna(0.0).reset_index()
    table["net"] = table["incoming"] - table["outgoing"]
    table["containment_out"] = _share(table["internal"], table["internal"] + table["outgoing"])
    table["containment_in"] = _share(table["internal"], table["internal"] + table["incoming"])
    table["name"] = table["place"].map(names if names is not None else _names(flows))
    throughput = table["incoming"] + table["outgoing"] + table["internal"]
    order = np.lexsort((-throughput.to_numpy(), table["kind"].astype(str).to_numpy()))
    return table.iloc[order].reset_index(drop=True)[TOTAL_COLUMNS]


def _names(flows: pd.DataFrame) -> pd.Series:
    pairs = pd.concat(
        [
            pd.Series(flows["origin_name"].to_numpy(), index=flows["origin"].to_numpy()),
            pd.Series(flows["destination_name"].to_numpy(), index=flows["destination"].to_numpy()),
        ]
    ).dropna()
    return pairs[~pairs.index.duplicated()]


def strongest_partners(flows: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """Each place's ``top`` partners by flow exchanged (both ways), per kind and unit.

    Columns ``place, kind, unit, rank, partner, to_partner, from_partner, exchanged,
    share`` (of the place's exchange with all other places).
    """
    columns = [
        "place",
        "kind",
        "unit",
        "rank",
        "partner",
        "to_partner",
        "from_partner",
        "exchanged",
        "share",
    ]
    external = flows[flows["origin"] != flows["destination"]]
    if external.empty:
        return pd.DataFrame(columns=columns)
    keys = ["kind", "unit"]
    sent = external.groupby(["origin", "destination", *keys])["magnitude"].sum()
    sent.index.names = ["place", "partner", *keys]
    received = external.groupby(["destination", "origin", *keys])["magnitude"].sum()
    received.index.names = ["place", "partner", *keys]
    both = pd.concat([sent.rename("to_partner"), received.rename("from_partner")], axis=1).fillna(
        0.0
    )
    both["exchanged"] = both["to_partner"] + both["from_partner"]
    both = both.reset_index()
    total = both.groupby(["place", *keys])["exchanged"].transform("sum")
    both["share"] = _share(both["exchanged"], total)
    both = both.sort_values(["place", *keys, "exchanged"], ascending=[True, True, True, False])
    both["rank"] = both.groupby(["place", *keys]).cumcount() + 1
    return both[both["rank"] <= top].reset_index(drop=True)[columns]


def flow_graph(flows: pd.DataFrame, places: pd.DataFrame | None = None) -> nx.DiGraph:
    """Places as nodes, flows between them as weighted directed edges (one unit).

    Internal flows become the node attribute ``internal`` (no self-loops);
    ``places`` (``place, name, lat, lon``) adds names and coordinates.
    """
    graph = nx.DiGraph()
    if places is not None:
        for row in places.itertuples(index=False):
            attrs: dict[str, str | float] = {"name": str(row.name), "node_type": "place"}
            if pd.notna(row.lat) and pd.notna(row.lon):
                attrs.update(lat=float(row.lat), lon=float(row.lon))
            graph.add_node(str(row.place), **attrs)
    pairs = (
        aggregate_pairs(flows).groupby(["origin", "destination"], as_index=False)["magnitude"].sum()
    )
    for o, d, w in pairs.itertuples(index=False):
        if o == d:
            graph.add_node(o)
            graph.nodes[o]["internal"] = graph.nodes[o].get("internal", 0.0) + float(w)
        elif w > 0:
            graph.add_edge(o, d, weight=float(w), edge_type="flow")
    return graph


def communities(graph: nx.DiGraph, *, seed: int = 0) -> dict[str, int]:
    """Places that function together: Louvain communities of the flows, both ways summed.

    Returns place → community number (0 = the largest community).
    """
    undirected = nx.Graph()
    undirected.add_nodes_from(graph.nodes)
    for o, d, w in graph.edges(data="weight"):
        prev = undirected.get_edge_data(o, d, {"weight": 0.0})["weight"]
        undirected.add_edge(o, d, weight=prev + float(w))
    groups = nx.community.louvain_communities(undirected, weight="weight", seed=seed)
    groups = sorted(groups, key=lambda g: (-len(g), min(g)))
    return {place: k for k, group in enumerate(groups) for place in sorted(group)}


def brokers(graph: nx.DiGraph, *, top: int = 10) -> pd.DataFrame:
    """Places that lie on the strongest routes between others (weighted betweenness).

    An edge's length is 1 / its flow, so strong flows are short routes.
    Columns ``place, name, betweenness``.
    """
    if graph.number_of_edges() == 0:
        return pd.DataFrame(columns=["place", "name", "betweenness"])
    lengths = nx.DiGraph()
    lengths.add_nodes_from(graph.nodes)
    lengths.add_weighted_edges_from(
        ((o, d, 1.0 / w) for o, d, w in graph.edges(data="weight") if w > 0), weight="length"
    )
    k = min(len(lengths), 300)
    scores = nx.betweenness_centrality(
        lengths, weight="length", k=k if k < len(lengths) else None, seed=0
    )
    table = pd.DataFrame({"place": list(scores), "betweenness": list(scores.values())})
    table["name"] = table["place"].map(lambda p: graph.nodes[p].get("name", p))
    table["betweenness"] = table["betweenness"].round(6)
    return table.sort_values(["betweenness", "place"], ascending=[False, True]).head(top)[
        ["place", "name", "betweenness"]
    ]


def catchment_summary(flows: pd.DataFrame, catchment: Iterable[str]) -> pd.DataFrame:
    """For the project's catchment (a set of places), how contained and dependent it is.

    Per kind and unit: ``within`` (both ends in the catchment), ``out_of_catchment``
    (from inside to outside), ``into_catchment`` (from outside to inside),
    ``stays_share`` = within / (within + out_of_catchment), ``dependence`` =
    into_catchment / (within + into_catchment) (the share of what arrives in the
    catchment that comes from neighbours), and the largest outside partner.
    """
    inside = set(map(str, catchment))
    if flows.empty:
        return pd.DataFrame(columns=CATCHMENT_COLUMNS)
    o_in = flows["origin"].isin(inside)
    d_in = flows["destination"].isin(inside)
    rows = []
    for (kind, unit), part in flows.groupby(["kind", "unit"], sort=True):
        oi, di = o_in[part.index], d_in[part.index]
        within = float(part.loc[oi & di, "magnitude"].sum())
        out = float(part.loc[oi & ~di, "magnitude"].sum())
        into = float(part.loc[~oi & di, "magnitude"].sum())
        outside = pd.concat(
            [
                part.loc[oi & ~di].groupby("destination")["magnitude"].sum(),
                part.loc[~oi & di].groupby("origin")["magnitude"].sum(),
            ]
        )
        outside = outside.groupby(level=0).sum()
        partner = outside.idxmax() if len(outside) else None
        rows.append(
            {
                "kind": kind,
                "unit": unit,
                "within": within,
                "out_of_catchment": out,
                "into_catchment": into,
                "stays_share": round(within / (within + out), 6) if within + out else np.nan,
                "dependence": round(into / (within + into), 6) if within + into else np.nan,
                "top_outside_partner": partner,
                "top_outside_magnitude": float(outside.max()) if len(outside) else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=CATCHMENT_COLUMNS)


@dataclass
class FlowMeasures:
    """Every measure of a flows table (see :func:`measure_flows`)."""

    totals: pd.DataFrame
    partners: pd.DataFrame
    catchment: pd.DataFrame
    communities: pd.DataFrame
    brokers: pd.DataFrame
    catchment_places: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The measure tables by name."""
        return {
            "totals": self.totals,
            "partners": self.partners,
            "catchment": self.catchment,
            "communities": self.communities,
            "brokers": self.brokers,
        }


def measure_flows(
    flows: pd.DataFrame,
    places: pd.DataFrame,
    catchment: Iterable[str] = (),
    *,
    top: int = 5,
) -> FlowMeasures:
    """Totals, partners, catchment summary, and per kind the communities and brokers.

    ``communities`` has columns ``kind, place, name, community``; ``brokers``
    ``kind, place, name, betweenness``.
    """
    names = places.set_index("place")["name"]
    comm_rows, broker_rows = [], []
    for (kind, _unit), part in flows.groupby(["kind", "unit"], sort=True):
        graph = flow_graph(part, places[places["place"].isin(_ends(part))])
        found = communities(graph)
        comm_rows.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "place": list(found),
                    "name": [names.get(p, p) for p in found],
                    "community": list(found.values()),
                }
            )
        )
        broker_rows.append(brokers(graph, top=top).assign(kind=kind))
    catchment = [str(c) for c in catchment]
    return FlowMeasures(
        totals=place_totals(flows, names),
        partners=strongest_partners(flows, top=top),
        catchment=catchment_summary(flows, catchment),
        communities=(
            pd.concat(comm_rows, ignore_index=True)
            .sort_values(["kind", "community", "place"])
            .reset_index(drop=True)
            if comm_rows
            else pd.DataFrame(columns=["kind", "place", "name", "community"])
        ),
        brokers=(
            pd.concat(broker_rows, ignore_index=True)[["kind", "place", "name", "betweenness"]]
            if broker_rows
            else pd.DataFrame(columns=["kind", "place", "name", "betweenness"])
        ),
        catchment_places=catchment,
    )


def _ends(flows: pd.DataFrame) -> set[str]:
    return set(flows["origin"].astype(str)) | set(flows["destination"].astype(str))
