"""The CLI's one table printer."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from cwb.cli._output import is_missing, print_table, table_of

ROOT = Path(__file__).resolve().parent.parent


def _printed(data, title: str, **kwargs) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    print_table(data, title, console=console, **kwargs)
    return buffer.getvalue()


def test_a_frame_prints_with_labels_missing_cells_and_numbers_right() -> None:
    frame = pd.DataFrame({"name": ["[b]bold[/b]", None], "n": [3, 12], "share": [0.5, np.nan]})
    table = table_of(frame, "t", columns={"name": "who", "n": "n", "share": "share"}, na="<k")
    assert [c.header for c in table.columns] == ["who", "n", "share"]
    assert [c.justify for c in table.columns] == ["left", "right", "right"]
    text = _printed(frame, "Title [x]", na="<k")
    assert "[b]bold[/b]" in text  # dataset text is not rich markup
    assert "Title [x]" in text
    assert text.count("<k") == 2


def test_rows_need_columns_and_may_repeat_labels() -> None:
    rows = [("asset", 3, "match", 5), ("area", 2, "", "")]
    table = table_of(rows, "t", columns=("nodes", "n", "edges", "n"), right=("n",))
    assert [c.justify for c in table.columns] == ["left", "right", "left", "right"]
    text = _printed(rows, "counts", columns=("nodes", "n", "edges", "n"))
    assert "asset" in text and "match" in text
    with pytest.raises(ValueError, match="rows need their columns"):
        table_of(rows, "t")


def test_a_cell_formatter_sees_every_value() -> None:
    frame = pd.DataFrame({"label": ["a", "b"], "gbp": [1234.5, None]})
    text = _printed(
        frame,
        "money",
        cell=lambda k, v: "–" if is_missing(v) else (f"{v:,.0f}" if k == "gbp" else v),
    )
    assert "1,234" in text and "–" in text


def test_is_missing() -> None:
    assert all(is_missing(v) for v in (None, np.nan, pd.NA, pd.NaT, float("nan")))
    assert not any(is_missing(v) for v in ("", 0, "nan", False))


def test_every_cli_table_goes_through_the_printer() -> None:
    for path in (ROOT / "cwb" / "cli").glob("*.py"):
        if path.name != "_output.py":
            assert "Table(" not in path.read_text(encoding="utf-8"), path.name
