"""Every default of cwb, written once.

The manifest parser, :class:`cwb.matching.core.MatchSettings`, the privacy
code, the CLI's help texts and the ``dataset.toml`` template of ``cwb init`` all
read their defaults from here, and the README quotes the same values (a test
checks it). A dataset overrides them in its ``dataset.toml``; the key named in
each comment is where.

This module imports nothing heavy (no pandas or geopandas): the CLI reads it to
write its help texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# --------------------------------------------------------------------------- catchment

#: Distance bands (metres) around each project (``[catchment] bands_m``).
BANDS_M: Final[tuple[float, ...]] = (1000.0, 2000.0, 3000.0, 5000.0)
#: A located catalogue row farther than this (metres) outside the extent of the
#: areas is an error (``[catchment] max_outside_m``).
MAX_OUTSIDE_M: Final[float] = 25_000.0

# --------------------------------------------------------------------------- privacy

#: Human-asset groups of fewer residents than this are suppressed in every output
#: (``[privacy] min_count``).
MIN_COUNT: Final[int] = 5
#: Without area polygons, residents are grouped per postcode district (``B66``) or, with
#: no postcode, per grid square of this side in metres; the square's centre is shown.
RESIDENT_GRID_M: Final[float] = 1000.0

# --------------------------------------------------------------------------- postcodes

#: ``cwb geocode --online``: the postcodes.io service (or a self-hosted copy of it).
POSTCODES_IO_URL: Final[str] = "https://api.postcodes.io"
#: Postcodes per request to postcodes.io's bulk lookup (its maximum).
POSTCODES_IO_BATCH: Final[int] = 100
#: An unknown postcode gets the lookup's postcodes at most this many typing slips away.
POSTCODE_SUGGESTION_EDITS: Final[int] = 1
#: Distinct unknown postcodes per table that get suggestions (each searches the lookup).
MAX_POSTCODE_SUGGESTIONS: Final[int] = 500

# --------------------------------------------------------------------------- matching

#: Weight of each score component (``[matching] weights``), normalised over the
#: components that apply to a pair.
MATCH_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"skills": 0.45, "distance": 0.2, "deprivation": 0.15, "pathway": 0.1, "capacity": 0.1}
)
#: Distance decay in metres: the distance score is ``exp(-d / DECAY_M)``
#: (``[matching] decay_m``).
DECAY_M: Final[float] = 3000.0
#: Pairs farther apart than this (metres) are not plausible (``[matching] max_distance_m``).
MAX_DISTANCE_M: Final[float] = 10_000.0
#: Pairs scoring below this are not kept (``[matching] min_score``).
MIN_SCORE: Final[float] = 0.3
#: Matches kept per opportunity, 0 for all (``[matching] top_k``).
TOP_K: Final[int] = 10
#: Credit for a related skill instead of the required one (``[matching] related_credit``).
RELATED_CREDIT: Final[float] = 0.5
#: rapidfuzz score (0-100) at which an unknown skill term matches a known one
#: (``[matching] fuzzy_threshold``).
SKILL_FUZZY_THRESHOLD: Final[float] = 88.0
#: Contracts one enterprise may be allocated (``[matching] contracts_per_supplier``).
CONTRACTS_PER_SUPPLIER: Final[int] = 1
#: Largest consortium proposed, 2-6 (``[matching] max_consortium_size``).
MAX_CONSORTIUM_SIZE: Final[int] = 4
#: Consortia proposed per contract (``[matching] consortia_per_contract``).
CONSORTIA_PER_CONTRACT: Final[int] = 3

# --------------------------------------------------------------------------- spend

#: Lowest rapidfuzz ``token_sort_ratio`` (0-100) of a fuzzy supplier-name match in
#: the supplier register (``[spend] register_fuzzy_threshold``).
REGISTER_FUZZY_THRESHOLD: Final[float] = 92.0
#: Share of a local supplier's income re-spent locally when no survey says
#: otherwise (``[spend] default_local_respend``).
LOCAL_RESPEND: Final[float] = 0.25
#: Areas whose deprivation indicator is at most this count as deprived
#: (``[spend] deprived_max``, on ``[spend] deprived_indicator``).
DEPRIVED_MAX: Final[float] = 2.0
#: First month (1-12) of the financial year (``[spend] year_start_month``).
YEAR_START_MONTH: Final[int] = 4
#: Rows of the leakage and supplier tables (``[spend] top``).
SPEND_TOP: Final[int] = 10

# --------------------------------------------------------------------------- commons

#: Weight of each score part of place-to-group matching (``[commons] weights``).
COMMONS_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"size": 0.2, "distance": 0.25, "access": 0.1, "hours": 0.1, "cost": 0.15, "ownership": 0.2}
)
#: Ownership part by owner type, public land first (``[commons] owner_scores``).
COMMONS_OWNER_SCORES: Final[Mapping[str, float]] = MappingProxyType(
    {"public": 1.0, "community": 0.8, "mixed": 0.6, "unknown": 0.4, "private": 0.3}
)
#: Access part by a place's accessibility, when a group asks for step-free access.
COMMONS_ACCESS_SCORES: Final[Mapping[str, float]] = MappingProxyType(
    {"step_free": 1.0, "partial": 0.5, "unknown": 0.3}
)
#: Distance decay in metres of place matching: ``exp(-d / COMMONS_DECAY_M)``
#: (``[commons] decay_m``).
COMMONS_DECAY_M: Final[float] = 1500.0
#: Places farther than this (metres) from a group are not considered unless the need
#: says its own ``max_distance_m`` (``[commons] max_distance_m``).
COMMONS_MAX_DISTANCE_M: Final[float] = 3000.0
#: Place-group pairs scoring below this are not kept (``[commons] min_score``).
COMMONS_MIN_SCORE: Final[float] = 0.0

# --------------------------------------------------------------------------- importing

#: Likely duplicates: names alike within this many metres (``cwb import --max-distance``).
DUPLICATE_DISTANCE_M: Final[float] = 250.0
#: Likely duplicates: least name similarity, 0-100 (``cwb import --similarity``).
DUPLICATE_SIMILARITY: Final[float] = 90.0

# --------------------------------------------------------------------------- upkeep and maps

#: Rows not verified for more than this many months are stale (``cwb stale --months``).
STALE_MONTHS: Final[int] = 24
#: Links drawn on a map at most, best scores first (``cwb map --max-links``).
MAX_LINKS: Final[int] = 5000
#: Where a map's Leaflet script and stylesheet come from (``cwb map --assets``): ``inline``
#: (in the file: it opens with no network), ``cdn`` (the public CDN), or a URL or folder prefix.
MAP_ASSETS: Final[str] = "inline"
#: The base map under a cwb map (``cwb map --tiles``): ``openstreetmap``, ``cartodb-positron``
#: or ``none``.
MAP_TILES: Final[str] = "openstreetmap"
#: Whether the matched links are on when a map opens (they are a layer to switch on).
MAP_LINKS_ON: Final[bool] = False
#: Provenance columns shown in map popups, in order (``collected_by`` names volunteers: left out).
MAP_POPUP_PROVENANCE: Final[tuple[str, ...]] = ("source", "collected_on", "licence")

# --------------------------------------------------------------------------- reading limits

#: A table file larger than this (MiB) is refused (``[limits] max_file_mb``).
MAX_FILE_MB: Final[float] = 1024.0
#: A table with more columns than this is refused (``[limits] max_columns``).
MAX_COLUMNS: Final[int] = 2000
#: An .xlsx workbook whose parts unzip to more than this (MiB) is refused, a
#: guard against zip bombs (``[limits] max_xlsx_unzipped_mb``).
MAX_XLSX_UNZIPPED_MB: Final[float] = 512.0

# --------------------------------------------------------------------------- outputs

#: Seconds headless Chromium may take to print a report to PDF (``cwb report -o report.pdf``).
PDF_TIMEOUT_S: Final[float] = 120.0

# --------------------------------------------------------------------------- national scale

#: Rows per GeoParquet file of a national store (``cwb store build --rows-per-file``).
STORE_ROWS_PER_FILE: Final[int] = 500_000
#: Rows per Parquet row group inside a store file: the unit a bbox read skips or reads.
STORE_ROW_GROUP: Final[int] = 20_000
#: Rows validated, keyed and sorted at once while a store is built (``--batch-rows``);
#: on Dask, the most: a smaller batch is chosen from the workers' memory limit.
STORE_BATCH_ROWS: Final[int] = 250_000
#: Memory limit (MB) of each LocalCluster worker of ``cwb store build --workers``: the
#: batch size is chosen from it (2 workers and the client stay within 2 GB).
STORE_WORKER_MEMORY_MB: Final[float] = 1000.0
#: Share of a worker's memory limit its batch may fill it to (Dask pauses a worker at 0.8).
STORE_WORKER_MEMORY_SHARE: Final[float] = 0.7
#: A store build worker's memory before its batch (MB): imports, Dask, the source's
#: postcodes and areas (measured: about 350 MB; 450 leaves room for what a batch leaves).
STORE_WORKER_BASE_MB: Final[float] = 450.0
#: Memory (MB) per 1,000 rows of a batch being validated, keyed and sorted (measured on
#: the synthetic national assets, 40 columns: 1.5 at 250,000 rows).
STORE_BATCH_MB_PER_1000_ROWS: Final[float] = 1.6
#: Memory (MB) per 1,000 rows of a store file being gathered from the sorted batches and
#: merged (measured in a worker: 0.6 at 1M assets, 1.05 at 10M, from 80 sorted batches);
#: on Dask a file is gathered in parts that fit a worker.
STORE_GATHER_MB_PER_1000_ROWS: Final[float] = 1.1
#: Columns a catchment read (``Store.read_catchment``) returns by default, with the
#: geometry: what the catalogue of a catchment needs (``columns=None`` reads every column).
CATCHMENT_COLUMNS: Final[tuple[str, ...]] = ("id", "name", "kind", "category", "count")
#: Threads a catchment read builds its points on at most (one per core, up to this many).
STORE_READ_THREADS: Final[int] = 4
