"""The ``graph`` command: build a dataset's network, print its metrics, export it."""

from __future__ import annotations

from itertools import zip_longest
from pathlib import Path
from typing import Annotated

import typer

from cwb.cli._output import is_stdout, output_target, print_table
from cwb.cli.app import DatasetArg, RawCsvOpt, app, library_errors, out


@app.command("graph")
def graph_command(
    dataset: DatasetArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Graph file; the suffix picks the format: .graphml or .gexf (Gephi), "
            ".json (node-link, for the web), .gpkg (GeoPackage, for QGIS). "
            "'-': standard output, in the --to format.",
        ),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to", help="Format written to standard output with -o -: gexf, graphml or json."
        ),
    ] = "json",
    metrics_csv: Annotated[
        Path | None,
        typer.Option(
            "--metrics-csv",
            help="Also write per-node metrics to this CSV file ('-': standard output).",
        ),
    ] = None,
    matching: Annotated[
        bool,
        typer.Option(
            "--matching/--no-matching",
            help="Add matches, allocation and consortia (run cwb's matching first).",
        ),
    ] = True,
    top: Annotated[int, typer.Option(help="How many brokers to list.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of community detection.")] = 0,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Build the network of projects, opportunities, assets and areas, and export it.

    Residents appear only as groups per area (groups smaller than the privacy
    threshold are left out and counted). Prints nodes and edges by type,
    components and the top brokers (betweenness).

    Example: cwb graph data/birmingham -o graph.gexf --metrics-csv graph_metrics.csv

    Example: cwb graph data/birmingham -o - --to gexf > graph.gexf
    """
    from cwb.graph.io import graph_format
    from cwb.pipeline import Pipeline

    if is_stdout(output) and to not in ("gexf", "graphml", "json"):
        raise typer.BadParameter(f"{to!r}: use gexf, graphml or json", param_hint="--to")
    with (
        library_errors(),
        output_target(output, f".{to}") as target,
        output_target(metrics_csv, ".csv", option="metrics_csv") as metrics_target,
    ):
        assert target is not None
        graph_format(target)  # a wrong suffix fails before any work is done
        pipe = Pipeline.open(dataset, matching=matching, seed=seed)
        written = pipe.write_graph(target, metrics_csv=metrics_target)
    shown = [p for p, o in zip(written, (output, metrics_csv), strict=False) if not is_stdout(o)]
    metrics, graph = pipe.graph_metrics, pipe.graph
    s = metrics.summary
    node_rows, edge_rows = list(s["nodes_by_type"].items()), list(s["edges_by_type"].items())
    print_table(
        [(*n, *e) for n, e in zip_longest(node_rows, edge_rows, fillvalue=(None, None))],
        f"{dataset}: {s['nodes']} nodes, {s['edges']} edges",
        columns={
            "node_type": "nodes by type",
            "nodes": "n",
            "edge_type": "edges by type",
            "edges": "n",
        },
        right=("nodes", "edges"),
    )
    sample = (
        f" (estimated from {s['betweenness_sample']} sources)" if s["betweenness_sample"] else ""
    )
    out.print(
        f"{s['components']} component(s), the largest of {s['largest_component']} nodes; "
        f"{s['isolated_nodes']} isolated; {s['communities']} communities"
    )
    if s.get("suppressed_groups"):
        from cwb.privacy import describe_suppressed

        k = graph.graph["min_count"]
        out.print(
            f"privacy: {s['suppressed_groups']} residents' group(s) smaller than "
            f"{k} left out ({describe_suppressed(s['suppressed_residents'], k)} residents, "
            f"{s['suppressed_edges']} edges)"
        )
    brokers = metrics.brokers(top)
    if len(brokers):
        print_table(
            brokers,
            f"top brokers (betweenness{sample})",
            columns={
                "node": "node",
                "node_type": "type",
                "label": "label",
                "betweenness": "betweenness",
                "degree": "degree",
            },
            right=("betweenness", "degree"),
            cell=lambda key, value: f"{value:.3f}" if key == "betweenness" else str(value),
        )
    for path in shown:
        out.print(f"wrote {path}")
