"""The typer application and helpers shared by every command module.

Commands only parse arguments and call one library function. Library errors
are caught once here: data errors exit 1, usage errors exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cwb.errors import CwbError, DatasetError, MissingDependencyError, Problem, UsageError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    help="cwb: community wealth building. Catalogue a neighbourhood's assets, link them to a "
    "capital project's jobs and contracts, map them and analyse anchor spend.",
)
out = Console()
err = Console(stderr=True)

DatasetArg = Annotated[
    Path,
    typer.Argument(
        help="Dataset folder (holds dataset.toml).", exists=True, file_okay=False, dir_okay=True
    ),
]


def parse_bands(text: str | None) -> tuple[float, ...] | None:
    """Parse ``--bands`` ('1000,2000' metres, or '1km,2.5km'); a bad value is a usage error."""
    if not text:
        return None
    bands = []
    for part in text.split(","):
        item = part.strip().lower()
        scale = 1000.0 if item.endswith("km") else 1.0
        try:
            value = float(item.removesuffix("km").removesuffix("m")) * scale
        except ValueError:
            raise typer.BadParameter(
                f"{part!r} is not a distance; write e.g. 1000,2000 or 1km,2km"
            ) from None
        if value <= 0:
            raise typer.BadParameter(f"{part!r}: distances must be positive")
        bands.append(value)
    return tuple(bands)


BandsOpt = Annotated[
    str | None,
    typer.Option(
        "--bands", help="Catchment distance bands instead of the manifest's, e.g. 1km,2km,5km."
    ),
]


def _raw_csv(value: bool) -> bool:
    from cwb.safe_output import set_formula_safe

    set_formula_safe(False if value else None)
    return value


RawCsvOpt = Annotated[
    bool,
    typer.Option(
        "--raw-csv",
        callback=_raw_csv,
        help="Write CSV/XLSX cells exactly as they are: do not neutralise spreadsheet formulas "
        "(cells starting with = + - @) for machine consumers. Also CWB_RAW_CSV=1.",
    ),
]


def _version(value: bool) -> None:
    if value:
        from cwb._version import __version__

        out.print(f"cwb {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    table_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="How commands print their tables: table, json (one document per table and "
            "line) or csv (tables separated by a blank line). JSON and CSV hold the values "
            "(numbers, null, ISO dates) under snake_case column names, not the display text; "
            "other messages go to stderr. Example: cwb --format json catalogue data/birmingham",
        ),
    ] = "table",
) -> None:
    """Community wealth building toolkit."""
    from cwb.cli._output import TABLE_FORMATS, set_table_format
    from cwb.safe_output import set_formula_safe

    if table_format not in TABLE_FORMATS:
        raise typer.BadParameter(
            f"{table_format!r} is not one of {', '.join(TABLE_FORMATS)}", param_hint="--format"
        )
    set_table_format(table_format)

    set_formula_safe(None)  # each command starts from the default (--raw-csv turns it off)
    if quiet:
        from cwb import progress

        progress.ENABLED = False


def print_problems(problems: list[Problem], limit: int = 50) -> None:
    """Print problems to stderr, errors first, at most ``limit`` lines of each severity.

    Problems are sorted by file and row, one per cell; identical ones on several rows
    are one line with a count and the first rows.
    """
    from cwb.errors import group_problems, tidy_problems

    tidy = tidy_problems(problems)
    for severity, style in (("error", "red"), ("warning", "yellow")):
        lines = group_problems([p for p in tidy if p.severity == severity])
        for line in lines[:limit]:
            err.print(
                f"[{style}]{severity}[/{style}]: {escape(str(line))}",
                highlight=False,
                soft_wrap=True,
            )
        rest = sum(line.count for line in lines[limit:])
        if rest:
            err.print(f"[{style}]… and {rest} more {severity}s[/{style}]")


def usage_message(exc: UsageError, flags: Mapping[str, str] | None = None) -> str:
    """The message of a library usage error, naming the CLI flag instead of the argument.

    ``flags`` maps argument names to flags where they differ; otherwise the
    argument ``max_links`` is shown as ``--max-links``.
    """
    if not exc.argument:
        return str(exc)
    flag = (flags or {}).get(exc.argument) or "--" + exc.argument.replace("_", "-")
    return f"{flag}: {exc.message}"


@contextmanager
def library_errors(flags: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn cwb errors into messages on stderr and the documented exit codes.

    ``flags`` maps library argument names to this command's flags where they differ.
    """
    try:
        yield
    except DatasetError as exc:
        print_problems(exc.problems)
        err.print(f"[red]{len(exc.errors)} error(s)[/red]: the data has errors.")
        head = str(exc).splitlines()[0] if str(exc) else ""
        if head and not head.startswith("the dataset has"):
            err.print(escape(head), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except UsageError as exc:
        err.print(f"[red]usage error[/red]: {escape(usage_message(exc, flags))}")
        raise typer.Exit(2) from None
    except MissingDependencyError as exc:
        err.print(
            f"[red]missing dependency[/red]: {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    except CwbError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def main() -> None:
    """Console-script entry point."""
    import cwb.cli  # noqa: F401  (registers every command)

    app()
