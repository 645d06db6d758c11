"""Public registers as CSV (Charity Commission, Companies House, NHS ODS, libraries, GP practices).

A register is a table with one organisation or site per row. A *column mapping*
says which source column fills which asset column (``name=NAME,postcode=Postcode``);
a *preset* holds the mapping, kind, category and the rule that skips closed or
dissolved entries for a register cwb knows. Explicit mapping entries override the
preset's.

Example
-------
>>> result = import_register("libraries.csv", preset="libraries", postcodes=lookup)  # doctest: +SKIP
>>> result.tables["assets"][["id", "name", "postcode", "precision"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cwb.errors import DatasetError, Problem, UsageError
from cwb.importers.common import (
    ImportResult,
    Provenance,
    clean_str,
    iso_date,
    located_table,
    require_path,
)
from cwb.schema import ASSET_CATEGORIES, ASSETS, CATEGORY_KIND

log = logging.getLogger(__name__)

#: Asset columns a mapping may fill (besides ``id``, which is prefixed to stay unique across sources).
MAPPABLE = tuple(c for c in ASSETS.column_names if c not in ("precision", "kind")) + ("address",)

#: A rule that returns (reason, value) to skip the row, or None to keep it.
SkipRule = Callable[[pd.Series], tuple[str, str | None] | None]


@dataclass(frozen=True)
class RegisterPreset:
    """What cwb knows about one register: its columns, kind, category and skip rule."""

    name: str
    description: str
    mapping: dict[str, str]
    category: str
    id_prefix: str
    licence: str = ""
    skip: SkipRule | None = None
    category_from: Callable[[pd.Series], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _closed_if(column: str, label: str) -> SkipRule:
    def rule(row: pd.Series) -> tuple[str, str | None] | None:
        value = clean_str(row.get(column))
        return (f"{label} ({column} set)", value) if value else None

    return rule


def _libraries_skip(row: pd.Series) -> tuple[str, str | None] | None:
    closed = clean_str(row.get("closed"))
    return ("closed library", closed) if closed else None


def _gp_skip(row: pd.Series) -> tuple[str, str | None] | None:
    status, closed = clean_str(row.get("status_code")), clean_str(row.get("close_date"))
    if closed or status not in (None, "A"):
        return "closed practice (status not A)", f"status {status}, closed {closed or '-'}"
    setting = clean_str(row.get("prescribing_setting"))
    if setting is not None and setting != "4":
        return "not a GP practice (prescribing_setting is not 4)", setting
    return None


def _charity_skip(row: pd.Series) -> tuple[str, str | None] | None:
    status = clean_str(row.get("charity_registration_status"))
    if status and status.lower() not in ("registered",):
        return "not a registered charity", status
    return _closed_if("date_of_removal", "removed from the register")(row)


def _company_skip(row: pd.Series) -> tuple[str, str | None] | None:
    status = clean_str(row.get("CompanyStatus"))
    if status and not status.lower().startswith("active"):
        return "company not active", status
    return None


def _company_category(row: pd.Series) -> str | None:
    category = (clean_str(row.get("CompanyCategory")) or "").lower()
    if "community interest" in category:
        return "social_enterprise"
    if (
        "society" in category
        or "industrial and provident" in category
        or "co-operative" in category
    ):
        return "cooperative"
    return None


#: Registers cwb knows. ``cwb import register FILE --preset NAME``.
PRESETS: dict[str, RegisterPreset] = {
    p.name: p
    for p in (
        RegisterPreset(
            "libraries",
            "Libraries Taskforce core dataset (LibrariesHacked CSV): name, postcode, lat, lng; closed ones skipped.",
            {
                "id": "id",
                "name": "name",
                "postcode": "postcode",
                "lat": "lat",
                "lon": "lng",
                "address": "address",
            },
            "library",
            "library",
            licence="OGL-UK-3.0",
            skip=_libraries_skip,
        ),
        RegisterPreset(
            "gp_practices",
            "NHS ODS epraccur (GP practices): organisation_code, name, postcode; closed and non-GP settings skipped.",
            {
                "id": "organisation_code",
                "registered_number": "organisation_code",
                "name": "name",
                "postcode": "postcode",
                "address": "address_1",
            },
            "health_facility",
            "ods",
            licence="OGL-UK-3.0",
            skip=_gp_skip,
        ),
        RegisterPreset(
            "nhs_ods",
            "NHS ODS organisations or sites (etrust, ets, epraccur-like): organisation_code, name, postcode; "
            "closed ones skipped.",
            {
                "id": "organisation_code",
                "registered_number": "organisation_code",
                "name": "name",
                "postcode": "postcode",
                "address": "address_1",
            },
            "health_facility",
            "ods",
            licence="OGL-UK-3.0",
            skip=_closed_if("close_date", "closed site"),
        ),
        RegisterPreset(
            "nhs_hospitals",
            "NHS.uk website hospital list: OrganisationCode, OrganisationName, Postcode, Latitude, Longitude.",
            {
                "id": "OrganisationCode",
                "registered_number": "OrganisationCode",
                "name": "OrganisationName",
                "postcode": "Postcode",
                "lat": "Latitude",
                "lon": "Longitude",
                "address": "Address1",
            },
            "health_facility",
            "ods",
            licence="OGL-UK-3.0",
        ),
        RegisterPreset(
            "charity_commission",
            "Charity Commission register extract: registered_charity_number, charity_name, "
            "charity_contact_postcode; removed charities skipped.",
            {
                "id": "registered_charity_number",
                "registered_number": "registered_charity_number",
                "name": "charity_name",
                "postcode": "charity_contact_postcode",
            },
            "charity",
            "GB-CHC-",
            licence="OGL-UK-3.0",
            skip=_charity_skip,
        ),
        RegisterPreset(
            "companies_house",
            "Companies House basic company data: CompanyNumber, CompanyName, RegAddress.PostCode, "
            "SICCode.SicText_1; companies not active skipped; CICs → social_enterprise, societies → cooperative.",
            {
                "id": "CompanyNumber",
                "registered_number": "CompanyNumber",
                "name": "CompanyName",
                "postcode": "RegAddress.PostCode",
                "sector": "SICCode.SicText_1",
            },
            "business",
            "GB-COH-",
            licence="OGL-UK-3.0",
            skip=_company_skip,
            category_from=_company_category,
        ),
    )
}


def parse_mapping(text: str | None) -> dict[str, str]:
    """Parse ``name=NAME,postcode=Postcode`` into ``{"name": "NAME", "postcode": "Postcode"}``.

    Raises
    ------
    UsageError
        When an entry has no ``=`` or names a column cwb does not know.
    """
    mapping: dict[str, str] = {}
    if not text:
        return mapping
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise UsageError(f"--map entry {part!r} must look like cwb_column=SourceColumn")
        key, value = (s.strip() for s in part.split("=", 1))
        if key not in MAPPABLE:
            raise UsageError(
                f"--map names an unknown cwb column {key!r}; known: {', '.join(MAPPABLE)}"
            )
        mapping[key] = value
    return mapping


def stable_id(prefix: str, *parts: object) -> str:
    """A short id that stays the same when the same record is imported again."""
    text = "|".join(str(p or "").strip().lower() for p in parts)
    return f"{prefix}:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"


def read_register_csv(path: Path) -> pd.DataFrame:
    """Read a register CSV as strings (UTF-8 with or without BOM, else cp1252)."""
    try:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
    except pd.errors.ParserError as exc:
        raise DatasetError(
            [Problem(file=str(path), reason=f"is not a readable CSV: {exc}", code="parse")],
            summary=f"{path}: not a readable CSV: {exc}",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]  # Companies House pads some headers
    return frame


def import_register(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    provenance: Provenance | None = None,
    postcodes: Any = None,
    areas: Any = None,
) -> ImportResult:
    """Import a register CSV as assets.

    Parameters
    ----------
    path
        The CSV file.
    mapping
        cwb column → source column; overrides the preset's entries.
    preset
        A key of :data:`PRESETS` (``libraries``, ``gp_practices``, ``nhs_ods``, ``nhs_hospitals``,
        ``charity_commission``, ``companies_house``).
    category
        Asset category of every row (its kind follows); default the preset's, else ``building``.
    provenance
        Source, collector, date and licence (defaults: the file name, today, the preset's licence).
    postcodes
        A :class:`cwb.geocode.PostcodeLookup` to locate rows that have a postcode but no lat/lon.
    areas
        Area polygons to locate rows that only have an ``area_code``.

    Returns
    -------
    ImportResult
        ``tables["assets"]``; rows without a name are skipped, closed entries skipped by the preset's rule.

    Raises
    ------
    UsageError
        Unknown preset or category, or a mapped column missing from the file.
    """
    path = require_path(path)
    spec = None
    if preset:
        if preset not in PRESETS:
            raise UsageError(f"unknown register preset {preset!r}; known: {', '.join(PRESETS)}")
        spec = PRESETS[preset]
    columns = dict(spec.mapping if spec else {})
    columns.update(mapping or {})
    if "name" not in columns:
        raise UsageError(
            "a register import needs at least name=SourceColumn in --map (or a --preset)"
        )
    category = category or (spec.category if spec else "building")
    if category not in CATEGORY_KIND:
        raise UsageError(
            f"unknown category {category!r}; known: "
            + "; ".join(f"{k}: {', '.join(v)}" for k, v in ASSET_CATEGORIES.items())
        )
    frame = read_register_csv(path)
    missing = [f"{k}={v}" for k, v in columns.items() if v not in frame.columns]
    if missing:
        raise UsageError(
            f"{path.name}: mapped column(s) not in the file: {', '.join(missing)}; "
            f"the file has: {', '.join(frame.columns)}"
        )
    result = ImportResult(importer="register", source_file=str(path))
    provenance = (provenance or Provenance()).with_defaults(
        source=f"{spec.name if spec else 'register'}: {path.name}",
        licence=spec.licence if spec else "",
    )
    prefix = spec.id_prefix if spec else path.stem
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in frame.iterrows():
        line = int(i) + 2  # spreadsheet numbering: header is row 1
        result.read += 1
        name = clean_str(row[columns["name"]])
        if not name:
            result.skip("no name", row=line, column=columns["name"])
            continue
        if spec and spec.skip and (why := spec.skip(row)):
            result.skip(why[0], row=line, value=why[1])
            continue
        record: dict[str, Any] = {}
        for key, source in columns.items():
            if key in ("id", "address"):
                continue
            record[key] = clean_str(row[source])
        record["name"] = name
        source_id = clean_str(row[columns["id"]]) if "id" in columns else None
        sep = "" if prefix.endswith("-") else ":"
        rid = (
            f"{prefix}{sep}{source_id}"
            if source_id
            else stable_id(prefix.rstrip("-"), name, record.get("postcode"))
        )
        if rid in seen:
            result.skip(
                f"duplicate id {rid} in the register",
                row=line,
                column=columns.get("id"),
                value=source_id,
            )
            continue
        seen.add(rid)
        record["id"] = rid
        own = spec.category_from(row) if spec and spec.category_from else None
        record["category"] = own or category
        record["kind"] = CATEGORY_KIND[record["category"]]
        if "address" in columns and not record.get("description"):
            record["description"] = clean_str(row[columns["address"]])
        for date_col in ("collected_on", "last_verified"):
            if record.get(date_col):
                record[date_col] = iso_date(record[date_col]) or record[date_col]
        records.append(record)
    result.tables["assets"] = located_table(
        "assets", records, postcodes=postcodes, areas=areas, provenance=provenance, result=result
    )
    log.info(
        "register %s: %d read, %d imported, %d skipped",
        path.name,
        result.read,
        len(records),
        len(result.skipped),
    )
    return result
