"""Flows between places: the table, its validation, the Census importer, measures, derived flows."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from realdata_paths import census_flows

from cwb.dataset.io import read_dataset, write_dataset
from cwb.dataset.validate import validate_dataset
from cwb.errors import DatasetError, UsageError
from cwb.flows.census import flows_from_shares, read_census_flows, read_centroids
from cwb.flows.measures import (
    brokers,
    catchment_summary,
    communities,
    flow_graph,
    place_totals,
    strongest_partners,
)
from cwb.flows.store import write_flows_into
from cwb.flows.table import (
    aggregate_pairs,
    flow_frame,
    place_points,
    select_flows,
    suppress_resident_flows,
)

BIRMINGHAM, SANDWELL = "E08000025", "E08000028"


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    return read_census_flows(census_flows())


def _pair(flows: pd.DataFrame, origin: str, destination: str) -> float:
    rows = flows[(flows["origin"] == origin) & (flows["destination"] == destination)]
    assert len(rows) == 1
    return float(rows["magnitude"].iloc[0])


# ---------------------------------------------------------------- Census 2021


def test_census_file_imports_whole_with_the_reference_figures(census: pd.DataFrame) -> None:
    with open(census_flows(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(census) == len(rows) == 5894
    assert census["magnitude"].sum() == sum(int(r["count"]) for r in rows)
    assert _pair(census, SANDWELL, BIRMINGHAM) == 22_812
    assert _pair(census, BIRMINGHAM, SANDWELL) == 11_520
    assert _pair(census, BIRMINGHAM, BIRMINGHAM) == 355_566
    assert (census["kind"] == "commuting").all() and (census["unit"] == "people").all()
    assert set(census["period"]) == {"2021"}
    # every local authority is placed from the bundled centroids
    assert (
        census[["origin_lat", "origin_lon", "destination_lat", "destination_lon"]]
        .notna()
        .all()
        .all()
    )


def test_self_containment_matches_a_hand_count(census: pd.DataFrame) -> None:
    internal: dict[str, int] = defaultdict(int)
    out: dict[str, int] = defaultdict(int)
    into: dict[str, int] = defaultdict(int)
    with open(census_flows(), encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            n = int(r["count"])
            if r["origin_code"] == r["dest_code"]:
                internal[r["origin_code"]] += n
            else:
                out[r["origin_code"]] += n
                into[r["dest_code"]] += n
    totals = place_totals(census).set_index("place")
    for code in (BIRMINGHAM, SANDWELL):
        by_hand_out = internal[code] / (internal[code] + out[code])
        by_hand_in = internal[code] / (internal[code] + into[code])
        assert totals.loc[code, "containment_out"] == pytest.approx(by_hand_out, abs=1e-6)
        assert totals.loc[code, "containment_in"] == pytest.approx(by_hand_in, abs=1e-6)
        assert totals.loc[code, "net"] == into[code] - out[code]
    # Birmingham: 355,566 of 436,023 working residents work in Birmingham
    assert totals.loc[BIRMINGHAM, "containment_out"] == pytest.approx(355_566 / 436_023, abs=1e-6)
    assert totals.loc[SANDWELL, "containment_out"] == pytest.approx(87_139 / 138_305, abs=1e-6)


def test_census_geojson_gives_the_same_flows(realdata: Path, census: pd.DataFrame) -> None:
    geo = read_census_flows(realdata / "flows_census2021" / "ltla_flows.geojson")
    assert len(geo) == len(census)
    assert _pair(geo, SANDWELL, BIRMINGHAM) == 22_812
    assert geo["origin_lat"].notna().all()


def test_msoa_centroids_averaged_up_a_lookup(realdata: Path) -> None:
    folder = realdata / "flows_census2021"
    points = read_centroids(folder / "msoa_centroids.csv", folder / "msoa21_ltla22_lookup.csv")
    assert BIRMINGHAM in points.index and "E02001830" in points.index
    assert 52.3 < points.loc[BIRMINGHAM, "lat"] < 52.6


def test_ons_bulk_headers_and_bad_counts(tmp_path: Path) -> None:
    good = tmp_path / "od.csv"
    good.write_text(
        "Middle layer Super Output Areas code,Middle layer Super Output Areas label,"
        "MSOA of workplace code,MSOA of workplace label,Count\n"
        'E02001830,Sandwell 001,E02001831,Sandwell 002,"1,234"\n',
        encoding="utf-8",
    )
    flows = read_census_flows(
        good, centroids=pd.DataFrame({"lat": [52.5], "lon": [-2.0]}, index=["E02001830"])
    )
    assert flows["magnitude"].tolist() == [1234]
    assert flows["origin_lat"].tolist() == [52.5] and pd.isna(flows["destination_lat"].iloc[0])
    bad = tmp_path / "bad.csv"
    bad.write_text("origin_code,dest_code,count\nA,B,12\nA,C,-3\nB,C,many\n", encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        read_census_flows(bad)
    assert [(p.row, p.value) for p in caught.value.errors] == [(3, "-3"), (4, "many")]
    with pytest.raises(DatasetError, match="not an origin"):
        read_census_flows(good.with_name("x.csv") if False else _write(tmp_path, "a,b\n1,2\n"))


def _write(folder: Path, text: str) -> Path:
    path = folder / "other.csv"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- shares


def test_trust_admissions_as_shares_become_counts() -> None:
    table = pd.DataFrame(
        {"origin": [SANDWELL, BIRMINGHAM], "destination": ["mmuh", "mmuh"], "share": ["57%", "43%"]}
    )
    with_total = flows_from_shares(table, kind="patients", unit="patients", total=10_000)
    assert with_total["share"].tolist() == pytest.approx([0.57, 0.43])
    assert with_total["magnitude"].tolist() == [5700, 4300]
    assert set(with_total["unit"]) == {"patients"}
    assert set(with_total["share_of"]) == {"destination"}
    without = flows_from_shares(table, kind="patients")
    assert without["magnitude"].tolist() == pytest.approx([0.57, 0.43])
    assert set(without["unit"]) == {"share"}
    with pytest.raises(UsageError):
        flows_from_shares(table.drop(columns="share"), kind="patients")


# ---------------------------------------------------------------- validation


def _flows_dataset(folder: Path, rows: str) -> Path:
    (folder / "flows.csv").write_text(rows, encoding="utf-8")
    manifest = folder / "dataset.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("[files]", '[files]\nflows = "flows.csv"'),
        encoding="utf-8",
    )
    return folder


def test_valid_flows_table_reads_with_every_kind_of_place(mini_copy: Path) -> None:
    _flows_dataset(
        mini_copy,
        "origin,destination,magnitude,unit,kind,period,destination_lat,destination_lon\n"
        "W1,hosp,120,people,Matched Residents,2024,,\n"
        "W1,W1,30,,commuting,2021,,\n"
        "hosp,X9,5000,gbp,spend,2023-24,52.6,-1.8\n",
    )
    ds = read_dataset(mini_copy)
    assert ds.flows is not None and len(ds.flows) == 3
    assert ds.flows["kind"].tolist() == ["matched_residents", "commuting", "spend"]
    assert ds.flows["unit"].tolist() == ["people", "people", "gbp"]
    places = place_points(ds.flows, ds).set_index("place")
    assert places[["lat", "lon"]].notna().all().all()
    assert places.loc["X9", "lat"] == 52.6


def test_flow_problems_name_file_row_column_value(mini_copy: Path) -> None:
    _flows_dataset(
        mini_copy,
        "origin,destination,magnitude,unit,kind,share,origin_lat,origin_lon\n"
        "W1,NOWHERE,10,people,commuting,,,\n"  # row 2: unknown destination
        "W1,hosp,-4,people,commuting,,,\n"  # row 3: negative
        "W1,hosp,1.5,share,patients,,,\n"  # row 4: a share above 1
        "ZZ,hosp,5,patients,patients,0.4,52.5,\n"  # row 5: half coordinates, unknown origin
        "W1,hosp,5,patients,admissions,0.3,,\n",  # row 6: shares of hosp add up to 0.3
    )
    report = validate_dataset(mini_copy)
    found = {
        (p.row, p.column, p.code, p.severity) for p in report.problems if p.file == "flows.csv"
    }
    assert (2, "destination", "unknown_place", "error") in found
    assert (3, "magnitude", "negative", "error") in found
    assert (4, "magnitude", "share_above_one", "error") in found
    assert (5, "origin_lat", "half_coordinates", "error") in found
    assert (5, "origin", "unknown_place", "error") in found
    assert (6, "share", "shares_do_not_add_up", "warning") in found
    unknown = next(p for p in report.problems if p.code == "unknown_place" and p.row == 2)
    assert unknown.value == "NOWHERE" and "area code" in unknown.reason
    with pytest.raises(DatasetError):
        read_dataset(mini_copy)


def test_shares_that_add_up_raise_no_warning(mini_copy: Path) -> None:
    _flows_dataset(
        mini_copy,
        "origin,destination,magnitude,unit,kind,share\n"
        "W1,hosp,570,patients,patients,0.57\n"
        "E1,hosp,430,patients,patients,0.43\n",
    )
    report = validate_dataset(mini_copy)
    assert [p for p in report.problems if p.file == "flows.csv"] == []


# ---------------------------------------------------------------- measures


@pytest.fixture
def toy() -> pd.DataFrame:
    rows = [
        ("A", "A", 50),
        ("A", "B", 30),
        ("B", "A", 10),
        ("B", "B", 20),
        ("C", "D", 40),
        ("D", "C", 40),
        ("B", "C", 1),
    ]
    return flow_frame(
        pd.DataFrame(rows, columns=["origin", "destination", "magnitude"]).assign(kind="commuting")
    )


def test_place_totals_and_containment(toy: pd.DataFrame) -> None:
    t = place_totals(toy).set_index("place")
    assert t.loc["A", ["incoming", "outgoing", "internal", "net"]].tolist() == [10, 30, 50, -20]
    assert t.loc["A", "containment_out"] == pytest.approx(50 / 80)
    assert t.loc["A", "containment_in"] == pytest.approx(50 / 60)
    assert t.loc["B", "outgoing"] == 11
    assert pd.isna(t.loc["C", "containment_out"]) or t.loc["C", "containment_out"] == 0


def test_partners_catchment_communities_brokers(toy: pd.DataFrame) -> None:
    partners = strongest_partners(toy, top=1).set_index("place")
    assert partners.loc["A", "partner"] == "B" and partners.loc["A", "exchanged"] == 40
    summary = catchment_summary(toy, ["A", "B"]).iloc[0]
    assert summary["within"] == 110 and summary["out_of_catchment"] == 1
    assert summary["stays_share"] == pytest.approx(110 / 111, abs=1e-6)
    assert summary["dependence"] == 0 and summary["top_outside_partner"] == "C"
    graph = flow_graph(toy)
    assert graph.nodes["A"]["internal"] == 50 and not graph.has_edge("A", "A")
    groups = communities(graph)
    assert groups["A"] == groups["B"] != groups["C"] == groups["D"]
    top = brokers(graph, top=2)
    assert set(top["place"]) == {"B", "C"}  # the only route from A's side to D's


def test_selecting_mixed_units_is_refused(toy: pd.DataFrame) -> None:
    mixed = pd.concat([toy, toy.assign(unit="gbp", kind="spend")], ignore_index=True)
    with pytest.raises(UsageError, match="several units"):
        select_flows(mixed)
    assert len(select_flows(mixed, kind="spend")) == len(toy)


def test_identical_pairs_are_summed(toy: pd.DataFrame) -> None:
    doubled = aggregate_pairs(pd.concat([toy, toy], ignore_index=True))
    assert len(doubled) == len(toy)
    assert doubled["magnitude"].sum() == 2 * toy["magnitude"].sum()


def test_small_resident_flows_are_suppressed() -> None:
    flows = flow_frame(
        pd.DataFrame(
            {
                "origin": ["W1", "W1", "E1", "E1"],
                "destination": ["hosp"] * 4,
                "magnitude": [3, 3, 4, 100],
                "kind": ["matched_residents", "matched_residents", "matched_residents", "spend"],
            }
        )
    )
    kept, hidden = suppress_resident_flows(flows, 5)
    # W1's two rows make a flow of 6 (kept); E1's 4 residents are hidden; spend is untouched
    assert kept["origin"].tolist() == ["W1", "W1", "E1"] and hidden == 4


# ---------------------------------------------------------------- writing into a dataset


def test_import_twice_replaces_and_keeps_the_manifest_comments(mini_copy: Path) -> None:
    manifest = mini_copy / "dataset.toml"
    manifest.write_text("# keep me\n" + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    flows = read_census_flows(census_flows())
    first = write_flows_into(mini_copy, flows)
    assert first.added == 5894 and first.replaced == 0
    again = write_flows_into(mini_copy, flows)
    assert again.replaced == 5894 and again.kept == 0
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith("# keep me") and text.count('flows = "flows.csv"') == 1
    ds = read_dataset(mini_copy)
    assert len(ds.flows) == 5894
    assert _pair(ds.flows, SANDWELL, BIRMINGHAM) == 22_812


def test_msoa_flows_from_geojson(realdata: Path) -> None:
    flows = read_census_flows(realdata / "flows_census2021" / "msoa_top1000_flows.geojson")
    assert len(flows) == 1000
    assert flows[["origin_lat", "destination_lat"]].notna().all().all()
    assert flows["origin"].str.startswith(("E02", "W02")).all()


def test_flows_survive_writing_the_dataset_in_every_format(mini_copy: Path, tmp_path: Path) -> None:

    write_flows_into(mini_copy, read_census_flows(census_flows()).head(50))
    ds = read_dataset(mini_copy)
    for fmt in ("csv", "xlsx", "geojson", "gpkg", "parquet"):
        back = read_dataset(write_dataset(ds, tmp_path / fmt, format=fmt))
        assert len(back.flows) == 50, fmt
        assert back.flows["magnitude"].sum() == ds.flows["magnitude"].sum(), fmt


_COMMUNITIES_SCRIPT = """
import pandas as pd
from cwb.flows.measures import measure_flows
from cwb.flows.table import flow_frame
rows = [(o, d, m) for o, d, m in {rows!r}]
flows = flow_frame(
    pd.DataFrame(rows, columns=["origin", "destination", "magnitude"]).assign(kind="commuting")
)
places = pd.DataFrame(
    {{"place": list("ABCDEFGH"), "name": list("abcdefgh"), "lat": 52.5, "lon": -1.9}}
)
print(measure_flows(flows, places).communities.to_json(orient="split"))
"""


def test_communities_table_is_the_same_in_every_process() -> None:
    """Places of one community are listed in one order whatever Python's string hashing."""
    rows = [(a, b, 10) for a in "ABCD" for b in "ABCD" if a != b]
    rows += [(a, b, 10) for a in "EFGH" for b in "EFGH" if a != b] + [("D", "E", 1)]
    script = _COMMUNITIES_SCRIPT.format(rows=rows)
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(outputs) == 1
    table = pd.read_json(io.StringIO(outputs.pop()), orient="split")
    assert table.index.tolist() == list(range(8))
    assert table["place"].tolist() == list("ABCDEFGH")
