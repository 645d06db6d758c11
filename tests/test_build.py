"""`cwb build RECIPE -o DIR`: a dataset from the real files a recipe names, its map and report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cwb.build import read_recipe
from cwb.cli import app
from cwb.errors import UsageError

RECIPE = Path(__file__).resolve().parent / "data" / "build" / "smethwick_matches_recipe.toml"
BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "smethwick_recipe.toml"
runner = CliRunner()


def test_bundled_recipe_reads_and_names_existing_sources(realdata):
    raw = read_recipe(BUNDLED)
    assert raw["build"]["realdata"] == "../../shared/realdata"
    for entry in raw["build"]["import"] + raw["build"]["spend"]:
        assert (realdata / entry["path"]).exists(), entry["path"]
    assert {e["kind"] for e in raw["build"]["import"]} == {
        "register",
        "ocds",
        "nhs_workforce",
        "360giving",
    }


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
