"""Importers: standard formats (OSM, Open Referral, 360Giving, OCDS, registers) → cwb tables.

Feeds the dataset stage: each ``import_*`` function reads one source and returns an
:class:`~cwb.importers.common.ImportResult` holding tables in the schema's
columns and an account of every record read, imported and skipped.
:func:`cwb.importers.merge.import_into` merges a result into a dataset on disk.

- ``common``: the import result, provenance and locating rows, shared by every importer.
- ``osm``: OpenStreetMap extracts (GeoJSON, GeoPackage) → physical and community assets.
- ``openreferral``: Open Referral (HSDS 3, UK profile) → community assets and services.
- ``threesixtygiving``: 360Giving grants → funders, recipients and funding flows.
- ``ocds``: OCDS release and record packages → opportunities, suppliers and spend.
- ``ocds_schema``: OCDS merge rules, offline, with extension patches.
- ``ocds_filter``: aiming an OCDS import (buyer, region, CPV, dates, open only); text repairs.
- ``registers``: public registers as CSV (charities, companies, NHS, libraries, GPs).
- ``brownfield``: brownfield land registers (the 2017 standard and councils' variants).
- ``acv``: Assets of Community Value lists.
- ``workforce``: NHS staff by staff group → a hospital's estimated yearly job openings.
- ``places``: what the registers of places share: forgiving headers, dates, coordinates.
- ``local``: keep an import local (within a distance of the projects, or in chosen areas).
- ``duplicates``: likely duplicates by name and distance.
- ``merge``: stable ids, provenance and duplicates when rows join a dataset.
- ``transaction``: the dataset lock, staged and validated writes, recovery after a crash.
"""

from cwb.importers.acv import import_acv
from cwb.importers.brownfield import import_brownfield
from cwb.importers.common import ImportResult, Provenance
from cwb.importers.ocds import import_ocds
from cwb.importers.openreferral import import_openreferral
from cwb.importers.osm import import_osm
from cwb.importers.registers import PRESETS as REGISTER_PRESETS
from cwb.importers.registers import import_register, parse_mapping
from cwb.importers.threesixtygiving import import_360giving

__all__ = [
    "REGISTER_PRESETS",
    "ImportResult",
    "Provenance",
    "import_360giving",
    "import_acv",
    "import_brownfield",
    "import_ocds",
    "import_openreferral",
    "import_osm",
    "import_register",
    "parse_mapping",
]
