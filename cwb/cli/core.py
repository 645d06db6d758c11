"""Core commands: init, geocode, validate, catalogue, demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cwb.cli._output import FOLDER, is_stdout, output_target, print_table
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

PostcodesOpt = Annotated[
    Path | None,
    typer.Option(
        help="A national postcode file (ONS Postcode Directory, or any CSV with postcode, "
        "lat and lon columns): its rows for --districts go into the dataset's lookup."
    ),
]
DistrictsOpt = Annotated[
    str | None,
    typer.Option(help="Postcode districts to keep from --postcodes, e.g. B66,B67 (or B)."),
]


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
    postcodes: PostcodesOpt = None,
    districts: DistrictsOpt = None,
) -> None:
    """Create a blank dataset: a commented dataset.toml and headed templates with one example row.

    Example: cwb init smethwick --excel --project-name "Midland Metropolitan University Hospital"

    Example: cwb init smethwick --excel --postcodes ONSPD_NOV_2024_UK.csv --districts B66,B67
    """
    from cwb.dataset.init import init_dataset

    with library_errors({"folder": "FOLDER"}), output_target(folder, FOLDER, option="folder"):
        written = init_dataset(
            folder,
            name=name,
            project_id=project_id,
            project_name=project_name,
            lat=lat,
            lon=lon,
            excel=excel,
            force=force,
            postcodes=postcodes,
            districts=districts,
        )
    for path in written:
        out.print(f"wrote {path}")
    out.print(f"Fill in the templates, then run: cwb validate {folder}")


@app.command()
def geocode(
    dataset: DatasetArg,
    postcodes: PostcodesOpt = None,
    districts: DistrictsOpt = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Ask postcodes.io for the postcodes the lookup lacks (sends the postcodes only, "
            "never those of human assets) and keep the answers in the lookup.",
        ),
    ] = False,
    base_url: Annotated[
        str | None, typer.Option(help="postcodes.io address (a self-hosted copy works too).")
    ] = None,
) -> None:
    """Fill the dataset's postcode lookup (postcodes.csv) so rows with a postcode only are placed.

    Offline, from a national file: cwb geocode smethwick --postcodes ONSPD.csv --districts B66,B67

    Online (opt-in): cwb geocode smethwick --online
    """
    from cwb import settings
    from cwb.dataset.geocode import (
        extract_districts,
        geocode_online,
        install_lookup,
        parse_districts,
        postcodes_to_geocode,
    )
    from cwb.errors import UsageError

    with library_errors():
        if (postcodes is None) != (districts is None):
            raise UsageError("give --postcodes and --districts together")
        if postcodes is not None and districts is not None:
            rows = extract_districts(postcodes, parse_districts(districts))
            path = install_lookup(dataset, rows)
            out.print(f"added {len(rows)} postcodes of {districts} to {path}")
        if online:
            result = geocode_online(dataset, base_url=base_url or settings.POSTCODES_IO_URL)
            out.print(
                f"postcodes.io located {len(result.found)} of {len(result.asked)} postcode(s)"
                + (f"; added to {result.lookup}" if result.lookup else "")
            )
            if result.not_found:
                shown = ", ".join(result.not_found[:10])
                more = " …" if len(result.not_found) > 10 else ""
                out.print(f"not found ({len(result.not_found)}): {shown}{more}")
        missing, human = postcodes_to_geocode(dataset)
    if human:
        out.print(f"{human} postcode(s) of human assets are never sent online")
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        out.print(f"{len(missing)} postcode(s) are not in the lookup: {shown}")
        if not online:
            out.print("add them with --postcodes FILE --districts …, or look them up with --online")
    else:
        out.print("every well-formed postcode is in the lookup")


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

    A national store (cwb store build) is validated partition file by partition file,
    as cwb store validate does.
    """
    from cwb.dataset.validate import validate_dataset
    from cwb.national.store import is_store

    if is_store(dataset):
        from cwb.cli.national import validate_store_report

        validate_store_report(dataset, strict=strict, limit=limit)
        return
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
        Path | None,
        typer.Option(
            "--csv", help="Also write the tables to this CSV file ('-': standard output)."
        ),
    ] = None,
    bands: BandsOpt = None,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Count assets by kind and category, by distance band from each project, and by area.

    Example: cwb catalogue data/birmingham --csv catalogue.csv --bands 1km,2km,5km

    Example: cwb catalogue data/birmingham --csv - > catalogue.csv
    """
    from cwb.catalogue import catalogue, write_catalogue
    from cwb.dataset.io import read_dataset

    catchment = parse_bands(bands)
    with library_errors(), output_target(csv, ".csv", option="csv") as target:
        ds = read_dataset(dataset)
        ds = ds.with_catchment(catchment) if catchment else ds
        cat = catalogue(ds)
        if target:
            write_catalogue(cat, target)
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
    if csv and not is_stdout(csv):
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

    with library_errors(), output_target(out_dir, FOLDER, option="out"):
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
