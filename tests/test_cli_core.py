"""The core CLI: version, init, validate, catalogue, demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cwb import __version__
from cwb.cli import app
from cwb.cli.app import usage_message
from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.errors import UsageError
from cwb.matching.core import match

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    module = subprocess.run(
        [sys.executable, "-m", "cwb", "--version"], capture_output=True, text=True
    )
    assert module.returncode == 0 and __version__ in module.stdout


def test_help_has_examples() -> None:
    for command in ("init", "validate", "catalogue", "demo"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, command


def test_init_then_validate(tmp_path: Path) -> None:
    for excel in (False, True):
        folder = tmp_path / f"new{excel}"
        args = ["init", str(folder), "--project-name", "Test Stadium"] + (
            ["--excel"] if excel else []
        )
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (folder / ("dataset.xlsx" if excel else "assets.csv")).exists()
        # the CO-CITY tables start with their headings (CSV also beside a workbook)
        for table in ("needs", "pacts"):
            assert (folder / f"{table}.csv").exists()
            assert f'{table} = "{table}.csv"' in (folder / "dataset.toml").read_text()
        assert "Test Stadium" in (folder / "dataset.toml").read_text()
        checked = runner.invoke(app, ["validate", str(folder)])
        assert checked.exit_code == 0, checked.output
    again = runner.invoke(app, ["init", str(tmp_path / "newFalse")])
    assert again.exit_code == 2 and "--force" in again.output


def test_catalogue_writes_csv(mini_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "cat.csv"
    result = runner.invoke(app, ["catalogue", str(mini_path), "--csv", str(target)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(target)
    assert {"breakdown", "kind", "assets", "residents"} <= set(table.columns)
    assert "<k" in result.output


def test_demo_dataset_is_valid() -> None:
    result = runner.invoke(app, ["validate", str(demo_dataset_path())])
    assert result.exit_code == 0, result.output


def test_bands_option_replaces_the_manifest_catchment(mini_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "cat.csv"
    result = runner.invoke(
        app, ["catalogue", str(mini_path), "--bands", "500m,2.5km", "--csv", str(target)]
    )
    assert result.exit_code == 0, result.output
    bands = set(pd.read_csv(target)["band"].dropna())
    assert bands <= {"0–0.5 km", "0.5–2.5 km", "> 2.5 km"} and "0.5–2.5 km" in bands
    for bad in ("abc", "0,1000", "-1km"):
        refused = runner.invoke(app, ["catalogue", str(mini_path), "--bands", bad])
        assert refused.exit_code == 2, (bad, refused.output)
    mapped = runner.invoke(
        app,
        ["map", str(mini_path), "-o", str(tmp_path / "m.html"), "--bands", "1km,7km", "--no-links"],
    )
    assert mapped.exit_code == 0, mapped.output
    assert "7 km" in (tmp_path / "m.html").read_text()


def test_library_errors_name_the_argument_and_the_cli_names_the_flag() -> None:
    exc = UsageError("must be at least 1", argument="max_links")
    assert str(exc) == "max_links: must be at least 1"
    assert usage_message(exc) == "--max-links: must be at least 1"
    assert usage_message(exc, {"max_links": "-n"}) == "-n: must be at least 1"
    assert usage_message(UsageError("plain")) == "plain"


def test_unknown_project_names_the_flag(tmp_path: Path) -> None:
    folder = tmp_path / "blank"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    with pytest.raises(UsageError, match="^project: 'nope' is not a project"):
        match(read_dataset(folder), project="nope")
    result = runner.invoke(app, ["match", str(folder), "--project", "nope"])
    assert result.exit_code == 2
    assert "--project: 'nope' is not a project" in " ".join(result.output.split())


def test_map_assets_and_tiles_options(mini_path: Path, tmp_path: Path) -> None:
    base = ["map", str(mini_path), "--no-links"]
    out = tmp_path / "cdn.html"
    result = runner.invoke(app, [*base, "-o", str(out), "--assets", "cdn", "--tiles", "none"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in page and "L.tileLayer(" not in page
    out = tmp_path / "old.html"
    result = runner.invoke(app, [*base, "-o", str(out), "--assets-prefix", "https://x.example/npm"])
    assert result.exit_code == 0, result.output
    assert "deprecated" in result.output
    assert 'src="https://x.example/npm/leaflet/dist/leaflet.js"' in out.read_text(encoding="utf-8")
    result = runner.invoke(app, [*base, "-o", str(tmp_path / "t.html"), "--tiles", "nope"])
    assert result.exit_code == 2 and "cartodb-positron" in result.output
