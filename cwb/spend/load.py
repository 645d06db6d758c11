"""Spend tables: settings, cleaning, and loading messy files through column mappings.

A spend file from an anchor institution rarely has cwb's column names. A
*column mapping* (a small TOML file, see ``cwb/resources/spend_mappings/``)
says which source column fills which column of :data:`cwb.dataset.schema.SPEND`, gives
constants (the buyer's name) and optional extraction rules. The loaded table is
a GeoDataFrame in EPSG:4326 with every SPEND column, located by supplier
postcode through a :class:`cwb.dataset.postcodes.PostcodeLookup` when one is given;
rows that cannot be located keep an empty geometry and ``precision == "none"``.

This module also turns the ``[spend]`` section of ``dataset.toml`` into
:class:`SpendSettings` and prepares transactions for analysis
(:func:`prepare_transactions`): amounts to GBP, duplicates, credit notes.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb import settings
from cwb.dataset.locate import locate_frame
from cwb.dataset.parsing import (
    AMOUNT_DASH,
    AMOUNT_EMPTY,
    AMOUNT_UNREADABLE,
    DATE_EMPTY,
    DATE_MONTH,
    DATE_UNREADABLE,
    name_rows,
)
from cwb.dataset.parsing import parse_amounts as read_amounts
from cwb.dataset.parsing import parse_dates as read_dates
from cwb.dataset.schema import ORG_TYPES, SPEND
from cwb.dataset.sheets import read_published_table
from cwb.errors import DatasetError, Problem, UsageError
from cwb.spend.sectors import classify_sectors
from cwb.text import normalise_names

if TYPE_CHECKING:
    from cwb.dataset.postcodes import PostcodeSource


log = logging.getLogger(__name__)

#: Currency of every figure cwb reports.
BASE_CURRENCY = "GBP"

#: Exclusion codes, in the order they are applied, with the reason shown to the user.
EXCLUSIONS: dict[str, str] = {
    "invalid_amount": "amount missing or not a number",
    "no_fx_rate": "currency has no exchange rate in [spend] fx",
    "duplicate": "same buyer, supplier, amount, currency and date as an earlier row",
    "net_credit": "supplier's credit notes exceed its payments from this buyer (net negative)",
}
INCLUDED = "included"
#: The ``buyer`` label of rows that cover every buyer together.
ALL_BUYERS = "(all buyers)"
#: Key of ``GeoDataFrame.attrs`` holding a column mapping's ``[spend]`` settings.
MAPPING_SETTINGS = "cwb_spend_mapping_settings"
#: Key of ``GeoDataFrame.attrs`` holding what reading the file decided and could not read.
READ_NOTES = "cwb_spend_read_notes"

#: Size bands counted as small or medium enterprises.
SME_BANDS = frozenset({"micro", "small", "medium", "sme"})
NOT_SME_BANDS = frozenset({"large"})

_TRUE = frozenset({"true", "yes", "y", "1", "t", "sme"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})

#: A cell that makes a row a sheet's total line.
TOTAL_LINE = re.compile(r"^(?:grand\s+|sub-?\s*)?totals?\s*:?$", re.I)

#: A UK postcode inside free text (outward code, optional space, inward code).
POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SpendSettings:
    """The ``[spend]`` section of ``dataset.toml``, with documented defaults.

    Attributes
    ----------
    geographies
        Nested "local" geographies, innermost first, each a dict such as
        ``{name="neighbourhood", areas="all"}``, ``{name="Sandwell",
        local_authority="Sandwell"}``, ``{name="wards", codes=[...]}``,
        ``{name="Black Country", file="black_country.geojson"}`` or
        ``{name="West Midlands", postcode_areas=["B", "WS"]}``.
    local
        Name of the geography that counts as *local* (default: the first).
    regional
        Name of the geography that counts as the *region* (default: the
        ``region`` built from ``region_postcode_areas``, else the last
        geography when there are two or more).
    region_postcode_areas
        Postcode areas (``B``, ``WS`` …) of the region; adds a geography
        named ``region`` after the others.
    fx
        Exchange rates to GBP: ``{EUR = 0.85}`` means 1 EUR = £0.85.
    default_local_respend
        LM3 round 3: share of a local supplier's income re-spent locally when
        the supplier survey has no answer for it.
    employees
        Per buyer, ``{payroll = £, local_share = 0..1, local_respend = 0..1}``:
        adds local wages to LM3 rounds 1-3.
    survey
        Path (relative to the dataset) of a supplier survey CSV with
        ``supplier_name`` and/or ``supplier_id`` and ``local_respend``.
    deprived_indicator, deprived_max
        Spend "into the most deprived areas" is spend with suppliers in areas
        whose indicator is at most ``deprived_max`` (IMD decile 1-2 by default).
    before_after
        Cut-off date for the before/after comparison (default: the first
        project's ``opened`` date, when it has one).
    year_start_month
        First month of the reporting year: 4 (UK financial year, default) or 1.
    top
        How many top suppliers to list.
    duplicate_key
        Extra columns (beyond buyer, supplier, amount, currency, date) that
        must also match for two rows to be duplicates, e.g. a card number.
    social_types
        Organisation types counted in the social-enterprise share.
    sector_map
        Spend sector cell → cwb sector (case-insensitive). It wins over the
        bundled vocabulary ``cwb/resources/sectors.csv`` (CPV codes,
        SIC codes, common expense categories); cells neither names keep
        their value (see :mod:`cwb.spend.sectors`).
    buyer_projects
        Buyer → project id, for re-localisable opportunities.
    min_leakage
        Sectors leaking less than this (£) are not turned into opportunities.
    enterprise_categories
        Financial asset categories that can win a contract.
    supplier_register
        Path (relative to the dataset) of a CSV/XLSX/Parquet table of
        suppliers: ``supplier_name``, ``company_number``, ``postcode`` and/or
        ``lat``/``lon``, ``sme``, ``org_type``, ``size_band``. Unlocated spend
        rows are located through it (see :mod:`cwb.spend.register`).
    register_assets
        Whether the dataset's located financial assets also act as a
        supplier register (default true; a register file's entries win).
    register_fuzzy_threshold
        Lowest rapidfuzz ``token_sort_ratio`` score (0-100) of a fuzzy name
        match (default 92); two best candidates in different places never match.
    """

    geographies: tuple[dict[str, Any], ...] = ({"name": "neighbourhood", "areas": "all"},)
    local: str | None = None
    regional: str | None = None
    region_postcode_areas: tuple[str, ...] = ()
    fx: dict[str, float] = field(default_factory=dict)
    default_local_respend: float = settings.LOCAL_RESPEND
    employees: dict[str, dict[str, float]] = field(default_factory=dict)
    survey: str | None = None
    deprived_indicator: str = "imd_decile"
    deprived_max: float = settings.DEPRIVED_MAX
    before_after: str | None = None
    year_start_month: int = settings.YEAR_START_MONTH
    top: int = settings.SPEND_TOP
    duplicate_key: tuple[str, ...] = ()
    social_types: tuple[str, ...] = ("social_enterprise", "cooperative")
    sector_map: dict[str, str] = field(default_factory=dict)
    buyer_projects: dict[str, str] = field(default_factory=dict)
    min_leakage: float = 0.0
    enterprise_categories: tuple[str, ...] = ("business", "social_enterprise", "cooperative")
    supplier_register: str | None = None
    register_assets: bool = True
    register_fuzzy_threshold: float = settings.REGISTER_FUZZY_THRESHOLD


_SETTING_NAMES = set(SpendSettings.__dataclass_fields__)


def spend_settings(section: dict[str, Any], *, file: str = "dataset.toml") -> SpendSettings:
    """Parse the ``[spend]`` section; every problem is reported at once.

    Unknown keys are logged as warnings and ignored.

    Raises
    ------
    DatasetError
        When a value has the wrong type or range.
    """
    problems: list[Problem] = []

    def bad(key: str, value: object, reason: str) -> None:
        problems.append(Problem(file=file, column=f"spend.{key}", value=str(value), reason=reason))

    kwargs: dict[str, Any] = {}
    for key, value in section.items():
        if key not in _SETTING_NAMES:
            log.warning(
                "%s: unknown [spend] setting %r ignored; known: %s",
                file,
                key,
                ", ".join(sorted(_SETTING_NAMES)),
            )
            continue
        try:
            kwargs[key] = _coerce_setting(key, value)
        except (TypeError, ValueError) as exc:
            bad(key, value, str(exc))
    if problems:
        raise DatasetError(problems, summary="the [spend] section of dataset.toml has errors")
    return SpendSettings(**kwargs)


def _coerce_setting(key: str, value: Any) -> Any:
    default = SpendSettings.__dataclass_fields__[key].default
    if key == "geographies":
        if not isinstance(value, list) or not all(
            isinstance(g, dict) and g.get("name") for g in value
        ):
            raise ValueError("must be a list of tables, each with a name")
        return tuple(dict(g) for g in value)
    if key in ("fx", "sector_map", "buyer_projects", "employees"):
        if not isinstance(value, dict):
            raise ValueError("must be a table")
        if key == "fx":
            rates = {str(k).upper(): float(v) for k, v in value.items()}
            if any(r <= 0 for r in rates.values()):
                raise ValueError("exchange rates must be positive")
            return rates
        if key == "employees":
            return {str(k): {str(a): float(b) for a, b in v.items()} for k, v in value.items()}
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("must be a list")
        items = tuple(str(v) for v in value)
        return tuple(v.upper() for v in items) if key == "region_postcode_areas" else items
    if key in ("default_local_respend",):
        share = float(value)
        if not 0 <= share <= 1:
            raise ValueError("must be a share between 0 and 1")
        return share
    if key == "register_assets":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if key == "register_fuzzy_threshold":
        score = float(value)
        if not 0 < score <= 100:
            raise ValueError("must be a score above 0 and at most 100")
        return score
    if key in ("deprived_max", "min_leakage"):
        return float(value)
    if key in ("top", "year_start_month"):
        number = int(value)
        if key == "year_start_month" and not 1 <= number <= 12:
            raise ValueError("must be a month number 1-12")
        return number
    return None if value in ("", None) else str(value)


# --------------------------------------------------------------------------- cleaning


def parse_amounts(values: pd.Series) -> pd.Series:
    """Amounts as floats: ``£1,234.50``, ``(12.00)`` (accounting negative), ``-5``, ``£-`` (0).

    Text that is not a number gives NaN (see :func:`cwb.dataset.parsing.parse_amounts`).
    """
    return read_amounts(values).values


def parse_sme(sme: pd.Series, size_band: pd.Series) -> pd.Series:
    """SME flag as ``"sme"``, ``"not_sme"`` or ``"unknown"`` from ``sme``, else ``size_band``."""
    # as objects: an all-empty ``sme`` column is read as boolean, and stays so after map
    flag = sme.astype(object).map(_bool_word).astype(object)
    band = size_band.fillna("").astype(str).str.strip().str.casefold()
    from_band = pd.Series(
        np.where(
            band.isin(SME_BANDS), "sme", np.where(band.isin(NOT_SME_BANDS), "not_sme", "unknown")
        ),
        index=sme.index,
    )
    return flag.fillna(from_band).astype(str)


def _bool_word(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "sme" if value else "not_sme"
    word = str(value).strip().casefold()
    if word in _TRUE:
        return "sme"
    if word in _FALSE:
        return "not_sme"
    return None


def date_values(dates: pd.Series) -> pd.Series:
    """The dates of :func:`cwb.dataset.parsing.parse_dates`, each distinct cell read once.

    (A spend file repeats a few hundred dates over many thousand rows.)
    """
    if not (
        isinstance(dates.dtype, pd.StringDtype) or pd.api.types.is_datetime64_any_dtype(dates.dtype)
    ):
        # objects: 1, 1.0 and True are one key to factorize but three texts to parse_dates
        return read_dates(dates).values
    cell_of, cells = pd.factorize(dates, use_na_sentinel=False)
    distinct = read_dates(pd.Series(cells, dtype=dates.dtype)).values
    return pd.Series(distinct.to_numpy()[cell_of], index=dates.index, dtype=distinct.dtype)


def financial_year(dates: pd.Series, periods: pd.Series, start_month: int) -> pd.Series:
    """Reporting-year label of each row: ``2016-17`` (start_month 4) or ``2016`` (start_month 1).

    Rows without a date use their ``period`` text; rows with neither get ``"unknown"``.
    """
    parsed = date_values(dates)
    year = parsed.dt.year
    if start_month == 1:
        label = year.astype("Int64").astype("string")
    else:
        first = (year - (parsed.dt.month < start_month).astype("Int64")).astype("Int64")
        label = first.astype("string") + "-" + ((first + 1) % 100).astype("string").str.zfill(2)
    fallback = periods.astype("string").str.strip().replace("", pd.NA)
    return label.fillna(fallback).fillna("unknown").astype(str)


def prepare_transactions(spend: pd.DataFrame, settings: SpendSettings) -> pd.DataFrame:
    """Classify every row as included or excluded (with a reason) and convert amounts to GBP.

    Adds the columns ``amount_gbp`` (NaN when it cannot be converted),
    ``status`` (``included`` or an :data:`EXCLUSIONS` code), ``credit``
    (negative amount), ``supplier_key`` (supplier id, else the normalised
    name), ``sme_flag``, and ``sector_source``/``sector_scheme`` beside a
    ``sector`` translated to cwb's vocabulary (:mod:`cwb.spend.sectors`).
    Nothing is dropped: excluded rows stay, flagged.

    Rules, applied in order: an amount that is missing or not a number is
    ``invalid_amount``; a currency other than GBP without a rate in
    ``settings.fx`` is ``no_fx_rate``; a row equal to an earlier one on buyer,
    supplier, amount, currency and date (plus ``settings.duplicate_key``) is a
    ``duplicate``; credit notes (negative amounts) are netted against the same
    buyer's payments to the same supplier, and when a supplier's net is
    negative all its rows are ``net_credit`` and reported separately.
    """
    frame = spend.copy()
    amount = parse_amounts(frame["amount"])
    currency = frame["currency"].astype("string").str.strip().str.upper().replace("", pd.NA)
    currency = currency.fillna(BASE_CURRENCY).astype(str)
    rates = {BASE_CURRENCY: 1.0, **settings.fx}
    rate = currency.map(rates).astype("float64")
    frame["amount"] = amount.astype("float64")
    frame["currency"] = currency
    frame["amount_gbp"] = (amount * rate).round(2)
    status = pd.Series(INCLUDED, index=frame.index, dtype=object)
    status[amount.isna()] = "invalid_amount"
    status[(status == INCLUDED) & rate.isna()] = "no_fx_rate"

    frame["buyer"] = frame["buyer"].fillna("").astype(str).str.strip()
    supplier_id = frame["supplier_id"].astype("string").str.strip().str.upper().replace("", pd.NA)
    frame["supplier_key"] = supplier_id.fillna(normalise_names(frame["supplier_name"])).astype(str)

    key = ["buyer", "supplier_key", "amount", "currency", "date", *settings.duplicate_key]
    missing = [k for k in settings.duplicate_key if k not in frame.columns]
    if missing:
        raise UsageError(
            f"[spend] duplicate_key names columns the spend table does not have: {missing}"
        )
    candidates = frame[status == INCLUDED]
    dup = candidates[key].astype("string").fillna("").duplicated(keep="first")
    status[dup[dup].index] = "duplicate"

    frame["credit"] = amount < 0
    live = status == INCLUDED
    net = frame.loc[live].groupby(["buyer", "supplier_key"])["amount_gbp"].transform("sum")
    status[net[net < -0.005].index] = "net_credit"
    frame["status"] = status
    frame["sme_flag"] = parse_sme(frame["sme"], frame["size_band"])
    org = frame["org_type"].fillna("").astype(str).str.strip().str.casefold()
    frame["org_type"] = org.where(org.isin(ORG_TYPES), "unknown")
    # sector codes and categories → cwb sectors; the original cell is kept in sector_source
    given = frame["sector_source"] if "sector_source" in frame else frame["sector"]
    sectors = classify_sectors(given, settings.sector_map)
    frame[list(sectors.columns)] = sectors
    return frame


def reconciliation(frame: pd.DataFrame) -> pd.DataFrame:
    """How the rows read split into included and each exclusion reason.

    One row per line (``read``, ``included``, of which credit notes netted, each
    exclusion) with ``transactions`` and ``amount_gbp``. The ``included`` and
    exclusion lines add up to ``read``, in transactions and in £ (rows whose
    amount could not be converted count as £0 and are listed in ``other_currency``).
    """
    gbp = frame["amount_gbp"].fillna(0.0)
    rows = [
        {
            "line": "read",
            "reason": "every row of the spend table",
            "transactions": len(frame),
            "amount_gbp": round(float(gbp.sum()), 2),
            "other_currency": "",
        }
    ]
    inc = frame["status"] == INCLUDED
    rows.append(
        {
            "line": INCLUDED,
            "reason": "counted in every figure",
            "transactions": int(inc.sum()),
            "amount_gbp": round(float(gbp[inc].sum()), 2),
            "other_currency": "",
        }
    )
    credits = inc & frame["credit"]
    rows.append(
        {
            "line": "  of which credit notes",
            "reason": "negative amounts netted against the same supplier",
            "transactions": int(credits.sum()),
            "amount_gbp": round(float(gbp[credits].sum()), 2),
            "other_currency": "",
        }
    )
    for code, reason in EXCLUSIONS.items():
        rows_ = frame["status"] == code
        other = ""
        if code == "no_fx_rate" and rows_.any():
            sums = frame.loc[rows_].groupby("currency")["amount"].sum()
            other = "; ".join(f"{cur} {val:,.2f}" for cur, val in sums.items())
        rows.append(
            {
                "line": f"excluded: {code}",
                "reason": reason,
                "transactions": int(rows_.sum()),
                "amount_gbp": round(float(gbp[rows_].sum()), 2),
                "other_currency": other,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- column mappings


@dataclass(frozen=True)
class SpendMapping:
    """How the columns of a source file fill cwb's spend table.

    ``columns`` maps a SPEND column to a source column, or to a list of source
    columns of which the first non-empty one wins (for ``amount`` and
    ``currency`` given as lists of equal length, the currency is taken from
    the same position as the amount). ``constants`` fills columns with a
    fixed value; ``extra`` keeps further source columns under new names;
    ``postcode_from`` lists source columns searched for a postcode in free
    text, written to the column ``postcode_into``.
    """

    name: str
    description: str
    columns: dict[str, str | list[str]]
    constants: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    postcode_from: tuple[str, ...] = ()
    postcode_into: str = "postcode"
    id_prefix: str = "T"
    source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def mapping_names() -> list[str]:
    """Names of the column mappings shipped with cwb."""
    folder = resources.files("cwb") / "resources" / "spend_mappings"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def read_mapping(name_or_path: str | Path) -> SpendMapping:
    """Read a column mapping by bundled name (``bcc-pcards``) or from a TOML file.

    Raises
    ------
    UsageError
        When the mapping does not exist or is malformed.
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text, shown = path.read_text(encoding="utf-8"), str(path)
    else:
        bundled = resources.files("cwb") / "resources" / "spend_mappings" / f"{name_or_path}.toml"
        if not bundled.is_file():
            raise UsageError(
                f"no spend mapping {str(name_or_path)!r}: give a .toml file or one of "
                + ", ".join(mapping_names())
            )
        text, shown = bundled.read_text(encoding="utf-8"), f"{name_or_path}.toml"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{shown} is not valid TOML: {exc}") from None
    meta = raw.get("mapping", {})
    columns = raw.get("columns", {})
    unknown = [c for c in columns if c not in SPEND.column_names]
    if unknown:
        raise UsageError(
            f"{shown}: [columns] names unknown spend columns {unknown}; "
            f"known: {', '.join(SPEND.column_names)}"
        )
    extraction = raw.get("postcode_from_text", {})
    return SpendMapping(
        name=str(meta.get("name", path.stem)),
        description=str(meta.get("description", "")),
        source=str(meta.get("source", "")),
        id_prefix=str(meta.get("id_prefix", "T")),
        columns={k: v for k, v in columns.items()},
        constants={k: str(v) for k, v in raw.get("constants", {}).items()},
        extra={k: str(v) for k, v in raw.get("extra", {}).items()},
        postcode_from=tuple(extraction.get("columns", ())),
        postcode_into=str(extraction.get("into", "postcode")),
        settings=dict(raw.get("spend", {})),
    )


def identity_mapping(columns: list[str]) -> SpendMapping:
    """Build a mapping for a file that already uses cwb's spend column names.

    Raises
    ------
    UsageError
        When a required spend column is missing.
    """
    missing = [c for c in SPEND.required_columns if c not in columns]
    if missing:
        raise UsageError(
            f"the spend file lacks the columns {missing}: give a column mapping "
            f"(bundled: {', '.join(mapping_names())})",
            argument="mapping",
        )
    known: dict[str, str | list[str]] = {
        c: c for c in SPEND.column_names if c in columns and c != "precision"
    }
    extra = {c: c for c in columns if c not in known and c != "precision"}
    return SpendMapping(name="cwb", description="cwb spend columns", columns=known, extra=extra)


def apply_mapping(
    raw: pd.DataFrame, mapping: SpendMapping, *, file: str = "spend file"
) -> pd.DataFrame:
    """Turn a raw table (text cells) into a spend table with every SPEND column.

    Raises
    ------
    DatasetError
        When a source column named by the mapping is not in the file.
    """
    raw = raw.fillna("").astype(str)
    wanted = mapping_sources(mapping)
    missing = sorted({c for c in wanted if c not in raw.columns})
    if missing:
        raise DatasetError(
            [
                Problem(
                    file=file,
                    column=c,
                    reason=f"column named by mapping {mapping.name!r} "
                    f"is not in the file (it has {', '.join(raw.columns)})",
                )
                for c in missing
            ]
        )
    out = pd.DataFrame(index=raw.index)
    amount_pick: pd.Series | None = None
    for target, source in mapping.columns.items():
        if isinstance(source, list):
            values, pick = _first_non_empty(raw, source)
            if target == "amount":
                amount_pick = pick
            out[target] = values
        else:
            out[target] = raw[source]
    cur = mapping.columns.get("currency")
    amt = mapping.columns.get("amount")
    if (
        amount_pick is not None
        and isinstance(cur, list)
        and isinstance(amt, list)
        and len(cur) == len(amt)
    ):
        stacked = np.stack([raw[c].to_numpy() for c in cur], axis=1)
        out["currency"] = stacked[np.arange(len(raw)), amount_pick.to_numpy()]
    for target, value in mapping.constants.items():
        out[target] = value
    for target, source in mapping.extra.items():
        out[target] = raw[source]
    if mapping.postcode_from:
        found = pd.Series(pd.NA, index=raw.index, dtype="string")
        for column in mapping.postcode_from:
            found = found.fillna(extract_postcode(raw[column]))
        out[mapping.postcode_into] = found
    if "id" not in out:
        width = len(str(len(out)))
        out["id"] = [f"{mapping.id_prefix}{i:0{width}d}" for i in range(1, len(out) + 1)]
    for column in SPEND.column_names:
        if column not in out:
            out[column] = pd.NA
    out = out.replace("", pd.NA)
    extras = [c for c in out.columns if c not in SPEND.column_names]
    return out[SPEND.column_names + extras]


def _first_non_empty(raw: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, pd.Series]:
    values = raw[columns].to_numpy()
    filled = values != ""
    pick = np.where(filled.any(axis=1), filled.argmax(axis=1), len(columns) - 1)
    return pd.Series(values[np.arange(len(raw)), pick], index=raw.index), pd.Series(
        pick, index=raw.index
    )


def extract_postcode(text: pd.Series) -> pd.Series:
    """Find the first UK-shaped postcode in each free-text cell (normalised), else missing."""
    found = text.fillna("").astype(str).str.upper().str.extract(POSTCODE_IN_TEXT)
    joined = found[0] + " " + found[1]
    return joined.astype("string")


def locate_spend(table: pd.DataFrame, postcodes: PostcodeSource | None = None) -> gpd.GeoDataFrame:
    """Locate spend rows by their coordinates or supplier postcode; unlocated rows keep none.

    ``postcodes`` is anything :func:`cwb.dataset.postcodes.as_postcode_lookup`
    takes (a lookup, a DataFrame with postcode/lat/lon, a CSV path) or None
    (only rows with coordinates are located). Rows are located by
    :func:`cwb.dataset.locate.locate_frame`: valid ``lat``/``lon`` first, then the
    postcode; out-of-range coordinates are not used.
    """
    return locate_frame(table, postcodes=postcodes, table="spend").apply(table)


def read_spend_file(
    path: str | Path,
    mapping: str | Path | SpendMapping | None = None,
    *,
    postcodes: PostcodeSource | None = None,
    sheet: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a raw spend file (CSV or .xlsx) through a column mapping and locate it.

    Amounts and dates are read with :mod:`cwb.dataset.parsing` (thousands commas,
    currency signs, brackets, ``£-`` as zero; dates day first) whatever pandas
    version is installed: ``amount`` becomes a float and ``date`` ISO text; the
    cells as written are kept in ``amount_as_written`` and ``date_as_written``,
    the file's row number in ``source_row``. What the reader decided and every
    cell it could not read are listed in ``attrs[READ_NOTES]``.

    Parameters
    ----------
    path
        The source file.
    mapping
        A :class:`SpendMapping`, a bundled mapping name (``bcc-pcards``) or a
        TOML path; None when the file already has cwb's spend column names.
    postcodes
        A postcode lookup (see :func:`locate_spend`); without one no row is located.
    sheet
        Workbook sheet (name, or position from 1); default the first.

    Returns
    -------
    GeoDataFrame
        The spend table (EPSG:4326, every SPEND column plus the mapping's extras).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"spend file {path} does not exist")
    if mapping is not None and not isinstance(mapping, SpendMapping):
        mapping = read_mapping(mapping)
    expected = mapping_sources(mapping) if mapping is not None else list(SPEND.required_columns)
    published = read_published_table(path, sheet=sheet, expected=expected)
    raw = published.cells
    if mapping is None:
        mapping = identity_mapping(list(raw.columns))
    notes = list(published.notes)
    totals = total_lines(raw, mapping)
    if totals.any():
        shown = name_rows(
            published.rows[totals],
            raw.loc[totals].apply(lambda r: " ".join(c for c in r if c), axis=1),
        )
        notes.append(
            f"{path.name}: {int(totals.sum())} total line(s) skipped, not payments: {shown}"
        )
        raw = raw[~totals].reset_index(drop=True)
        published.rows = published.rows[~totals].reset_index(drop=True)
    log.info("read %d rows from %s with mapping %s", len(raw), path, mapping.name)
    table = apply_mapping(raw, mapping, file=path.name)
    notes += clean_amounts_and_dates(table, published.rows, path.name)
    table["source_row"] = published.rows.to_numpy()
    located = locate_spend(table, postcodes)
    located.attrs[MAPPING_SETTINGS] = dict(mapping.settings)
    located.attrs[READ_NOTES] = notes
    return located


def total_lines(raw: pd.DataFrame, mapping: SpendMapping) -> pd.Series:
    """Rows that are a sheet's total, not a payment: a cell reads ``Total``, no supplier named.

    A cell matching :data:`TOTAL_LINE` (``Total``, ``Grand total``, ``Sub-total:``) marks the
    row when the mapping's supplier cell is empty or is that word.
    """
    marked = pd.Series(False, index=raw.index)
    for column in raw.columns:
        marked |= raw[column].astype(str).str.strip().str.match(TOTAL_LINE)
    source = mapping.columns.get("supplier_name")
    names = [source] if isinstance(source, str) else list(source or [])
    for name in (n for n in names if n in raw.columns):
        cell = raw[name].astype(str).str.strip()
        marked &= (cell == "") | cell.str.match(TOTAL_LINE)
    return marked


def mapping_sources(mapping: SpendMapping) -> list[str]:
    """Every source column a mapping reads."""
    wanted: list[str] = []
    for source in [*mapping.columns.values(), *mapping.extra.values()]:
        wanted += source if isinstance(source, list) else [source]
    return [*wanted, *mapping.postcode_from]


def clean_amounts_and_dates(table: pd.DataFrame, rows: pd.Series, file: str) -> list[str]:
    """Parse ``amount`` and ``date`` of a mapped spend table in place; return the notes.

    The counts of each note add up to the rows of the table: amounts read,
    written as a dash (read as £0), empty, unreadable; dates read, month only,
    empty, unreadable. Unreadable cells are named by row and value; their rows
    stay (an unreadable amount is excluded as ``invalid_amount`` later, an
    unreadable date counts in the year ``unknown``).
    """
    n = len(table)
    line = pd.Series(rows.to_numpy(), index=table.index)
    amounts = read_amounts(table["amount"])
    table["amount_as_written"] = table["amount"]
    table["amount"] = amounts.values
    count = amounts.how.value_counts()
    dash, empty, bad = (
        int(count.get(k, 0)) for k in (AMOUNT_DASH, AMOUNT_EMPTY, AMOUNT_UNREADABLE)
    )
    notes = [
        f"{file}: {n:,} rows; amounts: {n - dash - empty - bad:,} read, {dash:,} written as a "
        f"dash (read as £0), {empty:,} empty, {bad:,} unreadable"
    ]
    if bad:
        unread = amounts.how == AMOUNT_UNREADABLE
        notes.append(
            f"{file}: amounts that are not numbers (excluded as invalid_amount): "
            + name_rows(line[unread], table.loc[unread, "amount_as_written"])
        )
    if table["date"].isna().all():
        return notes
    dates = read_dates(table["date"])
    table["date_as_written"] = table["date"]
    table["date"] = dates.iso()
    count = dates.how.value_counts()
    month, empty, bad = (int(count.get(k, 0)) for k in (DATE_MONTH, DATE_EMPTY, DATE_UNREADABLE))
    notes.append(
        f"{file}: dates (day first): {n - month - empty - bad:,} read, {month:,} month only "
        f"(read as the 1st), {empty:,} empty, {bad:,} unreadable"
    )
    for code, what in (
        (DATE_UNREADABLE, "dates that cannot be read (year 'unknown')"),
        (DATE_MONTH, "dates without a day"),
    ):
        rows_ = dates.how == code
        if rows_.any():
            notes.append(
                f"{file}: {what}: " + name_rows(line[rows_], table.loc[rows_, "date_as_written"])
            )
    return notes
