"""``cwb spend``: Preston-model analysis of anchor institutions' spend."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from cwb.cli.app import DatasetArg, app, library_errors, out


def _input_file(help_text: str, *names: str) -> typer.models.OptionInfo:
    """Declare an option that names an existing file."""
    return typer.Option(*names, exists=True, dir_okay=False, help=help_text)


@app.command("spend")
def spend_command(
    dataset: DatasetArg,
    local: Annotated[
        list[str] | None,
        typer.Option(
            "--local",
            "-l",
            help="A local geography, innermost first; repeat for nested ones. A name from "
            "\\[spend] geographies, a local authority of the areas, area codes (A,B), a polygon "
            "file, or KEY=VALUES with KEY local_authority, codes, postcode_areas, "
            "postcode_districts or file. The first is 'local'.",
        ),
    ] = None,
    buyer: Annotated[str | None, typer.Option(help="Only this buyer's transactions.")] = None,
    file: Annotated[
        Path | None,
        _input_file(
            "Analyse this raw spend file (CSV or .xlsx) instead of the dataset's spend table.",
            "--file",
            "-f",
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Column mapping for --file: a bundled name (bcc-pcards) or a .toml file.",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="Sheet of an .xlsx --file: its name or its position from 1 (default: the first).",
        ),
    ] = None,
    postcodes: Annotated[
        Path | None,
        _input_file(
            "Postcode lookup CSV (postcode, lat, lon) to locate --file's suppliers; "
            "default: the dataset's."
        ),
    ] = None,
    survey: Annotated[
        Path | None,
        _input_file("Supplier survey CSV (supplier_id/supplier_name, local_respend) for LM3."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write spend.json (every table) or spend.csv (the summary)."
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows shown in the leakage and supplier tables.")] = 8,
) -> None:
    """Analyse where anchor institutions' spend goes, and what could come back.

    Per buyer and overall: shares local, regional, elsewhere and unlocated;
    with SMEs and social enterprises; into the most deprived areas; by sector
    and year; leakage by sector; local enterprises that could take the leaking
    spend; and an LM3 local-multiplier estimate. Every row read is accounted
    for: the reconciliation says what was excluded (duplicates, currencies
    without a rate, net credits, bad amounts) and why.

    Example: cwb spend data/birmingham --local Sandwell -o spend.json

    Example (a council's purchase-card file through a column mapping):
    cwb spend data/birmingham --file bcc_pcards.csv --mapping bcc-pcards -o pcards.json
    """
    from cwb.spend.analysis import run_spend

    with library_errors():
        analysis = run_spend(
            dataset,
            file=file,
            mapping=mapping,
            postcodes=postcodes,
            local=local,
            buyer=buyer,
            survey=survey,
            output=output,
            sheet=sheet,
        )
    geos = " ⊂ ".join(analysis.geography_names)
    out.print(
        f"[bold]{analysis.dataset}[/bold]: local = [bold]{analysis.local}[/bold]"
        + (f", region = [bold]{analysis.regional}[/bold]" if analysis.regional else "")
        + f" (geographies: {geos})"
    )
    out.print(_summary_table(analysis.summary))
    out.print(_frame_table("What was read, included and excluded", analysis.reconciliation))
    leakage = _head(analysis.leakage, top)
    if len(leakage):
        title = "Leakage by sector (spend with suppliers outside the local geography)"
        out.print(_frame_table(title, leakage))
    else:
        out.print("No spend is known to leave the local geography (see unlocated).")
    if len(analysis.relocalisable):
        shown = analysis.relocalisable.drop(columns=["enterprise_ids", "catalogue_sector"])
        out.print(
            _frame_table(
                "Re-localisable spend: local enterprises in leaking sectors", shown.head(top)
            )
        )
    out.print(_frame_table("Top suppliers", _head(analysis.top_suppliers, top)))
    how = analysis.located_by
    if how[~how["located_by"].isin(["postcode", "coordinates", "unlocated"])]["transactions"].any():
        shown = how[how["transactions"] > 0]
        out.print(_frame_table("How suppliers were located (supplier register)", shown))
        if len(analysis.register_review):
            title = "Check by hand: fuzzy and ambiguous register matches"
            out.print(_frame_table(title, analysis.register_review.head(top)))
    m = analysis.multiplier[
        [
            "buyer",
            "r1_gbp",
            "r2_gbp",
            "r3_gbp",
            "lm3",
            "local_suppliers",
            "surveyed_suppliers",
            "default_local_respend",
        ]
    ]
    out.print(_frame_table("Local multiplier (LM3), an estimate", m))
    for note in analysis.notes:
        out.print(f"• {note}", highlight=False, markup=False)
    if output is not None:
        out.print(f"wrote {output}")


def _head(table: pd.DataFrame, n: int) -> pd.DataFrame:
    from cwb.spend.analysis import ALL_BUYERS

    overall = table[table["buyer"] == ALL_BUYERS]
    return overall.head(n) if len(overall) else table.head(n)


def _summary_table(summary: pd.DataFrame) -> Table:
    table = Table(title="Spend by buyer (£ and share of included spend)")
    columns = [
        ("buyer", "buyer"),
        ("total_gbp", "spend £"),
        ("local_share", "local"),
        ("regional_share", "regional"),
        ("elsewhere_share", "elsewhere"),
        ("unlocated_share", "unlocated"),
        ("sme_share", "SME"),
        ("social_enterprise_share", "social ent."),
        ("deprived_areas_share", "deprived areas"),
        ("lm3", "LM3 (est.)"),
    ]
    for key, label in columns:
        table.add_column(label, justify="left" if key == "buyer" else "right")
    for _, row in summary.iterrows():
        table.add_row(*[escape(_cell(key, row[key])) for key, _ in columns])
    return table


def _frame_table(title: str, frame: pd.DataFrame) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(
            str(column), justify="right" if frame[column].dtype.kind in "if" else "left"
        )
    for _, row in frame.iterrows():
        table.add_row(*[escape(_cell(str(c), row[c])) for c in frame.columns])
    return table


def _cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, float):
        if "share" in column or column == "default_local_respend":
            return f"{value:.1%}"
        if column == "lm3":
            return f"{value:.2f}"
        return f"{value:,.2f}" if column.endswith("_gbp") else f"{value:,.4g}"
    return str(value)
