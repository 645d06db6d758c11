"""Flows in cwb's outputs: derived flows, the map layer's packed spec, the graph and the report."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.flows.atlas import flow_atlas, with_flows
from cwb.flows.derive import spend_flows
from cwb.flows.table import flow_frame, place_points
from cwb.graph.build import build_graph
from cwb.graph.io import read_graph, write_graph
from cwb.maps.elements import decode_array, decode_column, decode_points
from cwb.maps.flows import flow_layer_spec
from cwb.report import build_report, render_html
from cwb.spend.analysis import analyse_spend

HOSTILE = "<script>alert('flow')</script>"


@pytest.fixture(scope="module")
def demo():
    return read_dataset(demo_dataset_path())


def test_spend_flows_account_for_every_pound(demo) -> None:
    analysis = analyse_spend(demo)
    flows, notes = spend_flows(demo, analysis)
    included = analysis.included
    mapped = included[included["buyer"].map(analysis.settings.buyer_projects).notna()]
    left_out = sum(
        float(re.search(r"£([\d,]+)", n).group(1).replace(",", ""))
        for n in notes
        if "left out" in n and "not tied" not in n
    )
    assert flows["magnitude"].sum() + left_out == pytest.approx(mapped["amount_gbp"].sum(), abs=5)
    assert set(flows["origin"]) == {"mmuh"} and set(flows["unit"]) == {"gbp"}
    assert any("not tied to a project" in n for n in notes)
    # every destination is a ward or a placed postcode district
    places = place_points(flows, demo)
    assert places[["lat", "lon"]].notna().all().all()


def test_the_demo_atlas_measures_the_catchment(demo) -> None:
    atlas = flow_atlas(demo)
    assert {"E08000025", "E08000028", "mmuh"} <= set(atlas.catchment)
    commuting = atlas.measures.catchment.set_index("kind").loc["commuting"]
    # both ways between the two boroughs and their internal flows stay in the catchment
    assert commuting["within"] == 355_566 + 87_139 + 22_812 + 11_520
    assert set(atlas.flows["kind"]) == {"commuting", "patients"}


def test_layer_spec_sums_pairs_sorts_and_counts_unplaced() -> None:
    flows = flow_frame(
        pd.DataFrame(
            {
                "origin": ["A", "A", "B", "A", "C"],
                "destination": ["B", "B", "A", "A", "A"],
                "magnitude": [5, 7, 20, 100, 1],
                "kind": ["commuting", "commuting", "commuting", "commuting", "spend"],
                "origin_name": [HOSTILE, HOSTILE, "Bee", HOSTILE, "Sea"],
                "origin_lat": [52.0, 52.0, 52.1, 52.0, None],
                "origin_lon": [-1.0, -1.0, -1.1, -1.0, None],
            }
        )
    )
    places = place_points(flows)
    spec, unplaced = flow_layer_spec(flows, places, top=2)
    assert unplaced == 1  # C has no coordinates
    assert spec["n"] == 3 and spec["options"]["top"] == 2
    mags = decode_array(spec["mag"]).tolist()
    assert mags == [100, 20, 12]  # A→A, B→A, A→B (5 + 7): largest first
    names = decode_column(spec["names"], spec["places"]["n"])
    o, d = decode_array(spec["o"]), decode_array(spec["d"])
    assert [names[i] for i in o] == [HOSTILE, "Bee", HOSTILE] and o[0] == d[0]
    lon, lat = decode_points(spec["places"])
    assert lat[0] == pytest.approx(52.0) and lon[0] == pytest.approx(-1.0)
    assert [k["key"] for k in spec["kinds"]] == ["commuting"]


def test_flow_edges_in_the_graph_exports(demo, tmp_path: Path) -> None:
    G = build_graph(demo)
    edges = [(u, v, d) for u, v, d in G.edges(data=True) if d["edge_type"] == "flow"]
    assert len(edges) == int((demo.flows["origin"] != demo.flows["destination"]).sum())
    birmingham = G.nodes["place:E08000025"]
    assert birmingham["node_type"] == "place" and birmingham["internal_commuting"] == 355_566
    sandwell_to_brum = [
        d
        for u, v, d in edges
        if u == "place:E08000028" and v == "place:E08000025" and d["kind"] == "commuting"
    ]
    assert sandwell_to_brum[0]["magnitude"] == 22_812
    patients = [(u, v) for u, v, d in edges if d["kind"] == "patients"]
    assert ("place:E08000028", "project:mmuh") in patients
    for suffix in ("graphml", "gexf", "json"):
        path = write_graph(G, tmp_path / f"g.{suffix}")
        back = read_graph(path)
        assert back.number_of_edges() == G.number_of_edges()


def test_report_has_interdependencies_with_names_escaped(demo) -> None:
    flows = pd.concat(
        [
            demo.flows,
            flow_frame(
                pd.DataFrame(
                    {
                        "origin": ["E08000028"],
                        "destination": ["X1"],
                        "magnitude": [50_000.0],
                        "kind": ["commuting"],
                        "period": ["2021"],
                        "destination_name": [HOSTILE],
                        "destination_lat": [52.6],
                        "destination_lon": [-2.2],
                    }
                )
            ),
        ],
        ignore_index=True,
    )
    ds = with_flows(demo, flows)
    report = build_report(ds, flows=flow_atlas(ds), date="2026-12-03")
    section = next(s for s in report.sections if s.title == "Interdependencies")
    titles = [t.title for t in section.tables]
    assert "Strongest flows out of the catchment" in titles
    assert "Self-containment of the catchment by kind" in titles
    out = next(t for t in section.tables if t.title == "Strongest flows out of the catchment")
    assert "Birmingham" in set(out.frame["From"]) and "Solihull" in set(out.frame["To"])
    assert any("Commuting staying in the catchment" == f.label for f in section.figures)
    html = render_html(report)
    assert HOSTILE in set(out.frame["To"])
    assert HOSTILE not in html and "&lt;script&gt;alert" in html
    assert "Flows to and from the catchment" in html
