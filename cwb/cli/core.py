"""Core commands: init, validate, catalogue, demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cwb.cli._output import print_table
from cwb.cli.app import (
    BandsOpt,
    DatasetArg,
    RawCsvOpt,
    app,
    err,
    library_errors,
    out,
    parse_bands,
    print_problems,
)

if TYPE_CHECKING:
    pass


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create the blank dataset in.")],
    name: Annotated[str, typer.Option(help="Name of the dataset.")] = "My neighbourhood",
    project_name: Annotated[
        str, typer.Option(help="Name of the capital project.")
    ] = "The capital project",
    project_id: Annotated[
        str, typer.Option(help="Short id of the project (used in opportunities).")
    ] = "project",
    lat: Annotated[float, typer.Option(help="Latitude of the project.")] = 52.4951,
    lon: Annotated[float, typer.Option(help="Longitude of the project.")] = -1.9447,
    excel: Annotated[
        bool, typer.Option("--excel", help="Write Excel (.xlsx) templates instead of CSV.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing dataset.")] = False,
) -> None:
    """Create a blank dataset: a commented dataset.toml and headed templates with one example row.

    Example: cwb init smethwick --excel --project-name "Midland Metropolitan University Hospital"
    """
    from cwb.dataset.init import init_dataset

    with library_errors():
        written = init_dataset(
            folder,
            name=name,
            project_id=project_id,
            project_name=project_name,
            lat=lat,
            lon=lon,
            excel=excel,
            force=force,
        )
    for path in written:
        out.print(f"wrote {path}")
    out.print(f"Fill in the templates, then run: cwb validate {folder}")


@app.command()
def validate(
    dataset: DatasetArg,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    limit: Annotated[
        int, typer.Option(help="Show at most this many problems of each severity.")
    ] = 50,
) -> None:
    """Check every table of a dataset, row by row. Exit 0 when clean, 1 when the data has errors.

    Example: cwb validate data/birmingham
    """
    from cwb.dataset.validate import validate_dataset

    with library_errors():
        report = validate_dataset(dataset)
    print_problems(report.problems, limit=limit)
    print_table(
        [
            (name, c.read, c.clean, c.with_warnings, c.with_errors)
            for name, c in report.counts.items()
        ],
        f"{dataset}: rows read",
        columns=("table", "read", "clean", "with warnings", "with errors"),
        right=("read", "clean", "with warnings", "with errors"),
    )
    errors, warnings = len(report.errors), len(report.warnings)
    failed = errors or (strict and warnings)
    verdict = "[red]has errors[/red]" if failed else "[green]is valid[/green]"
    out.print(f"{dataset} {verdict}: {errors} error(s), {warnings} warning(s)")
    if failed:
        raise typer.Exit(1)


@app.command("catalogue")
def catalogue_command(
    dataset: DatasetArg,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write the tables to this CSV file.")
    ] = None,
    bands: BandsOpt = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Count assets by kind and category, by distance band from each project, and by area.

    Example: cwb catalogue data/birmingham --csv catalogue.csv --bands 1km,2km,5km
    """
    from cwb.catalogue import catalogue, write_catalogue
    from cwb.dataset.io import read_dataset

    catchment = parse_bands(bands)
    with library_errors():
        ds = read_dataset(dataset)
        ds = ds.with_catchment(catchment) if catchment else ds
        cat = catalogue(ds)
        if csv:
            write_catalogue(cat, csv)
    print_table(cat.by_category, f"{ds.name}: assets by kind and category")
    print_table(cat.by_band, "Assets by distance band from each project")
    print_table(
        cat.by_area,
        f"Assets by area (resident counts under {ds.min_count} suppressed: <k)",
        na="<k",
    )
    if len(cat.areas_by_band):
        shown = cat.areas_by_band.drop(columns=["codes"])
        print_table(shown, "Areas whose polygons come within each band of each project")
    if csv:
        out.print(f"wrote {csv}")


@app.command()
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the outputs to.")
    ] = Path("out"),
    dataset: Annotated[
        Path | None, typer.Option(help="Run on this dataset instead of the bundled one.")
    ] = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Run every stage on the bundled Birmingham dataset (Midland Metropolitan University Hospital).

    Example: cwb demo --out out/
    """
    from cwb.demo import run_demo

    with library_errors():
        results = run_demo(out_dir, dataset)
    failed = False
    for result in results:
        if result.error:
            failed = True
            err.print(f"[red]{result.name} failed[/red]: {result.error}")
        for path in result.written:
            out.print(f"{result.name}: wrote {path}")
    if failed:
        raise typer.Exit(1)
