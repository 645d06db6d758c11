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

import csv
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cwb.dataset.schema import ASSET_CATEGORIES, ASSETS, CATEGORY_KIND
from cwb.errors import DatasetError, Problem, UsageError, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    iso_date,
    located_table,
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


def _delimiter(path: Path, encoding: str) -> str:
    """The field separator of a delimited text file: comma, tab, semicolon or pipe (sniffed)."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(64_000)
    header = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_register_csv(path: Path) -> pd.DataFrame:
    """Read a register as strings: comma, tab, semicolon or pipe separated (sniffed).

    UTF-8 with or without BOM, else cp1252.
    """
    try:
        try:
            sep = _delimiter(path, "utf-8-sig")
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep
            )
        except UnicodeDecodeError:
            sep = _delimiter(path, "cp1252")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252", sep=sep)
    except pd.errors.ParserError as exc:
        raise DatasetError(
            [Problem(file=str(path), reason=f"is not a readable CSV or TSV: {exc}", code="parse")],
            summary=f"{path}: not a readable CSV or TSV: {exc}",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]  # Companies House pads some headers
    return frame


#: Coordinate columns recognised without a mapping (lower-case header → cwb column).
COORDINATE_HEADERS: dict[str, tuple[str, ...]] = {
    "lat": ("lat", "latitude", "y_lat"),
    "lon": ("lon", "lng", "long", "longitude", "x_lon"),
    "easting": ("easting", "eastings", "x_easting"),
    "northing": ("northing", "northings", "y_northing"),
}


def coordinate_columns(columns: list[str], mapped: dict[str, str]) -> dict[str, str]:
    """Coordinate columns found in a header (``Latitude``, ``lng``, ``Easting`` …) not mapped yet.

    Latitude and longitude are taken as a pair, and so are easting and northing.
    """
    lower = {c.strip().lower(): c for c in columns}
    found: dict[str, str] = {}
    for key, names in COORDINATE_HEADERS.items():
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is not None and key not in mapped:
            found[key] = hit
    pairs = (("lat", "lon"), ("easting", "northing"))
    return {
        k: v
        for a, b in pairs
        if (a in found or a in mapped) and (b in found or b in mapped)
        for k, v in found.items()
        if k in (a, b)
    }


def row_ids(prefix: str, frame: pd.DataFrame, parts: list[pd.Series]) -> pd.Series:
    """Stable ids for rows without one, from the columns that identify a row.

    The id hashes name, address, postcode and coordinates (whichever the register has),
    else the whole row; repeats get ``-2``, ``-3`` … in file order.

    No two rows share an id, so no row is lost as a "duplicate id".
    """
    keys = pd.concat(parts, axis=1).fillna("").astype(str) if parts else frame
    text = keys.astype(str).agg("|".join, axis=1)
    if (text.str.replace("|", "", regex=False) == "").any():  # nothing identifies some rows
        whole = frame.astype(str).agg("|".join, axis=1)
        text = text.where(text.str.replace("|", "", regex=False) != "", whole)
    base = pd.Series([stable_id(prefix, t) for t in text], index=frame.index)
    n = base.groupby(base).cumcount()
    return base.where(n == 0, base + "-" + (n + 1).astype(str))


def parse_category_map(text: str | None) -> dict[str, str]:
    """Parse a category map: ``value=category`` pairs, or a CSV file of (value, category).

    ``Library=library,Church=place_of_worship``; keys are matched case-insensitively.

    Raises
    ------
    UsageError
        When an entry has no ``=`` or names an unknown category.
    """
    if not text:
        return {}
    pairs: list[tuple[str, str]] = []
    if Path(text).is_file():
        table = read_register_csv(Path(text))
        if table.shape[1] < 2:
            raise UsageError(
                f"{text}: a category map file needs two columns (value, category)",
                argument="category_map",
            )
        pairs = list(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    else:
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise UsageError(
                    f"entry {part!r} must look like value=category", argument="category_map"
                )
            value, cat = part.rsplit("=", 1)
            pairs.append((value, cat))
    out: dict[str, str] = {}
    for value, cat in pairs:
        cat = str(cat).strip()
        if cat not in CATEGORY_KIND:
            raise UsageError(
                f"maps {value!r} to an unknown category {cat!r}", argument="category_map"
            )
        out[str(value).strip().lower()] = cat
    return out


def import_register(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    category_from: str | None = None,
    category_map: dict[str, str] | None = None,
    keep: list[str] | None = None,
    provenance: Provenance | None = None,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Import a register (CSV or TSV) as assets.

    Parameters
    ----------
    path
        The CSV or tab-separated file (the separator is sniffed).
    mapping
        cwb column → source column; overrides the preset's entries. A source column
        written ``=value`` is a constant every row takes (``owner_type==public`` for a
        council's register of its own property). ``lat``/``lon`` (``latitude``,
        ``longitude``, ``lng``) and ``easting``/``northing`` columns are found without one.
    preset
        A key of :data:`PRESETS` (``libraries``, ``gp_practices``, ``nhs_ods``, ``nhs_hospitals``,
        ``charity_commission``, ``companies_house``).
    category
        Asset category of every row (its kind follows); default the preset's, else ``building``.
    category_from, category_map
        Take each row's category from this column: its value looked up in ``category_map``
        (value → category, case-insensitive), or the value itself when it is a cwb
        category; rows with other values take ``category``.
    keep
        Source columns kept as extra asset columns under their own names (``url``, ``hours``).
    provenance
        Source, collector, date and licence (defaults: the file name, the preset's licence).
        ``collected_on`` comes from a mapped ``collected_on`` column, else this; when
        neither gives it, it stays empty and the result says so.
    postcodes
        A :class:`~cwb.dataset.postcodes.PostcodeLookup`, to locate rows with a postcode only.
    areas
        Area polygons to locate rows that only have an ``area_code``.

    Returns
    -------
    ImportResult
        ``tables["assets"]``; rows without a name are skipped, closed entries by the
        preset's rule, repeated source ids (the first is kept). Rows without a source id
        get :func:`row_ids`.

    Raises
    ------
    UsageError
        Unknown preset or category, or a mapped or kept column missing from the file.
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
    # ``owner_type==public``: a value every row takes (e.g. a register of public property)
    constants = {k: v[1:] for k, v in columns.items() if v.startswith("=")}
    columns = {k: v for k, v in columns.items() if k not in constants}
    frame = read_register_csv(path)
    columns.update(coordinate_columns(list(frame.columns), {**columns, **constants}))
    wanted = [f"{k}={v}" for k, v in columns.items()]
    wanted += [f"--keep {c}" for c in keep or []]
    wanted += [f"--category-from {category_from}"] if category_from else []
    missing = [
        w
        for w in wanted
        if w.split("=", 1)[-1].removeprefix("--keep ").removeprefix("--category-from ")
        not in frame.columns
    ]
    if missing:
        raise UsageError(
            f"{path.name}: column(s) not in the file: {', '.join(missing)}; "
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
    identifying = [
        _col(frame, columns[k])
        for k in ("name", "address", "postcode", "lat", "lon", "easting", "northing")
        if k in columns
    ]
    generated = row_ids(prefix.rstrip("-"), frame, identifying)
    out["id"] = (prefix + sep + source_ids).where(source_ids != "", generated)
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
    keep_rows = reason.isna()
    out = out[keep_rows]
    kept = frame[keep_rows]
    own = spec.category_from(kept) if spec and spec.category_from else None
    if category_from:
        own = _categories_from(kept[category_from], category_map or {}, category, result)
    out["category"] = own.fillna(category) if own is not None else category
    out["kind"] = out["category"].map(CATEGORY_KIND)
    for key, value in constants.items():
        out[key] = value
    if "address" in columns and "description" not in columns:
        out["description"] = _col(kept, columns["address"]).replace("", None)
    for column in keep or []:
        target = column if column not in out.columns else f"extra_{column}"
        out[target] = _col(kept, column).replace("", None)
    for date_col in ("collected_on", "last_verified"):
        if date_col in out:
            out[date_col] = [iso_date(v) or v for v in out[date_col]]
    if not provenance.collected_on and (
        "collected_on" not in out or out["collected_on"].isna().any()
    ):
        result.notes.append(
            "collected_on is unknown for rows without a date: left empty (they list as undated "
            "in `cwb stale`); give --collected-on DATE (the register's publication date) or "
            "--map collected_on=COLUMN"
        )
    result.tables["assets"] = located_table(
        "assets", out, postcodes=postcodes, areas=areas, provenance=provenance, result=result
    )
    log.info(
        "register %s: %d read, %d imported, %d skipped",
        path.name,
        result.read,
        len(out),
        len(result.skipped),
    )
    return result


def _categories_from(
    values: pd.Series, mapping: dict[str, str], fallback: str, result: ImportResult
) -> pd.Series:
    """Each row's category from its value (mapped, or itself a category); None when neither."""
    text = values.fillna("").astype(str).str.strip()
    lower = text.str.lower()
    out = lower.map(mapping)
    itself = lower.where(lower.isin(list(CATEGORY_KIND)))
    out = out.where(out.notna(), itself).astype(object)
    other = text[out.isna()]
    if len(other):
        counts = other.replace("", "(empty)").value_counts()
        shown = ", ".join(f"{v!r} × {n}" for v, n in counts.head(8).items())
        result.notes.append(
            f"{len(other)} row(s) have a {values.name} value with no category: "
            f"they are {fallback} ({shown}{' …' if len(counts) > 8 else ''})"
        )
    return out.where(out.notna(), None)
