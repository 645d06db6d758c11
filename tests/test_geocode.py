"""Offline postcode geocoding against a lookup table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cwb
from cwb.dataset.postcodes import PostcodeLookup, is_valid_postcode, normalise_postcodes


def test_normalise_spacing_and_case() -> None:
    raw = pd.Series([" b66 2qt", "B662QT", "b66  2QT", "B1 1aa", None, "", "w1a0ax"])
    assert normalise_postcodes(raw).tolist()[:4] == ["B66 2QT", "B66 2QT", "B66 2QT", "B1 1AA"]
    out = normalise_postcodes(raw)
    assert out.iloc[4] != out.iloc[4] and out.iloc[5] != out.iloc[5]  # missing stays missing
    assert out.iloc[6] == "W1A 0AX"


def test_valid_shape() -> None:
    values = normalise_postcodes(
        pd.Series(["B66 2QT", "EC1A 1BB", "B66", "HELLO WORLD", "1234567"])
    )
    assert is_valid_postcode(values).tolist() == [True, True, False, False, False]


def test_lookup_finds_normalised_postcodes() -> None:
    lookup = PostcodeLookup.from_frame(
        pd.DataFrame(
            {"pc": ["B66 2QT", "B18 4AB"], "y": [52.49514, 52.4921], "x": [-1.94472, -1.9259]}
        ),
        postcode="pc",
        lat="y",
        lon="x",
    )
    lat, lon, found = lookup.locate(pd.Series(["b662qt", "B99 9ZZ", None, "B18 4AB"]))
    assert found.tolist() == [True, False, False, True]
    assert lat[0] == 52.49514 and lon[3] == -1.9259
    assert np.isnan(lat[1])


def test_dataset_rows_located_by_postcode(mini_path: Path) -> None:
    ds = cwb.read_dataset(mini_path)
    tenants = ds.assets.set_index("id").loc["A4"]
    assert tenants["postcode"] == "B18 4AB"  # written 'b184ab' in the file
    assert tenants["precision"] == "postcode"
    assert (tenants.geometry.y, tenants.geometry.x) == (52.4921, -1.9259)


def test_real_postcode_directory(realdata: Path) -> None:
    lookup = PostcodeLookup.from_csv(
        realdata / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv",
        postcode="Postcode",
        lat="LAT",
        lon="LONG",
    )
    assert len(lookup) > 80_000
    lat, lon, found = lookup.locate(pd.Series(["b1 1aa"]))
    assert found[0] and lat[0] == pytest.approx(52.47666) and lon[0] == pytest.approx(-1.903535)
