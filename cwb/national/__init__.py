"""National scale: a GeoParquet store, many projects at once, Dask (``cwb national``).

Above the stages it runs (dataset, catalogue, matching); only the benchmark and the CLI
are above it. Dask is optional (the ``national`` extra); without it everything runs in
plain geopandas.

- ``projects``: a projects table of any length; the bundled New Hospital Programme schemes.
- ``store``: opening, reading (bbox reads) and building the store.
- ``build``: the build's two passes (batches validated, keyed and sorted; key ranges cut
  into files) and the merging of the batches' problems.
- ``checks``: validation batch by batch, of a source folder or of a store.
- ``engine``: the executors (plain, LocalCluster, existing scheduler) and result parts.
- ``stages``: catalogue, candidate matching and spend per project catchment.
- ``candidates``: candidate matching's partition function and per-project scoring.
"""

from cwb.national.engine import Executor, executor
from cwb.national.projects import (
    NHP,
    ProjectTable,
    nhp_schemes_path,
    read_project_table,
    read_projects,
)
from cwb.national.stages import (
    NationalResult,
    Scope,
    national_candidates,
    national_catalogue,
    national_match,
    national_spend,
    scope_for,
)
from cwb.national.store import Store, StoreBuild, build_store, is_store, open_store

__all__ = [
    "NHP",
    "Executor",
    "NationalResult",
    "Scope",
    "Store",
    "StoreBuild",
    "build_store",
    "executor",
    "is_store",
    "national_candidates",
    "national_catalogue",
    "national_match",
    "national_spend",
    "nhp_schemes_path",
    "open_store",
    "ProjectTable",
    "read_project_table",
    "read_projects",
    "scope_for",
]
