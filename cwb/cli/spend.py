"""``cwb spend``: Preston-model analysis of anchor institutions' spend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cwb.cli._output import is_missing, is_stdout, output_target, print_table
from cwb.cli.app import DatasetArg, RawCsvOpt, app, library_errors, out

if TYPE_CHECKING:
    import pandas as pd


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
            "--output",
            "-o",
            help="Write spend.json (every table) or spend.csv (the summary); '-': the JSON "
            "to standard output.",
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows shown in the leakage and supplier tables.")] = 8,
    raw_csv: RawCsvOpt = False,
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

    with library_errors(), output_target(output, ".json") as target:
        analysis = run_spend(
            dataset,
            file=file,
            mapping=mapping,
            postcodes=postcodes,
            local=local,
            buyer=buyer,
            survey=survey,
            output=target,
            sheet=sheet,
        )
    geos = " ⊂ ".join(analysis.geography_names)
    out.print(
        f"[bold]{analysis.dataset}[/bold]: local = [bold]{analysis.local}[/bold]"
        + (f", region = [bold]{analysis.regional}[/bold]" if analysis.regional else "")
        + f" (geographies: {geos})"
    )
    _print_summary(analysis.summary)
    print_table(analysis.reconciliation, "What was read, included and excluded", cell=_cell)
    leakage = _head(analysis.leakage, top)
    if len(leakage):
        title = "Leakage by sector (spend with suppliers outside the local geography)"
        print_table(leakage, title, cell=_cell)
    else:
        out.print("No spend is known to leave the local geography (see unlocated).")
    if len(analysis.relocalisable):
        shown = analysis.relocalisable.drop(columns=["enterprise_ids", "catalogue_sector"])
        title = "Re-localisable spend: local enterprises in leaking sectors"
        print_table(shown.head(top), title, cell=_cell)
    print_table(_head(analysis.top_suppliers, top), "Top suppliers", cell=_cell)
    how = analysis.located_by
    if how[~how["located_by"].isin(["postcode", "coordinates", "unlocated"])]["transactions"].any():
        shown = how[how["transactions"] > 0]
        print_table(shown, "How suppliers were located (supplier register)", cell=_cell)
        if len(analysis.register_review):
            title = "Check by hand: fuzzy and ambiguous register matches"
            print_table(analysis.register_review.head(top), title, cell=_cell)
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
    print_table(m, "Local multiplier (LM3), an estimate", cell=_cell)
    for note in analysis.notes:
        out.print(f"• {note}", highlight=False, markup=False)
    if output is not None and not is_stdout(output):
        out.print(f"wrote {output}")


def _head(table: pd.DataFrame, n: int) -> pd.DataFrame:
    from cwb.spend.analysis import ALL_BUYERS

    overall = table[table["buyer"] == ALL_BUYERS]
    return overall.head(n) if len(overall) else table.head(n)


_SUMMARY_LABELS = {
    "buyer": "buyer",
    "total_gbp": "spend £",
    "local_share": "local",
    "regional_share": "regional",
    "elsewhere_share": "elsewhere",
    "unlocated_share": "unlocated",
    "sme_share": "SME",
    "social_enterprise_share": "social ent.",
    "deprived_areas_share": "deprived areas",
    "lm3": "LM3 (est.)",
}


def _print_summary(summary: pd.DataFrame) -> None:
    print_table(
        summary,
        "Spend by buyer (£ and share of included spend)",
        columns=_SUMMARY_LABELS,
        right=list(_SUMMARY_LABELS)[1:],
        cell=_cell,
    )


def _cell(column: str, value: object) -> str:
    if is_missing(value):
        return "–"
    if isinstance(value, float):
        if "share" in column or column == "default_local_respend":
            return f"{value:.1%}"
        if column == "lm3":
            return f"{value:.2f}"
        return f"{value:,.2f}" if column.endswith("_gbp") else f"{value:,.4g}"
    return str(value)
