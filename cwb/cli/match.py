"""Commands ``match`` and ``gaps``: link assets to opportunities, and list what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cwb.cli.app import DatasetArg, RawCsvOpt, app, library_errors, out

OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="CSV file to write.", dir_okay=False)
]
ProjectOpt = Annotated[
    str | None, typer.Option("--project", help="Only the opportunities of this project id.")
]


@app.command()
def match(
    dataset: DatasetArg,
    output: OutputOpt = None,
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k",
            min=0,
            help="Matches kept per opportunity (0: all); default from dataset.toml, else 10.",
        ),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help="Lowest score kept; default from dataset.toml, else 0.3.",
        ),
    ] = None,
    project: ProjectOpt = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Score every plausible asset–opportunity pair, with the reasons, and print a summary.

    Weights, distances and thresholds come from the matching section of
    dataset.toml. Residents appear only as groups of at least min_count.

    Example: cwb match data/birmingham -o matches.csv --top-k 5
    """
    from cwb.matching.core import run_match

    with library_errors():
        result = run_match(
            dataset, output=output, top_k=top_k, min_score=min_score, project=project
        )
    summary = result.summary()
    table = Table(title=f"{dataset}: matches")
    for column in summary.columns:
        table.add_column(column, justify="left" if column in ("project", "type") else "right")
    for row in summary.itertuples(index=False):
        table.add_row(*("" if v != v else str(v) for v in row))
    out.print(table)
    if len(result.unknown_skills):
        out.print(
            f"{len(result.unknown_skills)} skill term(s) are not in the vocabulary "
            "(still matched as written); "
            "`cwb gaps -o gaps.csv` lists them: add them to a vocabulary file."
        )
    if result.suppressed_residents:
        out.print(
            f"{result.suppressed_residents} resident(s) in groups smaller than the "
            "privacy threshold "
            "were left out."
        )
    if len(result.unlocated):
        out.print(f"{len(result.unlocated)} row(s) could not be located and were not matched.")
    if output is not None:
        out.print(f"wrote {len(result.matches)} matches to {output}")


@app.command()
def gaps(
    dataset: DatasetArg,
    output: OutputOpt = None,
    project: ProjectOpt = None,
    limit: Annotated[int, typer.Option(help="Rows of each list to print.")] = 15,
    raw_csv: RawCsvOpt = False,
) -> None:
    """List the training needs (demand left unmet by local assets) and the untapped assets.

    Example: cwb gaps data/birmingham -o gaps.csv
    """
    from cwb.matching.gaps import run_gaps

    with library_errors():
        found = run_gaps(dataset, output=output, project=project)
    needs = Table(title="Training needs (units by skill)")
    for column in ("skill", "SOC 2020", "unfilled", "filled, needing training", "opportunities"):
        needs.add_column(
            column, justify="left" if column in ("skill", "opportunities") else "right"
        )
    for row in found.training_needs.head(limit).itertuples(index=False):
        needs.add_row(
            row.skill,
            row.soc2020,
            str(row.unfilled_units),
            str(row.filled_needing_training),
            row.opportunities,
        )
    out.print(needs)
    untapped = found.untapped
    table = Table(title=f"Untapped assets: {len(untapped)}")
    for column in ("kind", "reason", "assets"):
        table.add_column(column, justify="right" if column == "assets" else "left")
    if len(untapped):
        counts = untapped.groupby(["kind", "reason"]).size().reset_index(name="n")
        for row in counts.itertuples(index=False):
            table.add_row(row.kind, row.reason, str(row.n))
    out.print(table)
    if found.unknown_skills is not None and len(found.unknown_skills):
        out.print(
            f"{len(found.unknown_skills)} skill term(s) are not in the vocabulary "
            "(listed in the CSV)."
        )
    if output is not None:
        out.print(f"wrote {output}")


@app.command()
def compare(
    dataset: DatasetArg,
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="TOML files, each a \\[matching] section that changes the dataset's settings.",
            exists=True,
            dir_okay=False,
        ),
    ],
    output: OutputOpt = None,
    opportunities: Annotated[
        Path | None,
        typer.Option(
            "--opportunities",
            help="CSV file for the local take-up of each opportunity in each scenario.",
            dir_okay=False,
        ),
    ] = None,
    project: ProjectOpt = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    r"""Compare matching scenarios: the dataset's own settings against each scenario file.

    Each scenario file holds a \[matching] section with the settings it changes,
    for example a \[matching.weights] table with skills = 0.6. Prints the
    headline figures side by side with the change from the baseline.

    Example: cwb compare data/birmingham skills_first.toml -o scenarios.csv
    """
    from cwb.matching.scenarios import run_compare

    with library_errors():
        result = run_compare(
            dataset,
            scenarios,
            output=output,
            opportunities_output=opportunities,
            project=project,
        )
    table = Table(title=f"{dataset}: scenarios")
    table.add_column("figure")
    for name in result.scenarios:
        table.add_column(escape(name), justify="right")
    for name in result.scenarios[1:]:
        table.add_column(f"change ({escape(name)})", justify="right")
    shown = [*result.scenarios, *(f"change_{n}" for n in result.scenarios[1:])]
    for row in result.figures.to_dict("records"):
        table.add_row(row["label"], *(f"{row[c]:,.0f}" for c in shown))
    out.print(table)
    if len(result.settings):
        differ = Table(title="Settings that differ")
        differ.add_column("setting")
        for name in result.scenarios:
            differ.add_column(escape(name), justify="right")
        for row in result.settings.itertuples(index=False):
            differ.add_row(*(str(v) for v in row))
        out.print(differ)
    for path in (output, opportunities):
        if path is not None:
            out.print(f"wrote {path}")
