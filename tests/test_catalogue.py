"""Catalogue: distances from projects, bands, areas, suppression of small resident counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cwb
from cwb.catalogue import (
    areas_by_band,
    band_labels,
    catalogue,
    distance_bands,
    distances_to_projects,
)


def test_distances_are_metres_in_british_national_grid(mini_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    assert ds.metric_crs.to_epsg() == 27700
    d = distances_to_projects(ds).set_index(ds.assets["id"])
    # the library at 52.4969,-1.9667 is about 1.5 km west of the hospital at 52.4951,-1.9447
    assert d.loc["A2", "hosp"] == pytest.approx(1500, rel=0.03)
    assert d.loc["A2", "nearest_project"] == "hosp"


def test_bands() -> None:
    assert band_labels((1000.0, 3000.0)) == ["0–1 km", "1–3 km", "> 3 km"]
    bands = distance_bands(
        pd.Series([0.0, 999.0, 1000.0, 2500.0, 9000.0, np.nan]), (1000.0, 3000.0)
    )
    assert bands.tolist() == ["0–1 km", "0–1 km", "0–1 km", "1–3 km", "> 3 km", "unlocated"]


def test_catalogue_counts_and_suppression(mini_path: Path) -> None:
    cat = catalogue(cwb.read_dataset(mini_path))
    by_cat = cat.by_category.set_index(["kind", "category"])
    # the group of 3 residents in E1 (< k = 5) is suppressed on the map, so it is left
    # out of every table here too (else a total minus the map's groups recovers it)
    assert by_cat.loc[("human", "skills_group"), "assets"] == 1
    assert by_cat.loc[("human", "skills_group"), "residents"] == 12
    area = cat.by_area.set_index(["area_code", "kind"])
    assert area.loc[("W1", "human"), "residents"] == 12
    assert ("E1", "human") not in area.index
    assert cat.suppressed_residents == 3
    assert cat.by_band["assets"].sum() == 4  # every published asset counted once per project
    long = cat.to_long()
    assert set(long["breakdown"]) == {
        "kind_category",
        "distance_band",
        "area",
        "areas_within_band",
    }


def test_areas_within_each_band_with_their_deciles(mini_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    table = catalogue(ds).areas_by_band.set_index("within")
    # both squares touch the 1 km disc around the hospital; no level column: "area"
    assert table.loc["1 km", "level"] == "area"
    assert table.loc["1 km", "areas"] == len(ds.areas) == 2
    deciles = sorted(int(round(v)) for v in ds.areas["imd_decile"])
    assert table.loc["3 km", "distribution"] == " · ".join(
        f"{d}: {deciles.count(d)}" for d in sorted(set(deciles))
    )


def test_areas_within_bands_by_level_and_no_data(mini_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    ds.areas["level"] = ["ward", "lsoa11"][: len(ds.areas)]
    ds.areas.loc[ds.areas.index[1], "imd_decile"] = np.nan
    table = areas_by_band(ds)
    near = table[table["within"] == "1 km"].set_index("level")
    assert near.loc["lsoa11", "distribution"] == "no data: 1"
    assert near.loc["ward", "areas"] == 1
    rank = areas_by_band(ds, indicator="imd_rank").iloc[0]["distribution"]
    assert "(min–median–max)" in rank
