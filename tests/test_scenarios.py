"""Scenario comparison: settings files, known answers on a hand-made dataset, the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from match_helpers import make_dataset
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset, write_dataset
from cwb.errors import UsageError
from cwb.matching.core import MatchSettings
from cwb.scenarios import BASELINE, Scenario, compare_scenarios, scenario_from_toml

runner = CliRunner()


def _group(gid: str, count: int, at: tuple[float, float]) -> dict:
    return {
        "id": gid,
        "name": f"group {gid}",
        "kind": "human",
        "category": "skills_group",
        "skills": "cook",
        "count": count,
        "at": at,
    }


@pytest.fixture()
def ds():
    """Cooks 500 m and 6 km from the hospital; 10 cook posts."""
    return make_dataset(
        [_group("NEAR", 4, (500, 0)), _group("FAR", 5, (6000, 0))],
        [{"id": "J1", "type": "job", "title": "Cook", "skills": "cook", "quantity": 10}],
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_file_changes_only_what_it_names(tmp_path: Path) -> None:
    base = MatchSettings()
    path = _write(tmp_path, "skills.toml", "[matching.weights]\nskills = 0.9\n")
    scenario = scenario_from_toml(path, base)
    assert scenario.name == "skills" and scenario.source == str(path)
    assert scenario.settings.weights["skills"] == 0.9
    others = {k: v for k, v in scenario.settings.weights.items() if k != "skills"}
    assert others == {k: v for k, v in base.weights.items() if k != "skills"}
    assert scenario.settings.max_distance_m == base.max_distance_m
    # keys may sit at the top level too
    top = scenario_from_toml(_write(tmp_path, "near.toml", "max_distance_m = 2000\n"), base)
    assert top.settings.max_distance_m == 2000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[matching]\nmax_distnce_m = 2000\n", "unknown matching setting"),
        ("[matching\n", "not valid TOML"),
        ("[matching.weights]\nskills = -1\n", "non-negative"),
        ("[matching.weights]\nluck = 1\n", "unknown component"),
        ("[matching]\nweights = 3\n", "table of component"),
    ],
)
def test_bad_scenario_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(UsageError, match=message) as info:
        scenario_from_toml(path, MatchSettings())
    assert "bad.toml" in str(info.value)


def test_a_shorter_reach_fills_fewer_posts(ds) -> None:
    base = MatchSettings.for_dataset(ds)
    near = Scenario("near", base.with_(max_distance_m=2000), "test")
    result = compare_scenarios(ds, [Scenario(BASELINE, base, "test"), near])
    assert result.scenarios == [BASELINE, "near"]
    figures = result.figures.set_index("figure")
    # both groups can reach the posts at 10 km; only the near one at 2 km
    assert figures.loc["posts_filled", BASELINE] == 9
    assert figures.loc["posts_filled", "near"] == 4
    assert figures.loc["posts_filled", "change_near"] == -5
    assert figures.loc["posts_offered", "change_near"] == 0
    assert figures.loc["units_unfilled", "near"] == 6
    opps = result.opportunities.set_index("opportunity_id")
    assert (opps.loc["J1", "demand"], opps.loc["J1", BASELINE], opps.loc["J1", "near"]) == (
        10,
        9,
        4,
    )
    assert opps.loc["J1", "change_near"] == -5
    assert result.settings.to_dict("records") == [
        {"setting": "max_distance_m", BASELINE: 10_000.0, "near": 2000}
    ]


def test_scenario_names_must_differ(ds) -> None:
    base = MatchSettings.for_dataset(ds)
    with pytest.raises(UsageError, match="must differ"):
        compare_scenarios(ds, [Scenario("a", base, "x"), Scenario("a", base, "y")])


def test_cli_compare_writes_both_tables(ds, tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    write_dataset(ds, folder)
    near = _write(tmp_path, "near.toml", "[matching]\nmax_distance_m = 2000\n")
    figures_csv, opps_csv = tmp_path / "figures.csv", tmp_path / "opps.csv"
    result = runner.invoke(
        app,
        [
            "compare",
            str(folder),
            str(near),
            "-o",
            str(figures_csv),
            "--opportunities",
            str(opps_csv),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Posts that could be filled locally" in result.output
    assert "max_distance_m" in result.output
    figures = pd.read_csv(figures_csv).set_index("figure")
    assert figures.loc["posts_filled", "change_near"] == -5
    assert pd.read_csv(opps_csv)["near"].tolist() == [4]
    bad = _write(tmp_path, "bad.toml", "[matching]\nnope = 1\n")
    refused = runner.invoke(app, ["compare", str(folder), str(bad)])
    assert refused.exit_code == 2
    assert "bad.toml" in refused.output and "nope" in refused.output


def test_compare_covers_place_matching(tmp_path: Path) -> None:
    """A [commons] section changes place matching; its figures sit beside matching's."""
    demo = read_dataset(Path(__file__).resolve().parents[1] / "data" / "birmingham")
    base = MatchSettings.for_dataset(demo)
    strict = _write(tmp_path, "near.toml", "[commons]\nmin_score = 0.7\n")
    near = scenario_from_toml(strict, base)
    assert near.settings == base and near.commons.min_score == 0.7
    assert near.commons.weights["ownership"] == 0.2  # untouched parts keep their defaults
    comparison = compare_scenarios(demo, [Scenario(BASELINE, base, "dataset.toml"), near])
    figures = comparison.figures.set_index("figure")
    assert figures.loc["commons_sessions", BASELINE] == 46
    assert figures.loc["commons_sessions", "change_near"] < 0
    assert figures.loc["commons_groups_unplaced", "change_near"] > 0
    assert figures.loc["posts_filled", "change_near"] == 0  # matching itself did not move
    assert comparison.settings["setting"].tolist() == ["commons.min_score"]
    with pytest.raises(UsageError, match="near2.toml.*unknown part"):
        scenario_from_toml(_write(tmp_path, "near2.toml", "[commons.weights]\nbeauty = 1\n"), base)
