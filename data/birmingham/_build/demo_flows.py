"""The demo's flows table: real Census 2021 commuting flows and illustrative patient shares.

Commuting: every local-authority flow of at least 100 people with an end in
the West Midlands metropolitan county (``flows_census2021/ltla_flows_west_midlands_met.csv``
of the shared real data), placed at the bundled local-authority centroids.
Patients: the issue's illustration of the hospital trust's admissions (57 %
from Sandwell, 43 % from Birmingham), kept as shares (no total is published
with them, so no counts).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cwb.flows.census import flows_from_shares, read_census_flows
from cwb.flows.table import flow_frame

PATIENT_SHARES = (("E08000028", "Sandwell", 0.57), ("E08000025", "Birmingham", 0.43))
PATIENT_SOURCE = "illustrative: shares quoted in cwb issue 15, not an NHS statistic"


def build_flows(real: Path, project_id: str) -> pd.DataFrame:
    """The flows rows of the demo (schema order)."""
    commuting = read_census_flows(
        real / "flows_census2021" / "ltla_flows_west_midlands_met.csv"
    )
    shares = pd.DataFrame(
        {
            "origin": [code for code, _, _ in PATIENT_SHARES],
            "origin_name": [name for _, name, _ in PATIENT_SHARES],
            "destination": project_id,
            "share": [share for _, _, share in PATIENT_SHARES],
        }
    )
    patients = flows_from_shares(shares, kind="patients", period="2024-25").assign(
        source=PATIENT_SOURCE
    )
    commuting_sorted = commuting.sort_values(["origin", "destination"], kind="stable")
    return flow_frame(pd.concat([commuting_sorted, patients], ignore_index=True))
