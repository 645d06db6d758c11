"""Flows between places (Bordeaux's atlas of interdependencies): a table, importers, measures.

Sits above matching and spend (it derives flows from their results) and below the
map, graph and report that draw the flows.

- ``table``: the flows table in memory: normalising, placing endpoints, aggregating pairs.
- ``census``: Census 2021 origin–destination tables and flows given as shares.
- ``derive``: flows from what cwb already knows: spend, matched residents, consortia.
- ``measures``: totals, self-containment, partners, the network of places, the catchment.
- ``atlas``: a dataset's flows, their places and measures in one object.
- ``summary``: what the report says about flows, and its static flow map.
- ``store``: writing flows into a dataset folder and its ``dataset.toml``.
"""

from cwb.flows.atlas import FlowAtlas, flow_atlas, with_flows
from cwb.flows.census import flows_from_shares, read_census_flows, read_centroids
from cwb.flows.derive import derived_flows
from cwb.flows.measures import FlowMeasures, measure_flows
from cwb.flows.store import write_flows_into
from cwb.flows.table import flow_frame, select_flows, suppress_resident_flows

__all__ = [
    "FlowAtlas",
    "FlowMeasures",
    "derived_flows",
    "flow_atlas",
    "flow_frame",
    "flows_from_shares",
    "measure_flows",
    "read_census_flows",
    "read_centroids",
    "select_flows",
    "suppress_resident_flows",
    "with_flows",
    "write_flows_into",
]
