"""A summary a planner can send: USE-IT-style figures, charts, tables and a map.

:func:`build_report` gathers the figures from the results it is given: matching,
allocation, consortia and gaps (a :class:`cwb.matching.core.MatchResult`) and the
Preston-model spend analysis (a :class:`cwb.spend.analysis.SpendAnalysis`); it
never computes them itself (the Pipeline does, once each).
:func:`render_html` writes one self-contained HTML
file (charts as inline SVG drawn with matplotlib's Agg backend, a static map,
no external file), :func:`render_markdown` a Markdown version with the charts
as SVG files beside it. Every dataset string is escaped (Jinja2 autoescaping in
HTML; HTML entities and Markdown table escapes in Markdown). Residents appear
only as counts and groups, never a name or location.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cwb._atomic import write_text_atomic
from cwb.dataset.model import Dataset
from cwb.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from cwb.matching.core import MatchResult
    from cwb.privacy import Residents
    from cwb.spend.analysis import SpendAnalysis

log = logging.getLogger(__name__)

FORMATS = ("html", "md")


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


def _int(n: float) -> str:
    return f"{int(round(n)):,}"


def _money(x: float) -> str:
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m"
    if abs(x) >= 1e4:
        return f"£{x / 1e3:,.0f}k"
    return f"£{x:,.0f}"


def _pct(x: float) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), "").astype(str)


# ---------------------------------------------------------------- charts


def _svg(fig: MplFigure) -> str:
    """The figure as bare SVG markup (text drawn as paths, so no dataset string stays as text)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float = 6.4, height: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "path"
    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _barh(labels: list[str], values: list[float], *, xlabel: str, colour: str = "#3182bd") -> str:
    fig, ax = _figure(6.4, 0.35 * len(labels) + 1.0)
    ax.barh(range(len(labels)), values, color=colour)
    ax.set_yticks(range(len(labels)), [_short(label) for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return _svg(fig)


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _filled_chart(demand: pd.DataFrame) -> str:
    by = demand.groupby("type")[["filled", "unfilled"]].sum()
    fig, ax = _figure()
    ax.barh(by.index, by["filled"], color="#31a354", label="could be filled locally")
    ax.barh(by.index, by["unfilled"], left=by["filled"], color="#d9d9d9", label="not yet")
    ax.set_xlabel("posts, places, lots or rooms")
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def _assets_chart(assets: pd.DataFrame) -> str:
    from cwb.maps.compose import KIND_STYLE

    counts = (
        assets.groupby("kind")
        .size()
        .reindex(["physical", "financial", "community", "human"])
        .fillna(0)
    )
    fig, ax = _figure(6.4, 2.4)
    ax.barh(
        [KIND_STYLE[k]["label"] for k in counts.index],
        counts.to_numpy(),
        color=[KIND_STYLE[k]["colour"] for k in counts.index],
    )
    ax.invert_yaxis()
    ax.set_xlabel("rows in the catalogue")
    return _svg(fig)


def static_map_svg(ds: Dataset, residents: Residents | None = None) -> str:
    """A static map: areas by IMD decile, public assets, residents per area, rings, project.

    ``residents`` is :func:`cwb.privacy.aggregate_human` of the dataset when
    already computed (it is computed here otherwise).
    """
    from cwb.maps.compose import KIND_STYLE
    from cwb.privacy import aggregate_human

    fig, ax = _figure(6.4, 6.0)
    metric = ds.metric_crs
    areas = ds.in_metric("areas")
    if "imd_decile" in areas:
        areas.plot(
            ax=ax,
            column="imd_decile",
            cmap="RdPu_r",
            vmin=1,
            vmax=10,
            edgecolor="#777777",
            linewidth=0.4,
            alpha=0.7,
            legend=True,
            legend_kwds={"label": "IMD decile (1 = most deprived)", "shrink": 0.6},
        )
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
        pts = pd.Series(per["geometry"]).pipe(
            lambda s: __import__("geopandas").GeoSeries(s, crs=ds.areas.crs)
        )
        pts = pts.to_crs(metric)
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
    ax.scatter(
        projects.geometry.x,
        projects.geometry.y,
        marker="*",
        s=260,
        color="#d7301f",
        edgecolor="white",
        zorder=5,
        label="Capital project",
    )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.legend(loc="lower left", fontsize=7, frameon=True)
    return _svg(fig)


# ---------------------------------------------------------------- figures


def _match_sections(ds: Dataset, result: MatchResult) -> tuple[list[Figure], list[Section]]:
    from cwb.matching.impact import impact_figures

    fig = impact_figures(ds, result)
    demand, gaps, consortia = result.allocation.demand, result.gaps, result.consortia
    needs, untapped = gaps.training_needs, gaps.untapped
    posts = fig.posts_offered
    headline = [
        Figure(
            "Residents linked to posts",
            _int(fig.residents_to_posts),
            "residents in local skills groups allocated to jobs",
        ),
        Figure(
            "Posts that could be filled locally",
            f"{_int(fig.posts_filled)} of {_int(posts)}",
            _pct(fig.posts_filled / posts) + " of the posts on offer" if posts else "",
        ),
        Figure(
            "Enterprises linked to contracts",
            _int(fig.enterprises_to_contracts),
            f"{_money(fig.contract_value)} of contract value",
        ),
        Figure(
            "Consortia proposed",
            _int(fig.consortia),
            f"for {fig.consortium_contracts} contract(s) no single firm can take",
        ),
        Figure(
            "Community organisations and spaces involved",
            _int(fig.community_organisations + fig.spaces),
            f"{fig.community_organisations} organisation(s), {fig.spaces} space(s)",
        ),
        Figure(
            "Training needs",
            _int(fig.training_need_units),
            "posts and places left unfilled, across "
            + _int(fig.training_need_skills)
            + " skill(s)",
        ),
        Figure(
            "Untapped assets",
            _int(fig.untapped_assets),
            "assets and resident groups with no viable link yet",
        ),
    ]
    sections = []
    s = Section(
        "Opportunities filled locally",
        "The best assignment of local assets to the project's opportunities, respecting the posts, "
        "places and lots on offer and what each group or firm can take (a min-cost flow).",
    )
    if len(demand):
        s.charts.append(
            Chart(
                "Demand filled by local assets, by opportunity type",
                _filled_chart(demand),
                "filled",
            )
        )
        table = demand.sort_values("unfilled", ascending=False)[
            ["title", "type", "demand", "filled", "unfilled"]
        ]
        s.tables.append(Table("Opportunities with the most demand left", _strings(table.head(15))))
    sections.append(s)
    s = Section(
        "Links: who could take what", "The best-scoring links, with the reasons a person can read."
    )
    top = result.matches.sort_values("score", ascending=False).head(20)
    if len(top):
        names = [_asset_label(r) for r in top.itertuples()]
        s.tables.append(
            Table(
                "Twenty strongest links",
                _strings(
                    pd.DataFrame(
                        {
                            "asset": names,
                            "opportunity": top["opportunity_title"].to_numpy(),
                            "score": top["score"].round(2).to_numpy(),
                            "reasons": top["reasons"].to_numpy(),
                        }
                    )
                ),
            )
        )
    if consortia is not None and len(consortia):
        best = consortia.sort_values(["opportunity_id", "rank"]).groupby("opportunity_id").head(1)
        s.tables.append(
            Table(
                "Proposed consortia (best per contract)",
                _strings(
                    pd.DataFrame(
                        {
                            "contract": best["title"].to_numpy(),
                            "value": best["value"].map(_money).to_numpy(),
                            "members": best["member_names"].to_numpy(),
                            "capacity cover": best["capacity_cover"].round(2).to_numpy(),
                            "reasons": best["reasons"].to_numpy(),
                        }
                    )
                ),
            )
        )
    sections.append(s)
    s = Section(
        "Gaps",
        "Training needs are the unmet demand by skill; untapped assets have no viable link yet.",
    )
    if len(needs):
        top_needs = needs.sort_values("unfilled_units", ascending=False).head(12)
        s.charts.append(
            Chart(
                "Training needs: units left unfilled, by skill",
                _barh(
                    top_needs["skill"].tolist(),
                    top_needs["unfilled_units"].tolist(),
                    xlabel="posts or places left unfilled",
                    colour="#e6550d",
                ),
                "training",
            )
        )
        s.tables.append(
            Table(
                "Training needs",
                _strings(
                    top_needs[["skill", "soc2020", "unfilled_units", "filled_needing_training"]]
                ),
            )
        )
    if len(untapped):
        kinds = untapped.groupby(["kind", "reason"]).size().rename("assets").reset_index()
        s.tables.append(Table("Untapped assets by kind and reason", _strings(kinds)))
    sections.append(s)
    return headline, sections


def _asset_label(row: Any) -> str:  # a row of DataFrame.itertuples
    """A match's asset as the report shows it: residents only as a group."""
    if getattr(row, "asset_kind", "") == "human":
        count = getattr(row, "count", None)
        residents = "" if count is None or pd.isna(count) else f"{int(count)} residents: "
        return residents + (
            str(row.asset_name)
            if getattr(row, "asset_category", "") == "skills_group"
            else "a group of residents with these skills"
        )
    return str(row.asset_name)


def _spend_section(analysis: SpendAnalysis) -> tuple[list[Figure], Section]:
    summary = analysis.summary
    total = summary.iloc[-1]
    figures = [
        Figure(
            "Anchor spend analysed",
            _money(float(total["total_gbp"])),
            f"{_int(total['transactions'])} transactions",
        ),
        Figure(
            "Spend staying local",
            _pct(total["local_share"]),
            f"{_money(float(total['local_gbp']))} in the {analysis.local} geography",
        ),
        Figure("Spend with SMEs", _pct(total["sme_share"]), ""),
        Figure("Spend with social enterprises", _pct(total["social_enterprise_share"]), ""),
    ]
    if len(analysis.relocalisable):
        addressable = float(
            pd.to_numeric(analysis.relocalisable["addressable_gbp"], errors="coerce").sum()
        )
        figures.append(
            Figure(
                "Re-localisable spend",
                _money(addressable),
                "leaking spend in sectors where catalogued local enterprises work",
            )
        )
    s = Section(
        "Anchor spend (Preston model)",
        "Where the anchor institutions' procurement money goes. " + " ".join(analysis.notes[:3]),
        figures=figures,
    )
    by_year = analysis.by_year
    if len(by_year) and "year" in by_year:
        fig, ax = _figure()
        for buyer, rows in by_year.groupby("buyer"):
            ax.plot(
                rows["year"].astype(str),
                100 * rows["local_share"],
                marker="o",
                label=_short(str(buyer), 30),
            )
        ax.set_ylabel("local share of spend (%)")
        ax.legend(frameon=False, fontsize=7)
        s.charts.append(Chart("Local share of spend by year", _svg(fig), "spend_year"))
    leakage = (
        analysis.by_sector.groupby("sector")["leakage_gbp"]
        .sum()
        .sort_values(ascending=False)
        .head(10)
    )
    if len(leakage):
        s.charts.append(
            Chart(
                "Spend leaving the area, by sector",
                _barh(
                    [str(x) for x in leakage.index],
                    (leakage / 1e3).tolist(),
                    xlabel="£ thousand",
                    colour="#756bb1",
                ),
                "leakage",
            )
        )
    cols = ["buyer", "total_gbp", "local_share", "sme_share", "social_enterprise_share", "lm3"]
    table = summary[[c for c in cols if c in summary]].copy()
    table["total_gbp"] = table["total_gbp"].map(lambda v: _money(float(v)))
    for c in ("local_share", "sme_share", "social_enterprise_share"):
        if c in table:
            table[c] = table[c].map(_pct)
    s.tables.append(Table("Spend by buyer", _strings(table)))
    return figures, s


def build_report(
    ds: Dataset,
    *,
    matches: MatchResult | None = None,
    spend: SpendAnalysis | None = None,
    residents: Residents | None = None,
    map_href: str | None = None,
    date: str | None = None,
) -> Report:
    """Gather the figures, charts and tables of a dataset's report.

    Parameters
    ----------
    ds
        The dataset.
    matches
        Matching, allocation, consortia and gaps
        (:func:`cwb.matching.core.match_dataset`). When None the report has no
        matching sections: matching is never run here.
    spend
        The spend analysis (:func:`cwb.spend.analysis.analyse_spend`). When None
        the report has no spend section.
    residents
        :func:`cwb.privacy.aggregate_human` of the dataset, when already computed.
    map_href
        The interactive map to link to.
    date
        Date shown on the report (default: today).

    Returns
    -------
    Report
        Render it with :func:`render_html` or :func:`render_markdown`.
    """
    from cwb import __version__

    headline: list[Figure] = []
    sections: list[Section] = []
    notes: list[str] = []
    catalogue = Section("The catalogue", "What the neighbourhood already has, by kind of asset.")
    catalogue.charts.append(Chart("Assets by kind", _assets_chart(ds.assets), "assets"))
    catalogue.charts.append(Chart("Map of the catchment", static_map_svg(ds, residents), "map"))
    sections.append(catalogue)
    if matches is None:
        notes.append("No matching result was given: no links, allocation or gaps.")
    else:
        figures, more = _match_sections(ds, matches)
        headline += figures
        sections += more
        if matches.suppressed_residents:
            notes.append(
                f"{matches.suppressed_residents:,} residents in groups smaller than "
                f"{ds.min_count} are left out of every figure."
            )
    if spend is not None:
        spend_figures, spend_section = _spend_section(spend)
        headline += spend_figures[:2]
        sections.append(spend_section)
    sources = sorted(
        {str(s) for s in ds.assets.get("source", pd.Series(dtype=object)).dropna().unique()}
    )[:8]
    return Report(
        title=ds.name,
        subtitle="; ".join(p.name for p in ds.manifest.projects),
        date=date or _dt.date.today().isoformat(),
        sources=sources,
        headline=headline,
        sections=sections,
        map_href=map_href,
        notes=notes + [f"Made with cwb {__version__}."],
    )


# ---------------------------------------------------------------- rendering


def render_html(report: Report) -> str:
    """One self-contained HTML page (autoescaped Jinja2 template; charts inline)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cwb", "resources/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["safe_href"] = _safe_href
    return env.get_template("report.html.j2").render(report=report)


def _safe_href(href: str) -> str:
    """Only relative paths and http(s) URLs may become links (never ``javascript:``)."""
    if re.match(r"^(https?://|[\w./-]+$)", href) and not href.lower().startswith("javascript"):
        return href
    return "#"


def _md(text: object) -> str:
    """A Markdown cell: HTML escaped, table pipes and Markdown markup neutralised."""
    out = html.escape(str(text)).replace("|", "\\|").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]#])", r"\\\1", out).replace("\\\\|", "\\|")


def render_markdown(report: Report, chart_dir: str | None = None) -> tuple[str, dict[str, str]]:
    """Markdown text and the charts to write beside it (``{relative path: svg}``)."""
    lines = [f"# {_md(report.title)}", "", f"*{_md(report.subtitle)}* — {_md(report.date)}", ""]
    if report.map_href:
        lines += [f"Interactive map: [{_md(report.map_href)}](<{_safe_href(report.map_href)}>)", ""]
    lines += ["| figure | value | |", "|---|---|---|"]
    lines += [f"| {_md(f.label)} | **{_md(f.value)}** | {_md(f.note)} |" for f in report.headline]
    files: dict[str, str] = {}
    for section in report.sections:
        lines += ["", f"## {_md(section.title)}", ""]
        if section.intro:
            lines += [_md(section.intro), ""]
        for f in section.figures:
            lines.append(f"- {_md(f.label)}: **{_md(f.value)}** {_md(f.note)}")
        for chart in section.charts:
            name = f"{chart_dir}/{chart.name}.svg" if chart_dir else f"{chart.name}.svg"
            files[name] = chart.svg
            lines += ["", f"![{_md(chart.title)}]({name})", ""]
        for table in section.tables:
            lines += [
                "",
                f"**{_md(table.title)}**",
                "",
                "| " + " | ".join(_md(c) for c in table.frame.columns) + " |",
                "|" + "---|" * len(table.frame.columns),
            ]
            lines += [
                "| " + " | ".join(_md(v) for v in row) + " |"
                for row in table.frame.itertuples(index=False)
            ]
    lines += ["", "---", "", "Sources: " + _md("; ".join(report.sources) or "the dataset"), ""]
    lines += [_md(n) for n in report.notes]
    return "\n".join(lines) + "\n", files


def save_report(
    ds: Dataset | str | Path,
    path: str | Path,
    *,
    format: str | None = None,
    map_href: str | None = None,
    matches: MatchResult | None = None,
    spend: SpendAnalysis | None = None,
    date: str | None = None,
) -> Path:
    """Build the report (see :func:`build_report`) and write it with :func:`write_report`."""
    fmt = report_format(path, format)
    if not isinstance(ds, Dataset):
        from cwb.dataset.io import read_dataset

        ds = read_dataset(ds)
    report = build_report(ds, matches=matches, spend=spend, map_href=map_href, date=date)
    return write_report(report, path, format=fmt)


def report_format(path: str | Path, format: str | None = None) -> str:
    """The format to write ``path`` in: ``format`` if given, else ``md`` for .md files, else html.

    Raises
    ------
    UsageError
        The format is not one of :data:`FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    fmt = (format or ("md" if suffix in (".md", ".markdown") else "html")).lower()
    if fmt not in FORMATS:
        raise UsageError(f"{fmt!r} is not one of {', '.join(FORMATS)}", argument="format")
    return fmt


def write_report(report: Report, path: str | Path, *, format: str | None = None) -> Path:
    """Write a report: HTML, or Markdown with its charts as SVG files beside it.

    Parameters
    ----------
    report
        From :func:`build_report`.
    path
        The file to write.
    format
        ``html`` or ``md`` (default: from the suffix, see :func:`report_format`).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    if report_format(path, format) == "html":
        return write_text_atomic(path, render_html(report))
    chart_dir = f"{path.stem}_charts"
    text, files = render_markdown(report, chart_dir)
    for name, svg in files.items():
        write_text_atomic(path.parent / name, svg)
    return write_text_atomic(path, text)
