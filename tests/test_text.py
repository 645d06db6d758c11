"""One name normaliser and one text normaliser, scalar and vectorised alike."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cwb.spend.register import name_key
from cwb.text import normalise_name, normalise_names, normalise_text, normalise_texts

NAMES = ["The Cape Hill Catering C.I.C.", "Soho & Victoria Ltd", "O'Neill's Bakery plc", None, ""]


def test_organisation_names() -> None:
    assert normalise_name("The Cape Hill Catering C.I.C.") == "cape hill catering"
    assert normalise_name("Soho & Victoria Ltd") == normalise_name("soho and victoria limited")
    assert normalise_name(None) == "" and normalise_name(float("nan")) == ""


def test_every_path_keys_names_alike() -> None:
    column = pd.Series(NAMES, dtype=object)
    expected = [normalise_name(v) for v in NAMES]
    assert normalise_names(column).tolist() == expected
    assert name_key(column).tolist() == expected  # the supplier register


@settings(deadline=None, max_examples=60)
@given(st.lists(st.text(max_size=30), max_size=20))
def test_vectorised_equals_scalar(values: list[str]) -> None:
    column = pd.Series(values, dtype=object)
    assert normalise_names(column).tolist() == [normalise_name(v) for v in values]
    assert normalise_texts(column).tolist() == [normalise_text(v) for v in values]


def test_category_text() -> None:
    assert normalise_text("Purchases - Food & Drink") == "purchases food and drink"
    assert normalise_texts(pd.Series(["A&B", None])).tolist() == ["a and b", ""]
