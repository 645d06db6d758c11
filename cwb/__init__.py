"""cwb: a toolkit for community wealth building around capital projects.

Public API
----------
read_dataset, validate_dataset, write_dataset
    Read (and validate) a dataset folder, or write one out.
Dataset, Manifest, Project
    The in-memory dataset and its manifest.
build_graph, graph_metrics, write_graph, read_graph
    The network of a dataset, its metrics, and its GraphML/GEXF/JSON/GeoPackage exports.
analyse_spend, SpendAnalysis, read_spend_file, relocalisable_opportunities
    Preston-model spend analysis, raw spend files through column mappings, and
    leaking spend as contract opportunities.
match, match_dataset, MatchResult, MatchSettings, allocate, Allocation, propose_consortia,
find_gaps, Vocabulary
    Link assets to opportunities with reasons, allocate under capacities, propose
    consortia, list training needs and untapped assets; the skills vocabulary.
impact_figures, ImpactFigures, compare_scenarios, Scenario
    The headline figures of a matching run, and matching scenarios side by side.
import_into, find_duplicates, stale_records, build_areas, attach_area_codes, attach_indicators
    Import OSM, Open Referral, 360Giving, OCDS and registers into a dataset with
    provenance and duplicate merging (``cwb.importers`` holds each importer); list
    stale records; areas with IMD 2019 deciles; area codes and indicators for any table.
CwbError, DatasetError, UsageError, Problem
    The error family; ``DatasetError.problems`` lists every row-level problem.

Each name is imported from its module the first time it is used, so ``import cwb``
(and ``import cwb.errors``, ``cwb --help``) loads none of the geodata libraries.
The stages live in the sub-packages ``cwb.dataset``, ``cwb.matching``, ``cwb.spend``,
``cwb.graph``, ``cwb.maps`` and ``cwb.importers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cwb._lazy import lazy_attributes

if TYPE_CHECKING:
    from cwb._version import __version__
    from cwb.dataset.geography import attach_area_codes, attach_indicators, build_areas
    from cwb.dataset.io import read_dataset, write_dataset
    from cwb.dataset.manifest import Manifest, Project
    from cwb.dataset.model import Dataset
    from cwb.dataset.stale import stale_records
    from cwb.dataset.validate import ValidationReport, validate_dataset
    from cwb.errors import CwbError, DatasetError, MissingDependencyError, Problem, UsageError
    from cwb.graph.build import build_graph
    from cwb.graph.io import read_graph, write_graph
    from cwb.graph.metrics import graph_metrics
    from cwb.importers.merge import find_duplicates, import_into
    from cwb.maps.compose import make_map, save_map
    from cwb.matching.allocation import Allocation, allocate
    from cwb.matching.consortia import propose_consortia
    from cwb.matching.core import MatchResult, MatchSettings, match, match_dataset
    from cwb.matching.gaps import find_gaps
    from cwb.matching.impact import ImpactFigures, impact_figures
    from cwb.matching.skills import Vocabulary
    from cwb.report import build_report, save_report
    from cwb.scenarios import Scenario, compare_scenarios
    from cwb.spend.analysis import SpendAnalysis, analyse_spend, relocalisable_opportunities
    from cwb.spend.load import read_spend_file

#: Where each public name lives: ``cwb.<name>`` imports its module on first use (PEP 562),
#: so that ``import cwb.cli`` or ``import cwb.errors`` does not import the whole library.
_LAZY: dict[str, str] = {
    "__version__": "cwb._version",
    "allocate": "cwb.matching.allocation",
    "Allocation": "cwb.matching.allocation",
    "analyse_spend": "cwb.spend.analysis",
    "attach_area_codes": "cwb.dataset.geography",
    "attach_indicators": "cwb.dataset.geography",
    "build_areas": "cwb.dataset.geography",
    "build_graph": "cwb.graph.build",
    "build_report": "cwb.report",
    "compare_scenarios": "cwb.scenarios",
    "CwbError": "cwb.errors",
    "Dataset": "cwb.dataset.model",
    "DatasetError": "cwb.errors",
    "find_duplicates": "cwb.importers.merge",
    "find_gaps": "cwb.matching.gaps",
    "graph_metrics": "cwb.graph.metrics",
    "impact_figures": "cwb.matching.impact",
    "ImpactFigures": "cwb.matching.impact",
    "import_into": "cwb.importers.merge",
    "make_map": "cwb.maps.compose",
    "Manifest": "cwb.dataset.manifest",
    "match": "cwb.matching.core",
    "match_dataset": "cwb.matching.core",
    "MatchResult": "cwb.matching.core",
    "MatchSettings": "cwb.matching.core",
    "MissingDependencyError": "cwb.errors",
    "Problem": "cwb.errors",
    "Project": "cwb.dataset.manifest",
    "propose_consortia": "cwb.matching.consortia",
    "read_dataset": "cwb.dataset.io",
    "read_graph": "cwb.graph.io",
    "read_spend_file": "cwb.spend.load",
    "relocalisable_opportunities": "cwb.spend.analysis",
    "save_map": "cwb.maps.compose",
    "save_report": "cwb.report",
    "Scenario": "cwb.scenarios",
    "SpendAnalysis": "cwb.spend.analysis",
    "stale_records": "cwb.dataset.stale",
    "UsageError": "cwb.errors",
    "validate_dataset": "cwb.dataset.validate",
    "ValidationReport": "cwb.dataset.validate",
    "Vocabulary": "cwb.matching.skills",
    "write_dataset": "cwb.dataset.io",
    "write_graph": "cwb.graph.io",
}

__all__ = [
    "Allocation",
    "CwbError",
    "Dataset",
    "DatasetError",
    "Manifest",
    "MissingDependencyError",
    "Problem",
    "Project",
    "SpendAnalysis",
    "UsageError",
    "ImpactFigures",
    "MatchResult",
    "MatchSettings",
    "Scenario",
    "ValidationReport",
    "Vocabulary",
    "__version__",
    "allocate",
    "analyse_spend",
    "attach_area_codes",
    "attach_indicators",
    "build_areas",
    "build_graph",
    "build_report",
    "compare_scenarios",
    "find_duplicates",
    "find_gaps",
    "graph_metrics",
    "impact_figures",
    "import_into",
    "make_map",
    "match",
    "match_dataset",
    "propose_consortia",
    "read_dataset",
    "read_graph",
    "read_spend_file",
    "relocalisable_opportunities",
    "save_map",
    "save_report",
    "stale_records",
    "validate_dataset",
    "write_dataset",
    "write_graph",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
