"""``cwb init``: a blank dataset folder with headed templates and a commented manifest.

CSV templates by default (``assets.csv``, ``opportunities.csv``, ``links.csv``); with
``excel`` one workbook, ``dataset.xlsx``, with a sheet per table, drop-down lists and
instructions (:mod:`cwb.dataset.workbook`). Either way the example rows say
``example = yes`` and are left out of every figure until they are deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cwb import settings
from cwb._atomic import write_text_atomic
from cwb.dataset.geocode import extract_districts, install_lookup, parse_districts
from cwb.dataset.io import write_table
from cwb.dataset.manifest import MANIFEST_NAME
from cwb.dataset.schema import (
    ASSET_CATEGORIES,
    ASSETS,
    LINKS,
    NEEDS,
    OPPORTUNITIES,
    OPPORTUNITY_TYPES,
    PACTS,
    TableSpec,
)
from cwb.dataset.workbook import EXAMPLE, WORKBOOK_NAME, write_template_workbook
from cwb.errors import UsageError

_MANIFEST = """\
# cwb dataset manifest. Lines starting with # are comments.
# Check the folder with:  cwb validate {folder}

[dataset]
name = "{name}"
description = "Assets around {project_name}"
# metric_crs = "EPSG:27700"   # CRS for distances; default: British National Grid in GB, else a UTM zone

# One [[projects]] block per capital project (a hospital, a stadium, a housing scheme).
[[projects]]
id = "{project_id}"
name = "{project_name}"
lat = {lat}
lon = {lon}
kind = "hospital"
# postcode = "B66 2QT"
# opened = "2024-10-06"

[catchment]
bands_m = {bands_m}   # distance bands around each project, in metres
max_outside_m = {max_outside_m}   # a row farther than this outside the areas is an error

[privacy]
min_count = {min_count}   # groups of fewer residents than this are never shown

# Matching: uncomment a line to change its default.
# [matching]
# weights = {weights}
# decay_m = {decay_m}   # distance score exp(-d / decay_m), metres
# max_distance_m = {max_distance_m}
# min_score = {min_score}
# top_k = {top_k}   # per opportunity; 0 = all
# related_credit = {related_credit}

# Which file holds each table. CSV, Excel (.xlsx), GeoJSON, GeoPackage, Parquet and Shapefile work.
# A file with coordinates in another CRS:  assets = {{ path = "assets.shp", crs = "EPSG:27700" }}
# Different column headings:  assets = {{ path = "assets.xlsx", columns = {{ postcode = "Post Code" }} }}
[files]
{files}
areas = "areas.geojson"
# spend = "spend.csv"
needs = "needs.csv"   # what community groups need: group, space_type, sessions_per_week …
pacts = "pacts.csv"   # pacts of collaboration: asset (a place), partners, status, dates …
# postcodes = "postcodes.csv"   # postcode, lat, lon: locates rows that have a postcode only.
#   Get one from the ONS Postcode Directory (free, Open Government Licence): keep the rows of
#   your area, or map its columns:  postcodes = {{ path = "ONSPD.csv", columns = {{ postcode = "pcds", lat = "lat", lon = "long" }} }}

# Kinds and their categories:
{vocabulary}
# Opportunity types: {types}
"""


def _toml_number(value: float) -> str:
    """A number as a person writes it in TOML: ``1000``, not ``1000.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _settings_fields() -> dict[str, str]:
    """The defaults of :mod:`cwb.settings` as the manifest template writes them."""
    weights = ", ".join(f"{k} = {_toml_number(v)}" for k, v in settings.MATCH_WEIGHTS.items())
    return {
        "bands_m": "[" + ", ".join(_toml_number(b) for b in settings.BANDS_M) + "]",
        "max_outside_m": _toml_number(settings.MAX_OUTSIDE_M),
        "min_count": str(settings.MIN_COUNT),
        "weights": "{ " + weights + " }",
        "decay_m": _toml_number(settings.DECAY_M),
        "max_distance_m": _toml_number(settings.MAX_DISTANCE_M),
        "min_score": _toml_number(settings.MIN_SCORE),
        "top_k": str(settings.TOP_K),
        "related_credit": _toml_number(settings.RELATED_CREDIT),
    }


def _example_row(spec: TableSpec, **overrides: str) -> dict[str, str]:
    row = {c.name: c.example for c in spec.columns if not c.private and c.name != "precision"}
    row.update(overrides)
    return {c.name: row.get(c.name, "") for c in spec.columns}


def init_dataset(
    folder: str | Path,
    *,
    name: str = "My neighbourhood",
    project_id: str = "project",
    project_name: str = "The capital project",
    lat: float = 52.4951,
    lon: float = -1.9447,
    excel: bool = False,
    force: bool = False,
    postcodes: str | Path | None = None,
    districts: str | list[str] | None = None,
) -> list[Path]:
    """Create a blank dataset folder; return the files written.

    With ``postcodes`` (a national lookup file such as the ONS Postcode Directory)
    and ``districts`` (``"B66,B67"``), the lookup's rows for those districts become
    the dataset's ``postcodes.csv``, so postcodes are located from the first run.

    Raises
    ------
    UsageError
        When the folder already holds a dataset and ``force`` is False.
    """
    folder = Path(folder)
    if (postcodes is None) != (districts is None):
        raise UsageError(
            "give the postcode file and the districts to keep together, "
            "e.g. --postcodes ONSPD.csv --districts B66,B67",
            argument="districts" if postcodes is not None else "postcodes",
        )
    lookup_rows = (
        extract_districts(postcodes, parse_districts(districts))
        if postcodes is not None and districts is not None
        else None
    )
    if (folder / MANIFEST_NAME).exists() and not force:
        raise UsageError(
            f"{folder} already holds a dataset ({MANIFEST_NAME}); set force to overwrite it",
            argument="force",
        )
    folder.mkdir(parents=True, exist_ok=True)
    tables = ("assets", "opportunities", "links")
    if excel:
        files = "\n".join(f'{t} = {{ path = "{WORKBOOK_NAME}", sheet = "{t}" }}' for t in tables)
    else:
        files = "\n".join(f'{t} = "{t}.csv"' for t in tables)
    vocabulary = "\n".join(
        f"#   {kind}: {', '.join(cats)}" for kind, cats in ASSET_CATEGORIES.items()
    )
    written = [
        write_text_atomic(
            folder / MANIFEST_NAME,
            _MANIFEST.format(
                folder=folder,
                name=name,
                project_id=project_id,
                project_name=project_name,
                lat=lat,
                lon=lon,
                files=files,
                vocabulary=vocabulary,
                types=", ".join(OPPORTUNITY_TYPES),
                **_settings_fields(),
            ),
        )
    ]
    assets = pd.DataFrame(
        [
            _example_row(
                ASSETS,
                lat=str(lat),
                lon=str(lon),
                postcode="",
                area_code="",
                kind="financial",
                category="social_enterprise",
            )
        ]
    )
    opportunities = pd.DataFrame(
        [
            _example_row(
                OPPORTUNITIES,
                project=project_id,
                type="job",
                lat="",
                lon="",
                postcode="",
                area_code="",
            )
        ]
    )
    links = pd.DataFrame([_example_row(LINKS, source="A0001", target="A0001", relation="partner")])
    examples = {"assets": assets, "opportunities": opportunities, "links": links}
    if excel:
        rows = {name: frame.to_dict("records") for name, frame in examples.items()}
        written.append(write_template_workbook(folder / WORKBOOK_NAME, rows))
    else:
        for stem, frame in examples.items():
            written.append(write_table(frame.assign(**{EXAMPLE: "yes"}), folder / f"{stem}.csv"))
    # needs and pacts start with their headings only (a row there names real groups and
    # places), as CSV also beside a workbook
    for stem, spec in (("needs", NEEDS), ("pacts", PACTS)):
        heading = pd.DataFrame(columns=[c.name for c in spec.columns])
        written.append(write_table(heading, folder / f"{stem}.csv"))
    areas = {"type": "FeatureCollection", "features": []}
    written.append(write_text_atomic(folder / "areas.geojson", json.dumps(areas)))
    if lookup_rows is not None:
        written.append(install_lookup(folder, lookup_rows))
    return written
