"""``map = no``: a row is counted everywhere but its location is on no map or export.

The mini dataset's library (A2, exact lat/lon) and its first job (O1, placed at
its project) are marked ``no``; the map, the graph (GPKG and node-link JSON)
and the catalogue are checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from cwb.catalogue import catalogue
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.dataset.validate import validate_dataset
from cwb.graph.build import build_graph
from cwb.graph.io import write_gpkg, write_node_link
from cwb.maps.compose import make_map
from cwb.maps.elements import CwbLayer, decode_points, iter_elements, unpack_fields
from cwb.privacy import hide_locations, location_hidden, public_assets

LIBRARY = (-1.9667, 52.4969)  # A2's lon/lat in tests/data/mini/assets.csv


def _mark(folder: Path, file: str, row_id: str, value: str) -> None:
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    if "map" not in frame:
        frame["map"] = ""
    frame.loc[frame["id"] == row_id, "map"] = value
    frame.to_csv(folder / file, index=False)


@pytest.fixture
def hidden_ds(mini_copy: Path) -> Dataset:
    _mark(mini_copy, "assets.csv", "A2", "no")
    _mark(mini_copy, "opportunities.csv", "O1", "No")
    return read_dataset(mini_copy)


def _layers(ds: Dataset) -> tuple[str, dict[str, CwbLayer]]:
    fmap = make_map(ds, tiles=None)
    html = fmap.get_root().render()
    layers = {
        e.spec.get("options", {}).get("id", e.factory): e
        for e in iter_elements(fmap)
        if isinstance(e, CwbLayer)
    }
    return html, layers


def test_the_column_is_validated(mini_copy: Path) -> None:
    _mark(mini_copy, "assets.csv", "A2", "maybe")
    problems = validate_dataset(mini_copy).problems
    assert any(p.column == "map" and p.code == "not_a_bool" for p in problems), problems


def test_hidden_rows_are_known(hidden_ds: Dataset) -> None:
    assert location_hidden(hidden_ds.assets).sum() == 1
    assert location_hidden(hidden_ds.opportunities).sum() == 1
    hidden = hide_locations(hidden_ds.assets)
    row = hidden[hidden["id"] == "A2"].iloc[0]
    assert row.geometry is None
    assert all(pd.isna(row[c]) for c in ("lat", "lon", "postcode") if c in row)
    assert len(hidden) == len(hidden_ds.assets)  # still there, to be counted
    assert public_assets(hidden_ds.assets).set_index("id").geometry["A2"] is None


def test_the_map_draws_neither_row_and_says_so(hidden_ds: Dataset) -> None:
    html, layers = _layers(hidden_ds)
    packed = [layer.spec for layer in layers.values() if "dx" in layer.spec]
    assert packed
    for spec in packed:
        lon, lat = decode_points(spec)
        near = np.isclose(lon, LIBRARY[0], atol=1e-4) & np.isclose(lat, LIBRARY[1], atol=1e-4)
        assert not near.any(), spec["options"]
        for values in unpack_fields(spec).values():
            assert not any("Smethwick Library" in v or "Registered nurse" in v for v in values)
    assert "physical" not in layers  # the library was the only physical asset
    assert len(unpack_fields(layers["opportunities"].spec)["Name"]) >= 1
    assert "1 physical asset(s) are counted but not drawn" in html
    assert "1 opportunit(ies) are counted but not drawn" in html


def test_the_unmarked_map_draws_both(mini_copy: Path) -> None:
    _, layers = _layers(read_dataset(mini_copy))
    assert "Smethwick Library" in unpack_fields(layers["physical"].spec)["Name"]
    assert "Registered nurse" in unpack_fields(layers["opportunities"].spec)["Name"]


def test_graph_exports_keep_the_node_without_its_location(
    hidden_ds: Dataset, tmp_path: Path
) -> None:
    G = build_graph(hidden_ds)
    library = G.nodes["asset:A2"]
    job = G.nodes["opportunity:O1"]
    assert library["located"] is False and "lon" not in library and "lat" not in library
    assert job["located"] is False and "lon" not in job
    assert G.nodes["asset:A1"]["located"] is True  # others unchanged
    gpkg = write_gpkg(G, tmp_path / "graph.gpkg")
    layers = [name for name, _ in pyogrio.list_layers(gpkg) if name.startswith("nodes_")]
    nodes = pd.concat([pyogrio.read_dataframe(gpkg, layer=name) for name in layers])
    for node in ("asset:A2", "opportunity:O1"):
        geom = nodes.loc[nodes["node"] == node].geometry.iloc[0]
        assert geom is None or geom.is_empty, node
    data = json.loads(write_node_link(G, tmp_path / "graph.json").read_text(encoding="utf-8"))
    hidden = [n for n in data["nodes"] if n.get("id") in ("asset:A2", "opportunity:O1")]
    assert len(hidden) == 2
    assert all("lon" not in n and "lat" not in n for n in hidden)


def test_counts_keep_the_hidden_rows(hidden_ds: Dataset) -> None:
    counts = catalogue(hidden_ds).by_category.set_index(["kind", "category"])["assets"]
    assert int(counts[("physical", "library")]) == 1
