"""The network of a dataset: projects, opportunities, assets and areas as a networkx graph.

:func:`build_graph` turns a :class:`~cwb.dataset.Dataset` (and, when given, the
matches, allocation and consortia of :mod:`cwb.matching`) into a
``networkx.MultiDiGraph``. A multigraph, because one asset can both *match* and be
*allocated* to the same opportunity, and researchers may record several relations
between two assets; directed, because every relation has a direction (a project
*offers* an opportunity, an asset is *located in* an area). Each edge's key is its
type (``"match"``, ``"allocated"``, ``"link:partner"`` …), so there is at most one
edge of each type between two nodes.

Nodes
    ``project:<id>``, ``opportunity:<id>``, ``asset:<id>``, ``area:<code>``,
    ``consortium:<id>``, and ``group:<area>:<category>:<hash>`` for residents.
    Every node has ``node_type``, ``label`` and ``located``; located nodes have
    ``lon`` and ``lat`` (WGS84).
Edges
    ``offers`` (project → opportunity), ``match`` (asset → opportunity, with
    ``score`` and ``reasons``), ``allocated`` (asset → opportunity, with
    ``quantity`` or ``amount``), ``consortium_member`` (asset → consortium),
    ``proposed_for`` (consortium → opportunity), ``located_in`` (asset,
    opportunity or project → area) and ``link`` (asset → asset, with the
    ``relation`` recorded in ``links.csv``). Every edge has ``edge_type``.

Privacy: human assets (residents) never become nodes of their own. They are
aggregated per area, category and skills by :func:`cwb.privacy.aggregate_human`;
each group is one node (``count``, ``skills``, area, a generated label, placed at
the area's representative point). Groups smaller than ``ds.min_count`` are left
out, and what was left out is recorded in the graph attributes
``suppressed_groups``, ``suppressed_residents`` and ``suppressed_edges``. Node
attributes come from a fixed list of public columns, so contact details and
other private columns never reach the graph.

Every attribute is a plain ``str``, ``int``, ``float`` or ``bool`` (lists joined
with ``"; "``; a missing text is ``""``, a missing number is left out), so that
GraphML and GEXF exports open in Gephi; see :mod:`cwb.graph_io`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from cwb.dataset import Dataset
from cwb.privacy import OUTSIDE_AREAS, aggregate_human, assign_area_codes
from cwb.schema import is_private_column, split_list

log = logging.getLogger(__name__)

NODE_TYPES: tuple[str, ...] = ("project", "opportunity", "asset", "area", "consortium")
EDGE_TYPES: tuple[str, ...] = (
    "offers",
    "match",
    "allocated",
    "consortium_member",
    "proposed_for",
    "located_in",
    "link",
)

#: Public asset columns copied onto asset nodes (nothing else is: private data stays out).
ASSET_ATTRIBUTES: tuple[str, ...] = (
    "kind", "category", "sector", "skills", "capacity", "count", "registered_number",
    "precision", "source", "licence", "collected_on", "last_verified",
)
#: Opportunity columns copied onto opportunity nodes (``type`` becomes ``opportunity_type``).
OPPORTUNITY_ATTRIBUTES: tuple[str, ...] = (
    "project", "type", "title", "skills", "sector", "quantity", "value", "pay_band",
    "starts", "ends", "pathway", "precision", "source", "licence",
)
#: Columns of a match table that identify the pair rather than describe it.
_MATCH_KEYS = frozenset({"asset_id", "opportunity_id", "project", "asset_name", "opportunity_title"})
#: Match columns never copied onto a residents' group edge (they would describe one person).
_DISTANCE_RE = re.compile(r"\d[\d,.]*\s*(?:m|km|metres|meters|miles?)\b", re.IGNORECASE)

LIST_SEPARATOR = "; "

Scalar = str | int | float | bool


def node_id(node_type: str, ident: object) -> str:
    """The graph id of a node: its type and its id, e.g. ``asset:A0001``."""
    return f"{node_type}:{ident}"


def plain(value: Any) -> Scalar | None:
    """``value`` as a plain Python ``str``/``int``/``float``/``bool``; None when missing.

    Lists and tuples become ``"; "``-joined strings, numpy scalars become Python
    scalars, dates become ISO strings, NaN and ``pd.NA`` become None.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, list | tuple | set | np.ndarray):
        items = [str(plain(v)) for v in value if plain(v) not in (None, "")]
        return LIST_SEPARATOR.join(items)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _clean(attrs: dict[str, Any], text: Iterable[str] = ()) -> dict[str, Scalar]:
    """Plain attributes: missing numbers dropped, missing texts (listed in ``text``) as ""."""
    out: dict[str, Scalar] = {}
    for key, value in attrs.items():
        if is_private_column(key):
            continue
        v = plain(value)
        if v is None:
            if key in text:
                out[key] = ""
            continue
        out[key] = v
    return out


def _point(geom: Any) -> dict[str, Scalar]:
    if geom is None or getattr(geom, "is_empty", True):
        return {"located": False}
    if geom.geom_type != "Point":
        geom = geom.representative_point()
    return {"located": True, "lon": float(geom.x), "lat": float(geom.y)}


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _frame(table: Any, name: str) -> pd.DataFrame | None:
    """A table given as a DataFrame, or as the attribute ``name`` of a result object."""
    if table is None:
        return None
    if isinstance(table, pd.DataFrame):
        return table
    inner = getattr(table, name, None)
    return inner if isinstance(inner, pd.DataFrame) else None


@dataclass
class _Builder:
    ds: Dataset
    G: nx.MultiDiGraph
    #: asset id → node id (None for residents whose group was suppressed)
    asset_nodes: dict[str, str | None] = field(default_factory=dict)
    #: node id of a residents' group → area name, member names (to scrub from reasons)
    groups: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    counters: Counter = field(default_factory=Counter)

    def add_edge(self, u: str, v: str, edge_type: str, key: str | None = None, **attrs: Any) -> None:
        self.G.add_edge(u, v, key=key or edge_type, edge_type=edge_type, **_clean(attrs, {"reasons"}))

    # nodes ------------------------------------------------------------------------------
    def add_areas(self) -> None:
        areas = self.ds.areas
        extra = [c for c in areas.columns
                 if c not in ("code", "name", "geometry") and not is_private_column(c)
                 and (pd.api.types.is_numeric_dtype(areas[c]) or c == "local_authority")]
        points = areas.geometry.representative_point() if len(areas) else areas.geometry
        for (_, row), geom in zip(areas.iterrows(), points, strict=True):
            attrs = {"code": row["code"], "label": row.get("name") or row["code"],
                     **{c: row[c] for c in extra}}
            self.G.add_node(node_id("area", row["code"]), node_type="area",
                            **_clean(attrs, {"label", "local_authority"}), **_point(geom))

    def add_projects(self) -> None:
        projects = self.ds.projects
        area_codes = assign_area_codes(projects.assign(area_code=None), self.ds.areas)
        for (_, row), code in zip(projects.iterrows(), area_codes, strict=True):
            nid = node_id("project", row["id"])
            attrs = {"record_id": row["id"], "label": row["name"], "project_kind": row["kind"],
                     "postcode": row["postcode"], "opened": row["opened"],
                     "investment": row["investment"], "description": row["description"]}
            self.G.add_node(nid, node_type="project", **_clean(attrs, attrs), **_point(row.geometry))
            self.link_area(nid, code)

    def add_opportunities(self) -> None:
        opps = self.ds.opportunities
        codes = assign_area_codes(opps, self.ds.areas)
        project_points = {p.id: p for p in self.ds.manifest.projects}
        for (_, row), code in zip(opps.iterrows(), codes, strict=True):
            nid = node_id("opportunity", row["id"])
            attrs = {c: row.get(c) for c in OPPORTUNITY_ATTRIBUTES}
            attrs["opportunity_type"] = attrs.pop("type")
            where = _point(row.geometry)
            project = project_points.get(str(row["project"]))
            if not where["located"] and project is not None:
                # an opportunity without its own place is at its project's site
                where = {"located": True, "lon": project.lon, "lat": project.lat}
                attrs["precision"] = "project"
            text = {"title", "skills", "sector", "pay_band", "starts", "ends", "pathway",
                    "precision", "source", "licence"}
            self.G.add_node(nid, node_type="opportunity", record_id=row["id"], label=row["title"],
                            **_clean(attrs, text), **where)
            pnode = node_id("project", row["project"])
            if pnode in self.G:
                self.add_edge(pnode, nid, "offers")
            else:
                self.counters["unknown_projects"] += 1
                log.warning("opportunity %s names project %r, which the manifest does not declare",
                            row["id"], row["project"])
            self.link_area(nid, code)

    def add_assets(self) -> None:
        assets = self.ds.assets
        human = assets["kind"] == "human"
        public = assets.loc[~human]
        codes = assign_area_codes(public, self.ds.areas)
        text = {"kind", "category", "sector", "skills", "registered_number", "precision",
                "source", "licence", "collected_on", "last_verified"}
        for (_, row), code in zip(public.iterrows(), codes, strict=True):
            nid = node_id("asset", row["id"])
            attrs = {c: row.get(c) for c in ASSET_ATTRIBUTES}
            self.G.add_node(nid, node_type="asset", record_id=row["id"], label=row["name"],
                            is_group=False, area_code=code, **_clean(attrs, text),
                            **_point(row.geometry))
            self.asset_nodes[str(row["id"])] = nid
            self.link_area(nid, code)
        self.add_resident_groups(assets.loc[human])

    def add_resident_groups(self, human: gpd.GeoDataFrame) -> None:
        if human.empty:
            return
        min_count = self.ds.min_count
        groups, suppressed = aggregate_human(human, self.ds.areas, min_count=min_count)
        self.counters["suppressed_residents"] += suppressed
        kept: dict[tuple[str, str, str], str] = {}
        for _, g in groups.iterrows():
            key = (str(g["area_code"]), str(g["category"]), str(g["skills"]))
            digest = hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:8]
            nid = f"group:{key[0]}:{key[1]}:{digest}"
            skills = LIST_SEPARATOR.join(split_list(g["skills"])) or "no skills recorded"
            label = f"{int(g['count'])} residents: {_short(skills)} ({g['area_name']})"
            self.G.add_node(nid, node_type="asset", record_id=nid.removeprefix("group:"), label=label,
                            is_group=True, kind="human", category=str(g["category"]),
                            skills=LIST_SEPARATOR.join(split_list(g["skills"])),
                            count=int(g["count"]), members=int(g["members"]),
                            area_code=key[0], precision="area", **_point(g.geometry))
            kept[key] = nid
            self.groups[nid] = (str(g["area_name"]), set())
            self.link_area(nid, key[0])
        codes = assign_area_codes(human, self.ds.areas)
        dropped = set()
        for (_, row), code in zip(human.iterrows(), codes, strict=True):
            key = (code, "" if pd.isna(row["category"]) else str(row["category"]),
                   "" if pd.isna(row["skills"]) else str(row["skills"]))
            nid = kept.get(key)
            self.asset_nodes[str(row["id"])] = nid
            if nid is None:
                dropped.add(key)
            elif isinstance(row.get("name"), str) and len(row["name"].strip()) >= 3:
                self.groups[nid][1].add(row["name"].strip())
        self.counters["suppressed_groups"] += len(dropped)
        if dropped:
            log.info("left out %d residents' group(s) smaller than %d (%d residents)",
                     len(dropped), min_count, suppressed)

    def add_consortium(self, cid: str, row: pd.Series, members: list[str]) -> str:
        nid = node_id("consortium", cid)
        opp = str(row.get("opportunity_id", ""))
        title = self.G.nodes.get(node_id("opportunity", opp), {}).get("label", opp)
        extras = {k: v for k, v in row.items()
                  if k not in {"consortium_id", "opportunity_id", "members", "asset_id", "reasons"}
                  and not isinstance(v, list | tuple | np.ndarray)}
        self.G.add_node(nid, node_type="consortium", record_id=cid, label=f"Consortium {cid}: {title}",
                        size=len(members), **_clean(extras), located=False)
        return nid

    # edges ------------------------------------------------------------------------------
    def link_area(self, nid: str, code: object) -> None:
        if code is None or code == OUTSIDE_AREAS or pd.isna(code):
            return
        anode = node_id("area", code)
        if anode in self.G:
            self.add_edge(nid, anode, "located_in")

    def asset_node(self, asset_id: object) -> str | None:
        """Node of an asset id; None (and counted) when unknown or suppressed."""
        aid = str(asset_id)
        if aid not in self.asset_nodes:
            self.counters["unknown_references"] += 1
            log.warning("an edge names asset %r, which is not in the assets table", aid)
            return None
        nid = self.asset_nodes[aid]
        if nid is None:
            self.counters["suppressed_edges"] += 1
        return nid

    def opportunity_node(self, opp_id: object) -> str | None:
        nid = node_id("opportunity", opp_id)
        if nid in self.G:
            return nid
        self.counters["unknown_references"] += 1
        log.warning("an edge names opportunity %r, which is not in the opportunities table", opp_id)
        return None

    def scrub(self, group: str, reasons: str) -> str:
        """Reasons of a residents' group: no member's name, no distance of one person's home."""
        area, names = self.groups[group]
        items = []
        for item in split_list(reasons):
            for name in sorted(names, key=len, reverse=True):
                item = re.sub(re.escape(name), "residents", item, flags=re.IGNORECASE)
            items.append(f"lives in {area}" if _DISTANCE_RE.search(item) else item)
        return LIST_SEPARATOR.join(dict.fromkeys(items))

    def add_matches(self, matches: pd.DataFrame) -> None:
        best: dict[tuple[str, str], dict[str, Any]] = {}
        extra = [c for c in matches.columns if c not in _MATCH_KEYS and not is_private_column(c)]
        for row in matches.to_dict("records"):
            u = self.asset_node(row["asset_id"])
            v = self.opportunity_node(row["opportunity_id"])
            if u is None or v is None:
                continue
            attrs = {c: row.get(c) for c in extra}
            attrs["reasons"] = plain(attrs.get("reasons")) or ""
            if u in self.groups:
                # a group edge keeps the best member's score and scrubbed reasons only
                prev = best.get((u, v))
                members = (prev["members"] if prev else 0) + 1
                if prev is None or (plain(row.get("score")) or 0) > prev["score"]:
                    prev = {"score": plain(row.get("score")) or 0.0,
                            "reasons": self.scrub(u, str(attrs["reasons"]))}
                prev["members"] = members
                best[(u, v)] = prev
            else:
                best[(u, v)] = attrs
        for (u, v), attrs in best.items():
            self.add_edge(u, v, "match", **attrs)

    def add_allocation(self, allocation: pd.DataFrame) -> None:
        amounts = [c for c in ("quantity", "amount", "value", "flow", "residents", "posts")
                   if c in allocation.columns]
        totals: dict[tuple[str, str], dict[str, Any]] = {}
        for row in allocation.to_dict("records"):
            u = self.asset_node(row["asset_id"])
            v = self.opportunity_node(row["opportunity_id"])
            if u is None or v is None:
                continue
            acc = totals.setdefault((u, v), {})
            for c in amounts:
                value = plain(row.get(c))
                if isinstance(value, int | float) and not isinstance(value, bool):
                    acc[c] = acc.get(c, 0) + value
        for (u, v), attrs in totals.items():
            self.add_edge(u, v, "allocated", **attrs)

    def add_consortia(self, consortia: pd.DataFrame) -> None:
        if "consortium_id" not in consortia.columns:
            consortia = consortia.assign(consortium_id=[f"C{i + 1}" for i in range(len(consortia))])
        if "members" in consortia.columns:  # wide: one row per consortium, members listed
            rows = [(r, split_list(plain(r["members"]))) for _, r in consortia.iterrows()]
        else:  # long: one row per member
            rows = [(g.iloc[0], [str(a) for a in g["asset_id"]])
                    for _, g in consortia.groupby("consortium_id", sort=False)]
        for row, members in rows:
            cid = str(row["consortium_id"])
            cnode = self.add_consortium(cid, row, members)
            for asset in members:
                u = self.asset_node(asset)
                if u is not None:
                    self.add_edge(u, cnode, "consortium_member")
            v = self.opportunity_node(row["opportunity_id"]) if "opportunity_id" in row else None
            if v is not None:
                self.add_edge(cnode, v, "proposed_for", score=row.get("score"),
                              reasons=plain(row.get("reasons")) or "")

    def add_links(self, links: pd.DataFrame) -> None:
        merged: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in links.to_dict("records"):
            u, v = self.asset_node(row["source"]), self.asset_node(row["target"])
            if u is None or v is None:
                continue
            relation = str(plain(row.get("relation")) or "related")
            acc = merged.setdefault((u, v, relation), {"relation": relation, "count": 0})
            acc["count"] += 1
            if u not in self.groups and v not in self.groups:  # a note about residents stays out
                acc["description"] = plain(row.get("description")) or ""
                acc["since"] = plain(row.get("since")) or ""
        for (u, v, relation), attrs in merged.items():
            self.add_edge(u, v, "link", key=f"link:{relation}", **attrs)


def build_graph(
    ds: Dataset,
    matches: Any = None,
    allocation: pd.DataFrame | None = None,
    consortia: pd.DataFrame | None = None,
) -> nx.MultiDiGraph:
    """Build the typed network of a dataset.

    Parameters
    ----------
    ds
        The dataset (its projects, opportunities, assets, areas and links).
    matches
        A match table (``asset_id, opportunity_id, score, reasons`` and any
        descriptive columns), or a matching result object with ``matches``,
        ``allocation`` and ``consortia`` attributes (used for the arguments not given).
    allocation
        Allocated pairs: ``asset_id, opportunity_id`` and a ``quantity`` or ``amount``.
    consortia
        Proposed consortia: one row per consortium with ``consortium_id``,
        ``opportunity_id`` and ``members`` (``;``-separated asset ids or a list),
        or one row per member with ``consortium_id, opportunity_id, asset_id``.

    Returns
    -------
    networkx.MultiDiGraph
        Typed nodes and edges (see the module documentation). Graph attributes:
        ``name``, ``crs``, ``min_count``, ``suppressed_groups``,
        ``suppressed_residents``, ``suppressed_edges``, ``unknown_references``,
        ``unlocated_nodes``.
    """
    result = matches
    matches_df = _frame(result, "matches")
    if allocation is None:
        allocation = _frame(getattr(result, "allocation", None), "allocation")
    if consortia is None:
        consortia = _frame(getattr(result, "consortia", None), "consortia")
    G = nx.MultiDiGraph()
    b = _Builder(ds, G)
    b.add_areas()
    b.add_projects()
    b.add_opportunities()
    b.add_assets()
    if ds.links is not None and len(ds.links):
        b.add_links(ds.links)
    if matches_df is not None and len(matches_df):
        b.add_matches(matches_df)
    if allocation is not None and len(allocation):
        b.add_allocation(allocation)
    if consortia is not None and len(consortia):
        b.add_consortia(consortia)
    G.graph.update(
        name=ds.name,
        crs="EPSG:4326",
        min_count=int(ds.min_count),
        suppressed_groups=int(b.counters["suppressed_groups"]),
        suppressed_residents=int(b.counters["suppressed_residents"]),
        suppressed_edges=int(b.counters["suppressed_edges"]),
        unknown_references=int(b.counters["unknown_references"]),
        unlocated_nodes=sum(1 for _, d in G.nodes(data=True) if not d.get("located")),
    )
    log.info("graph of %s: %d nodes, %d edges", ds.name, G.number_of_nodes(), G.number_of_edges())
    return G


def graph_for_dataset(ds: Dataset, *, run_matching: bool = True) -> nx.MultiDiGraph:
    """Build the graph of ``ds``, with matches, allocation and consortia when matching is available.

    Matching runs through :func:`cwb.matching.match_dataset` when that module is
    installed; without it (or with ``run_matching=False``) the graph holds the
    dataset's own structure and links only.
    """
    result = None
    if run_matching:
        result = _run_matching(ds)
    return build_graph(ds, result)


def _run_matching(ds: Dataset) -> Any:
    try:
        from cwb import matching
    except ImportError:
        log.warning("cwb.matching is not available; the graph has no match edges")
        return None
    for name in ("match_dataset", "run_matching", "match"):
        fn = getattr(matching, name, None)
        if callable(fn):
            return fn(ds)
    log.warning("cwb.matching has no match function; the graph has no match edges")
    return None


# metrics ------------------------------------------------------------------------------------

#: Betweenness is exact up to this many nodes; above it, it is estimated from a sample of
#: :data:`BETWEENNESS_SAMPLE` source nodes (``networkx.betweenness_centrality(k=…)``, seeded).
BETWEENNESS_EXACT_MAX_NODES = 2000
BETWEENNESS_SAMPLE = 256
#: Edges that place a node rather than relate it; left out of the relational metrics.
GEOGRAPHIC_EDGES = frozenset({"located_in"})
#: Edges by which an asset reaches an opportunity (directly, or through a consortium).
_REACH_EDGES = frozenset({"match", "allocated"})


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
        """The ``n`` nodes with the highest betweenness (ties broken by node id)."""
        ranked = self.nodes.dropna(subset=["betweenness"])
        ranked = ranked[ranked["betweenness"] > 0]
        return ranked.sort_values(["betweenness", "node"], ascending=[False, True]).head(n)


def relational_view(G: nx.MultiDiGraph) -> nx.Graph:
    """An undirected simple graph of the relations: no area nodes, no ``located_in`` edges.

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


def asset_reach(G: nx.MultiDiGraph) -> dict[str, set[str]]:
    """For each asset node, the opportunities it reaches (matched, allocated or via a consortium)."""
    reach: dict[str, set[str]] = {}
    for n, d in G.nodes(data=True):
        if d.get("node_type") != "asset":
            continue
        targets: set[str] = set()
        for _, v, ed in G.out_edges(n, data=True):
            if ed.get("edge_type") in _REACH_EDGES:
                targets.add(v)
            elif ed.get("edge_type") == "consortium_member":
                targets.update(w for _, w, cd in G.out_edges(v, data=True)
                               if cd.get("edge_type") == "proposed_for")
        reach[n] = targets
    return reach


def _reach_table(G: nx.MultiDiGraph, reach: dict[str, set[str]]) -> pd.DataFrame:
    project_of = {v: u for u, v, d in G.edges(data=True) if d.get("edge_type") == "offers"}
    rows = []
    kinds = sorted({G.nodes[n].get("kind", "") for n in reach})
    for kind in kinds:
        nodes = [n for n in reach if G.nodes[n].get("kind", "") == kind]
        opps = set().union(*(reach[n] for n in nodes)) if nodes else set()
        residents = sum(int(G.nodes[n].get("count", 0)) for n in nodes) if kind == "human" else 0
        rows.append({
            "kind": kind,
            "assets": len(nodes),
            "residents": residents,
            "linked_assets": sum(1 for n in nodes if reach[n]),
            "opportunities": len(opps),
            "projects": len({project_of[o] for o in opps if o in project_of}),
        })
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
        exact up to :data:`BETWEENNESS_EXACT_MAX_NODES` nodes of the relational
        view and estimated from :data:`BETWEENNESS_SAMPLE` sources above it.
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
    """
    H = relational_view(G)
    n = H.number_of_nodes()
    if betweenness_k is None and n > BETWEENNESS_EXACT_MAX_NODES:
        betweenness_k = BETWEENNESS_SAMPLE
    k = betweenness_k if betweenness_k is not None and betweenness_k < n else None
    betweenness = nx.betweenness_centrality(H, k=k, normalized=True, seed=seed) if n else {}
    components = _numbered(nx.connected_components(H))
    communities = (_numbered(nx.community.louvain_communities(H, weight="weight", seed=seed))
                   if H.number_of_edges() else {node: i for i, node in enumerate(sorted(H))})
    reach = asset_reach(G)
    rows = []
    for node, d in G.nodes(data=True):
        rows.append({
            "node": node,
            "node_type": d.get("node_type", ""),
            "label": d.get("label", ""),
            "kind": d.get("kind", ""),
            "degree": int(G.degree(node)),
            "betweenness": betweenness.get(node, np.nan),
            "component": components.get(node, pd.NA),
            "community": communities.get(node, pd.NA),
            "reach": len(reach[node]) if node in reach else pd.NA,
        })
    table = pd.DataFrame(rows, columns=["node", "node_type", "label", "kind", "degree",
                                        "betweenness", "component", "community", "reach"])
    for col in ("component", "community", "reach"):
        table[col] = table[col].astype("Int64")
    if set_attributes:
        for row in table.to_dict("records"):
            attrs = _clean({c: row[c] for c in ("degree", "betweenness", "component",
                                                "community", "reach")})
            G.nodes[row["node"]].update(attrs)
    sizes = Counter(components.values())
    summary: dict[str, Any] = {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "nodes_by_type": dict(sorted(Counter(d.get("node_type", "") for _, d in G.nodes(data=True)).items())),
        "edges_by_type": dict(sorted(Counter(d.get("edge_type", "") for *_, d in G.edges(data=True)).items())),
        "components": len(sizes),
        "largest_component": max(sizes.values(), default=0),
        "isolated_nodes": sum(1 for s in sizes.values() if s == 1),
        "communities": len(set(communities.values())),
        "betweenness_sample": k or 0,
        **{key: G.graph[key] for key in ("suppressed_groups", "suppressed_residents",
                                          "suppressed_edges", "unknown_references",
                                          "unlocated_nodes") if key in G.graph},
    }
    return GraphMetrics(summary=summary, nodes=table, reach=_reach_table(G, reach))
