"""Flows from what cwb already knows: anchor spend, matched and allocated residents, consortia.

Each function returns a flows frame (:func:`cwb.flows.table.flow_frame`) and
notes saying what was left out and why (nothing is dropped silently):

- :func:`spend_flows`: a buyer's included spend → the area of its suppliers, by
  sector (the ``tag``) and year. A buyer is placed at its project
  (``[spend] buyer_projects``); suppliers in an area of the dataset flow to that
  area, others to their postcode district placed at the mean of their located
  suppliers; spend with buyers not tied to a project or suppliers not located
  is left out and noted.
- :func:`resident_flows`: residents of each area → the project whose
  opportunities they matched (``matched_residents``, each group counted once
  per project) or were allocated to (``allocated_residents``, posts and places
  filled). Residents appear only in aggregate: a flow of fewer than the
  dataset's ``min_count`` residents is suppressed (see :mod:`cwb.privacy`).
- :func:`consortium_flows`: the members of each contract's best consortium → the project.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cwb.dataset.model import Dataset
from cwb.flows.table import FLOW_COLUMNS, flow_frame, suppress_resident_flows
from cwb.privacy import OUTSIDE_AREAS, assign_area_codes, describe_suppressed
from cwb.spend.geo import postcode_parts

#: ``source`` of every derived row starts with this (so that they are never derived twice).
DERIVED_SOURCE = "cwb (derived)"
_NOTE_SOURCE = DERIVED_SOURCE


def _empty() -> pd.DataFrame:
    return flow_frame(pd.DataFrame(columns=FLOW_COLUMNS))


def spend_flows(ds: Dataset, analysis: Any) -> tuple[pd.DataFrame, list[str]]:
    """Anchor spend as flows: buyer's project → supplier's area, by sector and year.

    ``analysis`` is a :class:`cwb.spend.analysis.SpendAnalysis` of ``ds``.
    """
    notes: list[str] = []
    inc = analysis.included
    if inc is None or inc.empty:
        return _empty(), notes
    projects = analysis.settings.buyer_projects
    origin = inc["buyer"].map(projects)
    unmapped = origin.isna()
    if unmapped.any():
        buyers = sorted(inc.loc[unmapped, "buyer"].astype(str).unique())
        notes.append(
            f"spend flows: £{inc.loc[unmapped, 'amount_gbp'].sum():,.0f} of "
            f"{len(buyers)} buyer(s) not tied to a project ({', '.join(buyers)}) left out; "
            "map them in [spend] buyer_projects"
        )
    inc = inc[~unmapped]
    origin = origin[~unmapped]
    area = assign_area_codes(inc, ds.areas)
    _, district = postcode_parts(inc["postcode"].astype("str").where(inc["postcode"].notna()))
    in_area = area != OUTSIDE_AREAS
    destination = area.where(in_area, district.reindex(area.index))
    located = inc.geometry.notna() & ~inc.geometry.is_empty
    xs = pd.Series(np.nan, index=inc.index)
    ys = pd.Series(np.nan, index=inc.index)
    xs[located] = inc.geometry[located].x
    ys[located] = inc.geometry[located].y
    work = pd.DataFrame(
        {
            "origin": origin,
            "destination": destination,
            "magnitude": inc["amount_gbp"].astype(float),
            "tag": inc["sector"].fillna("unknown sector").astype(str),
            "period": inc["year"].astype("string").fillna("").str.replace(r"\.0$", "", regex=True),
            "x": xs.where(~in_area),
            "y": ys.where(~in_area),
        }
    )
    lost = work["destination"].isna()
    if lost.any():
        notes.append(
            f"spend flows: £{work.loc[lost, 'magnitude'].sum():,.0f} in {int(lost.sum())} "
            "transaction(s) with suppliers in no area and no postcode left out"
        )
    work = work[~lost]
    centre = work.groupby("destination")[["x", "y"]].mean()
    flows = (
        work.groupby(["origin", "destination", "tag", "period"], as_index=False)["magnitude"]
        .sum()
        .assign(
            magnitude=lambda f: f["magnitude"].round(2),
            unit="gbp",
            kind="spend",
            source=_NOTE_SOURCE + " from spend",
        )
    )
    flows["destination_lon"] = flows["destination"].map(centre["x"])
    flows["destination_lat"] = flows["destination"].map(centre["y"])
    outside = ~flows["destination"].isin(set(ds.areas["code"].astype(str)))
    flows.loc[outside, "destination_name"] = (
        "postcode district " + flows.loc[outside, "destination"]
    )
    unplaced = outside & flows["destination_lat"].isna()
    if unplaced.any():
        notes.append(
            f"spend flows: £{flows.loc[unplaced, 'magnitude'].sum():,.0f} to "
            f"{int(unplaced.sum())} postcode district(s) with no located supplier left out"
        )
        flows = flows[~unplaced]
    return flow_frame(flows), notes


def _suppress(flows: pd.DataFrame, min_count: int, label: str, notes: list[str]) -> pd.DataFrame:
    kept, hidden = suppress_resident_flows(flows, min_count)
    if hidden:
        notes.append(
            f"{label}: {len(flows) - len(kept)} flow(s) of fewer than {min_count} residents "
            f"({describe_suppressed(hidden, min_count)} residents) suppressed for privacy"
        )
    return kept


def resident_flows(ds: Dataset, result: Any) -> tuple[pd.DataFrame, list[str]]:
    """Matched and allocated residents, per area of residence → project, in aggregate.

    ``result`` is a :class:`cwb.matching.core.MatchResult` of ``ds``.
    """
    notes: list[str] = []
    assets = getattr(result, "assets", None)
    if assets is None or "kind" not in assets:
        return _empty(), notes  # a result without the matched assets names no areas
    # the three columns used, of the resident groups only (a result may hold a million assets)
    groups = pd.DataFrame(assets.loc[assets["kind"] == "human", ["asset_id", "area_code", "count"]])
    if groups.empty:
        return _empty(), notes
    area_of = groups.set_index("asset_id")["area_code"].astype(str)
    count_of = pd.to_numeric(groups.set_index("asset_id")["count"], errors="coerce").fillna(0)
    parts = []
    matches = getattr(result, "matches", None)
    matches = matches[matches["asset_kind"] == "human"] if matches is not None else pd.DataFrame()
    if len(matches):
        pairs = matches[["asset_id", "project"]].drop_duplicates()
        matched = pd.DataFrame(
            {
                "origin": pairs["asset_id"].map(area_of).to_numpy(),
                "destination": pairs["project"].astype(str).to_numpy(),
                "magnitude": pairs["asset_id"].map(count_of).to_numpy(dtype=float),
            }
        )
        matched = matched.groupby(["origin", "destination"], as_index=False)["magnitude"].sum()
        matched = matched.assign(kind="matched_residents", period="")
        parts.append(_suppress(matched, ds.min_count, "matched residents", notes))
    allocation = getattr(result, "allocation", None)
    if allocation is not None and len(allocation.assignments):
        given = allocation.assignments[allocation.assignments["asset_kind"] == "human"]
        allocated = pd.DataFrame(
            {
                "origin": given["asset_id"].map(area_of).to_numpy(),
                "destination": given["project"].astype(str).to_numpy(),
                "tag": given["opportunity_type"].astype(str).to_numpy(),
                "magnitude": pd.to_numeric(given["quantity"], errors="coerce").to_numpy(float),
            }
        )
        allocated = allocated.groupby(["origin", "destination", "tag"], as_index=False)[
            "magnitude"
        ].sum()
        allocated = allocated.assign(kind="allocated_residents", period="")
        parts.append(_suppress(allocated, ds.min_count, "allocated residents", notes))
    if not parts:
        return _empty(), notes
    flows = pd.concat(parts, ignore_index=True)
    outside = flows["origin"] == OUTSIDE_AREAS
    if outside.any():
        notes.append(
            f"resident flows: {int(flows.loc[outside, 'magnitude'].sum())} residents "
            "living in no area of the dataset left out"
        )
        flows = flows[~outside]
    return flow_frame(flows.assign(unit="people", source=_NOTE_SOURCE + " from matching")), notes


def consortium_flows(ds: Dataset, result: Any) -> tuple[pd.DataFrame, list[str]]:
    """The members of each contract's best consortium → its project (one per member)."""
    consortia = getattr(result, "consortia", None)
    needed = {"rank", "members", "project", "consortium_id"}
    if consortia is None or consortia.empty or not needed <= set(consortia.columns):
        return _empty(), []
    best = consortia[consortia["rank"] == 1]
    rows = [
        {
            "origin": member,
            "destination": str(row.project),
            "magnitude": 1.0,
            "tag": str(row.consortium_id),
        }
        for row in best.itertuples(index=False)
        for member in (
            row.members if isinstance(row.members, list | tuple) else str(row.members).split(";")
        )
        if member
    ]
    if not rows:
        return _empty(), []
    flows = pd.DataFrame(rows).assign(
        unit="count", kind="consortium", source=_NOTE_SOURCE + " from consortia"
    )
    return flow_frame(flows), []


def derived_flows(
    ds: Dataset, *, match_result: Any = None, spend_analysis: Any = None
) -> tuple[pd.DataFrame, list[str]]:
    """Every derived flow (spend, residents, consortia) as one table, with the notes."""
    frames, notes = [], []
    if spend_analysis is not None:
        frame, more = spend_flows(ds, spend_analysis)
        frames.append(frame)
        notes += more
    if match_result is not None:
        for make in (resident_flows, consortium_flows):
            frame, more = make(ds, match_result)
            frames.append(frame)
            notes += more
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(), notes
    return flow_frame(pd.concat(frames, ignore_index=True)), notes
