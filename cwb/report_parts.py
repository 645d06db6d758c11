"""The parts of a report and their formatting: figures, tables, charts, numbers as text.

:mod:`cwb.report` gathers a dataset's figures into these parts and renders them;
every chart (and the static map, :func:`static_map_svg`) is drawn here with matplotlib's object
API as bare SVG markup.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch

from cwb.dataset.model import Dataset
from cwb.flows.summary import finish_static_map
from cwb.maps.compose import KIND_STYLE
from cwb.maps.tables import indicator_classes
from cwb.privacy import Residents, aggregate_human
from cwb.reproducible import SVG_HASHSALT


@dataclass
class Figure:
    """A headline figure: a label, its value and a line of explanation."""

    label: str
    value: str
    note: str = ""


@dataclass
class Table:
    """A table of the report (already formatted as strings).

    Column names become headers a person reads (:func:`column_label`);
    :attr:`numeric` names the columns whose cells are all figures (right-aligned).
    """

    title: str
    frame: pd.DataFrame
    note: str = ""

    def __post_init__(self) -> None:
        self.frame = self.frame.rename(columns=lambda c: column_label(str(c)))

    @property
    def numeric(self) -> list[bool]:
        """Per column: whether every non-empty cell is a figure (a number, £, %, 'x of y')."""
        return [
            bool(len(col)) and all(_FIGURE.match(str(v)) for v in col if str(v) != "")
            for _, col in self.frame.items()
        ]


#: Column names of cwb's tables → the headers a report shows.
COLUMN_LABELS: dict[str, str] = {
    "total_gbp": "Total spend",
    "local_gbp": "Spend in the area",
    "leakage_gbp": "Spend leaving the area",
    "addressable_gbp": "Re-localisable spend",
    "local_share": "Local share",
    "sme_share": "SME share",
    "social_enterprise_share": "Social enterprise share",
    "lm3": "LM3 (local multiplier)",
    "unfilled_units": "Units left unfilled",
    "filled_needing_training": "Filled, needing training",
    "soc2020": "SOC 2020 code",
    "capacity cover": "Capacity covered",
    "hours a week": "Hours a week",
}
_FIGURE = re.compile(r"^[-+−]?[£$€]?[\d.,]+\s*(k|m|%|pts)?( of [\d,]+)?$")


def column_label(name: str) -> str:
    """The header of a column: :data:`COLUMN_LABELS`, else words with a capital first letter.

    >>> column_label("unfilled_units"), column_label("opportunity")
    ('Units left unfilled', 'Opportunity')
    """
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


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
    #: Shown under the title, before any figure (e.g. template example rows left out).
    warnings: list[str] = field(default_factory=list)


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


def scale_bar(ax: Any) -> None:
    """Draw a scale bar (a round number of metres or km) at the lower right of a metric map."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = next((n for n in _SCALE_STEPS if n >= target * 0.6), _SCALE_STEPS[-1])
    right, base = x1 - (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot(
        [right - length, right],
        [base, base],
        color="#222222",
        linewidth=2.5,
        solid_capstyle="butt",
        zorder=6,
    )
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(
        right - length / 2,
        base + (y1 - y0) * 0.015,
        text,
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=6,
    )


_SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000)


def static_map_svg(
    ds: Dataset, residents: Residents | None = None, indicator: str | None = "imd_decile"
) -> str:
    """A static map: areas by an indicator, public assets, residents per area, rings, project.

    The areas are shaded with the interactive map's classes and colours
    (:func:`cwb.maps.tables.indicator_classes`); a scale bar shows the distance.
    ``residents`` is :func:`cwb.privacy.aggregate_human` of the dataset when
    already computed (it is computed here otherwise).
    """
    fig, ax = new_figure(6.4, 6.0)
    metric = ds.metric_crs
    areas = ds.in_metric("areas")
    handles: list[Any] = []
    if areas.empty:
        pass  # no areas to draw (a dataset without areas.geojson)
    elif indicator and indicator in areas:
        fills, items = indicator_classes(areas[indicator], indicator)
        areas.plot(ax=ax, color=fills.to_numpy(), edgecolor="#777777", linewidth=0.4, alpha=0.8)
        handles = [
            Patch(facecolor=i["colour"], edgecolor="#777777", label=str(i["label"])) for i in items
        ]
    else:
        areas.plot(ax=ax, facecolor="#f0f0f0", edgecolor="#777777", linewidth=0.4)
    public = ds.assets[(ds.assets["kind"] != "human") & ds.assets.geometry.notna()]
    public = ds.in_metric("assets").loc[public[~public.geometry.is_empty].index]
    for kind in ("physical", "financial", "community"):
        part = public[public["kind"] == kind]
        if len(part):
            ax.scatter(
                part.geometry.x,
                part.geometry.y,
                s=6,
                color=KIND_STYLE[kind]["colour"],
                label=KIND_STYLE[kind]["label"],
                rasterized=len(part) > 5000,
                linewidths=0,
            )
    groups, _ = residents or aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)
    groups = groups[groups.geometry.notna()]
    if len(groups):
        per = groups.groupby("area_code").agg(
            count=("count", "sum"), geometry=("geometry", "first")
        )
        pts = gpd.GeoSeries(per["geometry"], crs=ds.areas.crs).to_crs(metric)
        ax.scatter(
            pts.x,
            pts.y,
            s=np.sqrt(per["count"].to_numpy()) * 6,
            color=KIND_STYLE["human"]["colour"],
            alpha=0.6,
            label="Residents per area (groups ≥ k)",
            linewidths=0,
        )
    projects = ds.in_metric("projects")
    for point in projects.geometry:
        for band in ds.manifest.bands_m:
            ring = point.buffer(band).exterior
            ax.plot(*ring.xy, color="#d7301f", linewidth=0.8, linestyle="--")
    finish_static_map(ax, projects, size=260, label="Capital project")
    if handles:
        title = "IMD decile" if indicator == "imd_decile" else str(indicator).replace("_", " ")
        fig.legend(
            handles=handles,
            title=title,
            loc="center left",
            bbox_to_anchor=(0.9, 0.5),
            fontsize=7,
            frameon=False,
        )
    scale_bar(ax)
    return svg_markup(fig)
