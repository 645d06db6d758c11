"""What a report says about flows: the strongest flows across the catchment, and a static map.

:func:`strongest_across` lists the largest flows into or out of the
project's catchment by kind; :func:`draw_flow_map` draws the flows of an
atlas on a matplotlib axis (in the dataset's metric CRS): areas as outlines,
the largest flows as lines whose width is the magnitude, places as circles
whose area is their internal flow; :func:`finish_static_map` marks the projects
and draws the legend of every static map.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.model import WGS84, Dataset
from cwb.errors import UsageError
from cwb.flows.atlas import FlowAtlas
from cwb.flows.table import KIND_COLOURS, aggregate_pairs


def strongest_across(atlas: FlowAtlas, *, direction: str, top: int = 5) -> pd.DataFrame:
    """The ``top`` flows of each kind into the catchment, out of it, or to a project.

    ``direction`` is ``in``, ``out`` or ``project`` (from other places to a capital project).

    Columns ``kind, from, to, magnitude, unit, share`` (of all such flows of the kind).
    """
    inside = set(atlas.catchment)
    pairs = aggregate_pairs(atlas.flows)
    if pairs.empty:
        return pd.DataFrame(columns=["kind", "from", "to", "magnitude", "unit", "share"])
    pairs = pairs.groupby(["origin", "destination", "kind", "unit"], as_index=False)[
        "magnitude"
    ].sum()
    o_in = pairs["origin"].isin(inside)
    d_in = pairs["destination"].isin(inside)
    if direction == "project":
        to_project = pairs["destination"].isin(atlas.project_ids)
        chosen = pairs[to_project & (pairs["origin"] != pairs["destination"])].copy()
    elif direction == "in":
        chosen = pairs[~o_in & d_in].copy()
    elif direction == "out":
        chosen = pairs[o_in & ~d_in].copy()
    else:
        raise UsageError(f"direction must be in, out or project; got {direction!r}")
    chosen["share"] = chosen["magnitude"] / chosen.groupby("kind")["magnitude"].transform("sum")
    chosen = chosen.sort_values(["kind", "magnitude"], ascending=[True, False])
    chosen = chosen.groupby("kind").head(top)
    names = atlas.places.set_index("place")["name"]
    return pd.DataFrame(
        {
            "kind": chosen["kind"].to_numpy(),
            "from": chosen["origin"].map(names).fillna(chosen["origin"]).to_numpy(),
            "to": chosen["destination"].map(names).fillna(chosen["destination"]).to_numpy(),
            "magnitude": chosen["magnitude"].to_numpy(),
            "unit": chosen["unit"].to_numpy(),
            "share": chosen["share"].to_numpy(),
        }
    )


def finish_static_map(ax: Any, projects: gpd.GeoDataFrame, *, size: float, label: str) -> None:
    """Mark the projects with a red star, then hide the axes and draw the legend (lower left).

    The last step of every static map cwb draws (the flow map here, the report's map).
    """
    ax.scatter(
        projects.geometry.x,
        projects.geometry.y,
        marker="*",
        s=size,
        color="#d7301f",
        edgecolor="white",
        zorder=5,
        label=label,
    )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.legend(loc="lower left", fontsize=7, frameon=True)


def draw_flow_map(ax: Any, atlas: FlowAtlas, ds: Dataset, *, top: int = 60) -> None:
    """Draw the catchment's largest flows of each kind on ``ax`` (metric CRS).

    Only flows with at least one end in the catchment are drawn, so that the
    map stays on the project's area; the view is the catchment's places.
    """
    crs = ds.metric_crs
    places = atlas.places.dropna(subset=["lat", "lon"])
    if places.empty:
        return
    points = gpd.GeoSeries(gpd.points_from_xy(places["lon"], places["lat"]), crs=WGS84).to_crs(crs)
    xy = pd.DataFrame({"x": points.x.to_numpy(), "y": points.y.to_numpy()}, index=places["place"])
    if len(ds.areas):
        ds.areas.to_crs(crs).plot(ax=ax, facecolor="#f4f4f4", edgecolor="#999999", linewidth=0.4)
    pairs = aggregate_pairs(atlas.flows)
    pairs = pairs.groupby(["origin", "destination", "kind"], as_index=False)["magnitude"].sum()
    inside = set(atlas.catchment)
    pairs = pairs[pairs["origin"].isin(inside) | pairs["destination"].isin(inside)]
    pairs = pairs[pairs["origin"].isin(xy.index) & pairs["destination"].isin(xy.index)]
    for kind, part in pairs.groupby("kind"):
        colour = KIND_COLOURS.get(str(kind), "#666666")
        internal = part[part["origin"] == part["destination"]]
        lines = part[part["origin"] != part["destination"]].nlargest(top, "magnitude")
        peak = float(lines["magnitude"].max()) if len(lines) else 1.0
        for row in lines.itertuples(index=False):
            x0, y0 = xy.loc[row.origin]
            x1, y1 = xy.loc[row.destination]
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": colour,
                    "alpha": 0.55,
                    "lw": 0.4 + 4.0 * row.magnitude / peak,
                    "connectionstyle": "arc3,rad=0.18",
                    "mutation_scale": 7,
                },
            )
        if len(internal):
            at = xy.loc[internal["origin"]]
            size = internal["magnitude"].to_numpy(dtype=float)
            ax.scatter(
                at["x"],
                at["y"],
                s=12 + 400 * np.sqrt(size / size.max()),
                color=colour,
                alpha=0.35,
                linewidths=0,
            )
        ax.plot([], [], color=colour, lw=2, label=str(kind).replace("_", " "))
    view = xy.loc[[p for p in atlas.catchment if p in xy.index]]
    if len(view):
        pad = max(view["x"].max() - view["x"].min(), view["y"].max() - view["y"].min(), 2000) * 0.25
        ax.set_xlim(view["x"].min() - pad, view["x"].max() + pad)
        ax.set_ylim(view["y"].min() - pad, view["y"].max() + pad)
    finish_static_map(ax, ds.projects.to_crs(crs), size=220, label="capital project")
