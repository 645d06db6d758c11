"""Command ``commons``: under-used places for community groups, and pacts (CO-CITY)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cwb.cli._output import FOLDER, output_target, print_table
from cwb.cli.app import DatasetArg, app, library_errors, out

if TYPE_CHECKING:
    import pandas as pd

    from cwb.commons.pacts import CommonsFigures


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

    with library_errors(), output_target(output, FOLDER, option="out"):
        result, figures = run_commons(dataset, out=output)
    print_table(
        figures.rows(),
        f"{dataset}: community use of places",
        columns=["figure", "value"],
        right=["value"],
        typed=_typed_figures(figures),
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


def _typed_figures(figures: CommonsFigures) -> pd.DataFrame:
    """The figures as (figure, value) rows of numbers, for ``--format json|csv``.

    Figures are named as the fields of :class:`~cwb.commons.pacts.CommonsFigures`;
    counts by status as ``pacts_by_status.signed``, ``by_use_status.vacant`` …
    """
    from dataclasses import asdict

    import pandas as pd

    rows: list[tuple[str, object]] = []
    for name, value in asdict(figures).items():
        if isinstance(value, dict):
            rows += [(f"{name}.{key}", n) for key, n in value.items()]
        else:
            rows.append((name, value))
    rows.append(("public_underused_share", figures.public_underused_share))
    return pd.DataFrame(rows, columns=["figure", "value"], dtype=object)
