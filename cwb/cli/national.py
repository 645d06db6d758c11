"""National commands: ``cwb store build``, ``cwb store info`` and ``cwb national``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from cwb.cli._output import FOLDER, is_data_format, output_target, print_table
from cwb.cli.app import app, err, library_errors, out

if TYPE_CHECKING:
    from cwb.national.engine import Executor


@contextlib.contextmanager
def running_on(workers: int | None, scheduler: str | None, **options: Any) -> Iterator[Executor]:
    """:func:`cwb.national.executor`, saying on stderr where the work runs (Dask only)."""
    from cwb.national import executor

    with executor(workers, scheduler, **options) as run:
        if run.client is not None:
            err.print(f"running on {run.describe()}", highlight=False)
        yield run


#: Projects the national summary shows on the terminal (every one is in the CSV).
SHOWN_ROWS = 40

store_app = typer.Typer(
    no_args_is_help=True,
    help="A national store: Hilbert-sorted GeoParquet read by catchment (see cwb national).",
)
app.add_typer(store_app, name="store")

STAGES = ("catalogue", "match", "spend")
WorkersOpt = Annotated[
    int | None,
    typer.Option(help="Run on a local Dask cluster of this many worker processes.", min=1),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786."),
]
DASK_FLAGS = {"workers": "--workers", "scheduler": "--scheduler"}


@store_app.command("build")
def store_build_command(
    sources: Annotated[
        list[Path],
        typer.Argument(help="Dataset folders (or stores) to merge.", exists=True, file_okay=False),
    ],
    output: Annotated[Path, typer.Option("--out", "-o", help="The store folder to write.")],
    rows_per_file: Annotated[
        int | None,
        typer.Option(help="Rows per GeoParquet file (default 500,000).", min=1),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a store already there.")] = False,
    batch_rows: Annotated[
        int | None,
        typer.Option(
            help="Rows validated and sorted at once (default 250,000; on Dask chosen from "
            "the workers' memory limit).",
            min=1,
        ),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    worker_memory: Annotated[
        float | None,
        typer.Option(
            help="Memory limit in MB of each --workers worker; the batches are sized to it "
            "(default 1000: two workers and this process within 2 GB).",
            min=100,
        ),
    ] = None,
) -> None:
    """Build a national store from one or more dataset folders.

    Each source is validated batch by batch (a Parquet file by its row groups) with the
    checks of cwb validate — errors stop the build with the same report, rows numbered as
    in the source — then sorted along a Hilbert curve and cut into GeoParquet files with
    a bbox column, so that a project's catchment is read by bounding box. The store is
    also a dataset folder: every command that takes a dataset accepts it. --workers or
    --scheduler run the batches and the files on Dask.

    Examples: cwb store build data/north data/midlands data/south -o national-store

      cwb store build national-source -o national-store --workers 2

      cwb store build national-source -o national-store --workers 4 --worker-memory 1500
    """
    from cwb import settings
    from cwb.national.store import build_store

    memory = worker_memory or settings.STORE_WORKER_MEMORY_MB
    with (
        library_errors(DASK_FLAGS),
        output_target(output, FOLDER, option="out"),
        running_on(workers, scheduler, worker_memory_mb=memory) as run,
    ):
        built = build_store(
            sources,
            output,
            rows_per_file=rows_per_file or settings.STORE_ROWS_PER_FILE,
            batch_rows=batch_rows,
            overwrite=overwrite,
            progress=lambda msg: err.print(msg),
            run=run,
        )
    _print_store(built.store)
    out.print(f"wrote {output} in {built.seconds:.1f} s from {built.sources} source(s)")


@store_app.command("info")
def store_info_command(
    store: Annotated[Path, typer.Argument(help="A store folder.", exists=True, file_okay=False)],
) -> None:
    """Show a store's tables, partition files, rows, extents and size.

    Example: cwb store info national-store
    """
    from cwb.national.store import open_store

    with library_errors():
        opened = open_store(store)
    _print_store(opened)


@store_app.command("validate")
def store_validate_command(
    store: Annotated[Path, typer.Argument(help="A store folder.", exists=True, file_okay=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    limit: Annotated[
        int, typer.Option(help="Show at most this many problems of each severity.")
    ] = 50,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Validate a store partition file by partition file (what cwb validate does for a store).

    The problems are those cwb validate finds reading the store whole (each table's
    files numbered as one table); memory follows a batch, not the store. Exit 0 when
    clean, 1 when it has errors.

    Examples: cwb store validate national-store

      cwb store validate /shared/national-store --scheduler tcp://10.0.0.5:8786
    """
    validate_store_report(store, strict=strict, limit=limit, workers=workers, scheduler=scheduler)


def validate_store_report(
    store: Path,
    *,
    strict: bool = False,
    limit: int = 50,
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Validate ``store`` by partition, print its problems and exit 1 on errors."""
    from cwb.cli.app import print_problems
    from cwb.national.checks import validate_store

    with library_errors(DASK_FLAGS), running_on(workers, scheduler) as run:
        problems = validate_store(store, run)
    print_problems(problems, limit=limit)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    failed = errors or (strict and warnings)
    verdict = "[red]has errors[/red]" if failed else "[green]is valid[/green]"
    out.print(f"{store} {verdict}: {errors} error(s), {warnings} warning(s)")
    if failed:
        raise typer.Exit(1)


def _print_store(store: object) -> None:
    import pandas as pd

    rows = [
        {
            "table": table,
            "file": part.path,
            "rows": part.rows,
            "mb": part.bytes / 1e6,
            "extent": None if part.bbox is None else [float(v) for v in part.bbox],
        }
        for table, parts in store.partitions.items()  # type: ignore[attr-defined]
        for part in parts
    ]
    frame = pd.DataFrame(rows, columns=["table", "file", "rows", "mb", "extent"])

    def cell(key: str, value: object) -> str:
        if key == "mb":
            return f"{value:,.1f}"
        if key == "extent":
            return "" if value is None else " ".join(f"{v:.3f}" for v in value)  # type: ignore[attr-defined]
        return str(value)

    print_table(
        frame,
        f"{store.path}: {store.bytes / 1e6:,.1f} MB",  # type: ignore[attr-defined]
        columns={"table": "table", "file": "file", "rows": "rows", "mb": "MB", "extent": "extent"},
        right=("rows", "mb"),
        cell=cell,
    )
    problems = store.problems  # type: ignore[attr-defined]
    if problems:
        err.print(f"{len(problems)} warning(s) from validation; see store.json")


@app.command("national")
def national_command(
    store: Annotated[
        Path, typer.Argument(help="A store (cwb store build).", exists=True, file_okay=False)
    ],
    output: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")],
    projects: Annotated[
        str | None,
        typer.Option(
            help="Projects: a CSV/Excel table with names (or ids) and latitude/longitude "
            "(an NHS export's OrganisationCode, OrganisationName, Latitude, Longitude will "
            "do), a GIS file of sites (GeoJSON, GeoPackage, shapefile), or 'nhp' for the "
            "bundled New Hospital Programme schemes; default: the store's own projects. "
            "Rows without a location are left out and listed in OUT/projects_skipped.csv."
        ),
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(help="catalogue, match or spend (repeat; default: all three)."),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Catalogue, match and analyse spend in every project's catchment over a store.

    Writes OUT/<project>/catalogue.csv, matches.csv and spend.csv, and one national
    summary per stage (OUT/national_catalogue.csv …). Without --workers or --scheduler it
    runs in plain geopandas; the results are the same on all three.

    Examples
    --------
      cwb national national-store --projects nhp -o out/national

      cwb national national-store --projects sites.csv --stage catalogue --workers 2 -o out

      cwb national /shared/store --scheduler tcp://10.0.0.5:8786 -o /shared/out
    """
    from cwb.national import (
        national_catalogue,
        national_match,
        national_spend,
        open_store,
        read_project_table,
        scope_for,
    )

    chosen = stage or list(STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        err.print(f"[red]--stage[/red]: {', '.join(unknown)} is not one of {', '.join(STAGES)}")
        raise typer.Exit(2)
    runs = {"catalogue": national_catalogue, "match": national_match, "spend": national_spend}
    flags = {"workers": "--workers", "scheduler": "--scheduler", "projects": "--projects"}
    with library_errors(flags), output_target(output, FOLDER, option="out"):
        opened = open_store(store)
        table = read_project_table(projects) if projects else None
        if table is not None:
            for note in table.notes:
                err.print(f"note: {escape(note)}", highlight=False)
            skipped = table.write_skipped(output)
            if skipped is not None:
                err.print(
                    f"[yellow]warning[/yellow]: {len(table.skipped)} row(s) of "
                    f"{escape(str(projects))} have no usable location and are left out; "
                    f"listed in {escape(str(skipped))}",
                    highlight=False,
                )
        scope = scope_for(opened, table.projects if table is not None else None)
        with running_on(workers, scheduler) as run:
            for name in chosen:
                result = runs[name](run, scope, output)
                shown = result.summary if is_data_format() else result.summary.head(SHOWN_ROWS)
                print_table(shown, f"{name}: {len(scope.projects)} project(s) ({run.kind})")
                if len(shown) < len(result.summary):
                    out.print(
                        f"… {len(result.summary) - len(shown):,} more project(s) in "
                        f"{escape(str(output / f'national_{name}.csv'))}",
                        highlight=False,
                    )
    out.print(f"wrote {output}")
