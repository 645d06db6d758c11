"""`cwb import` and `cwb stale` through the CLI: exit codes, messages, files written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset

DATA = Path(__file__).resolve().parent / "data" / "importers"
runner = CliRunner()


def test_import_osm(mini_copy):
    result = runner.invoke(
        app,
        [
            "import",
            "osm",
            str(DATA / "osm_smethwick.geojson"),
            "--into",
            str(mini_copy),
            "--collected-by",
            "Smethwick researchers",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 10 record(s)" in result.output
    assert "1 × no name tag" in result.output
    assert "likely duplicates: 1" in result.output
    assert "wrote" in result.output
    assert "Smethwick researchers" in (mini_copy / "assets.csv").read_text()


def test_dry_run_and_duplicates_csv(mini_copy, tmp_path):
    before = (mini_copy / "assets.csv").read_text()
    dups = tmp_path / "dups.csv"
    result = runner.invoke(
        app,
        [
            "import",
            "osm",
            str(DATA / "osm_smethwick.geojson"),
            "--into",
            str(mini_copy),
            "--dry-run",
            "--duplicates-csv",
            str(dups),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (mini_copy / "assets.csv").read_text() == before
    assert "osm:node/1001,A2" in dups.read_text()


def test_register_with_map(mini_copy):
    result = runner.invoke(
        app,
        [
            "import",
            "register",
            str(DATA / "register_small.csv"),
            "--into",
            str(mini_copy),
            "--map",
            "name=Org Name,postcode=Post Code,registered_number=Reg No,id=Reg No",
            "--category",
            "charity",
            "--licence",
            "OGL-UK-3.0",
        ],
    )
    assert result.exit_code == 0, result.output
    text = (mini_copy / "assets.csv").read_text()
    assert "register_small:1100002" in text and "OGL-UK-3.0" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--map", "nmae=Org Name"], "--map: names an unknown cwb column"),
        (["--map", "name=NOPE"], "not in the file"),
        (["--on-duplicate", "merge"], "on_duplicate must be one of"),
    ],
)
def test_usage_errors_exit_2(mini_copy, args, message):
    result = runner.invoke(
        app,
        ["import", "register", str(DATA / "register_small.csv"), "--into", str(mini_copy), *args],
    )
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_kind_exits_2(mini_copy):
    result = runner.invoke(
        app, ["import", "gtfs", str(DATA / "register_small.csv"), "--into", str(mini_copy)]
    )
    assert result.exit_code == 2 and "unknown import kind" in result.output


def test_malformed_source_exits_1(mini_copy, tmp_path):
    folder = tmp_path / "hsds"
    folder.mkdir()
    (folder / "organizations.csv").write_text('id,name\no1,"Bad "org"",x\n')
    result = runner.invoke(app, ["import", "openreferral", str(folder), "--into", str(mini_copy)])
    assert result.exit_code == 1
    assert "organizations.csv, row 2" in result.output


def test_stale(mini_path, tmp_path):
    out = tmp_path / "stale.csv"
    result = runner.invoke(app, ["stale", str(mini_path), "--months", "12", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "Lozells Tenants Association" in result.output
    assert "stale row(s)" in result.output
    assert out.exists()


def test_help_has_examples():
    for command in ("import", "stale"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


@pytest.mark.slow
@pytest.mark.realdata
def test_real_data_example_builds_a_valid_dataset(realdata, tmp_path):
    script = Path(__file__).resolve().parents[1] / "examples" / "real_data_catchment.py"
    spec = importlib.util.spec_from_file_location("real_data_catchment", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "catchment"
    assert module.main([str(out), "--realdata", str(realdata)]) == 0
    ds = read_dataset(out)  # valid: read_dataset raises on errors
    counts = ds.assets.groupby("category").size()
    assert counts["library"] == 63 and counts["health_facility"] > 800
    # the sample's West Midlands notices were all awarded: illustrative contracts, never open;
    # the jobs are the hospital trust's estimated yearly openings
    opps = ds.opportunities
    contracts = opps[opps["type"] == "contract"]
    assert len(contracts) == 8 and set(contracts["status"]) == {"awarded"}
    assert contracts["illustrative"].astype(str).str.lower().eq("true").all()
    assert (opps["type"] == "job").sum() == 11
    assert (ds.spend["buyer"] == "Birmingham City Council").all() and len(ds.spend) > 50_000
    assert ds.areas["imd_decile"].dropna().between(1, 10).all()
    assert (out / "map.html").exists() and (out / "report.html").exists()
