"""A summary a planner can send: USE-IT-style figures, charts, tables and a map.

:func:`build_report` gathers the figures from the results it is given: matching,
allocation, consortia and gaps (a :class:`cwb.matching.core.MatchResult`) and the
Preston-model spend analysis (a :class:`cwb.spend.analysis.SpendAnalysis`); it
never computes them itself (the Pipeline does, once each).
:func:`render_html` writes one self-contained HTML
file (charts as inline SVG drawn with matplotlib, a static map,
no external file), :func:`render_markdown` a Markdown version with the charts
as SVG files beside it. Every dataset string is escaped (Jinja2 autoescaping in
HTML; HTML entities and Markdown table escapes in Markdown). Residents appear
only as counts and groups, never a name or location.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from cwb._atomic import write_text_atomic
from cwb._version import __version__
from cwb.commons.pacts import commons_figures, pacts_over_time
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.dataset.notes import illustrative_ids, mark_illustrative, opportunity_notes
from cwb.dataset.validate import example_rows_note
from cwb.errors import UsageError
from cwb.flows.summary import draw_flow_map, strongest_across
from cwb.matching.impact import impact_figures
from cwb.pdf import write_pdf
from cwb.privacy import describe_suppressed
from cwb.report_parts import (
    Chart,
    Figure,
    Report,
    Section,
    Table,
    as_text,
    assets_chart,
    barh_svg,
    filled_chart,
    fmt_int,
    fmt_money,
    fmt_pct,
    new_figure,
    shorten,
    static_map_svg,
    svg_markup,
)
from cwb.reproducible import output_date

if TYPE_CHECKING:
    from cwb.commons.matching import CommonsResult
    from cwb.flows.atlas import FlowAtlas
    from cwb.matching.core import MatchResult
    from cwb.privacy import Residents
    from cwb.spend.analysis import SpendAnalysis

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "pdf")


# ---------------------------------------------------------------- figures


def _illustrative_share(ds: Dataset, shown: set[str]) -> str:
    """``""``, or how many of the contracts are illustrative (awarded, not open)."""
    if not shown:
        return ""
    contracts = int((ds.opportunities["type"] == "contract").sum())
    if len(shown) >= contracts:
        return "; all of them illustrative (awarded), none open"
    return f"; {len(shown)} of the {contracts} contracts illustrative (awarded)"


def _match_sections(ds: Dataset, result: MatchResult) -> tuple[list[Figure], list[Section]]:
    fig = impact_figures(ds, result)
    shown = illustrative_ids(ds.opportunities)
    demand, gaps, consortia = result.allocation.demand, result.gaps, result.consortia
    needs, untapped = gaps.training_needs, gaps.untapped
    posts = fig.posts_offered
    share = fmt_pct(fig.posts_filled / posts) + " of the posts on offer" if posts else ""
    if fig.residents_to_posts == fig.posts_filled:  # one figure, not the same number twice
        people = [
            Figure(
                "Posts local residents could fill",
                f"{fmt_int(fig.posts_filled)} of {fmt_int(posts)}",
                share + ", one resident of a local skills group per post",
            )
        ]
    else:
        people = [
            Figure(
                "Residents linked to posts",
                fmt_int(fig.residents_to_posts),
                "residents in local skills groups allocated to jobs",
            ),
            Figure(
                "Posts that could be filled locally",
                f"{fmt_int(fig.posts_filled)} of {fmt_int(posts)}",
                share,
            ),
        ]
    headline = [
        *people,
        Figure(
            "Enterprises linked to contracts",
            fmt_int(fig.enterprises_to_contracts),
            f"{fmt_money(fig.contract_value)} of contract value" + _illustrative_share(ds, shown),
        ),
        Figure(
            "Consortia proposed",
            fmt_int(fig.consortia),
            f"for {fig.consortium_contracts} contract(s) no single firm can take",
        ),
        Figure(
            "Community organisations and spaces involved",
            fmt_int(fig.community_organisations + fig.spaces),
            f"{fig.community_organisations} organisation(s), {fig.spaces} space(s)",
        ),
        Figure(
            "Training needs",
            fmt_int(fig.training_need_units),
            "posts and places left unfilled, across "
            + fmt_int(fig.training_need_skills)
            + " skill(s)",
        ),
        Figure(
            "Untapped assets",
            fmt_int(fig.untapped_assets),
            "assets and resident groups with no viable link yet",
        ),
    ]
    sections = []
    s = Section(
        "Opportunities filled locally",
        "The best assignment of local assets to the project's opportunities, respecting the posts, "
        "places and lots on offer and what each group or firm can take (a min-cost flow). "
        + " ".join(opportunity_notes(ds)),
    )
    if len(demand):
        s.charts.append(
            Chart(
                "Demand filled by local assets, by opportunity type",
                filled_chart(demand),
                "filled",
            )
        )
        table = demand.sort_values("unfilled", ascending=False)[
            ["title", "type", "demand", "filled", "unfilled"]
        ]
        if shown and "opportunity_id" in demand:
            table = table.assign(
                title=mark_illustrative(
                    table["title"], demand.loc[table.index, "opportunity_id"], shown
                )
            )
        s.tables.append(Table("Opportunities with the most demand left", as_text(table.head(15))))
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
                as_text(
                    pd.DataFrame(
                        {
                            "asset": names,
                            "opportunity": mark_illustrative(
                                top["opportunity_title"], top["opportunity_id"], shown
                            ),
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
                as_text(
                    pd.DataFrame(
                        {
                            "contract": best["title"].to_numpy(),
                            "value": best["value"].map(fmt_money).to_numpy(),
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
                barh_svg(
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
                as_text(
                    top_needs[["skill", "soc2020", "unfilled_units", "filled_needing_training"]]
                ),
            )
        )
    if len(untapped):
        kinds = (
            untapped.groupby(["kind", "reason"], observed=True)
            .size()
            .rename("assets")
            .reset_index()
        )
        s.tables.append(Table("Untapped assets by kind and reason", as_text(kinds)))
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
            fmt_money(float(total["total_gbp"])),
            f"{fmt_int(total['transactions'])} transactions",
        ),
        Figure(
            "Spend staying local",
            fmt_pct(total["local_share"]),
            f"{fmt_money(float(total['local_gbp']))} in the {analysis.local} geography",
        ),
        *_spend_trend(analysis.by_year),
        Figure("Spend with SMEs", fmt_pct(total["sme_share"]), ""),
        Figure("Spend with social enterprises", fmt_pct(total["social_enterprise_share"]), ""),
    ]
    if len(analysis.relocalisable):
        addressable = float(
            pd.to_numeric(analysis.relocalisable["addressable_gbp"], errors="coerce").sum()
        )
        figures.append(
            Figure(
                "Re-localisable spend",
                fmt_money(addressable),
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
        fig, ax = new_figure()
        for buyer, rows in by_year.groupby("buyer"):
            ax.plot(
                rows["year"].astype(str),
                100 * rows["local_share"],
                marker="o",
                label=shorten(str(buyer), 30),
            )
        ax.set_ylabel("local share of spend (%)")
        ax.legend(frameon=False, fontsize=7)
        s.charts.append(Chart("Local share of spend by year", svg_markup(fig), "spend_year"))
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
                barh_svg(
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
    table["total_gbp"] = table["total_gbp"].map(lambda v: fmt_money(float(v)))
    for c in ("local_share", "sme_share", "social_enterprise_share"):
        if c in table:
            table[c] = table[c].map(fmt_pct)
    s.tables.append(Table("Spend by buyer", as_text(table)))
    return figures, s


def _spend_trend(by_year: pd.DataFrame) -> list[Figure]:
    """The local share of all buyers' spend, first year against last (none for one year)."""
    if not len(by_year) or not {"year", "total_gbp", "local_gbp"} <= set(by_year):
        return []
    years = by_year.groupby("year")[["total_gbp", "local_gbp"]].sum().sort_index()
    years = years[years["total_gbp"] > 0]
    if len(years) < 2:
        return []
    shares = years["local_gbp"] / years["total_gbp"]
    change = 100 * (shares.iloc[-1] - shares.iloc[0])
    return [
        Figure(
            "Local share of spend, trend",
            f"{change:+.1f} pts",
            f"{years.index[0]} → {years.index[-1]}: "
            f"{fmt_pct(shares.iloc[0])} → {fmt_pct(shares.iloc[-1])} of all buyers' spend",
        )
    ]


def _flows_section(ds: Dataset, atlas: FlowAtlas) -> tuple[list[Figure], Section | None]:
    """Interdependencies: flows across the catchment by kind, self-containment, a flow map."""
    if atlas.flows.empty:
        return [], None
    summary = atlas.measures.catchment
    figures = []
    for row in summary.itertuples(index=False):
        label = str(row.kind).replace("_", " ")
        if row.out_of_catchment > 0 or row.into_catchment > 0:
            figures.append(
                Figure(
                    f"{label.capitalize()} staying in the catchment",
                    fmt_pct(row.stays_share),
                    f"of {label} starting in the catchment; "
                    f"{fmt_pct(row.dependence)} of what arrives comes from outside",
                )
            )
    s = Section(
        "Interdependencies",
        "A place is also what it exchanges with others: the flows of commuters, patients, "
        "spend and residents between the catchment "
        f"({len(atlas.catchment)} places) and its neighbours. "
        + " ".join(note[0].upper() + note[1:] + "." for note in atlas.notes[:4]),
        figures=figures,
    )
    fig, ax = new_figure(6.4, 6.0)
    draw_flow_map(ax, atlas, ds)
    s.charts.append(Chart("Flows to and from the catchment", svg_markup(fig), "flows"))

    def amount(value: float, unit: str) -> str:
        if unit == "share":
            return fmt_pct(value) + " share"
        return fmt_money(value) if unit == "gbp" else f"{fmt_int(value)} {unit}"

    for direction, title in (
        ("project", "to the project"),
        ("in", "into the catchment"),
        ("out", "out of the catchment"),
    ):
        table = strongest_across(atlas, direction=direction)
        if len(table):
            shown = pd.DataFrame(
                {
                    "kind": table["kind"].str.replace("_", " "),
                    "from": table["from"],
                    "to": table["to"],
                    "flow": [
                        amount(v, u) for v, u in zip(table["magnitude"], table["unit"], strict=True)
                    ],
                    "share": table["share"].map(fmt_pct),
                }
            )
            s.tables.append(Table(f"Strongest flows {title}", as_text(shown)))
    contained = pd.DataFrame(
        {
            "kind": summary["kind"].str.replace("_", " "),
            "within": [
                amount(v, u) for v, u in zip(summary["within"], summary["unit"], strict=True)
            ],
            "stays in the catchment": summary["stays_share"].map(fmt_pct),
            "arrives from outside": summary["dependence"].map(fmt_pct),
        }
    )
    s.tables.append(
        Table(
            "Self-containment of the catchment by kind",
            as_text(contained),
            "stays: within ÷ (within + out of the catchment); "
            "from outside: into ÷ (within + into the catchment).",
        )
    )
    return figures, s


def _commons_section(
    ds: Dataset, result: CommonsResult | None
) -> tuple[list[Figure], Section | None]:
    """Community use of places (CO-CITY): public places, pacts, groups placed, a chart."""
    if ds.pacts is None and ds.needs is None:
        return [], None
    f = commons_figures(ds, result)
    share = f.public_underused_share
    figures = [
        Figure(
            "Public places under-used or vacant",
            fmt_pct(share) if share is not None else "–",
            f"{f.public_underused} of {f.public_places} public places recorded",
        ),
        Figure(
            "Pacts of collaboration",
            fmt_int(sum(f.pacts_by_status.values())),
            f"{f.pacts_by_status.get('active', 0)} active; {f.pacts_land} for land, "
            f"{f.pacts_buildings} for buildings",
        ),
    ]
    if result is not None:
        figures.append(
            Figure(
                "Hours of community use proposed",
                fmt_int(f.proposed_hours_per_week),
                f"a week, for {f.groups_placed} groups in {f.proposed_bookings} sessions; "
                f"{f.pact_hours_per_week:,.0f} hours already in signed and active pacts",
            )
        )
    s = Section(
        "Community use of places (CO-CITY)",
        "Under-used and vacant places, the groups that need space, and the pacts of "
        "collaboration between owners and groups, as Turin's CO-CITY counted them.",
        figures=figures,
        tables=[Table("In figures", pd.DataFrame(f.rows(), columns=["figure", "value"]))],
    )
    over_time = pacts_over_time(ds)
    if len(over_time):
        fig, ax = new_figure(height=2.8)
        years = over_time.index.astype(str)
        ax.bar(years, over_time["signed"], color="#5aae61", label="signed that year")
        ax.plot(years, over_time["in_force"], marker="o", color="#1b7837", label="in force")
        ax.set_ylabel("pacts")
        ax.legend(frameon=False, fontsize=7)
        s.charts.append(Chart("Pacts of collaboration over time", svg_markup(fig), "pacts_year"))
    if ds.pacts is not None and len(ds.pacts):
        names = ds.assets.drop_duplicates("id").set_index("id")["name"]
        pacts = ds.pacts
        table = pd.DataFrame(
            {
                "pact": pacts["title"].fillna(pacts["id"]),
                "place": pacts["asset"].map(names),
                "status": pacts["status"],
                "partners": pacts["partners"].map(lambda c: len(str(c).split(";"))),
                "hours a week": pacts["hours_per_week"],
                "insured by": pacts["insured_by"],
            }
        )
        s.tables.append(Table("Pacts", as_text(table)))
    if result is not None and len(result.bookings):
        placed = (
            result.bookings.groupby(["group_name", "place_name"], sort=False)["slot"]
            .agg(lambda slots: ", ".join(x.replace("_", " ") for x in slots))
            .reset_index()
            .rename(columns={"group_name": "group", "place_name": "place", "slot": "sessions"})
        )
        s.tables.append(Table("Places proposed for groups", as_text(placed)))
    if result is not None and len(result.unplaced):
        unplaced = result.unplaced[["group_name", "space_type", "reason"]].rename(
            columns={"group_name": "group", "space_type": "needs"}
        )
        s.tables.append(Table("Groups no place fits yet", as_text(unplaced)))
    return figures, s


def build_report(
    ds: Dataset,
    *,
    matches: MatchResult | None = None,
    spend: SpendAnalysis | None = None,
    residents: Residents | None = None,
    flows: FlowAtlas | None = None,
    places: CommonsResult | None = None,
    map_href: str | None = None,
    date: str | None = None,
    indicator: str | None = "imd_decile",
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
    flows
        The flows between places and their measures (:func:`cwb.flows.atlas.flow_atlas`).
        When None the report has no "Interdependencies" section.
    places
        Places proposed for the groups that need space
        (:func:`cwb.commons.matching.match_places`); the CO-CITY section shows the
        dataset's pacts without them.
    map_href
        The interactive map to link to.
    date
        Date shown on the report (default: today).
    indicator
        Area column the static map shades the areas by (None: outlines only).

    Returns
    -------
    Report
        Render it with :func:`render_html` or :func:`render_markdown`.
    """
    headline: list[Figure] = []
    sections: list[Section] = []
    notes: list[str] = []
    catalogue = Section("The catalogue", "What the neighbourhood already has, by kind of asset.")
    catalogue.charts.append(Chart("Assets by kind", assets_chart(ds.assets), "assets"))
    catalogue.charts.append(
        Chart("Map of the catchment", static_map_svg(ds, residents, indicator), "map")
    )
    sections.append(catalogue)
    if matches is None:
        notes += opportunity_notes(ds)
        notes.append("No matching result was given: no links, allocation or gaps.")
    else:
        figures, more = _match_sections(ds, matches)
        headline += figures
        sections += more
        if matches.suppressed_residents:
            notes.append(
                f"Residents in groups smaller than {ds.min_count} are left out of every "
                f"figure ({describe_suppressed(matches.suppressed_residents, ds.min_count)} "
                "of them)."
            )
    commons_headline, commons = _commons_section(ds, places)
    if commons is not None:
        headline += commons_headline[:1]
        sections.append(commons)
    if spend is not None:
        spend_figures, spend_section = _spend_section(spend)
        headline += spend_figures[:3]  # the total, the local share and its trend
        sections.append(spend_section)
    if flows is not None:
        flow_figures, flows_section = _flows_section(ds, flows)
        if flows_section is not None:
            headline += flow_figures[:1]
            sections.append(flows_section)
    sources = sorted(
        {str(s) for s in ds.assets.get("source", pd.Series(dtype=object)).dropna().unique()}
    )[:8]
    return Report(
        title=ds.name,
        subtitle="; ".join(p.name for p in ds.manifest.projects),
        date=date or output_date(),
        sources=sources,
        headline=headline,
        sections=sections,
        map_href=map_href,
        notes=notes + [f"Made with cwb {__version__}."],
        warnings=[w for w in [example_rows_note(ds.problems)] if w],
    )


# ---------------------------------------------------------------- rendering


def render_html(report: Report) -> str:
    """One self-contained HTML page (autoescaped Jinja2 template; charts inline)."""
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
    lines += [f"> **Note:** {_md(w)}\n" for w in report.warnings]
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
    flows: FlowAtlas | None = None,
    places: CommonsResult | None = None,
    date: str | None = None,
) -> Path:
    """Build the report (see :func:`build_report`) and write it with :func:`write_report`."""
    fmt = report_format(path, format)
    if not isinstance(ds, Dataset):
        ds = read_dataset(ds)
    report = build_report(
        ds,
        matches=matches,
        spend=spend,
        flows=flows,
        places=places,
        map_href=map_href,
        date=date,
    )
    return write_report(report, path, format=fmt)


#: Report suffix → format.
REPORT_SUFFIXES: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".pdf": "pdf",
}


def report_format(path: str | Path, format: str | None = None) -> str:
    """The format to write ``path`` in: ``format`` if given, else the suffix's (html by default).

    Raises
    ------
    UsageError
        The format is not one of :data:`FORMATS`, the suffix is not one cwb
        writes (:data:`REPORT_SUFFIXES`), or the two disagree: cwb never writes
        HTML into a ``.pdf`` or ``.png``.
    """
    suffix = Path(path).suffix.lower()
    by_suffix = REPORT_SUFFIXES.get(suffix)
    if str(path) == "-" or (suffix and by_suffix is None):
        raise UsageError(
            f"cannot write a report to {str(path)!r}: use a file ending in "
            + ", ".join(REPORT_SUFFIXES),
            argument="output",
        )
    fmt = (format or by_suffix or "html").lower()
    if fmt not in FORMATS:
        raise UsageError(f"{fmt!r} is not one of {', '.join(FORMATS)}", argument="format")
    if by_suffix is not None and fmt != by_suffix:
        raise UsageError(
            f"{fmt!r} does not match the file {Path(path).name!r} (a {by_suffix} file)",
            argument="format",
        )
    return fmt


def write_report(report: Report, path: str | Path, *, format: str | None = None) -> Path:
    """Write a report: HTML, a PDF, or Markdown with its charts as SVG files beside it.

    Parameters
    ----------
    report
        From :func:`build_report`.
    path
        The file to write.
    format
        ``html``, ``md`` or ``pdf`` (default: from the suffix, see :func:`report_format`).
        A PDF is printed from the HTML by :func:`write_pdf`.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    fmt = report_format(path, format)
    if fmt == "html":
        return write_text_atomic(path, render_html(report))
    if fmt == "pdf":
        return write_pdf(render_html(report), path)
    chart_dir = f"{path.stem}_charts"
    text, files = render_markdown(report, chart_dir)
    for name, svg in files.items():
        write_text_atomic(path.parent / name, svg)
    return write_text_atomic(path, text)
