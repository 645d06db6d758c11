"""The ``graph`` command: build a dataset's network, print its metrics, export it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

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
            ".json (node-link, for the web), .gpkg (GeoPackage, for QGIS).",
        ),
    ],
    metrics_csv: Annotated[
        Path | None,
        typer.Option("--metrics-csv", help="Also write per-node metrics to this CSV file."),
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
    """
    from cwb.graph.io import export_dataset_graph

    with library_errors():
        result = export_dataset_graph(
            dataset, output, run_matching=matching, metrics_csv=metrics_csv, seed=seed
        )
    s = result.metrics.summary
    counts = Table(title=f"{dataset}: {s['nodes']} nodes, {s['edges']} edges")
    counts.add_column("nodes by type")
    counts.add_column("n", justify="right")
    counts.add_column("edges by type")
    counts.add_column("n", justify="right")
    node_rows, edge_rows = list(s["nodes_by_type"].items()), list(s["edges_by_type"].items())
    for i in range(max(len(node_rows), len(edge_rows))):
        n = node_rows[i] if i < len(node_rows) else ("", "")
        e = edge_rows[i] if i < len(edge_rows) else ("", "")
        counts.add_row(str(n[0]), str(n[1]), str(e[0]), str(e[1]))
    out.print(counts)
    sample = (
        f" (estimated from {s['betweenness_sample']} sources)" if s["betweenness_sample"] else ""
    )
    out.print(
        f"{s['components']} component(s), the largest of {s['largest_component']} nodes; "
        f"{s['isolated_nodes']} isolated; {s['communities']} communities"
    )
    if s.get("suppressed_groups"):
        out.print(
            f"privacy: {s['suppressed_groups']} residents' group(s) smaller than "
            f"{result.graph.graph['min_count']} left out ({s['suppressed_residents']} residents, "
            f"{s['suppressed_edges']} edges)"
        )
    brokers = result.metrics.brokers(top)
    if len(brokers):
        table = Table(title=f"top brokers (betweenness{sample})")
        for column in ("node", "type", "label", "betweenness", "degree"):
            table.add_column(
                column, justify="right" if column in ("betweenness", "degree") else "left"
            )
        for row in brokers.itertuples(index=False):
            table.add_row(
                row.node, row.node_type, str(row.label), f"{row.betweenness:.3f}", str(row.degree)
            )
        out.print(table)
    for path in result.written:
        out.print(f"wrote {path}")
