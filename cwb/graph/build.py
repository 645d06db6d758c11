"""The network of a dataset: projects, opportunities, assets and areas as a networkx graph.

:func:`build_graph` turns a :class:`~cwb.dataset.model.Dataset` (and, when given, the
matches, allocation and consortia of :mod:`cwb.matching.core`) into a
``networkx.MultiDiGraph``. A multigraph, because one asset can both *match* and be
*allocated* to the same opportunity, and researchers may record several relations
between two assets; directed, because every relation has a direction (a project
*offers* an opportunity, an asset is *located in* an area). Each edge's key is its
type (``"match"``, ``"allocated"``, ``"link:partner"`` …), so there is at most one
edge of each type between two nodes.

Nodes
    ``project:<id>``, ``opportunity:<id>``, ``asset:<id>``, ``area:<code>``,
    ``consortium:<id>``, ``pact:<id>`` (pacts of collaboration, see
    :mod:`cwb.graph.pacts`), and ``group:<area>:<category>:<hash>`` for residents.
    Every node has ``node_type``, ``label`` and ``located``; located nodes have
    ``lon`` and ``lat`` (WGS84).
Edges
    ``offers`` (project → opportunity), ``match`` (asset → opportunity, with
    ``score`` and ``reasons``), ``allocated`` (asset → opportunity, with
    ``quantity`` or ``amount``), ``consortium_member`` (asset → consortium),
    ``proposed_for`` (consortium → opportunity), ``located_in`` (asset,
    opportunity or project → area) and ``link`` (asset → asset, one edge per
    ``relation`` recorded in ``links.csv``, with ``count``; funding links also the
    summed ``amount`` and ``currency``, the first date ``since`` and the last
    ``latest``) and ``flow`` (place → place, one edge
    per kind, period and tag of the dataset's flows, with ``kind``, ``unit``,
    ``magnitude``; a flow's end that is not an area, project, opportunity or
    public asset becomes a ``place:<code>`` node; internal flows are node
    attributes ``internal_<kind>``). Every edge has ``edge_type``.

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
GraphML and GEXF exports open in Gephi; see :mod:`cwb.graph.io`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from cwb._gc import paused_gc
from cwb.dataset.geography import OUTSIDE_AREAS, assign_area_codes
from cwb.dataset.model import Dataset
from cwb.dataset.schema import ASSETS, OPPORTUNITIES, TableSpec, is_private_column, split_list
from cwb.flows.table import aggregate_pairs, place_points, suppress_resident_flows
from cwb.graph.insert import add_new_edges, add_new_nodes, add_typed_edges
from cwb.graph.pacts import add_pacts
from cwb.graph.values import (
    LIST_SEPARATOR,
    METRIC_ATTRIBUTES,
    Scalar,
    SharedKeyDicts,
    clean_attributes,
    located_points,
    plain,
    plain_values,
    point_attributes,
    shared_floats,
    shared_texts,
)
from cwb.privacy import Residents, aggregate_human, location_hidden, published_suppressed

if TYPE_CHECKING:
    from cwb.matching.allocation import Allocation
    from cwb.matching.core import MatchResult


log = logging.getLogger(__name__)

NODE_TYPES: tuple[str, ...] = ("project", "opportunity", "asset", "area", "consortium", "place")
EDGE_TYPES: tuple[str, ...] = (
    "offers",
    "match",
    "allocated",
    "consortium_member",
    "proposed_for",
    "located_in",
    "link",
    "flow",
)

#: Public asset columns copied onto asset nodes (nothing else is: private data stays out).
ASSET_ATTRIBUTES: tuple[str, ...] = (
    "kind",
    "category",
    "sector",
    "skills",
    "capacity",
    "count",
    "registered_number",
    "precision",
    "source",
    "licence",
    "collected_on",
    "last_verified",
    "use_status",
    "owner_type",
    "floor_area_m2",
    "site_area_ha",
)
#: Opportunity columns copied onto opportunity nodes (``type`` becomes ``opportunity_type``).
OPPORTUNITY_ATTRIBUTES: tuple[str, ...] = (
    "project",
    "type",
    "title",
    "skills",
    "sector",
    "quantity",
    "value",
    "pay_band",
    "starts",
    "ends",
    "pathway",
    "precision",
    "source",
    "licence",
)
#: Columns of a match table that name the pair or repeat a node attribute: not on match edges.
_MATCH_KEYS = frozenset(
    {
        "asset_id",
        "opportunity_id",
        "project",
        "asset_name",
        "opportunity_title",
        "asset_kind",
        "asset_category",
        "opportunity_type",
        "area_code",
        "imd_decile",
        "count",
        "capacity",
        "value",
    }
)
#: The only match columns a residents' group edge keeps (no distance: it would place a home).
GROUP_MATCH_COLUMNS: tuple[str, ...] = (
    "score",
    "skills_covered",
    "skills_via_pathway",
    "skills_partial",
    "skills_missing",
    "pathway",
    "skill_score",
    "deprivation_score",
    "pathway_score",
)
#: Attribute names that GEXF, GraphML readers or the graph itself give a meaning of their own.
RESERVED_ATTRIBUTES = frozenset(
    {
        "id",
        "key",
        "label",
        "type",
        "weight",
        "start",
        "end",
        "pid",
        "viz",
        "node_type",
        "edge_type",
        "source",
        "target",
    }
)
#: The attributes of a residents' group node, in their order (then ``lon``, ``lat``).
_GROUP_KEYS: tuple[str, ...] = (
    "node_type",
    "record_id",
    "label",
    "is_group",
    "kind",
    "category",
    "skills",
    "count",
    "members",
    "area_code",
    "precision",
    "located",
)
#: A distance in a reason: never kept on a residents' group edge (it would place one person).
_DISTANCE_RE = re.compile(r"\d[\d,.]*\s*(?:m|km|metres|meters|miles?)\b", re.IGNORECASE)


#: :func:`cwb.graph.values.plain_values`, by its former name
_plain_values = plain_values

__all__ = [
    "LIST_SEPARATOR",
    "Scalar",
    "add_new_edges",
    "add_new_nodes",
    "build_graph",
    "clean_attributes",
    "node_id",
    "plain",
]


def node_id(node_type: str, ident: object) -> str:
    """Return the graph id of a node: its type and its id, e.g. ``asset:A0001``."""
    return f"{node_type}:{ident}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts, geometry left out (much faster than ``iterrows``)."""
    return frame.drop(columns=[c for c in ("geometry",) if c in frame]).to_dict("records")


def _text_columns(spec: TableSpec, names: Iterable[str]) -> set[str]:
    """Columns of ``names`` that hold text (a missing value becomes "" rather than left out)."""
    return {
        n for n in names if (c := spec.column(n)) is not None and c.type in ("str", "list", "date")
    }


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _frame(table: object, name: str, *alternatives: str) -> pd.DataFrame | None:
    """Return a table given as a DataFrame, or as the attribute ``name`` of a result object."""
    if table is None:
        return None
    if isinstance(table, pd.DataFrame):
        return table
    for attr in (name, *alternatives):
        inner = getattr(table, attr, None)
        if isinstance(inner, pd.DataFrame):
            return inner
    return None


@dataclass
class _Builder:
    ds: Dataset
    G: nx.MultiDiGraph
    #: asset id → node id (None for residents whose group was suppressed)
    asset_nodes: dict[str, str | None] = field(default_factory=dict)
    #: node id of a residents' group → area name, member names (to scrub from reasons)
    groups: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    counters: Counter = field(default_factory=Counter)
    #: ids matching gave to its own groups of residents → the rows they stand for
    members: dict[str, list[str]] = field(default_factory=dict)
    name_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: the dataset's residents in aggregate, when the caller already has them
    residents: Residents | None = None

    def add_edge(
        self, u: str, v: str, edge_type: str, key: str | None = None, **attrs: Any
    ) -> None:
        self.G.add_edge(
            u, v, key=key or edge_type, edge_type=edge_type, **clean_attributes(attrs, {"reasons"})
        )

    # nodes ------------------------------------------------------------------------------
    def add_areas(self) -> None:
        areas = self.ds.areas
        extra = [
            c
            for c in areas.columns
            if c not in ("code", "name", "geometry")
            and not is_private_column(c)
            and (pd.api.types.is_numeric_dtype(areas[c]) or c == "local_authority")
        ]
        points = areas.geometry.representative_point() if len(areas) else areas.geometry
        for row, geom in zip(_records(areas), points, strict=True):
            attrs = {
                "code": row["code"],
                "label": row.get("name") or row["code"],
                **{c: row[c] for c in extra},
            }
            self.G.add_node(
                node_id("area", row["code"]),
                node_type="area",
                **clean_attributes(attrs, {"label", "local_authority"}),
                **point_attributes(geom),
            )

    def add_projects(self) -> None:
        projects = self.ds.projects
        area_codes = assign_area_codes(projects.assign(area_code=None), self.ds.areas)
        for row, geom, code in zip(_records(projects), projects.geometry, area_codes, strict=True):
            nid = node_id("project", row["id"])
            attrs = {
                "record_id": row["id"],
                "label": row["name"],
                "project_kind": row["kind"],
                "postcode": row["postcode"],
                "opened": row["opened"],
                "investment": row["investment"],
                "description": row["description"],
            }
            self.G.add_node(
                nid, node_type="project", **clean_attributes(attrs, attrs), **point_attributes(geom)
            )
            self.link_area(nid, code)

    def add_opportunities(self) -> None:
        opps = self.ds.opportunities
        codes = assign_area_codes(opps, self.ds.areas)
        project_points = {p.id: p for p in self.ds.manifest.projects}
        hidden = location_hidden(opps)  # map = no: counted, never placed
        for i, (row, geom, code) in enumerate(
            zip(_records(opps), opps.geometry, codes, strict=True)
        ):
            nid = node_id("opportunity", row["id"])
            attrs = {c: row.get(c) for c in OPPORTUNITY_ATTRIBUTES}
            attrs["opportunity_type"] = attrs.pop("type")
            where: dict[str, Scalar] = {"located": False} if hidden[i] else point_attributes(geom)
            project = project_points.get(str(row["project"]))
            if not where["located"] and project is not None and not hidden[i]:
                # an opportunity without its own place is at its project's site
                where = {"located": True, "lon": project.lon, "lat": project.lat}
                attrs["precision"] = "project"
            text = _text_columns(OPPORTUNITIES, OPPORTUNITY_ATTRIBUTES)
            self.G.add_node(
                nid,
                node_type="opportunity",
                record_id=row["id"],
                label=row["title"],
                **clean_attributes(attrs, text),
                **where,
            )
            pnode = node_id("project", row["project"])
            if pnode in self.G:
                self.add_edge(pnode, nid, "offers")
            else:
                self.counters["unknown_projects"] += 1
                log.warning(
                    "opportunity %s names project %r, which the manifest does not declare",
                    row["id"],
                    row["project"],
                )
            self.link_area(nid, code)

    def add_assets(self) -> None:
        assets = self.ds.assets
        human = (assets["kind"] == "human").to_numpy(dtype=bool, na_value=False)
        public = ~human
        # column by column, never a copy of the whole table (at 1M assets that copy was most
        # of the build's peak memory) and a dict per row only at the end; the same values as
        # clean_attributes: missing texts become "", missing numbers are left out
        places = assets[[c for c in ("area_code",) if c in assets] + [assets.geometry.name]]
        codes = shared_texts(assign_area_codes(places.loc[public], self.ds.areas).tolist())
        text = _text_columns(ASSETS, ASSET_ATTRIBUTES)
        names = [c for c in ASSET_ATTRIBUTES if not is_private_column(c)]
        n_public = int(public.sum())
        columns: list[list[Scalar | None]] = []
        for c in names:
            values: list[Scalar | None] = (
                plain_values(assets[c], public) if c in assets else [None] * n_public
            )
            if c in text:
                values = ["" if v is None else v for v in values]
            columns.append(values)
        optional = [c for c in names if c not in text]  # numbers: left out when missing
        ids = plain_values(assets["id"], public)
        nids = [node_id("asset", i) for i in ids]
        located, xs, ys = located_points(assets.geometry[public])
        located &= ~location_hidden(assets)[public]  # map = no: a node without a location
        keys = ("node_type", "record_id", "label", "is_group", "area_code", *names, "located")
        rows = zip(
            repeat("asset"),
            ids,
            plain_values(assets["name"], public),
            repeat(False),
            codes,
            *columns,
            located.tolist(),
            strict=False,
        )
        area_nodes = {code: self.area_node(code) for code in dict.fromkeys(codes)}
        # a million dicts of the same keys: one shared table of keys (see SharedKeyDicts)
        new_attributes = SharedKeyDicts((*keys, "lon", "lat", *METRIC_ATTRIBUTES))

        def attributes() -> Iterator[tuple[str, dict[str, Any]]]:
            lons, lats = shared_floats(xs), shared_floats(ys)  # many assets share a point
            for nid, row, x, y in zip(nids, rows, lons, lats, strict=True):
                attrs = new_attributes(zip(keys, row, strict=True))
                for c in optional:
                    if attrs[c] is None:
                        del attrs[c]
                if attrs["located"]:
                    attrs["lon"] = x
                    attrs["lat"] = y
                yield nid, attrs

        add_new_nodes(self.G, attributes())
        rows, columns = zip(), []  # the column lists, freed before the residents' groups
        self.asset_nodes.update(zip(map(str, ids), nids, strict=True))
        add_typed_edges(
            self.G,
            (
                (nid, anode)
                for nid, code in zip(nids, codes, strict=True)
                if (anode := area_nodes[code]) is not None
            ),
            "located_in",
        )
        if human.any():
            # only the columns the residents' groups are made of
            needed = ("id", "name", "kind", "category", "skills", "count", "area_code")
            columns_of_groups = [c for c in needed if c in assets] + [assets.geometry.name]
            self.add_resident_groups(assets.loc[human, columns_of_groups])

    @paused_gc()  # a dict or tuple per row and no cycles: see paused_gc
    def add_resident_groups(self, human: gpd.GeoDataFrame) -> None:
        if human.empty:
            return
        min_count = self.ds.min_count
        groups, suppressed = self.residents or aggregate_human(
            human, self.ds.areas, min_count=min_count
        )
        self.counters["suppressed_residents"] += suppressed
        kept = self._add_group_nodes(groups)
        codes = assign_area_codes(human, self.ds.areas).tolist()
        ids, names = plain_values(human["id"]), human["name"].tolist()
        categories = [str(v) if v is not None else "" for v in plain_values(human["category"])]
        skills = [str(v) if v is not None else "" for v in plain_values(human["skills"])]
        keys = list(zip(codes, categories, skills, strict=True))
        of_row = [kept.get(key) for key in keys]
        self.asset_nodes.update(zip(map(str, ids), of_row, strict=True))
        dropped = {key for key, group in zip(keys, of_row, strict=True) if group is None}
        for group, name in zip(of_row, names, strict=True):
            if group is not None and isinstance(name, str) and len(name := name.strip()) >= 3:
                self.groups[group][1].add(name)
        self.counters["suppressed_groups"] += len(dropped)
        if dropped:
            log.info(
                "left out %d residents' group(s) smaller than %d (%d residents)",
                len(dropped),
                min_count,
                suppressed,
            )

    def _add_group_nodes(self, groups: gpd.GeoDataFrame) -> dict[tuple[str, str, str], str]:
        """One node per residents' group (and its ``located_in`` edge); key → node id."""
        kept: dict[tuple[str, str, str], str] = {}
        listed_of: dict[Any, str] = {}  # a group's skills, listed once per distinct value
        located, xs, ys = located_points(groups.geometry)
        nodes: list[tuple[str, dict[str, Any]]] = []
        new_attributes = SharedKeyDicts((*_GROUP_KEYS, "lon", "lat", *METRIC_ATTRIBUTES))
        for code, category, skill, count, members, area, where, x, y in zip(
            shared_texts(groups["area_code"].tolist()),
            shared_texts(groups["category"].tolist()),
            groups["skills"].tolist(),
            groups["count"].tolist(),
            groups["members"].tolist(),
            groups["area_name"].tolist(),
            located.tolist(),
            shared_floats(xs),  # the groups of an area are all at its point
            shared_floats(ys),
            strict=True,
        ):
            key = (str(code), str(category), str(skill))
            digest = hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:8]
            nid = f"group:{key[0]}:{key[1]}:{digest}"
            listed = listed_of.get(skill)
            if listed is None:
                listed = listed_of[skill] = LIST_SEPARATOR.join(split_list(skill))
            label = f"{int(count)} residents: {_short(listed or 'no skills recorded')} ({area})"
            attrs = new_attributes(
                zip(
                    _GROUP_KEYS,
                    (
                        "asset",
                        nid.removeprefix("group:"),
                        label,
                        True,
                        "human",
                        key[1],
                        listed,
                        int(count),
                        int(members),
                        key[0],
                        "area",
                        where,
                    ),
                    strict=True,
                )
            )
            if where:
                attrs["lon"] = x
                attrs["lat"] = y
            nodes.append((nid, attrs))
            kept[key] = nid
            self.groups[nid] = (str(area), set())
        add_new_nodes(self.G, nodes)
        area_nodes = {code: self.area_node(code) for code in {key[0] for key in kept}}
        add_typed_edges(
            self.G,
            (
                (nid, anode)
                for nid, attrs in nodes
                if (anode := area_nodes[attrs["area_code"]]) is not None
            ),
            "located_in",
        )
        return kept

    def add_consortium(self, cid: str, row: pd.Series, members: list[str]) -> str:
        nid = node_id("consortium", cid)
        opp = str(row.get("opportunity_id", ""))
        title = self.G.nodes.get(node_id("opportunity", opp), {}).get("label", opp)
        extras = {
            k: v
            for k, v in row.items()
            if k
            not in {"consortium_id", "opportunity_id", "members", "asset_id", "reasons", "size"}
            and k not in RESERVED_ATTRIBUTES
            and not isinstance(v, list | tuple | np.ndarray)
        }
        self.G.add_node(
            nid,
            node_type="consortium",
            record_id=cid,
            label=f"Consortium {cid}: {title}",
            size=len(members),
            **clean_attributes(extras),
            located=False,
        )
        return nid

    # edges ------------------------------------------------------------------------------
    def area_node(self, code: object) -> str | None:
        """Node of an area code; None when the code is missing, outside or unknown."""
        if code is None or code == OUTSIDE_AREAS or pd.isna(code):
            return None
        anode = node_id("area", code)
        return anode if anode in self.G else None

    def link_area(self, nid: str, code: object) -> None:
        anode = self.area_node(code)
        if anode is not None:
            self.add_edge(nid, anode, "located_in")

    def asset_node(self, asset_id: object) -> str | None:
        """Node of an asset id; None (and counted) when unknown or suppressed."""
        aid = str(asset_id)
        if aid not in self.asset_nodes and aid in self.members:
            self.asset_nodes[aid] = self._group_of(self.members[aid])
        if aid not in self.asset_nodes:
            self.counters["unknown_references"] += 1
            log.warning("an edge names asset %r, which is not in the assets table", aid)
            return None
        nid = self.asset_nodes[aid]
        if nid is None:
            self.counters["suppressed_edges"] += 1
        return nid

    def _group_of(self, rows: list[str]) -> str | None:
        """Return the group node holding most of ``rows`` (residents grouped by matching)."""
        votes = Counter(self.asset_nodes.get(str(r)) for r in rows)
        votes.pop(None, None)
        if not votes:
            return None
        return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def opportunity_node(self, opp_id: object) -> str | None:
        nid = node_id("opportunity", opp_id)
        if nid in self.G:
            return nid
        self.counters["unknown_references"] += 1
        log.warning("an edge names opportunity %r, which is not in the opportunities table", opp_id)
        return None

    def scrub(self, group: str, reasons: str) -> str:
        """Reasons of a residents' group: no member's name, no distance from anyone's home."""
        area, names = self.groups[group]
        pattern = self._names_in(group, reasons)
        items = []
        for item in re.split(r";|\s·\s", reasons):
            item = item.strip()
            if pattern is not None:
                item = pattern.sub("residents", item)
            if item and not _DISTANCE_RE.search(item):
                items.append(item)
        if not any(area.lower() in item.lower() for item in items):
            items.append(f"lives in {area}")
        return LIST_SEPARATOR.join(dict.fromkeys(items))

    def _names_in(self, group: str, text: str) -> re.Pattern[str] | None:
        """A pattern of the group's member names that may occur in ``text`` (None: none can).

        Longest names first, case ignored. Unless a character of ``text`` has an ASCII
        letter among its case forms (as ``K``, the Kelvin sign, has ``k``), an ASCII name
        can match only where ``text.lower()`` holds it; so the pattern holds only those
        ASCII names and every non-ASCII one: the same replacements as a pattern of
        every name, without compiling one alternative per member of a large group.
        """
        names = self.groups[group][1]
        if _folds_to_ascii(text):
            if group not in self.name_patterns:
                self.name_patterns[group] = _names_pattern(names)
            return self.name_patterns[group]
        lower = text.lower()
        found = [n for n in names if not n.isascii() or n.lower() in lower]
        return _names_pattern(found) if found else None

    @paused_gc()  # a dict or tuple per row and no cycles: see paused_gc
    def add_matches(self, matches: pd.DataFrame) -> None:
        best: dict[tuple[str, str], dict[str, Any]] = {}
        extra = [
            c
            for c in matches.columns
            if c not in _MATCH_KEYS | RESERVED_ATTRIBUTES and not is_private_column(c)
        ]
        for row in matches.to_dict("records"):
            u = self.asset_node(row["asset_id"])
            v = self.opportunity_node(row["opportunity_id"])
            if u is None or v is None:
                continue
            attrs = {c: row.get(c) for c in extra}
            attrs["reasons"] = plain(attrs.get("reasons")) or ""
            if u in self.groups:
                # a group edge keeps its best row's skills, score and scrubbed reasons only
                prev = best.get((u, v))
                count = plain(row.get("count"))
                residents = (prev["residents"] if prev else 0) + (
                    count if isinstance(count, int | float) and count > 0 else 1
                )
                if prev is None or (plain(row.get("score")) or 0) > prev["score"]:
                    prev = {c: attrs[c] for c in GROUP_MATCH_COLUMNS if c in attrs}
                    prev["score"] = plain(row.get("score")) or 0.0
                    prev["reasons"] = self.scrub(u, str(attrs["reasons"]))
                prev["residents"] = int(residents)
                best[(u, v)] = prev
            else:
                best[(u, v)] = attrs
        for (u, v), attrs in best.items():
            self.add_edge(u, v, "match", **attrs)

    def add_allocation(self, allocation: pd.DataFrame) -> None:
        amounts = [
            c
            for c in ("quantity", "amount", "value", "flow", "residents", "posts")
            if c in allocation.columns
        ]
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
            if "unit" in allocation.columns:
                acc["unit"] = plain(row.get("unit")) or ""
        for (u, v), attrs in totals.items():
            self.add_edge(u, v, "allocated", **attrs)

    def add_consortia(self, consortia: pd.DataFrame) -> None:
        if "consortium_id" not in consortia.columns:
            consortia = consortia.assign(consortium_id=[f"C{i + 1}" for i in range(len(consortia))])
        if "members" in consortia.columns:  # wide: one row per consortium, members listed
            rows = [(r, split_list(plain(r["members"]))) for r in _records(consortia)]
        else:  # long: one row per member
            rows = [
                (g.iloc[0], [str(a) for a in g["asset_id"]])
                for _, g in consortia.groupby("consortium_id", sort=False)
            ]
        for row, members in rows:
            cid = str(row["consortium_id"])
            cnode = self.add_consortium(cid, row, members)
            for asset in members:
                u = self.asset_node(asset)
                if u is not None:
                    self.add_edge(u, cnode, "consortium_member")
            v = self.opportunity_node(row["opportunity_id"]) if "opportunity_id" in row else None
            if v is not None:
                self.add_edge(
                    cnode,
                    v,
                    "proposed_for",
                    score=row.get("score"),
                    reasons=plain(row.get("reasons")) or "",
                )

    def add_flows(self, flows: pd.DataFrame) -> None:
        """Flows between places as ``flow`` edges (resident flows below k left out)."""
        flows, hidden = suppress_resident_flows(flows, self.ds.min_count)
        self.counters["suppressed_residents"] += hidden
        places = place_points(flows, self.ds).set_index("place")
        nodes: dict[str, str] = {}
        for code, row in places.iterrows():
            code = str(code)
            known = next(
                (
                    nid
                    for nid in (
                        node_id("area", code),
                        node_id("project", code),
                        node_id("opportunity", code),
                        node_id("asset", code),
                    )
                    if nid in self.G and self.G.nodes[nid].get("node_type") != "group"
                ),
                None,
            )
            if known is None:
                known = node_id("place", code)
                located = pd.notna(row["lat"]) and pd.notna(row["lon"])
                attrs = {"label": row["name"], "code": code}
                self.G.add_node(
                    known,
                    node_type="place",
                    **clean_attributes(attrs, {"label"}),
                    located=bool(located),
                    **({"lon": float(row["lon"]), "lat": float(row["lat"])} if located else {}),
                )
            nodes[code] = known
        for row in aggregate_pairs(flows).itertuples(index=False):
            u, v = nodes[str(row.origin)], nodes[str(row.destination)]
            if u == v:
                attr = f"internal_{row.kind}"
                self.G.nodes[u][attr] = float(self.G.nodes[u].get(attr, 0.0)) + float(row.magnitude)
                continue
            key = ":".join(str(x) for x in ("flow", row.kind, row.period, row.tag) if x != "")
            self.add_edge(
                u,
                v,
                "flow",
                key=key,
                kind=row.kind,
                unit=row.unit,
                magnitude=float(row.magnitude),
                period=row.period,
                tag=row.tag,
            )

    @paused_gc()  # a dict or tuple per row and no cycles: see paused_gc
    def add_links(self, links: pd.DataFrame) -> None:
        merged: dict[tuple[str, str, str], dict[str, Any]] = {}
        absent: list[Scalar | None] = [None] * len(links)
        # column by column: plain values (what plain() of each row's value gives)
        relations, amounts, currencies, descriptions, dates = (
            plain_values(links[c]) if c in links else absent
            for c in ("relation", "amount", "currency", "description", "since")
        )
        for source, target, relation_of, amount, currency, description, date in zip(
            links["source"].tolist(),
            links["target"].tolist(),
            relations,
            amounts,
            currencies,
            descriptions,
            dates,
            strict=True,
        ):
            u, v = self.asset_node(source), self.asset_node(target)
            if u is None or v is None:
                continue
            relation = str(relation_of or "related")
            acc = merged.setdefault((u, v, relation), {"relation": relation, "count": 0})
            acc["count"] += 1
            if isinstance(amount, int | float) and not isinstance(amount, bool):
                # parallel grants are one edge: their amounts summed, their number in count
                acc["amount"] = acc.get("amount", 0.0) + float(amount)
                acc["currency"] = currency or "GBP"
            if u not in self.groups and v not in self.groups:  # a note about residents stays out
                acc["description"] = description or ""
                since = date or ""
                acc["since"] = min(filter(None, (acc.get("since"), since)), default="")
                acc["latest"] = max(filter(None, (acc.get("latest"), since)), default="")
        for (u, v, relation), attrs in merged.items():
            self.add_edge(u, v, "link", key=f"link:{relation}", **attrs)


def _folds_to_ascii(text: str) -> bool:
    """Whether a non-ASCII character of ``text`` has an ASCII character among its case forms."""
    return not text.isascii() and any(
        any(x.isascii() for x in c.lower() + c.upper() + c.casefold())
        for c in set(text)
        if not c.isascii()
    )


def _names_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """A case-ignoring pattern of ``names``, longest first (matching nothing when none)."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(alternatives or r"(?!)", re.IGNORECASE)


def build_graph(
    ds: Dataset,
    matches: pd.DataFrame | MatchResult | None = None,
    allocation: pd.DataFrame | Allocation | None = None,
    consortia: pd.DataFrame | None = None,
    *,
    residents: Residents | None = None,
) -> nx.MultiDiGraph:
    """Build the typed network of a dataset.

    Parameters
    ----------
    ds
        The dataset (its projects, opportunities, assets, areas and links).
    matches
        A match table (``asset_id, opportunity_id, score, reasons`` and any
        descriptive columns), or a :class:`cwb.matching.core.MatchResult` whose
        ``matches``, ``allocation``, ``consortia`` and ``members`` (matching's own
        groups of residents → their rows) are used for the arguments not given.
    allocation
        Allocated pairs: ``asset_id, opportunity_id`` and a ``quantity`` or
        ``amount`` (and ``unit``), or a :class:`cwb.matching.allocation.Allocation`.
    consortia
        Proposed consortia: one row per consortium with ``consortium_id``,
        ``opportunity_id`` and ``members`` (``;``-separated asset ids or a list),
        or one row per member with ``consortium_id, opportunity_id, asset_id``.
    residents
        :func:`cwb.privacy.aggregate_human` of all of ``ds``'s assets, when
        already computed (it is computed here otherwise).

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
    allocation_df = _frame(
        allocation if allocation is not None else getattr(result, "allocation", None),
        "assignments",
        "allocation",
    )
    consortia_df = _frame(
        consortia if consortia is not None else getattr(result, "consortia", None), "consortia"
    )
    G = nx.MultiDiGraph()
    b = _Builder(ds, G, members=dict(getattr(result, "members", None) or {}), residents=residents)
    b.add_areas()
    b.add_projects()
    b.add_opportunities()
    b.add_assets()
    if ds.links is not None and len(ds.links):
        b.add_links(ds.links)
    if ds.pacts is not None and len(ds.pacts):
        add_pacts(G, ds.pacts, b.asset_node)
    if matches_df is not None and len(matches_df):
        b.add_matches(matches_df)
    if allocation_df is not None and len(allocation_df):
        b.add_allocation(allocation_df)
    if consortia_df is not None and len(consortia_df):
        b.add_consortia(consortia_df)
    if ds.flows is not None and len(ds.flows):
        b.add_flows(ds.flows)
    G.graph.update(
        name=ds.name,
        crs="EPSG:4326",
        min_count=int(ds.min_count),
        suppressed_groups=int(b.counters["suppressed_groups"]),
        # rounded down to a multiple of k: the exact figure would give a lone group away
        suppressed_residents=published_suppressed(
            int(b.counters["suppressed_residents"]), int(ds.min_count)
        ),
        suppressed_edges=int(b.counters["suppressed_edges"]),
        unknown_references=int(b.counters["unknown_references"]),
        unlocated_nodes=sum(1 for _, d in G.nodes(data=True) if not d.get("located")),
    )
    if log.isEnabledFor(logging.INFO):  # counting a multigraph's edges walks all of them
        log.info("graph of %s: %d nodes, %d edges", ds.name, len(G), G.number_of_edges())
    return G
