"""Commands ``map``, ``report`` and ``publish``: the map, the summary and both at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cwb import settings
from cwb.cli._output import FOLDER, is_stdout, output_target
from cwb.cli.app import BandsOpt, DatasetArg, app, err, library_errors, out, parse_bands


@app.command("map")
def map_command(
    dataset: DatasetArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="HTML file to write ('-': standard output).", dir_okay=False
        ),
    ] = Path("map.html"),
    indicator: Annotated[
        str,
        typer.Option(
            help="Area column to shade areas by (e.g. imd_decile, imd_rank); 'none': outlines."
        ),
    ] = "imd_decile",
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            help="Areas of several levels (cwb areas): the one to draw, e.g. lsoa11 "
            "(default: the first).",
        ),
    ] = None,
    assets: Annotated[
        str,
        typer.Option(
            "--assets",
            help="Where the map library (Leaflet) comes from: 'inline' (in the file, opens "
            "offline and by email), 'cdn' (smaller file, needs internet), or a URL or folder "
            "holding node_modules-style packages.",
        ),
    ] = settings.MAP_ASSETS,
    assets_prefix: Annotated[
        str | None,
        typer.Option(
            "--assets-prefix",
            "--assets-js-prefix",
            help="Deprecated: same as --assets PREFIX.",
            hidden=True,
        ),
    ] = None,
    tiles: Annotated[
        str,
        typer.Option(
            "--tiles",
            help="Base map: openstreetmap, cartodb-positron (light, for print) or none "
            "(offline, no tiles requested).",
        ),
    ] = settings.MAP_TILES,
    no_links: Annotated[
        bool, typer.Option("--no-links", help="Do not compute or draw the matched links.")
    ] = False,
    show_links: Annotated[
        bool,
        typer.Option(
            "--show-links",
            help="Switch the matched links layer on when the map opens (off by "
            "default: a layer to switch on).",
        ),
    ] = settings.MAP_LINKS_ON,
    max_links: Annotated[
        int,
        typer.Option(
            min=0,
            help="Draw at most this many links: each opportunity's strongest first, "
            "then the next strongest of each.",
        ),
    ] = settings.MAX_LINKS,
    title: Annotated[
        str | None, typer.Option(help="Title shown on the map (default: the dataset's name).")
    ] = None,
    bands: BandsOpt = None,
) -> None:
    """Write an interactive HTML map: project, catchment, assets, opportunities, links, areas.

    Residents appear only as counts per area (groups smaller than the dataset's
    privacy threshold are left out). The file is self-contained: it opens in any
    browser, offline and as an email attachment. Only the base map needs the
    internet: offline the page requests no tile and says so in a small note
    (the tiles come when the browser is back online); --tiles none draws none.
    The title panel says when the template's example rows are still in the
    dataset (they are left out). The links are a layer to switch on.

    Example: cwb map data/birmingham -o map.html --indicator imd_decile --bands 1km,3km

    Example: cwb map data/birmingham -o board.html --tiles cartodb-positron --show-links

    Example: cwb map data/birmingham -o small.html --assets cdn

    Example: cwb map data/birmingham -o - > map.html
    """
    if assets_prefix:
        err.print("--assets-prefix is deprecated: use --assets PREFIX")
        assets = assets_prefix
    options = {
        "indicator": None if indicator.lower() == "none" else indicator,
        "area_level": level,
        "links": not no_links,
        "max_links": max_links,
        "assets": assets,
        "tiles": tiles,
        "links_on": show_links,
        "title": title,
    }
    catchment = parse_bands(bands)
    from cwb.errors import UsageError
    from cwb.pipeline import MAP_SUFFIXES, Pipeline

    with library_errors(), output_target(output, ".html") as target:
        assert target is not None
        UsageError.check_suffix(target, MAP_SUFFIXES, "a map")  # before any work is done
        pipe = Pipeline.open(dataset, bands_m=catchment, matching=not no_links, map_options=options)
        path = pipe.write_map(target)
    if not is_stdout(output):
        out.print(f"wrote {path}")


@app.command("report")
def report_command(
    dataset: DatasetArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write: .html, .md (charts as SVG files beside it) or .pdf (printed "
            "by headless Chromium, else WeasyPrint: pip install 'cwb[pdf]'); '-': the HTML "
            "to standard output.",
            dir_okay=False,
        ),
    ] = Path("report.html"),
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="html, md or pdf (default: from the file's suffix)."),
    ] = None,
    map_file: Annotated[
        str | None,
        typer.Option("--map", help="Link this map file from the report (e.g. map.html)."),
    ] = None,
    bands: BandsOpt = None,
) -> None:
    """Write a self-contained summary: headline figures, charts, tables and a static map.

    Residents linked to posts, posts that could be filled locally, enterprises
    linked to contracts and their value, consortia, community organisations and
    spaces involved, training needs, untapped assets and, when the dataset has
    spend, the Preston-model spend figures.

    Example: cwb report data/birmingham -o report.html --map map.html

    Example: cwb report data/birmingham -o report.pdf

    Example: cwb report data/birmingham -o - > report.html
    """
    catchment = parse_bands(bands)
    from cwb.pipeline import Pipeline
    from cwb.report import report_format

    with library_errors():  # a bad format fails before any work is done
        kind = report_format(Path("stdout") if is_stdout(output) else output, fmt)
    beside = "a Markdown report writes its charts as SVG files beside it: give a file name"
    with (
        library_errors(),
        output_target(output, f".{kind}", refuse=beside if kind == "md" else None) as target,
    ):
        assert target is not None
        pipe = Pipeline.open(dataset, bands_m=catchment, map_href=map_file)
        path = pipe.write_report(target, format=fmt)
    if not is_stdout(output):
        out.print(f"wrote {path}")


@app.command("publish")
def publish_command(
    dataset: DatasetArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder to write map.html, report.html and tables/ into."
        ),
    ] = Path("published"),
    indicator: Annotated[
        str,
        typer.Option(help="Area column to shade areas by on both maps; 'none': outlines."),
    ] = "imd_decile",
    bands: BandsOpt = None,
    title: Annotated[
        str | None,
        typer.Option(help="Title of the map and the report (default: the dataset's name)."),
    ] = None,
    assets: Annotated[
        str | None,
        typer.Option(
            help="Where the map loads Leaflet from: inline (default: written into the file, "
            "which opens offline), cdn, or a URL or folder prefix (node_modules layout)."
        ),
    ] = None,
    tiles: Annotated[
        str | None,
        typer.Option(help="Base map tiles: a provider name or URL template; 'none': no tiles."),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to report.pdf.")
    ] = False,
) -> None:
    """Write what a planner sends, in one command: the map, the report and the tables.

    DIR/map.html (interactive), DIR/report.html (linking the map; --pdf adds
    report.pdf) and DIR/tables/*.csv (catalogue, matches, allocation,
    consortia, gaps, spend summary). Each stage runs once.

    Example: cwb publish data/birmingham -o smethwick --indicator imd_decile --bands 1km,2km
    --title "Smethwick: Midland Metropolitan University Hospital"
    """
    catchment = parse_bands(bands)
    from cwb.demo import publish

    with library_errors(), output_target(output, FOLDER):
        written = publish(
            dataset,
            output,
            bands_m=catchment,
            indicator=None if indicator.lower() == "none" else indicator,
            title=title,
            assets=assets,
            tiles=tiles,
            pdf=pdf,
        )
    for path in written:
        out.print(f"wrote {path}", highlight=False, soft_wrap=True)
