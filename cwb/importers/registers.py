r"""Public registers as CSV (Charity Commission, Companies House, NHS ODS, libraries, GP practices).

A register is a table with one organisation or site per row. A *column mapping*
says which source column fills which asset column (``name=NAME,postcode=Postcode``);
a *preset* holds the mapping, kind, category and the rule that skips closed or
dissolved entries for a register cwb knows. Explicit mapping entries override the
preset's.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "libraries.csv"
>>> _ = path.write_text(
...     "id,name,address,postcode,lat,lng\n"
...     "1,Smethwick Library,Tollhouse Way,B66 1AB,52.4926,-1.9702\n"
...     "2,Thimblemill Library,Thimblemill Road,B67 5RJ,,\n"
... )
>>> result = import_register(path, preset="libraries")
>>> print(result.tables["assets"][["name", "category", "precision"]].to_string(index=False))
               name category precision
  Smethwick Library  library     exact
Thimblemill Library  library      none
>>> parse_mapping("name=Library Name,postcode=Post Code")
{'name': 'Library Name', 'postcode': 'Post Code'}
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cwb.dataset.schema import ASSET_CATEGORIES, ASSETS, CATEGORY_KIND
from cwb.errors import DatasetError, Problem, UsageError
from cwb.importers.common import (
    ImportResult,
    Provenance,
    iso_date,
    located_table,
    require_path,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

#: Asset columns a mapping may fill (``id`` is prefixed to stay unique across sources).
MAPPABLE = tuple(c for c in ASSETS.column_names if c not in ("precision", "kind")) + ("address",)

#: A vectorised skip rule: given the register (all text), a reason per row (None keeps the row)
#: and the value to show with it.
SkipRule = Callable[[pd.DataFrame], tuple[pd.Series, pd.Series]]


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
    category_from: Callable[[pd.DataFrame], pd.Series] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _col(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column stripped, '' when the register lacks it."""
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def _reasons(
    frame: pd.DataFrame, *rules: tuple[pd.Series, str, pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """First matching (mask, reason, value) per row."""
    reason = pd.Series(None, index=frame.index, dtype=object)
    value = pd.Series(None, index=frame.index, dtype=object)
    for mask, text, shown in rules:
        new = mask & reason.isna()
        reason[new] = text
        value[new] = shown[new]
    return reason, value


def _closed_if(column: str, label: str) -> SkipRule:
    def rule(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        closed = _col(frame, column)
        return _reasons(frame, (closed != "", f"{label} ({column} set)", closed))

    return rule


def _libraries_skip(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    closed = _col(frame, "closed")
    return _reasons(frame, (closed != "", "closed library", closed))


#: Columns of NHS ODS files (epraccur, etrust, ets), shared by the ODS presets.
_ODS_COLUMNS: dict[str, str] = {
    "id": "organisation_code",
    "registered_number": "organisation_code",
    "name": "name",
    "postcode": "postcode",
    "address": "address_1",
}


def _gp_skip(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    status, closed = _col(frame, "status_code"), _col(frame, "close_date")
    setting = _col(frame, "prescribing_setting")
    shown = "status " + status + ", closed " + closed.where(closed != "", "-")
    return _reasons(
        frame,
        ((closed != "") | ~status.isin(["", "A"]), "closed practice (status not A)", shown),
        (
            (setting != "") & (setting != "4"),
            "not a GP practice (prescribing_setting is not 4)",
            setting,
        ),
    )


def _charity_skip(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    status = _col(frame, "charity_registration_status")
    removed = _col(frame, "date_of_removal")
    return _reasons(
        frame,
        ((status != "") & (status.str.lower() != "registered"), "not a registered charity", status),
        (removed != "", "removed from the register (date_of_removal set)", removed),
    )


def _company_skip(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    status = _col(frame, "CompanyStatus")
    return _reasons(
        frame,
        (
            (status != "") & ~status.str.lower().str.startswith("active"),
            "company not active",
            status,
        ),
    )


def _company_category(frame: pd.DataFrame) -> pd.Series:
    category = _col(frame, "CompanyCategory").str.lower()
    out = pd.Series(None, index=frame.index, dtype=object)
    out[category.str.contains("community interest", regex=False)] = "social_enterprise"
    coop = category.str.contains("society|industrial and provident|co-operative", regex=True)
    out[coop & out.isna()] = "cooperative"
    return out


#: Registers cwb knows. ``cwb import register FILE --preset NAME``.
PRESETS: dict[str, RegisterPreset] = {
    p.name: p
    for p in (
        RegisterPreset(
            "libraries",
            "Libraries Taskforce core dataset (LibrariesHacked CSV): name, postcode, lat, lng; "
            "closed ones skipped.",
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
            "NHS ODS epraccur (GP practices): organisation_code, name, postcode; "
            "closed and non-GP settings skipped.",
            _ODS_COLUMNS,
            "health_facility",
            "ods",
            licence="OGL-UK-3.0",
            skip=_gp_skip,
        ),
        RegisterPreset(
            "nhs_ods",
            "NHS ODS organisations or sites (etrust, ets): organisation_code, name, postcode; "
            "closed ones skipped.",
            _ODS_COLUMNS,
            "health_facility",
            "ods",
            licence="OGL-UK-3.0",
            skip=_closed_if("close_date", "closed site"),
        ),
        RegisterPreset(
            "nhs_hospitals",
            "NHS.uk website hospital list: OrganisationCode, OrganisationName, Postcode, "
            "Latitude, Longitude.",
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
            "SICCode.SicText_1; companies not active skipped; CICs → social_enterprise, "
            "societies → cooperative.",
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
            raise UsageError(
                f"entry {part!r} must look like cwb_column=SourceColumn", argument="mapping"
            )
        key, value = (s.strip() for s in part.split("=", 1))
        if key not in MAPPABLE:
            raise UsageError(
                f"names an unknown cwb column {key!r}; known: {', '.join(MAPPABLE)}",
                argument="mapping",
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
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
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
        A :class:`~cwb.dataset.postcodes.PostcodeLookup`, to locate rows with a postcode only.
    areas
        Area polygons to locate rows that only have an ``area_code``.

    Returns
    -------
    ImportResult
        ``tables["assets"]``; rows without a name are skipped, closed entries by the
        preset's rule.

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
            "a register import needs at least name=SourceColumn (or a preset)",
            argument="mapping",
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
    sep = "" if prefix.endswith("-") else ":"
    result.read = len(frame)
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index)  # spreadsheet numbering
    names = _col(frame, columns["name"])
    reason, shown = _reasons(
        frame, (names == "", "no name", pd.Series(None, index=frame.index, dtype=object))
    )
    if spec and spec.skip:
        extra_reason, extra_value = spec.skip(frame)
        more = reason.isna() & extra_reason.notna()
        reason[more], shown[more] = extra_reason[more], extra_value[more]
    out = pd.DataFrame(index=frame.index)
    for key, source in columns.items():
        if key not in ("id", "address"):
            out[key] = _col(frame, source).replace("", None)
    out["name"] = names
    source_ids = _col(frame, columns["id"]) if "id" in columns else pd.Series("", index=frame.index)
    hashed = [
        stable_id(prefix.rstrip("-"), n, p)
        for n, p in zip(
            names, out.get("postcode", pd.Series("", index=frame.index)).fillna(""), strict=True
        )
    ]
    out["id"] = (prefix + sep + source_ids).where(
        source_ids != "", pd.Series(hashed, index=frame.index)
    )
    dup = out["id"].where(reason.isna()).duplicated() & reason.isna()
    reason[dup] = "duplicate id in the register"
    shown[dup] = out.loc[dup, "id"]
    for i in np.flatnonzero(reason.notna().to_numpy()):
        result.skip(
            reason.iloc[i],
            row=int(rows.iloc[i]),
            value=shown.iloc[i],
            column=columns["name"] if reason.iloc[i] == "no name" else None,
        )
    keep = reason.isna()
    out = out[keep]
    own = spec.category_from(frame[keep]) if spec and spec.category_from else None
    out["category"] = own.fillna(category) if own is not None else category
    out["kind"] = out["category"].map(CATEGORY_KIND)
    if "address" in columns and "description" not in columns:
        out["description"] = _col(frame[keep], columns["address"]).replace("", None)
    for date_col in ("collected_on", "last_verified"):
        if date_col in out:
            out[date_col] = [iso_date(v) or v for v in out[date_col]]
    records = out
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
