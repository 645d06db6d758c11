"""Command ``commons``: under-used places for community groups, and pacts (CO-CITY)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cwb.cli._output import print_table
from cwb.cli.app import DatasetArg, app, library_errors, out


@app.command()
def commons(
    dataset: DatasetArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write commons_matches/bookings/unplaced/unused.csv into.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    r"""Propose under-used places for the groups that need space, and count the pacts.

    Each need is placed whole at one place, best pairs first, in free slots of the
    week (7 days × morning, afternoon, evening); no slot is booked twice. Weights and
    limits come from \[commons] in dataset.toml.

    Example: cwb commons data/birmingham -o out/
    """
    from cwb.commons.pacts import run_commons

    with library_errors():
        result, figures = run_commons(dataset, out=output)
    print_table(
        figures.rows(),
        f"{dataset}: community use of places",
        columns=["figure", "value"],
        right=["value"],
    )
    for booking in result.bookings.groupby(["need", "place"], sort=False):
        (need, place), rows = booking
        first = rows.iloc[0]
        out.print(
            f"{need} {first['group_name']} → {first['place_name']}: " + ", ".join(rows["slot"]),
            highlight=False,
            markup=False,
        )
    for row in result.unplaced.itertuples(index=False):
        out.print(
            f"unplaced {row.need} {row.group_name} ({row.space_type}): {row.reason}",
            highlight=False,
            markup=False,
        )
    if output is not None:
        out.print(f"wrote the matches, bookings and gaps to {output}")
