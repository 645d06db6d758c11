"""No subtraction of published numbers recovers a suppressed count (issue 11, item 4).

A group of 3 residents is planted in a ward (k = 5), beside a published group of 12
in the other ward. After a ``cwb demo``-style run, every resident figure of the
catalogue, the map, the report, the graph export and the flow tables is collected:
no figure is 3, and no figure minus any sum of the published groups is 3.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cwb.demo import run_demo
from cwb.privacy import describe_suppressed, published_suppressed

PLANTED = 3
#: The hand-made fixture: its asset A5 is the planted group (3 drivers in ward E1).
MINI = Path(__file__).parent / "data" / "mini"

#: A number written next to "resident(s)" or "people": "12 residents", "residents: 3".
_NEAR = re.compile(
    r"(\d[\d,]*)\s+(?:resident|people)|resident[s']*\W{1,3}(\d[\d,]*)", re.IGNORECASE
)


def _numbers_near_residents(text: str) -> list[int]:
    found = []
    for before, after in _NEAR.findall(html.unescape(text)):
        found.append(int((before or after).replace(",", "")))
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assets = pd.read_csv(MINI / "assets.csv", dtype=str)
    planted = assets[assets["id"] == "A5"].iloc[0]
    assert (planted["kind"], planted["area_code"], planted["count"]) == ("human", "E1", "3")
    out = tmp_path_factory.mktemp("demo")
    steps = run_demo(out, MINI)
    assert all(step.error is None for step in steps), steps
    return out


def _figures(out: Path) -> tuple[dict[str, list[int]], list[int]]:
    """Every published resident figure by output, and the published group sizes."""
    figures: dict[str, list[int]] = {}
    cat = pd.read_csv(out / "catalogue.csv")
    human = cat[cat["kind"] == "human"]
    figures["catalogue.csv"] = human["residents"].dropna().astype(int).tolist()
    groups = human.loc[human["breakdown"] == "area", "residents"].dropna().astype(int).tolist()
    graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    figures["graph.json"] = [int(graph["graph"]["suppressed_residents"])] + [
        int(n["count"]) for n in graph["nodes"] if n.get("is_group")
    ]
    groups += [int(n["count"]) for n in graph["nodes"] if n.get("is_group")]
    for name in ("map.html", "report.html", "report.md", "gaps.csv", "graph_metrics.csv"):
        figures[name] = _numbers_near_residents((out / name).read_text(encoding="utf-8"))
    for path in sorted((out / "flows").glob("*.csv")):
        flows = pd.read_csv(path)
        if "kind" in flows and "value" in flows:
            figures[f"flows/{path.name}"] = (
                flows.loc[flows["kind"].astype(str).str.contains("resident"), "value"]
                .dropna()
                .astype(int)
                .tolist()
            )
    return figures, sorted(set(groups))


def test_no_published_figure_minus_published_groups_recovers_the_planted_group(
    outputs: Path,
) -> None:
    figures, groups = _figures(outputs)
    assert 12 in groups  # the published group is there: the test can see groups
    assert any(12 in v for v in figures.values())
    sums = {sum(c) for r in range(len(groups) + 1) for c in itertools.combinations(groups, r)}
    for output, values in figures.items():
        for value in values:
            for shown in sums:
                assert value - shown != PLANTED, (output, value, shown)


def test_the_map_and_report_say_that_residents_were_left_out_without_the_number(
    outputs: Path,
) -> None:
    text = html.unescape((outputs / "map.html").read_text(encoding="utf-8"))
    assert "Residents in groups smaller than 5 are not shown (fewer than 5 of them)." in text
    report = (outputs / "report.md").read_text(encoding="utf-8")
    assert "left out of every figure (fewer than 5 of them)" in report


@pytest.mark.parametrize(
    ("count", "k", "shown", "text"),
    [
        (0, 5, 0, "fewer than 5"),
        (3, 5, 0, "fewer than 5"),
        (5, 5, 5, "at least 5"),
        (9, 5, 5, "at least 5"),
        (10, 5, 10, "at least 10"),
        (3, 1, 3, "at least 3"),
    ],
)
def test_suppressed_totals_are_rounded_down_to_multiples_of_k(
    count: int, k: int, shown: int, text: str
) -> None:
    assert published_suppressed(count, k) == shown
    assert describe_suppressed(count, k) == text
