"""Privacy holds in every output: a small group's unusual skill never leaves cwb."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cwb.catalogue import catalogue
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.privacy import aggregate_human

runner = CliRunner()
SKILL = "zithercraftunique"


def _plant(folder: Path) -> None:
    """A resident group of 3 (below min_count = 5) with a skill nobody else has."""
    assets = pd.read_csv(folder / "assets.csv", dtype=str, keep_default_na=False)
    row = pd.DataFrame(
        [
            {
                "id": "H9",
                "name": "Planted group",
                "kind": "human",
                "category": "skills_group",
                "area_code": "W1",
                "skills": f"{SKILL};registered nurse",
                "count": "3",
                "collected_on": "2024-02-01",
            }
        ]  # fmt: skip
    )
    pd.concat([assets, row], ignore_index=True).fillna("").to_csv(
        folder / "assets.csv", index=False
    )


def _run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def test_a_rare_skill_appears_in_no_output(mini_copy: Path, tmp_path: Path) -> None:
    _plant(mini_copy)
    out = tmp_path / "out"
    _run("demo", "--dataset", str(mini_copy), "--out", str(out / "demo"))
    _run("match", str(mini_copy), "-o", str(out / "matches.csv"))
    _run("gaps", str(mini_copy), "-o", str(out / "gaps.csv"))
    _run("catalogue", str(mini_copy), "--csv", str(out / "catalogue.csv"))
    _run("graph", str(mini_copy), "-o", str(out / "g.gexf"), "--metrics-csv", str(out / "m.csv"))
    _run("map", str(mini_copy), "-o", str(out / "map.html"))
    _run("report", str(mini_copy), "-o", str(out / "report.html"))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 15
    leaks = [p.name for p in files if SKILL.encode() in p.read_bytes()]
    assert leaks == []
    gaps = pd.read_csv(out / "gaps.csv", dtype=str, keep_default_na=False)
    assert not gaps["detail"].str.contains("H9").any()


def test_area_totals_agree_with_the_published_groups(mini_copy: Path) -> None:
    """Per-area resident totals minus the groups on the map leave nothing to recover."""
    _plant(mini_copy)
    ds = read_dataset(mini_copy)
    cat = catalogue(ds)
    groups, suppressed = aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)
    shown = groups.groupby("area_code")["count"].sum()
    table = cat.by_area[cat.by_area["kind"] == "human"].set_index("area_code")["residents"]
    for code, residents in table.dropna().items():
        assert residents == shown.get(code, 0), code
    assert cat.suppressed_residents >= 3
    totals = cat.by_category[cat.by_category["kind"] == "human"]["residents"].sum()
    assert totals == groups["count"].sum()
