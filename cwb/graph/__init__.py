"""The graph stage: the dataset and its matches as a typed networkx graph, its metrics and exports.

Runs after matching; its exports are for Gephi (GraphML, GEXF), the web (node-link
JSON) and QGIS (GeoPackage).

- ``build``: projects, opportunities, assets and areas as nodes; links as typed edges.
- ``values``: attribute values as plain ``str``/``int``/``float``/``bool``, column by column.
- ``insert``: many new nodes and edges at once, without networkx's per-item copies.
- ``pacts``: pacts of collaboration as nodes joining their partners and their place.
- ``metrics``: degree, brokers (betweenness), components, communities and reach.
- ``io``: writing and reading every graph format; the dataset-to-files export.
"""

from cwb.graph.build import build_graph
from cwb.graph.io import (
    GraphExport,
    export_dataset_graph,
    read_graph,
    write_graph,
    write_metrics_csv,
)
from cwb.graph.metrics import GraphMetrics, graph_metrics

__all__ = [
    "GraphExport",
    "GraphMetrics",
    "build_graph",
    "export_dataset_graph",
    "graph_metrics",
    "read_graph",
    "write_graph",
    "write_metrics_csv",
]
