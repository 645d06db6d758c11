"""Community use of places: validation, free slots, matching, allocation, pacts, CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cwb.cli import app
from cwb.commons.matching import CommonsSettings, allocate_slots, match_places
from cwb.commons.pacts import commons_figures, pacts_over_time
from cwb.commons.places import free_slots, sessions_for
from cwb.dataset.io import read_dataset, write_dataset
from cwb.dataset.schema import SLOTS
from cwb.dataset.validate import validate_dataset
from cwb.errors import DatasetError, UsageError
from cwb.graph.build import build_graph
from cwb.graph.io import read_graph, write_graph
from cwb.report import save_report

DEMO = Path(__file__).resolve().parent.parent / "data" / "birmingham"
runner = CliRunner()

PLACES = (
    "id,name,kind,category,lat,lon,use_status,owner_type,hours_used_per_week,floor_area_m2,"
    "accessibility,spaces,cost_per_session\n"
    "P1,Grove Lane hall,physical,community_centre,52.4960,-1.9450,under_used,public,60,200,"
    "step_free,hall,0\n"
    """P2,Rolfe Street plot,physical,land,52.4940,-1.9430,vacant,private,0,,partial,growing_land,
G1,Grove Lane Choir,community,voluntary_group,52.4955,-1.9440,,,,,,,
G2,Rolfe Gardeners,community,voluntary_group,52.4950,-1.9445,,,,,,,
"""
)
NEEDS = (
    "id,group,space_type,sessions_per_week,min_area_m2,days,times,max_distance_m,"
    "budget_per_session,step_free\n"
    """N1,G1,hall,2,100,,evening,2000,10,yes
N2,G2,growing_land,3,,sat;sun,,2000,,no
N3,G1,kitchen,1,,,,2000,,
"""
)
PACTS = """id,asset,partners,status,proposed_on,signed_on,starts,ends,hours_per_week
K1,P2,G2,active,2024-01-10,2024-03-01,2024-04-01,,8
"""


@pytest.fixture
def commons_copy(mini_copy: Path) -> Path:
    """The mini dataset with places, needs and pacts."""
    assets = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    extra = pd.read_csv(pd.io.common.StringIO(PLACES), dtype=str, keep_default_na=False)
    pd.concat([assets, extra], ignore_index=True).fillna("").to_csv(
        mini_copy / "assets.csv", index=False
    )
    (mini_copy / "needs.csv").write_text(NEEDS, encoding="utf-8")
    (mini_copy / "pacts.csv").write_text(PACTS, encoding="utf-8")
    manifest = mini_copy / "dataset.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'postcodes = "postcodes.csv"',
            'postcodes = "postcodes.csv"\nneeds = "needs.csv"\npacts = "pacts.csv"',
        )
    )
    return mini_copy


def _problems(folder: Path, file: str) -> list:
    return [p for p in validate_dataset(folder).errors if p.file == file]


def test_commons_fixture_is_valid(commons_copy):
    report = validate_dataset(commons_copy)
    assert report.ok, [str(p) for p in report.errors]
    assert report.counts["needs"].read == 3 and report.counts["pacts"].read == 1


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("K2,P2,G2,active,2024-05-01,2024-03-01,2024-04-01,,4", "signed_on", "comes before"),
        ("K2,P2,G2,active,2024-01-01,2024-03-01,,,4", "starts", "is empty but the pact"),
        ("K2,P2,G2,ended,2024-01-01,2024-03-01,2024-04-01,,4", "ends", "is empty"),
        ("K2,P2,G2;NOPE,proposed,2024-01-01,,,,", "partners", "'NOPE' is not the id"),
        ("K2,G1,G2,proposed,2024-01-01,,,,", "asset", "is not the id of a physical"),
        ("K2,P2,G2,agreed,2024-01-01,,,,", "status", "is not a known status"),
    ],
)
def test_invalid_pact_is_an_error_naming_file_row_column(commons_copy, row, column, reason):
    path = commons_copy / "pacts.csv"
    path.write_text(PACTS + row + "\n", encoding="utf-8")
    errors = _problems(commons_copy, "pacts.csv")
    assert any(p.row == 3 and p.column == column and reason in p.reason for p in errors), [
        str(p) for p in errors
    ]
    with pytest.raises(DatasetError):
        read_dataset(commons_copy)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("N4,G1,ballroom,1,,,,,,", "space_type"),
        ("N4,XX,hall,1,,,,,,", "group"),
        ("N4,A3,hall,1,,,,,,", "group"),  # a residents' skills group
        ("N4,G1,hall,1,,fri;someday,,,,", "days"),
        ("N4,G1,hall,5,,sat,evening,,,", "sessions_per_week"),
    ],
)
def test_invalid_need(commons_copy, row, column):
    (commons_copy / "needs.csv").write_text(NEEDS + row + "\n", encoding="utf-8")
    errors = _problems(commons_copy, "needs.csv")
    assert any(p.row == 5 and p.column == column for p in errors), [str(p) for p in errors]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"hours_used_per_week": "200"}, "hours_used_per_week"),
        ({"use_status": "half empty"}, "use_status"),
        ({"owner_type": "council"}, "owner_type"),
        ({"spaces": "hall;ballroom"}, "spaces"),
        ({"free_sessions": "monday"}, "free_sessions"),
        ({"available_from": "2025-01-01", "available_until": "2024-01-01"}, "available_until"),
        ({"floor_area_m2": "-5"}, "floor_area_m2"),
    ],
)
def test_invalid_place_columns(commons_copy, cells, column):
    assets = pd.read_csv(commons_copy / "assets.csv", dtype=str, keep_default_na=False)
    row = assets.index[assets["id"] == "P1"][0]
    for name, value in cells.items():
        if name not in assets:
            assets[name] = ""
        assets.loc[row, name] = value
    assets.to_csv(commons_copy / "assets.csv", index=False)
    errors = _problems(commons_copy, "assets.csv")
    assert any(p.row == row + 2 and p.column == column for p in errors), [str(p) for p in errors]


def test_free_slots_model():
    assert len(free_slots("vacant", None, None)) == 21
    assert free_slots("in_use", 40, None) == ()
    assert free_slots("in_use", 40, "tue_evening;mon_morning") == ("mon_morning", "tue_evening")
    under = free_slots("under_used", 8, None)  # two sessions taken, weekday daytimes first
    assert len(under) == 19 and "mon_morning" not in under and "mon_afternoon" not in under
    assert len(free_slots("vacant", 0, None, pact_hours=12)) == 18
    assert sessions_for(None) == 0 and sessions_for(0.5) == 1 and sessions_for(999) == 21


def test_matching_on_the_fixture(commons_copy):
    ds = read_dataset(commons_copy)
    result = match_places(ds)
    booked = result.bookings.groupby("need")["place"].first().to_dict()
    assert booked == {"N1": "P1", "N2": "P2"}
    n1 = result.bookings[result.bookings["need"] == "N1"]
    assert set(n1["slot"]) <= {f"{d}_evening" for d in ("mon", "tue", "wed", "thu", "fri")} | {
        "sat_evening",
        "sun_evening",
    }
    assert len(n1) == 2
    n2 = result.bookings[result.bookings["need"] == "N2"]
    assert all(s.startswith(("sat", "sun")) for s in n2["slot"])
    reasons = result.matches.set_index("need").loc["N1", "reasons"]
    assert "size fits: 200 m² for 100 m² asked" in reasons and "step-free" in reasons
    assert "public building" in reasons
    assert result.unplaced.set_index("need").loc["N3", "reason"].startswith("no kitchen offered")
    assert list(result.unused["place"]) == []


def test_public_land_first(commons_copy):
    ds = read_dataset(commons_copy)
    result = match_places(ds, CommonsSettings(weights={"ownership": 1.0}))
    assert result.matches.set_index("need").loc["N1", "ownership_score"] == 1.0
    assert result.matches.set_index("need").loc["N2", "ownership_score"] == 0.3


def test_unknown_commons_setting_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown setting"):
        CommonsSettings.from_manifest({"wieghts": {}})
    with pytest.raises(UsageError, match="unknown part"):
        CommonsSettings.from_manifest({"weights": {"beauty": 1}})


def test_demo_proposes_places_and_lists_gaps():
    ds = read_dataset(DEMO)
    result = match_places(ds)
    assert result.bookings["need"].nunique() >= 15
    assert not result.bookings.duplicated(["place", "slot"]).any()
    assert len(result.unplaced) and len(result.unused)
    assert result.matches["reasons"].str.contains("m away").all()
    shared = result.bookings.groupby("place")["need"].nunique()
    assert (shared > 1).any()  # one building shared by several groups at different times
    figures = commons_figures(ds, result)
    assert figures.pacts_by_status == {
        "proposed": 1,
        "negotiating": 2,
        "signed": 1,
        "active": 2,
        "ended": 1,
    }
    assert figures.pacts_land > figures.pacts_buildings
    over_time = pacts_over_time(ds)
    assert over_time["signed"].sum() == 4 and over_time.loc[2024, "in_force"] == 2


slot_sets = st.lists(st.sampled_from(SLOTS), unique=True, max_size=21).map(tuple)


@settings(max_examples=150, deadline=None)
@given(
    frees=st.lists(slot_sets, min_size=1, max_size=5),
    needs=st.lists(st.tuples(st.integers(0, 6), slot_sets), min_size=1, max_size=10),
    pairs=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 4), st.floats(0, 1)), max_size=40),
)
def test_allocation_never_double_books(frees, needs, pairs):
    free = {f"p{i}": f for i, f in enumerate(frees)}
    sessions = {f"n{i}": n for i, (n, _) in enumerate(needs)}
    asked = {f"n{i}": a for i, (_, a) in enumerate(needs)}
    matches = pd.DataFrame(
        [(f"n{n}", f"p{p}", s) for n, p, s in pairs if n < len(needs) and p < len(frees)],
        columns=["need", "place", "score"],
    ).drop_duplicates(["need", "place"])
    bookings = allocate_slots(matches, sessions, asked, free)
    assert not bookings.duplicated(["place", "slot"]).any()
    for (need, place), rows in bookings.groupby(["need", "place"]):
        assert set(rows["slot"]) <= set(free[place]) & set(asked[need])
        assert ((matches["need"] == need) & (matches["place"] == place)).any()
    per_need = bookings.groupby("need").size()
    assert all(per_need[n] <= sessions[n] for n in per_need.index)
    # the flow books as many sessions as any allocation could (an independent max flow)
    assert len(bookings) == _most_sessions(matches, sessions, asked, free)
    # a group is split over places only when none of its places could host all its sessions
    for need, rows in bookings.groupby("need"):
        if rows["place"].nunique() > 1:
            others = bookings[bookings["need"] != need]
            for place in matches.loc[matches["need"] == need, "place"]:
                busy = set(others.loc[others["place"] == place, "slot"])
                room = (set(free[place]) & set(asked[need])) - busy
                assert len(room) < len(rows)


def _most_sessions(matches, sessions, asked, free) -> int:
    """The largest number of sessions any slot booking could give (networkx max flow)."""
    graph = nx.DiGraph()
    for need, n in sessions.items():
        graph.add_edge("source", ("need", need), capacity=n)
    for need, place in matches[["need", "place"]].itertuples(index=False):
        for slot in set(free[place]) & set(asked[need]):
            graph.add_edge(("need", need), (place, slot), capacity=1)
            graph.add_edge((place, slot), "sink", capacity=1)
    if "sink" not in graph:
        return 0
    return int(nx.maximum_flow_value(graph, "source", "sink"))


def test_allocation_keeps_a_group_in_one_building():
    matches = pd.DataFrame(
        [("n", "best", 0.9), ("n", "second", 0.8)], columns=["need", "place", "score"]
    )
    free = {"best": ("mon_morning",), "second": ("tue_morning", "wed_morning")}
    asked = {"n": SLOTS}
    bookings = allocate_slots(matches, {"n": 2}, asked, free)
    # the flow alone would book Monday at "best" and Tuesday at "second"
    assert list(bookings["place"]) == ["second", "second"]
    assert list(bookings["slot"]) == ["tue_morning", "wed_morning"]
    # with room at the best place, both sessions go there, earliest slots first
    free["best"] = ("mon_morning", "mon_evening", "tue_morning")
    bookings = allocate_slots(matches, {"n": 2}, asked, free)
    assert list(bookings["place"]) == ["best", "best"]
    assert list(bookings["slot"]) == ["mon_morning", "mon_evening"]


def test_allocation_books_more_sessions_than_best_first():
    # best-first would give "a" the only Monday slot of p1 and leave "b" with nothing;
    # the flow gives "a" p2 (a worse score) so that both groups meet
    matches = pd.DataFrame(
        [("a", "p1", 0.9), ("a", "p2", 0.5), ("b", "p1", 0.8)],
        columns=["need", "place", "score"],
    )
    free = {"p1": ("mon_morning",), "p2": ("tue_morning",)}
    asked = {"a": SLOTS, "b": ("mon_morning",)}
    bookings = allocate_slots(matches, {"a": 1, "b": 1}, asked, free)
    assert dict(zip(bookings["need"], bookings["place"], strict=True)) == {"a": "p2", "b": "p1"}


def test_cli_commons(commons_copy, tmp_path):
    target = tmp_path / "out"
    result = runner.invoke(app, ["commons", str(commons_copy), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Grove Lane Choir → Grove Lane hall" in result.output
    assert "unplaced N3" in result.output
    bookings = pd.read_csv(target / "commons_bookings.csv")
    assert set(bookings["need"]) == {"N1", "N2"}


def test_cli_commons_exit_codes(commons_copy, tmp_path):
    (commons_copy / "pacts.csv").write_text(
        PACTS + "K2,P2,G2,ended,2024-01-01,,,,\n", encoding="utf-8"
    )
    assert runner.invoke(app, ["commons", str(commons_copy)]).exit_code == 1
    assert runner.invoke(app, ["commons", str(tmp_path / "nowhere")]).exit_code == 2


@pytest.fixture(scope="module")
def demo() -> Any:
    return read_dataset(DEMO)


@pytest.mark.parametrize("suffix", ["graphml", "gexf", "json"])
def test_pacts_in_the_graph_export(demo, tmp_path, suffix):
    G = build_graph(demo)
    path = write_graph(G, tmp_path / f"graph.{suffix}")
    H = read_graph(path)
    pacts = {n: d for n, d in H.nodes(data=True) if d.get("node_type") == "pact"}
    assert len(pacts) == 7
    first = pacts["pact:P001"]
    assert first["status"] == "active" and first["label"] == "Grove Lane growing plot"
    place = [v for _, v, k in H.out_edges("pact:P001", keys=True) if k == "pact_place"]
    assert place == [f"asset:{demo.pacts.loc[0, 'asset']}"]
    partners = {u for u, _, k in H.in_edges("pact:P001", keys=True) if k == "pact_partner"}
    assert partners == {f"asset:{p}" for p in demo.pacts.loc[0, "partners"].split(";")}


def test_report_has_the_commons_section(demo, tmp_path):
    ds = replace(demo, pacts=demo.pacts.copy())
    ds.pacts.loc[0, "title"] = "<b>Grove & Lane</b>"
    places = match_places(ds)
    html_path = save_report(ds, tmp_path / "report.html", places=places)
    html = html_path.read_text(encoding="utf-8")
    assert "Community use of places (CO-CITY)" in html
    assert "Public places under-used or vacant" in html
    assert "&lt;b&gt;Grove &amp; Lane&lt;/b&gt;" in html and "<b>Grove" not in html
    assert 'data-chart="pacts_year"' in html
    md_path = save_report(ds, tmp_path / "report.md", format="md", places=places)
    md = md_path.read_text(encoding="utf-8")
    assert "Groups no place fits yet" in md and "Places proposed for groups" in md


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg"])
def test_needs_and_pacts_round_trip(commons_copy, tmp_path, fmt):
    ds = read_dataset(commons_copy)
    back = read_dataset(write_dataset(ds, tmp_path / fmt, format=fmt))
    for table in ("needs", "pacts"):
        pd.testing.assert_frame_equal(
            getattr(ds, table).reset_index(drop=True),
            getattr(back, table).reset_index(drop=True),
            check_dtype=False,
        )
    places = ds.assets.set_index("id").loc[["P1", "P2"], ["use_status", "owner_type", "spaces"]]
    again = back.assets.set_index("id").loc[["P1", "P2"], ["use_status", "owner_type", "spaces"]]
    pd.testing.assert_frame_equal(places, again, check_dtype=False)


def test_list_words_are_normalised(commons_copy):
    assets = pd.read_csv(commons_copy / "assets.csv", dtype=str, keep_default_na=False)
    assets.loc[assets["id"] == "P1", "spaces"] = "Hall; Growing land"
    assets.to_csv(commons_copy / "assets.csv", index=False)
    ds = read_dataset(commons_copy)
    assert ds.assets.set_index("id").loc["P1", "spaces"] == "hall;growing_land"
