"""The ``cwb graph`` command, on the bundled Birmingham demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cwb.cli  # noqa: F401  (registers the commands)
from cwb.cli.app import app
from cwb.graph.io import read_graph, write_graph

DEMO = Path(__file__).resolve().parents[1] / "data" / "birmingham"
runner = CliRunner()

needs_demo = pytest.mark.skipif(
    not (DEMO / "dataset.toml").exists(), reason="data/birmingham not present"
)


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory):
    """One run of ``cwb graph`` on the demo, shared by the checks below."""
    out = tmp_path_factory.mktemp("graph")
    result = runner.invoke(
        app, ["graph", str(DEMO), "-o", str(out / "g.graphml"), "--metrics-csv", str(out / "m.csv")]
    )
    return result, out


@needs_demo
def test_graph_command_writes_and_summarises(demo_graph):
    result, out = demo_graph
    assert result.exit_code == 0, result.output
    assert "nodes by type" in result.output and "top brokers" in result.output
    assert "component(s)" in result.output
    G = read_graph(out / "g.graphml")
    metrics = pd.read_csv(out / "m.csv")
    assert len(metrics) == G.number_of_nodes()
    types = {d["edge_type"] for *_, d in G.edges(data=True)}
    assert {"offers", "match", "allocated", "located_in", "link"} <= types


@needs_demo
def test_demo_graph_links_residents_and_enterprises(demo_graph):
    """The Done-when of issue 3, seen from the graph."""
    _, out = demo_graph
    G = read_graph(out / "g.graphml")
    nurse_posts = {
        n
        for n, d in G.nodes(data=True)
        if d["node_type"] == "opportunity" and "nurse" in d["label"].lower()
    }
    group_to_nurse = [
        (u, v)
        for u, v, d in G.edges(data=True)
        if d["edge_type"] == "match" and G.nodes[u].get("is_group") and v in nurse_posts
    ]
    assert group_to_nurse, "no residents' group matched to a nursing post"
    contracts = [
        (u, v)
        for u, v, d in G.edges(data=True)
        if d["edge_type"] == "match"
        and G.nodes[u].get("category") == "social_enterprise"
        and G.nodes[v].get("opportunity_type") == "contract"
    ]
    assert contracts
    assert any(d["node_type"] == "consortium" for _, d in G.nodes(data=True))
    # privacy: residents only in groups of at least k, never a row of their own
    k = G.graph["min_count"]
    humans = [d for _, d in G.nodes(data=True) if d.get("kind") == "human"]
    assert humans and all(d["is_group"] and d["count"] >= k for d in humans)


@needs_demo
def test_demo_exports_hold_no_contact_details(demo_graph, tmp_path):
    assets = pd.read_csv(DEMO / "assets.csv", dtype=str)
    secrets = set()
    for col in [c for c in assets.columns if c.startswith("contact")]:
        secrets |= {v for v in assets[col].dropna() if len(v) > 4}
    human_names = set(assets.loc[assets["kind"] == "human", "name"].dropna())
    result = runner.invoke(app, ["graph", str(DEMO), "-o", str(tmp_path / "g.gpkg")])
    assert result.exit_code == 0, result.output
    _, out = demo_graph
    G = read_graph(out / "g.graphml")
    paths = [
        out / "g.graphml",
        write_graph(G, tmp_path / "g.gexf"),
        write_graph(G, tmp_path / "g.json"),
    ]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        leaked = [s for s in secrets | human_names if s in text]
        assert not leaked, (path.name, leaked[:3])
    G = read_graph(tmp_path / "g.gpkg")
    values = {str(v) for _, d in G.nodes(data=True) for v in d.values()}
    assert not (secrets | human_names) & values


def test_unknown_suffix_exits_2(tmp_path):
    dataset = tmp_path / "ds"
    dataset.mkdir()
    result = runner.invoke(app, ["graph", str(dataset), "-o", str(tmp_path / "g.xlsx")])
    assert result.exit_code == 2
    assert ".graphml, .gexf, .json, .gpkg" in result.output


def test_missing_dataset_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["graph", str(tmp_path / "nope"), "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 2


def test_help_has_an_example():
    result = runner.invoke(app, ["graph", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "cwb graph" in result.output
