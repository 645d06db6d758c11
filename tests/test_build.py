"""`cwb build RECIPE -o DIR`: a dataset from the real files a recipe names, its map and report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.build import read_recipe
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.errors import UsageError
from cwb.importers.ocds_filter import postcode_region

RECIPE = Path(__file__).resolve().parent / "data" / "build" / "sandwell_recipe.toml"
BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "smethwick_recipe.toml"
runner = CliRunner()


@pytest.mark.slow
@pytest.mark.realdata
def test_build_a_recipe(realdata, tmp_path):
    out = tmp_path / "built"
    args = ["build", str(RECIPE), "-o", str(out), "--realdata", str(realdata)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ds = read_dataset(out)  # valid: read_dataset raises on errors
    assert set(ds.assets["category"]) >= {"library"}
    assert ds.areas["imd_decile"].dropna().between(1, 10).all() and len(ds.areas) > 10
    opps = ds.opportunities
    # West Midlands notices only, CPV 79/80/85 only, each with its CPV and sector
    assert len(opps) and opps["buyer_postcode"].map(postcode_region).eq("West Midlands").all()
    assert opps["cpv"].str.match(r"^(79|80|85)").all() and opps["sector"].notna().all()
    output = " ".join(result.output.split())
    assert "releases: 100 read = " in output and "left out" in output
    for name in ("map.html", "report.html"):
        assert (out / name).stat().st_size > 10_000
    assert "Midland Metropolitan University Hospital" in (out / "report.html").read_text("utf-8")
    # a second build into the same folder needs --force
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output


def test_bundled_recipe_reads_and_names_existing_sources(realdata):
    raw = read_recipe(BUNDLED)
    assert raw["build"]["realdata"] == "../../shared/realdata"
    for entry in raw["build"]["import"] + raw["build"]["spend"]:
        assert (realdata / entry["path"]).exists(), entry["path"]
    assert {e["kind"] for e in raw["build"]["import"]} == {"register", "ocds"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dataset]\nname='x'\n", "no [build] section"),
        ("[build]\nboundaries=['a']\nsauce=1\n[[projects]]\nid='p'\n", "unknown [build] key"),
        ("[build]\nboundaries=['a']\n", "names no [[projects]]"),
        ("[build\n", "not valid TOML"),
    ],
)
def test_bad_recipes(tmp_path, text, message):
    recipe = tmp_path / "r.toml"
    recipe.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        read_recipe(recipe)


def test_missing_source_is_a_usage_error_before_anything_is_written(tmp_path):
    recipe = tmp_path / "r.toml"
    shutil.copy(RECIPE, recipe)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(recipe), "-o", str(out), "--realdata", str(tmp_path)])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not out.exists()
