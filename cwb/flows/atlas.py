"""A dataset's atlas of interdependencies: its flows, their places and their measures.

:func:`flow_atlas` gathers the dataset's own flows table and the flows cwb
derives from matching and spend results (when given), suppresses resident
flows smaller than the privacy threshold, places every end and measures them
(:func:`cwb.flows.measures.measure_flows`) against the project's catchment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from cwb.dataset.model import Dataset
from cwb.flows.derive import DERIVED_SOURCE, derived_flows
from cwb.flows.measures import FlowMeasures, measure_flows
from cwb.flows.table import catchment_places, flow_frame, place_points, suppress_resident_flows


@dataclass
class FlowAtlas:
    """Flows (dataset and derived), their places, the catchment, measures and notes."""

    flows: pd.DataFrame
    places: pd.DataFrame
    catchment: list[str]
    measures: FlowMeasures
    notes: list[str] = field(default_factory=list)
    project_ids: list[str] = field(default_factory=list)


def flow_atlas(
    ds: Dataset,
    *,
    match_result: Any = None,
    spend_analysis: Any = None,
    kind: str | None = None,
) -> FlowAtlas:
    """The atlas of ``ds``: its flows plus those derived from the results given.

    Parameters
    ----------
    ds
        The dataset (its ``flows`` table may be None).
    match_result, spend_analysis
        Results of :func:`cwb.matching.core.match_dataset` and
        :func:`cwb.spend.analysis.analyse_spend`; their flows are added when given.
    kind
        Keep only flows of this kind.
    """
    own_flows = ds.flows
    frames = [own_flows] if own_flows is not None and len(own_flows) else []
    derived, notes = derived_flows(ds, match_result=match_result, spend_analysis=spend_analysis)
    if own_flows is not None and frames and len(derived):
        # derived rows already in the table are replaced, not doubled
        own = own_flows["source"].fillna("").astype(str).str.startswith(DERIVED_SOURCE)
        frames = [own_flows[~own]]
    if len(derived):
        frames.append(derived)
    flows = flow_frame(pd.concat(frames, ignore_index=True)) if frames else flow_frame([])
    if kind is not None:
        flows = flows[flows["kind"] == kind].reset_index(drop=True)
    flows, hidden = suppress_resident_flows(flows, ds.min_count)
    if hidden:
        notes.append(
            f"{hidden:,} residents in flows of fewer than {ds.min_count} are left out (privacy)"
        )
    places = place_points(flows, ds)
    catchment = catchment_places(ds, places)
    return FlowAtlas(
        flows,
        places,
        catchment,
        measure_flows(flows, places, catchment),
        notes,
        [p.id for p in ds.manifest.projects],
    )


def with_flows(ds: Dataset, flows: pd.DataFrame) -> Dataset:
    """A copy of ``ds`` whose flows table is ``flows`` (for maps and reports of derived flows)."""
    return replace(ds, flows=flows)
