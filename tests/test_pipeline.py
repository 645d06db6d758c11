"""cwb.pipeline: each stage computed once, and stages that never re-run matching."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from test_maps import layers_of
from test_maps import make_dataset as make_map_dataset
from test_spend_register import fixture_with_register
from typer.testing import CliRunner

import cwb.matching.core
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.maps.compose import make_map
from cwb.maps.elements import unpack_fields
from cwb.matching.allocation import allocate
from cwb.matching.core import complete_matching, match, match_dataset
from cwb.pipeline import Pipeline
from cwb.privacy import aggregate_human, assign_area_codes, with_area_codes
from cwb.report import build_report
from cwb.spend.analysis import analyse_spend

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: The stages ``cwb demo`` must run exactly once each.
ONCE: tuple[Callable[..., Any], ...] = (
    match,
    complete_matching,
    allocate,
    analyse_spend,
    with_area_codes,
    aggregate_human,
    build_report,
)


def count_calls(mp: pytest.MonkeyPatch, funcs: tuple[Callable[..., Any], ...]) -> Counter[str]:
    """Wrap every module-level name bound to one of ``funcs`` (in any cwb module) to count calls."""
    counts: Counter[str] = Counter()
    for func in funcs:

        def counted(*args: Any, _func: Callable[..., Any] = func, **kwargs: Any) -> Any:
            counts[_func.__name__] += 1
            return _func(*args, **kwargs)

        for module in [m for name, m in sys.modules.items() if name.startswith("cwb")]:
            for attr, value in list(vars(module).items()):
                if value is func:
                    mp.setattr(module, attr, counted)
    return counts


@pytest.fixture(scope="module")
def demo_counts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Counter[str], Any, Any]:
    """``cwb demo`` with every stage of :data:`ONCE` counted, and the resource reads."""
    cwb.matching.core._read_resource_rows.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        counts = count_calls(mp, ONCE)
        out = tmp_path_factory.mktemp("demo")
        result = runner.invoke(app, ["demo", "--out", str(out)])
    written = sorted(p.name for p in out.iterdir())
    return counts, (result, written), cwb.matching.core._read_resource_rows.cache_info()


def test_demo_runs_every_stage_once(demo_counts: tuple[Counter[str], Any, Any]) -> None:
    counts, (result, written), _ = demo_counts
    assert result.exit_code == 0, result.output
    for name in ("catalogue.csv", "matches.csv", "spend.json", "graph.graphml", "map.html"):
        assert name in written and name in result.output
    assert {"report.html", "report.md", "graph_reach.csv"} <= set(written)
    assert {f.__name__: counts[f.__name__] for f in ONCE} == {f.__name__: 1 for f in ONCE}


def test_demo_reads_the_bundled_tables_once(demo_counts: tuple[Counter[str], Any, Any]) -> None:
    _, (result, _), info = demo_counts
    assert result.exit_code == 0
    assert info.misses == 2  # eligibility.csv and pathways.csv, once each
    assert info.hits >= 1


def test_each_stage_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = Pipeline(read_dataset(demo_dataset_path()))
    counts = count_calls(monkeypatch, (match, analyse_spend, aggregate_human))
    assert pipe.matches is pipe.matches and pipe.matches is pipe.scores
    assert pipe.spend is pipe.spend and pipe.residents is pipe.residents
    assert pipe.matches.allocation is not None and pipe.matches.gaps is not None
    assert counts == Counter({"match": 1, "analyse_spend": 1, "aggregate_human": 1})


def test_area_codes_are_joined_once_and_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = read_dataset(demo_dataset_path())
    coded = with_area_codes(ds)
    for name in ("assets", "opportunities", "spend"):
        before, after = getattr(ds, name), getattr(coded, name)
        assert after["area_code"].notna().sum() >= before["area_code"].notna().sum()
        expected = assign_area_codes(before, ds.areas)
        assert list(assign_area_codes(after, ds.areas)) == list(expected)
        located = after.geometry.notna() & ~after.geometry.is_empty
        assert list(after.loc[located, "area_code"]) == list(expected[located])
    assert ds.assets["area_code"].isna().any()  # the dataset read is left as it was
    joins: Counter[str] = Counter()
    sjoin = gpd.sjoin

    def counted(*args: Any, **kwargs: Any) -> Any:
        joins["sjoin"] += 1
        return sjoin(*args, **kwargs)

    monkeypatch.setattr(gpd, "sjoin", counted)
    for name in ("assets", "opportunities", "spend"):
        assign_area_codes(getattr(coded, name), coded.areas)
    assert joins["sjoin"] == 0


def test_make_map_without_matches_never_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = make_map_dataset()

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("matching ran")

    for func in (match, match_dataset):
        for module in [m for name, m in sys.modules.items() if name.startswith("cwb")]:
            for attr, value in list(vars(module).items()):
                if value is func:
                    monkeypatch.setattr(module, attr, forbidden)
    layers = layers_of(make_map(ds))
    assert "links" not in layers and "opportunities" in layers
    report = build_report(ds)
    assert not any("Matched" in s.title for s in report.sections)
    assert any("No matching result" in n for n in report.notes)


def test_map_spend_counts_suppliers_located_through_the_register(tmp_path: Path) -> None:
    """T07 Unknown Ltd (£700, no postcode) is placed only by the register, in B66 1AA's area."""
    folder = fixture_with_register(tmp_path, "supplier_name,lat,lon\nUnknown Limited,52.50,-1.99\n")
    ds = read_dataset(folder)
    plain = Pipeline(read_dataset(ROOT / "tests" / "data" / "spend"))
    registered = Pipeline(ds)
    assert registered.spend is not None and plain.spend is not None
    how = registered.spend.located_by.set_index("located_by")
    assert how.loc["name", "amount_gbp"] == 700.0

    def spend_layer(pipe: Pipeline) -> pd.DataFrame:
        fields = unpack_fields(layers_of(pipe.map)["spend"].spec)
        return pd.DataFrame(fields).astype({"Spend": float})

    with_register, without = spend_layer(registered), spend_layer(plain)
    assert with_register["Spend"].sum() - without["Spend"].sum() == pytest.approx(700.0)
    by_area = registered.spend.by_area
    assert sorted(with_register["Spend"]) == sorted(
        by_area.loc[by_area["spend_gbp"] > 0, "spend_gbp"]
    )


def test_cli_map_report_graph_go_through_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(ROOT / "tests" / "data" / "mini")
    counts = count_calls(monkeypatch, ONCE)
    res = runner.invoke(app, ["report", data, "-o", str(tmp_path / "r.md"), "--map", "m.html"])
    assert res.exit_code == 0, res.output
    assert (counts["match"], counts["analyse_spend"], counts["build_report"]) == (1, 1, 1)
    assert "Anchor spend" in (tmp_path / "r.md").read_text()
    counts.clear()
    res = runner.invoke(app, ["map", data, "-o", str(tmp_path / "m.html"), "--no-links"])
    assert res.exit_code == 0, res.output
    assert counts["match"] == 0 and counts["analyse_spend"] == 1
    res = runner.invoke(app, ["graph", data, "-o", str(tmp_path / "g.json"), "--no-matching"])
    assert res.exit_code == 0, res.output
    assert counts["match"] == 0 and (tmp_path / "g.json").stat().st_size > 0
    res = runner.invoke(app, ["graph", data, "-o", str(tmp_path / "g.png")])
    assert res.exit_code == 2


def test_stages_do_not_import_the_pipeline_or_the_demo() -> None:
    stages = [ROOT / "cwb" / d for d in ("dataset", "matching", "spend", "graph", "maps")]
    files = [p for d in stages for p in d.rglob("*.py")] + [ROOT / "cwb" / "report.py"]
    pattern = re.compile(r"^\s*(import|from) +cwb\.(demo|pipeline|cli)\b", re.MULTILINE)
    assert [p.name for p in files if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_metric_copies_are_made_once_per_table() -> None:
    ds = read_dataset(demo_dataset_path())
    areas = ds.in_metric("areas")
    assert areas is ds.in_metric("areas") and areas.crs == ds.metric_crs
    assert ds.in_metric("projects") is ds.in_metric("projects")
    assert areas.geometry.iloc[0].equals_exact(
        ds.areas.geometry.to_crs(ds.metric_crs).iloc[0], 1e-6
    )
    ds.areas = ds.areas.iloc[:3]  # a replaced table gets a new copy
    assert len(ds.in_metric("areas")) == 3
