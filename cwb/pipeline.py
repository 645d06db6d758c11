"""Each stage once: one dataset's results, computed when first asked for and kept.

A :class:`Pipeline` holds one :class:`~cwb.dataset.model.Dataset` and the options
of a run. Each stage is a cached property, computed on first use from the
stages before it and then shared by every later stage, so that ``cwb demo``
(and ``cwb map``, ``cwb report``, ``cwb graph``) match, allocate, analyse the
spend, join the area codes and aggregate the residents once each::

    read ─► area codes ─► scores ─► matches (allocation, consortia, gaps) ─┬─► graph ─► metrics
                      │                                                     ├─► map
                      ├─► residents (aggregate) ────────────────────────────┤
                      ├─► spend analysis ───────────────────────────────────┴─► report
                      ├─► flows (the dataset's, and derived from matches and spend)
                      └─► catalogue

Stages never import the pipeline: each is a plain function that takes the
results it needs as arguments. The pipeline only wires them together.

Example
-------
>>> from cwb.pipeline import Pipeline
>>> pipe = Pipeline.open("data/birmingham")  # doctest: +SKIP
>>> pipe.write_map("map.html"); pipe.write_report("report.html")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import folium
import networkx as nx

from cwb.catalogue import Catalogue, catalogue
from cwb.commons.matching import CommonsResult, match_places
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.errors import UsageError
from cwb.flows.atlas import FlowAtlas, flow_atlas, with_flows
from cwb.graph.build import build_graph
from cwb.graph.io import graph_format, write_graph, write_metrics_csv
from cwb.graph.metrics import GraphMetrics, graph_metrics
from cwb.maps.compose import make_map, relative_assets_prefix, write_map
from cwb.matching.core import MatchResult, MatchSettings, complete_matching, match
from cwb.privacy import Residents, aggregate_human, with_area_codes
from cwb.report import Report, build_report, write_report
from cwb.spend.analysis import SpendAnalysis, analyse_spend

#: The suffixes of the interactive map (HTML only).
MAP_SUFFIXES = (".html", ".htm")


@dataclass
class Pipeline:
    """The stages of one dataset, each computed on first use and kept.

    Parameters
    ----------
    source
        The dataset as read (:func:`cwb.dataset.io.read_dataset`).
    settings
        Matching settings; default: the dataset's ``[matching]`` section.
    project
        Match only the opportunities of this project id.
    matching
        Whether the map, graph and report show matching results. When false,
        matching is never run.
    seed
        Seed of the graph's community detection and betweenness sampling.
    map_options
        Keyword arguments of :func:`cwb.maps.compose.make_map` (``indicator``,
        ``max_links``, ``title``, ``assets_prefix`` …) other than the results.
    map_href
        The interactive map the report links to.
    report_date
        Date shown on the report (default: today).
    """

    source: Dataset
    settings: MatchSettings | None = None
    project: str | None = None
    matching: bool = True
    seed: int = 0
    map_options: dict[str, Any] = field(default_factory=dict)
    map_href: str | None = None
    report_date: str | None = None

    @classmethod
    def open(
        cls, path: str | Path, *, bands_m: Sequence[float] | None = None, **options: Any
    ) -> Pipeline:
        """Read the dataset at ``path`` and return its pipeline.

        Parameters
        ----------
        path
            The dataset folder.
        bands_m
            Catchment distance bands (metres) replacing the manifest's.
        **options
            Other :class:`Pipeline` fields.
        """
        ds = read_dataset(path)
        return cls(ds.with_catchment(bands_m) if bands_m else ds, **options)

    # ------------------------------------------------------------------ the stages

    @cached_property
    def dataset(self) -> Dataset:
        """The dataset with each located row's area code joined once; every stage reads it.

        See :func:`cwb.privacy.with_area_codes`.
        """
        return with_area_codes(self.source)

    @cached_property
    def scores(self) -> MatchResult:
        """Scored asset–opportunity pairs (:func:`cwb.matching.core.match`)."""
        return match(self.dataset, settings=self.settings, project=self.project)

    @cached_property
    def matches(self) -> MatchResult:
        """:attr:`scores` with allocation, consortia and gaps filled in."""
        return complete_matching(self.scores)

    @cached_property
    def spend(self) -> SpendAnalysis | None:
        """The Preston-model spend analysis, or None when the dataset has no spend."""
        table = self.dataset.spend
        if table is None or table.empty:
            return None
        return analyse_spend(self.dataset)

    @cached_property
    def residents(self) -> Residents:
        """Residents in aggregate per area, small groups suppressed (and how many were)."""
        ds = self.dataset
        return aggregate_human(ds.assets, ds.areas, min_count=ds.min_count)

    @cached_property
    def flows(self) -> FlowAtlas:
        """The dataset's flows plus those derived from the matching and the spend, measured."""
        return flow_atlas(
            self.dataset,
            match_result=self.matches if self.matching else None,
            spend_analysis=self.spend,
        )

    @cached_property
    def with_flows(self) -> Dataset:
        """:attr:`dataset` with :attr:`flows` as its flows table (for the map, graph and report)."""
        flows = self.flows.flows
        return with_flows(self.dataset, flows) if len(flows) else self.dataset

    @cached_property
    def places(self) -> CommonsResult | None:
        """Under-used places proposed for the groups that need space (None without needs)."""
        if self.dataset.needs is None or self.dataset.needs.empty:
            return None
        return match_places(self.dataset)

    @cached_property
    def catalogue(self) -> Catalogue:
        """The catalogue of assets by kind, category, distance band and area."""
        return catalogue(self.dataset)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The typed network, with matches, allocation and consortia when :attr:`matching`."""
        result = self.matches if self.matching else None
        return build_graph(self.with_flows, result, residents=self.residents)

    @cached_property
    def graph_metrics(self) -> GraphMetrics:
        """Metrics of :attr:`graph` (also set as node attributes)."""
        return graph_metrics(self.graph, seed=self.seed)

    @cached_property
    def map(self) -> folium.Map:
        """The interactive map, with the matched links (when :attr:`matching`) and the spend."""
        links = self.matching and self.map_options.get("links", True)
        return make_map(
            self.with_flows,
            matches=self.scores if links else None,
            spend=self.spend,
            residents=self.residents,
            **self.map_options,
        )

    @cached_property
    def report(self) -> Report:
        """The report: catalogue, matching (when :attr:`matching`) and spend."""
        return build_report(
            self.with_flows,
            matches=self.matches if self.matching else None,
            spend=self.spend,
            flows=self.flows,
            places=self.places,
            residents=self.residents,
            map_href=self.map_href,
            date=self.report_date,
            indicator=self.map_options.get("indicator", "imd_decile"),
        )

    # ------------------------------------------------------------------ writing

    def write_map(self, path: str | Path) -> Path:
        """Write :attr:`map` as HTML; a folder ``assets`` prefix is made relative to ``path``.

        Raises :class:`~cwb.errors.UsageError` unless ``path`` ends in ``.html``/``.htm``.
        """
        UsageError.check_suffix(path, MAP_SUFFIXES, "a map")
        if "map" not in self.__dict__:
            for key in ("assets", "assets_prefix"):
                if self.map_options.get(key):
                    prefix = relative_assets_prefix(self.map_options[key], path)
                    self.map_options = {**self.map_options, key: prefix}
        return write_map(self.map, path)

    def write_report(self, path: str | Path, *, format: str | None = None) -> Path:
        """Write :attr:`report` as HTML or Markdown (see :func:`cwb.report.write_report`)."""
        return write_report(self.report, path, format=format)

    def write_graph(self, path: str | Path, *, metrics_csv: str | Path | None = None) -> list[Path]:
        """Write :attr:`graph` (format by suffix) with its metrics, and the metrics table.

        A wrong suffix fails before any stage is computed.
        """
        graph_format(path)
        metrics = self.graph_metrics  # first, so that the file carries the metric attributes
        written = [write_graph(self.graph, path, areas=self.dataset.areas)]
        if metrics_csv is not None:
            written.append(write_metrics_csv(metrics, metrics_csv))
        return written
