"""Commands ``match`` and ``gaps``: link assets to opportunities, and list what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cwb import settings
from cwb.cli._output import is_stdout, output_target, print_table
from cwb.cli.app import DatasetArg, RawCsvOpt, app, library_errors, out

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="CSV file to write ('-': standard output).", dir_okay=False
    ),
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
            help=(
                "Matches kept per opportunity (0: all); default from dataset.toml, "
                f"else {settings.TOP_K}."
            ),
        ),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            min=0.0,
            max=1.0,
            help=f"Lowest score kept; default from dataset.toml, else {settings.MIN_SCORE:g}.",
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

    with library_errors(), output_target(output, ".csv") as target:
        result = run_match(
            dataset, output=target, top_k=top_k, min_score=min_score, project=project
        )
    summary = result.summary()
    right = [c for c in summary.columns if c not in ("project", "type")]
    print_table(summary, f"{dataset}: matches", right=right)
    if len(result.unknown_skills):
        out.print(
            f"{len(result.unknown_skills)} skill term(s) are not in the vocabulary "
            "(still matched as written); "
            "`cwb gaps -o gaps.csv` lists them: add them to a vocabulary file."
        )
    if result.suppressed_residents:
        # no figure: the exact number would give a lone suppressed group's size away
        out.print("Residents in groups smaller than the privacy threshold were left out.")
    if len(result.unlocated):
        out.print(f"{len(result.unlocated)} row(s) could not be located and were not matched.")
    if output is not None and not is_stdout(output):
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

    Example: cwb --format json gaps data/birmingham -o - > gaps.csv 2> tables.json
    """
    from cwb.matching.core import run_gaps

    with library_errors(), output_target(output, ".csv") as target:
        found = run_gaps(dataset, output=target, project=project)
    print_table(
        found.training_needs.head(limit),
        "Training needs (units by skill)",
        columns={
            "skill": "skill",
            "soc2020": "SOC 2020",
            "unfilled_units": "unfilled",
            "filled_needing_training": "filled, needing training",
            "opportunities": "opportunities",
        },
        right=("soc2020", "unfilled_units", "filled_needing_training"),
    )
    untapped = found.untapped
    counts = untapped.groupby(["kind", "reason"], observed=True).size() if len(untapped) else {}
    print_table(
        [(kind, reason, int(n)) for (kind, reason), n in counts.items()],
        f"Untapped assets: {len(untapped)}",
        columns={"kind": "kind", "reason": "reason", "assets": "assets"},
        right=("assets",),
    )
    if found.unknown_skills is not None and len(found.unknown_skills):
        out.print(
            f"{len(found.unknown_skills)} skill term(s) are not in the vocabulary "
            "(listed in the CSV)."
        )
    if output is not None and not is_stdout(output):
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
            help="CSV file for the local take-up of each opportunity in each scenario "
            "('-': standard output).",
            dir_okay=False,
        ),
    ] = None,
    project: ProjectOpt = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    r"""Compare matching scenarios: the dataset's own settings against each scenario file.

    Each scenario file holds a \[matching] section with the settings it changes,
    for example a \[matching.weights] table with skills = 0.6, and may hold a
    \[commons] section for place matching (weights, max_distance_m, min_score).
    Prints the headline figures side by side with the change from the baseline.

    Example: cwb compare data/birmingham skills_first.toml -o scenarios.csv
    """
    from cwb.scenarios import run_compare

    with (
        library_errors(),
        output_target(output, ".csv") as target,
        output_target(opportunities, ".csv", option="opportunities") as take_up,
    ):
        result = run_compare(
            dataset,
            scenarios,
            output=target,
            opportunities_output=take_up,
            project=project,
        )
    labels = {
        "label": "figure",
        **{name: name for name in result.scenarios},
        **{f"change_{name}": f"change ({name})" for name in result.scenarios[1:]},
    }
    print_table(
        result.figures,
        f"{dataset}: scenarios",
        columns=labels,
        right=list(labels)[1:],
        cell=lambda key, value: str(value) if key == "label" else f"{value:,.0f}",
    )
    if len(result.settings):
        print_table(result.settings, "Settings that differ", right=result.scenarios)
    for path in (output, opportunities):
        if path is not None and not is_stdout(path):
            out.print(f"wrote {path}")
