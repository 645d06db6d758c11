"""Flow commands: ``cwb import-flows`` (Census tables, shares) and ``cwb flows`` (measures)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cwb.cli._output import FOLDER, is_missing, is_stdout, output_target, print_table
from cwb.cli.app import DatasetArg, app, err, library_errors, out, print_problems

if TYPE_CHECKING:
    import pandas as pd


@app.command("import-flows")
def import_flows_command(
    file: Annotated[
        Path, typer.Argument(help="Origin–destination table (.csv or .geojson).", exists=True)
    ],
    into: Annotated[
        Path,
        typer.Option("--into", help="Dataset folder to add the flows to.", file_okay=False),
    ],
    shares: Annotated[
        bool,
        typer.Option(
            "--shares",
            help="The file lists shares (origin, destination, share[, total]) "
            "instead of a Census table.",
        ),
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(help="Kind of the flows (default: commuting; with --shares: patients)."),
    ] = None,
    unit: Annotated[str, typer.Option(help="--shares: unit of the counts.")] = "patients",
    total: Annotated[
        float | None,
        typer.Option(help="--shares: the total the shares are of (gives counts)."),
    ] = None,
    share_of: Annotated[
        str, typer.Option(help="--shares: origin or destination (whose total).")
    ] = "destination",
    period: Annotated[
        str | None, typer.Option(help="Period of the flows (default: 2021 for Census).")
    ] = None,
    centroids: Annotated[
        Path | None,
        typer.Option(help="Centroids table (code, lat, lon), e.g. MSOA centroids.", exists=True),
    ] = None,
    lookup: Annotated[
        Path | None,
        typer.Option(
            help="Lookup from the centroids' codes to larger areas (e.g. msoa21cd, ltla22cd).",
            exists=True,
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Provenance: where the rows came from.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be imported; write nothing.")
    ] = False,
) -> None:
    """Import flows between places into a dataset's flows table.

    A Census 2021 origin–destination table (local authorities or MSOAs) is
    imported whole, one flow per row (same-place rows are internal flows);
    local authorities are placed at bundled centroids, other codes with
    --centroids. With --shares, a table of shares (a hospital trust's admissions
    by local authority) becomes flows with the share kept and, given --total,
    counts. Rows of the same kind, period and source already in the dataset are
    replaced.

    Example: cwb import-flows ltla_flows.csv --into data/birmingham

    Example: cwb import-flows admissions.csv --into data/birmingham --shares --total 98000
    """
    from cwb.dataset.validate import validate_dataset
    from cwb.flows.census import flows_from_shares, read_census_flows, read_centroids
    from cwb.flows.store import write_flows_into

    with library_errors():
        if shares:
            import pandas as pd

            table = pd.read_csv(file, dtype=str, keep_default_na=False)
            flows = flows_from_shares(
                table,
                kind=kind or "patients",
                unit=unit,
                total=total,
                share_of=share_of,
                period=period,
            )
            if source:
                flows["source"] = source
        else:
            points = read_centroids(centroids, lookup) if centroids else None
            flows = read_census_flows(
                file,
                centroids=points,
                kind=kind or "commuting",
                period=period or "2021",
                **({"source": source} if source else {}),
            )
        unplaced = int(flows[["origin_lat", "destination_lat"]].isna().any(axis=1).sum())
        out.print(
            f"{file.name}: {len(flows):,} flow(s) read, "
            f"{flows['magnitude'].sum():,.0f} {flows['unit'].iloc[0] if len(flows) else ''}; "
            f"{int((flows['origin'] == flows['destination']).sum()):,} internal; "
            f"{unplaced:,} with an end not placed by the file",
            highlight=False,
            markup=False,
        )
        if dry_run:
            err.print("dry run: nothing was written")
            return
        written = write_flows_into(into, flows)
        report = validate_dataset(into)
    out.print(
        f"wrote {written.path}: {written.added:,} added, {written.replaced:,} replaced, "
        f"{written.kept:,} kept",
        highlight=False,
        markup=False,
    )
    flow_problems = [p for p in report.problems if p.file == written.path.name]
    print_problems(flow_problems, limit=20)
    if any(p.severity == "error" for p in flow_problems):
        err.print("[red]the flows table has errors[/red]: fix them before using the dataset")
        raise typer.Exit(1)


def _print(frame: pd.DataFrame, title: str, formats: dict[str, str]) -> None:
    """Print ``frame`` through the CLI's table printer, numbers in ``formats`` right-aligned."""

    def cell(column: str, value: object) -> str:
        if is_missing(value):
            return ""
        return format(value, formats[column]) if column in formats else str(value)

    print_table(frame, title, right=[c for c in frame.columns if c in formats], cell=cell)


_SHORT = {
    "out_of_catchment": "out",
    "into_catchment": "in",
    "stays_share": "stays",
    "top_outside_partner": "main outside partner",
    "containment_out": "stays",
    "containment_in": "from here",
    "incoming": "in",
    "outgoing": "out",
}

_NUMBERS = {
    "in": ",.0f",
    "out": ",.0f",
    "stays": ".1%",
    "from here": ".1%",
    "incoming": ",.0f",
    "outgoing": ",.0f",
    "internal": ",.0f",
    "net": ",.0f",
    "containment_out": ".1%",
    "containment_in": ".1%",
    "within": ",.0f",
    "out_of_catchment": ",.0f",
    "into_catchment": ",.0f",
    "stays_share": ".1%",
    "dependence": ".1%",
    "top_outside_magnitude": ",.0f",
    "exchanged": ",.0f",
    "share": ".1%",
    "betweenness": ".3f",
}


@app.command("flows")
def flows_command(
    dataset: DatasetArg,
    kind: Annotated[str | None, typer.Option(help="Only flows of this kind.")] = None,
    top: Annotated[int, typer.Option(help="Places listed per kind.")] = 10,
    derived: Annotated[
        bool,
        typer.Option(
            "--derived/--no-derived",
            help="Add flows cwb derives: spend, matched and allocated residents, consortia.",
        ),
    ] = True,
    csv_dir: Annotated[
        Path | None,
        typer.Option("--csv-dir", help="Write the flows and every measure table here as CSV."),
    ] = None,
    map_: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="Write a map of the flows to this HTML file (self-contained: opens offline;"
            " '-': standard output).",
        ),
    ] = None,
) -> None:
    """Print the measures of a dataset's flows between places.

    Per kind: each place's incoming, outgoing, internal and net flow and its
    self-containment; for the project's catchment, the share that stays and
    the dependence on neighbours; the strongest partners of the catchment;
    the communities of places and the brokers between them.

    Example: cwb flows data/birmingham --kind spend --csv-dir out/flows
    """
    from cwb.dataset.io import read_dataset, write_table
    from cwb.flows.atlas import flow_atlas
    from cwb.pipeline import Pipeline

    with (
        library_errors(),
        output_target(csv_dir, FOLDER, option="csv_dir"),
        output_target(map_, ".html", option="map") as map_target,
    ):
        pipe = Pipeline(read_dataset(dataset), matching=derived)
        ds = pipe.dataset
        atlas = flow_atlas(
            ds,
            match_result=pipe.matches if derived else None,
            spend_analysis=pipe.spend if derived else None,
            kind=kind,
        )
        written = []
        if csv_dir is not None:
            csv_dir.mkdir(parents=True, exist_ok=True)
            written.append(write_table(atlas.flows, csv_dir / "flows.csv"))
            for name, frame in atlas.measures.tables().items():
                written.append(write_table(frame, csv_dir / f"flows_{name}.csv"))
        if map_target is not None:
            from cwb._atomic import atomic_path
            from cwb.maps.flows import flow_map

            with atomic_path(map_target) as tmp:
                flow_map(atlas.flows, atlas.places, title=f"Flows: {ds.name}").save(str(tmp))
            if not is_stdout(map_):
                written.append(map_target)
    if atlas.flows.empty:
        out.print(f"{dataset}: no flows (add a flows table, or use --derived)")
        raise typer.Exit(0)
    m = atlas.measures
    names = atlas.places.set_index("place")["name"]
    counts = atlas.flows.groupby(["kind", "unit"])["magnitude"].agg(["size", "sum"]).reset_index()
    counts.columns = ["kind", "unit", "flows", "total"]
    _print(counts, f"{dataset}: flows by kind", {"flows": ",d", "total": ",.0f"})
    catchment = m.catchment.assign(
        top_outside_partner=m.catchment["top_outside_partner"].map(names)
    ).rename(columns=_SHORT)
    _print(
        catchment.drop(columns=["top_outside_magnitude"]),
        f"the catchment ({len(atlas.catchment)} places): what stays, what it depends on",
        _NUMBERS,
    )
    for kind_name, part in m.totals.groupby("kind", sort=True):
        shown = part.head(top)[
            ["name", "incoming", "outgoing", "internal", "net", "containment_out", "containment_in"]
        ].rename(columns=_SHORT)
        unit = part["unit"].iloc[0]
        _print(shown, f"{kind_name} ({unit}): places by flow through them", _NUMBERS)
    if len(m.communities):
        sizes = m.communities.groupby("kind")["community"].nunique()
        out.print(
            "communities of places (Louvain): " + ", ".join(f"{k} {v}" for k, v in sizes.items()),
            highlight=False,
            markup=False,
        )
    brokers = m.brokers[m.brokers["betweenness"] > 0]
    if len(brokers):
        _print(brokers.groupby("kind").head(5), "brokers between places", _NUMBERS)
    for note in atlas.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    for path in written:
        out.print(f"wrote {path}")
