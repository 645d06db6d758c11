"""Issue 13: the community researcher's story, replayed end to end, and the GEXF 1.3 check.

The researcher imports a source with provenance, compares two matching
scenarios, and opens the results where they analyse: the graph in Gephi (GEXF
1.3, checked against a schema, and re-read by networkx), the layers in QGIS
(GeoPackage, re-read by pyogrio) and the tables in pandas (node-link JSON and
``--format json`` tables, re-read by json and compared with the library).

The schema in ``tests/data/gexf-1.3/`` is cwb's own XSD for the subset of GEXF
1.3 that cwb writes (graph, attributes, nodes, edges, attvalues, viz:color,
viz:size, viz:position), written from the GEXF 1.3 primer's element list: the
GEXF working group's official XSD could not be obtained offline (see the
README.md there). It requires a ``weight`` on every edge, which GEXF 1.3 leaves
optional, so a file without weights fails it, as does a GEXF 1.2draft file.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pyogrio
import pytest
from lxml import etree
from typer.testing import CliRunner

from cwb.cli import app
from cwb.demo import demo_dataset_path
from cwb.graph.io import GEXF_NS, read_graph
from cwb.matching.core import run_match

runner = CliRunner()
TESTS = Path(__file__).resolve().parent
SCHEMA = TESTS / "data" / "gexf-1.3" / "gexf.xsd"
OSM = TESTS / "data" / "importers" / "osm_smethwick.geojson"
G = "{" + GEXF_NS + "}"


def _ok(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def schema_errors(document: bytes | Path) -> list[str]:
    """What the GEXF 1.3 schema finds wrong with a document (none: valid)."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    tree = etree.parse(str(document)) if isinstance(document, Path) else etree.fromstring(document)
    schema.validate(tree)
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def value_type_errors(path: Path) -> list[str]:
    """Attribute values that do not parse as the type their attribute declares."""
    root = etree.parse(str(path)).getroot()
    declared = {
        (block.get("class"), a.get("id")): a.get("type")
        for block in root.iter(f"{G}attributes")
        for a in block.iter(f"{G}attribute")
    }
    checks = {
        "long": re.compile(r"-?\d+"),
        "integer": re.compile(r"-?\d+"),
        "double": re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?INF"),
        "float": re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?INF"),
        "boolean": re.compile(r"true|false"),
    }
    errors = []
    for kind in ("node", "edge"):
        for element in root.iter(f"{G}{kind}"):
            for value in element.iter(f"{G}attvalue"):
                wanted = declared.get((kind, value.get("for")))
                if wanted is None:
                    errors.append(f"{kind} {element.get('id')}: undeclared {value.get('for')}")
                elif wanted in checks and not checks[wanted].fullmatch(value.get("value")):
                    errors.append(f"{kind} {element.get('id')}: {value.get('value')!r} ≠ {wanted}")
    return errors


def nx_read_gexf13(path: Path) -> nx.Graph:
    """networkx's own GEXF reader (it knows 1.1draft and 1.2draft) on a GEXF 1.3 file."""
    text = path.read_bytes()
    text = text.replace(b"http://gexf.net/1.3/viz", b"http://www.gexf.net/1.2draft/viz")
    text = text.replace(b'"http://gexf.net/1.3"', b'"http://www.gexf.net/1.2draft"')
    return nx.read_gexf(io.BytesIO(text))


@pytest.fixture(scope="module")
def demo_gexf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo dataset's graph, as ``cwb graph`` writes it for Gephi."""
    path = tmp_path_factory.mktemp("gexf") / "demo.gexf"
    _ok(["graph", str(demo_dataset_path()), "-o", str(path)])
    return path


def test_gexf_passes_the_1_3_schema(demo_gexf: Path) -> None:
    assert schema_errors(demo_gexf) == []
    assert value_type_errors(demo_gexf) == []
    root = etree.parse(str(demo_gexf)).getroot()
    edge_types = {
        v.get("value")
        for v in root.iter(f"{G}attvalue")
        if v.getparent().getparent().tag == f"{G}edge"
        and v.get("for")
        == next(a.get("id") for a in root.iter(f"{G}attribute") if a.get("title") == "edge_type")
    }
    assert {"match", "allocated", "located_in"} <= edge_types  # the schema saw every kind


def test_the_schema_fails_a_1_2draft_file_and_an_edge_without_weight(demo_gexf: Path) -> None:
    text = demo_gexf.read_bytes()
    draft = (
        text.replace(b"http://gexf.net/1.3/viz", b"http://www.gexf.net/1.2draft/viz")
        .replace(b'"http://gexf.net/1.3"', b'"http://www.gexf.net/1.2draft"')
        .replace(b'version="1.3"', b'version="1.2"')
    )
    assert schema_errors(draft)
    buffer = io.BytesIO()
    nx.write_gexf(nx.path_graph(3), buffer)  # networkx's own writer: GEXF 1.2draft
    assert schema_errors(buffer.getvalue())
    unweighted = re.sub(rb' weight="[^"]*"', b"", text, count=1)
    assert unweighted != text
    assert any("weight" in e for e in schema_errors(unweighted))
    named = text.replace(b"<graph ", b'<graph name="x" ', 1)  # GEXF 1.3's graph has no name
    assert schema_errors(named)


def test_the_researchers_afternoon(mini_copy: Path, tmp_path: Path) -> None:
    # 1. an OpenStreetMap extract, with provenance
    _ok(
        [
            "import",
            "osm",
            str(OSM),
            "--into",
            str(mini_copy),
            "--source",
            "OpenStreetMap",
            "--licence",
            "ODbL-1.0",
            "--collected-by",
            "Smethwick researchers",
        ]
    )
    assets = pd.read_csv(mini_copy / "assets.csv", dtype=str)
    imported = assets[assets["id"].str.startswith("osm:")]
    assert len(imported) and set(imported["licence"]) == {"ODbL-1.0"}

    # 2. two scenarios side by side, the table read by pandas from stdout
    near = tmp_path / "near.toml"
    near.write_text("[matching]\nmax_distance_m = 2000\n", encoding="utf-8")
    figures = pd.read_csv(
        io.StringIO(_ok(["compare", str(mini_copy), str(near), "-o", "-"]).stdout)
    )
    assert {"baseline", "near"} <= set(figures.columns) and len(figures)

    # 3. the graph for Gephi: schema-valid GEXF 1.3 that networkx reads back
    gexf, gpkg, node_link = tmp_path / "g.gexf", tmp_path / "g.gpkg", tmp_path / "g.json"
    for path in (gexf, gpkg, node_link):
        _ok(["graph", str(mini_copy), "-o", str(path)])
    assert schema_errors(gexf) == [] and value_type_errors(gexf) == []
    ours = read_graph(node_link)
    plain = nx_read_gexf13(gexf)
    assert set(plain) == set(ours) and plain.number_of_edges() == ours.number_of_edges()
    assert {n for n in plain if n.startswith("asset:osm:")}  # the import reached the graph
    scores = {(u, v): d["score"] for u, v, d in ours.edges(data=True) if "score" in d}
    weights = {
        (u, v): d["weight"] for u, v, d in plain.edges(data=True) if d["edge_type"] == "match"
    }
    assert scores and all(weights[uv] == pytest.approx(s) for uv, s in scores.items())

    # 4. the layers for QGIS: one layer per node type, areas as polygons
    layers = dict(pyogrio.list_layers(gpkg))
    types = {t for _, t in ours.nodes(data="node_type")}
    assert {f"nodes_{t}" for t in types} <= set(layers)
    assert layers["nodes_area"] in ("Polygon", "MultiPolygon")
    assert layers["edges"] == "LineString"
    assets_layer = pyogrio.read_dataframe(gpkg, layer="nodes_asset")
    assert set(assets_layer["node"]) == {n for n, t in ours.nodes(data="node_type") if t == "asset"}
    assert "contact_email" not in assets_layer.columns  # private fields never leave

    # 5. the web/notebook export and the terminal tables, read by json
    data = json.loads(node_link.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == ours.number_of_nodes()
    tables = [
        json.loads(line)
        for line in _ok(["--format", "json", "match", str(mini_copy)]).stdout.splitlines()
        if line.strip()
    ]
    summary = run_match(mini_copy).summary()
    rows = tables[0]["rows"]
    assert len(rows) == len(summary)
    numeric = [c for c in summary.columns if summary[c].dtype.kind in "iuf"]
    for row, (_, want) in zip(rows, summary.iterrows(), strict=True):
        for column in numeric:
            got = row[column]
            assert got is None if pd.isna(want[column]) else got == pytest.approx(want[column])
