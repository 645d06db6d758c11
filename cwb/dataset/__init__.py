"""The dataset stage: a folder of tables and ``dataset.toml`` read, checked and located.

First stage of the pipeline (read + validate → catalogue); every later stage takes a
:class:`Dataset`.

- ``schema``: kinds, categories and column specs of every table (the one definition).
- ``manifest``: ``dataset.toml``: projects, files, catchment bands and settings.
- ``_manifest_schema``: the schema of ``dataset.toml`` (pydantic): sections, keys, types, ranges.
- ``model``: the in-memory :class:`Dataset` holding every table and the manifest.
- ``raw``: one table file in any of six formats as raw text cells plus geometry.
- ``_checks``: the per-table problem recorder shared by the checks.
- ``_cell_types``: each column's text cells checked and typed (once per distinct value).
- ``_flow_checks``, ``_commons_checks``: checks of the flows, needs and pacts tables.
- ``postcodes``: offline postcode geocoding from a lookup table.
- ``locate``: placing each row by geometry, lat/lon, postcode, area code or project.
- ``generation``: reads that see one generation of the tables while an import writes.
- ``validate``: row-level checks and typing of every table; the validation report.
- ``io``: read (and validate) a dataset folder; write tables and datasets.
- ``geography``: area polygons, IMD 2019 deciles, area codes and indicators for any table.
- ``indicators``: indicators joined to areas by code with a match report; IMD for 2021 LSOAs.
- ``catchment_areas``: the areas of a catchment at several levels, with IMD and indicators.
- ``parsing``: amounts and dates as UK publishers write them, on pandas 2 and 3 alike.
- ``sheets``: CSV of any encoding and delimiter, Excel sheets with titles and repeated headers.
- ``stale``: rows not verified for a number of months.
- ``init``: a blank dataset folder with headed templates (``cwb init``).
- ``workbook``: the Excel template workbook: named sheets, drop-downs, instructions.
- ``sectors``: the one sector table: CPV/SIC codes and activity words → sector → skills.
- ``synonyms``: everyday words for categories ("mosque" → place_of_worship), extendable.
- ``notes``: what a reader must know of the opportunities (illustrative contracts, no residents).
- ``geocode``: a lookup from a national postcode file, typo suggestions, postcodes.io (opt-in).
- ``projection``: coordinate transformers made once per pair of CRS (each costs ~0.1 s).
"""

from cwb.dataset.geography import (
    OUTSIDE_AREAS,
    assign_area_codes,
    attach_area_codes,
    attach_indicators,
    build_areas,
    read_areas,
    read_imd,
)
from cwb.dataset.init import init_dataset
from cwb.dataset.io import read_dataset, write_dataset, write_table
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, Manifest, Project, read_manifest
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.postcodes import PostcodeLookup, normalise_postcodes
from cwb.dataset.raw import RawTable, read_raw_table
from cwb.dataset.schema import TABLES, TableSpec
from cwb.dataset.stale import stale_records
from cwb.dataset.validate import ValidationReport, validate_dataset

__all__ = [
    "MANIFEST_NAME",
    "OUTSIDE_AREAS",
    "TABLES",
    "WGS84",
    "Dataset",
    "FileEntry",
    "Manifest",
    "PostcodeLookup",
    "Project",
    "RawTable",
    "TableSpec",
    "ValidationReport",
    "assign_area_codes",
    "attach_area_codes",
    "attach_indicators",
    "build_areas",
    "init_dataset",
    "normalise_postcodes",
    "read_areas",
    "read_dataset",
    "read_imd",
    "read_manifest",
    "read_raw_table",
    "stale_records",
    "validate_dataset",
    "write_dataset",
    "write_table",
]
