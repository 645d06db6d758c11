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
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cwb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

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
from cwb.matching.scenarios import Scenario, compare_scenarios
from cwb.matching.skills import Vocabulary
from cwb.report import build_report, save_report
from cwb.spend.analysis import SpendAnalysis, analyse_spend, relocalisable_opportunities
from cwb.spend.load import read_spend_file

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
