"""Indicators joined to areas by code, with a report of what matched, and IMD for 2021 LSOAs.

Joining a table by area code fails quietly when the codes are of another
vintage (ward codes change with every boundary review; LSOAs were redrawn in
2021). :func:`join_by_code` therefore always returns a :class:`JoinReport`
naming the area codes that found no row and the table's codes that found no
area. :func:`imd_for_lsoa21` carries IMD 2019 (published for 2011 LSOAs) to 2021
LSOAs through the ONS LSOA 2011→2021 lookup.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cwb.dataset.geography import decile_of_rank, geography_level
from cwb.errors import UsageError, require_path

log = logging.getLogger(__name__)

#: Below this share of matched areas a join report suggests a vintage mismatch.
LOW_MATCH_SHARE = 0.5


@dataclass
class JoinReport:
    """What a join by code matched.

    Attributes
    ----------
    source
        The table joined (file name or a label).
    level
        The areas it was joined to (``ward``, ``lsoa11`` …).
    areas, matched
        Areas joined, and how many found a row.
    unmatched_areas
        Codes of areas with no row in the table.
    unused_codes
        How many codes of the table found no area (most are areas elsewhere).
    columns
        The indicator columns joined.
    table_level, area_level
        The ONS geography most of the table's codes and of the areas' codes are of
        (``"MSOA"``, ``"LSOA"`` …; empty when they are not ONS codes).
    """

    source: str
    level: str
    areas: int
    matched: int
    unmatched_areas: list[str] = field(default_factory=list)
    unused_codes: int = 0
    columns: list[str] = field(default_factory=list)
    table_level: str = ""
    area_level: str = ""

    def message(self) -> str:
        """One line for the user, with a hint when few areas matched."""
        named = (
            ", ".join(self.columns) if len(self.columns) <= 3 else f"{len(self.columns)} columns"
        )
        text = (
            f"{self.source} → {self.level}: {self.matched} of {self.areas} areas matched by code"
            f" ({named or 'no columns'})"
        )
        if self.unmatched_areas:
            shown = ", ".join(self.unmatched_areas[:6])
            more = len(self.unmatched_areas) - 6
            text += f"; no row for {shown}" + (f" and {more} more" if more > 0 else "")
        if not self.areas or self.matched / self.areas >= LOW_MATCH_SHARE:
            return text
        if self.table_level and self.area_level and self.table_level != self.area_level:
            text += (
                f"; fewer than half matched: the table's codes are {self.table_level} codes"
                f" and the areas' are {self.area_level} codes: join a table of"
                f" {self.area_level} codes, or build the areas from {self.table_level} boundaries"
            )
        else:
            text += (
                "; fewer than half matched: the table's codes may be of other boundaries "
                "(ward codes change with boundary reviews, LSOAs changed in 2021)"
            )
        return text


def join_by_code(
    areas: pd.DataFrame,
    table: pd.DataFrame,
    *,
    code: str,
    columns: list[str] | None = None,
    source: str = "table",
    level: str = "areas",
) -> tuple[pd.DataFrame, JoinReport]:
    """Add ``table``'s indicator ``columns`` to ``areas`` where its ``code`` equals ``areas.code``.

    Columns default to the table's numeric columns (numbers written with
    thousands commas count). Areas without a row get missing values; nothing is
    dropped. Existing columns of the same name are replaced.

    Raises
    ------
    UsageError
        When ``code`` is not a column of ``table``.
    """
    if code not in table.columns:
        raise UsageError(f"{source}: no code column {code!r}; columns are {list(table.columns)}")
    keys = table[code].astype(str).str.strip()
    if columns is None:
        columns = [c for c in table.columns if c != code and _numeric(table[c])]
    values = pd.DataFrame({c: _as_numbers(table[c]) for c in columns})
    values.index = keys
    values = values[~values.index.duplicated(keep="first")]
    out = areas.drop(columns=[c for c in columns if c in areas.columns]).copy()
    area_codes = out["code"].astype(str)
    for c in columns:
        out[c] = area_codes.map(values[c]).to_numpy()
    found = area_codes.isin(values.index)
    report = JoinReport(
        source=source,
        level=level,
        areas=len(out),
        matched=int(found.sum()),
        unmatched_areas=sorted(area_codes[~found].tolist()),
        unused_codes=int((~values.index.isin(area_codes)).sum()),
        columns=list(columns),
        table_level=most_common_level(keys),
        area_level=most_common_level(area_codes),
    )
    log.info(report.message())
    return out, report


def most_common_level(codes: pd.Series) -> str:
    """The ONS geography most of ``codes`` are of (:func:`geography_level`); "" if none."""
    levels = pd.Series([geography_level(c) for c in codes.drop_duplicates()], dtype="str")
    levels = levels[levels != ""]
    return str(levels.value_counts().index[0]) if len(levels) else ""


def _as_numbers(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.replace(",", "", regex=False).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    return numbers if numbers.notna().sum() >= values.notna().sum() * 0.9 else values


def _numeric(values: pd.Series) -> bool:
    given = values.dropna().astype(str).str.strip()
    given = given[given != ""]
    if given.empty:
        return False
    numbers = pd.to_numeric(given.str.replace(",", "", regex=False), errors="coerce")
    return bool(numbers.notna().mean() >= 0.9)


def read_indicator_table(path: str | Path, code: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV of indicators by area code; return it and its code column.

    The code column is ``code`` when given, else the first column whose values
    look like ONS codes (a letter and 8 digits, e.g. ``E05011152``).
    """
    path = require_path(path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if code is None:
        ons = table.apply(lambda s: s.astype(str).str.match(r"^[EWSN]\d{8}$").mean())
        candidates = ons[ons > 0.5]
        if candidates.empty:
            raise UsageError(
                f"{path.name}: no column of ONS area codes found; name it with "
                f"{path.name}:COLUMN (columns: {', '.join(table.columns)})"
            )
        code = str(candidates.index[0])
    return table, code


def imd_for_lsoa21(
    lookup: pd.DataFrame, imd: pd.DataFrame, population: pd.DataFrame | None = None
) -> pd.DataFrame:
    """IMD 2019 for 2021 LSOAs through the ONS LSOA 2011→2021 lookup.

    An unchanged (U) or split (S) 2021 LSOA takes its 2011 LSOA's rank and decile;
    a merged (M) one takes the population-weighted mean rank of its 2011 LSOAs
    (equal weights without ``population``) and that rank's national decile.

    Parameters
    ----------
    lookup
        ``lsoa11_code``, ``lsoa21_code`` (ONS names such as ``LSOA11CD`` accepted).
    imd
        :func:`cwb.dataset.geography.read_imd` output.
    population
        :func:`cwb.dataset.geography.read_population` output.

    Returns
    -------
    DataFrame
        ``lsoa_code`` (2021), ``imd_rank``, ``imd_decile``, ``lsoa11_count``.
    """
    pairs = _lookup_pairs(lookup)
    joined = pairs.merge(imd[["lsoa_code", "imd_rank"]], left_on="lsoa11", right_on="lsoa_code")
    if population is not None:
        joined = joined.merge(
            population.rename(columns={"lsoa_code": "lsoa11"}), on="lsoa11", how="left"
        )
        joined["_w"] = joined["population"].fillna(0.0).astype(float).clip(lower=0) + 1e-9
    else:
        joined["_w"] = 1.0
    joined["_wr"] = joined["_w"] * joined["imd_rank"].astype(float)
    grouped = joined.groupby("lsoa21").agg(
        _w=("_w", "sum"), _wr=("_wr", "sum"), lsoa11_count=("lsoa11", "nunique")
    )
    rank = (grouped["_wr"] / grouped["_w"]).round(1)
    return pd.DataFrame(
        {
            "lsoa_code": rank.index.to_numpy(),
            "imd_rank": rank.to_numpy(),
            "imd_decile": [decile_of_rank(r) for r in rank],
            "lsoa11_count": grouped["lsoa11_count"].to_numpy(),
        }
    )


def _lookup_pairs(lookup: pd.DataFrame) -> pd.DataFrame:
    lower = {c.lower(): c for c in lookup.columns}
    old = next((lower[c] for c in ("lsoa11_code", "lsoa11cd") if c in lower), None)
    new = next((lower[c] for c in ("lsoa21_code", "lsoa21cd") if c in lower), None)
    if old is None or new is None:
        raise UsageError(
            "the LSOA lookup needs lsoa11_code and lsoa21_code columns (or LSOA11CD, "
            f"LSOA21CD); it has {', '.join(lookup.columns)}"
        )
    return pd.DataFrame(
        {
            "lsoa11": lookup[old].astype(str).str.strip(),
            "lsoa21": lookup[new].astype(str).str.strip(),
        }
    ).drop_duplicates()
