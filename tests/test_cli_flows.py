"""``cwb import-flows`` and ``cwb flows`` through the CLI, with their exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from realdata_paths import REALDATA, census_flows
from typer.testing import CliRunner

import cwb.cli  # noqa: F401  (registers the commands)
from cwb.cli.app import app
from cwb.dataset.io import read_dataset

runner = CliRunner()


def test_import_census_flows_then_measure(mini_copy: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import-flows", str(census_flows()), "--into", str(mini_copy)])
    assert result.exit_code == 0, result.output
    assert "5,894 flow(s) read" in result.output and "5,894 added" in result.output
    assert len(read_dataset(mini_copy).flows) == 5894
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "flows",
            str(mini_copy),
            "--no-derived",
            "--csv-dir",
            str(out),
            "--map",
            str(out / "m.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Birmingham" in result.output and "catchment" in result.output
    totals = pd.read_csv(out / "flows_totals.csv").set_index("place")
    assert totals.loc["E08000025", "internal"] == 355_566
    assert (out / "m.html").stat().st_size > 100_000
    for name in (
        "flows",
        "flows_partners",
        "flows_catchment",
        "flows_communities",
        "flows_brokers",
    ):
        assert (out / f"{name}.csv").is_file()


def test_import_shares_with_a_total(mini_copy: Path, tmp_path: Path) -> None:
    shares = tmp_path / "admissions.csv"
    shares.write_text("origin,destination,share\nW1,hosp,57\nE1,hosp,43\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["import-flows", str(shares), "--into", str(mini_copy), "--shares", "--total", "1000"],
    )
    assert result.exit_code == 0, result.output
    flows = read_dataset(mini_copy).flows
    assert flows["magnitude"].tolist() == [570, 430]
    assert flows["share"].tolist() == [0.57, 0.43]


def test_exit_codes(mini_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("origin_code,dest_code,count\nA,B,lots\n", encoding="utf-8")
    result = runner.invoke(app, ["import-flows", str(bad), "--into", str(mini_copy)])
    assert result.exit_code == 1
    assert "row 2" in result.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("origin_code,dest_code,count\nNOPE1,NOPE2,5\n", encoding="utf-8")
    result = runner.invoke(app, ["import-flows", str(unknown), "--into", str(mini_copy)])
    assert result.exit_code == 1  # written, but the places cannot be placed
    assert "NOPE1" in result.output
    wrong = tmp_path / "od.xlsx"
    wrong.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["import-flows", str(wrong), "--into", str(mini_copy)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["import-flows", str(census_flows()), "--into", str(tmp_path)])
    assert result.exit_code == 2  # not a dataset folder
    result = runner.invoke(app, ["flows", str(mini_copy), "--no-derived"])
    assert result.exit_code == 1  # the unknown places above make the dataset unusable


def test_flows_of_the_demo_are_derived(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "data" / "birmingham"
    result = runner.invoke(app, ["flows", str(demo), "--csv-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    flows = pd.read_csv(tmp_path / "flows.csv")
    assert {"spend", "matched_residents"} <= set(flows["kind"])
    residents = flows[flows["kind"].isin(["matched_residents", "allocated_residents"])]
    assert (residents["magnitude"] >= 5).all()


def test_msoa_and_local_authority_flows_live_side_by_side(mini_copy: Path) -> None:
    """Importing the MSOA table of a Census release keeps its local-authority table."""
    msoa = REALDATA / "flows_census2021" / "msoa_top1000_flows.geojson"
    if not msoa.exists():
        pytest.skip(f"{msoa} is not present (../shared/realdata)")
    for path in (census_flows(), msoa):
        result = runner.invoke(app, ["import-flows", str(path), "--into", str(mini_copy)])
        assert result.exit_code == 0, result.output
    assert "0 replaced" in result.output
    flows = read_dataset(mini_copy).flows
    assert len(flows) == 5894 + 1000
    assert flows["origin"].str.match(r"[EW]02").sum() == 1000  # MSOAs of England and Wales
    # importing the MSOA table again replaces only its own rows
    again = runner.invoke(app, ["import-flows", str(msoa), "--into", str(mini_copy)])
    assert again.exit_code == 0 and "1,000 replaced" in again.output, again.output
    assert len(read_dataset(mini_copy).flows) == 5894 + 1000
