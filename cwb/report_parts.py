"""The parts of a report and their formatting: figures, tables, charts, numbers as text.

:mod:`cwb.report` gathers a dataset's figures into these parts and renders them;
every chart is drawn here with matplotlib's object API as bare SVG markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from cwb.maps.compose import KIND_STYLE
from cwb.reproducible import SVG_HASHSALT


@dataclass
class Figure:
    """A headline figure: a label, its value and a line of explanation."""

    label: str
    value: str
    note: str = ""


@dataclass
class Table:
    """A table of the report (already formatted as strings)."""

    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Chart:
    """A chart as SVG markup (made here, so trusted) with its title."""

    title: str
    svg: str
    name: str


@dataclass
class Section:
    """A titled part of the report."""

    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    """Everything a report shows; rendered by :func:`render_html` or :func:`render_markdown`."""

    title: str
    subtitle: str
    date: str
    sources: list[str]
    headline: list[Figure]
    sections: list[Section]
    map_href: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- formatting


def fmt_int(n: float) -> str:
    """A whole number with thousands separators."""
    return f"{int(round(n)):,}"


def fmt_money(x: float) -> str:
    """Pounds, rounded to the pound (k/m for large sums)."""
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m"
    if abs(x) >= 1e4:
        return f"£{x / 1e3:,.0f}k"
    return f"£{x:,.0f}"


def fmt_pct(x: float) -> str:
    """A share as a percentage."""
    return "–" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``frame`` as display text."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


# ---------------------------------------------------------------- charts


def svg_markup(fig: MplFigure) -> str:
    """The figure as bare SVG markup (text drawn as paths, so no dataset string stays as text)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def new_figure(width: float = 6.4, height: float = 3.2) -> tuple[Any, Any]:
    """A matplotlib figure of its own (no pyplot, so no GUI backend and no global state)."""
    fig = MplFigure(figsize=(width, height))
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def barh_svg(
    labels: list[str], values: list[float], *, xlabel: str, colour: str = "#3182bd"
) -> str:
    """A horizontal bar chart as SVG."""
    fig, ax = new_figure(6.4, 0.35 * len(labels) + 1.0)
    ax.barh(range(len(labels)), values, color=colour)
    ax.set_yticks(range(len(labels)), [shorten(label) for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return svg_markup(fig)


def shorten(text: str, width: int = 42) -> str:
    """``text`` cut to ``width`` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"


def filled_chart(demand: pd.DataFrame) -> str:
    """Posts filled locally per opportunity, as SVG."""
    by = demand.groupby("type")[["filled", "unfilled"]].sum()
    fig, ax = new_figure()
    ax.barh(by.index, by["filled"], color="#31a354", label="could be filled locally")
    ax.barh(by.index, by["unfilled"], left=by["filled"], color="#d9d9d9", label="not yet")
    ax.set_xlabel("posts, places, lots or rooms")
    ax.legend(frameon=False, loc="lower right")
    return svg_markup(fig)


def assets_chart(assets: pd.DataFrame) -> str:
    """Assets by kind, as SVG."""
    counts = (
        assets.groupby("kind")
        .size()
        .reindex(["physical", "financial", "community", "human"])
        .fillna(0)
    )
    fig, ax = new_figure(6.4, 2.4)
    ax.barh(
        [KIND_STYLE[k]["label"] for k in counts.index],
        counts.to_numpy(),
        color=[KIND_STYLE[k]["colour"] for k in counts.index],
    )
    ax.invert_yaxis()
    ax.set_xlabel("rows in the catalogue")
    return svg_markup(fig)
