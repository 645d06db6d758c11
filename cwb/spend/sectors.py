"""Sector vocabulary: CPV codes, SIC codes and expense categories → cwb sectors.

Spend files describe what was bought in many ways: a CPV 2008 code from a
tender (``45000000-7``), a supplier's SIC 2007 code (``81.21``, ``8121``,
``81210``) or a buyer's own expense category (``Purchases Food``). The
bundled table ``cwb/resources/sectors.csv`` (the one sector table, shared
with the importers: :mod:`cwb.dataset.sectors`) turns each into one of the
sectors cwb uses for enterprises and spend (``catering``, ``cleaning``,
``construction`` ...), so that leaking spend can be compared with local
enterprises.

Rules, in order, for each ``sector`` cell (see :func:`classify_sectors`):

1. a key of the dataset's ``[spend] sector_map`` (case-insensitive) wins;
2. an 8-digit CPV code (optional check digit) takes the sector of the longest
   matching CPV code prefix in the table (``79713000`` → guard services →
   ``security``; ``79000000`` → ``professional services``);
3. a SIC code (``NN.N``, ``NN.NN``, 4 or 5 digits) likewise by the longest
   matching prefix of its digits (``81210`` → ``8121`` → ``cleaning``);
4. text equal, once normalised (case-folded, ``&`` as "and", punctuation as
   spaces), to a ``text`` row of the table;
5. anything else stays as given.

The original cell is kept in ``sector_source`` and the rule that applied in
``sector_scheme`` (``sector_map``, ``cpv``, ``sic``, ``text`` or ``given``).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import pandas as pd

from cwb.dataset.sectors import sector_table
from cwb.text import normalise_text

__all__ = [
    "SECTOR_SCHEMES",
    "classify_sectors",
    "sector_scheme_table",
    "sector_vocabulary",
]

log = logging.getLogger(__name__)

#: How a sector was found, in the order the rules apply.
SECTOR_SCHEMES: tuple[str, ...] = ("sector_map", "cpv", "sic", "text", "given")

_CPV = re.compile(r"^(\d{8})(?:-\d)?$")
_SIC_DOTTED = re.compile(r"^(\d{2})\.(\d{1,2})(?:/\d+)?$")
_SIC_DIGITS = re.compile(r"^\d{4,5}$")


def sector_vocabulary() -> pd.DataFrame:
    """The code and text rows of the bundled ``sectors.csv``: ``scheme, code, label, sector``."""
    table = sector_table()
    return table.loc[
        table["scheme"].isin(["cpv", "sic", "text"]), ["scheme", "code", "label", "sector"]
    ]


@lru_cache(maxsize=1)
def _lookups() -> dict[str, dict[str, str]]:
    table = sector_vocabulary()
    out: dict[str, dict[str, str]] = {"cpv": {}, "sic": {}, "text": {}}
    for scheme, code, sector in table[["scheme", "code", "sector"]].itertuples(index=False):
        key = normalise_text(code) if scheme == "text" else code.strip()
        out[scheme][key] = sector
    return out


def _longest_prefix(digits: str, table: dict[str, str]) -> str | None:
    for end in range(len(digits), 1, -1):
        hit = table.get(digits[:end])
        if hit is not None:
            return hit
    return None


def classify_one(value: object, sector_map: dict[str, str] | None = None) -> tuple[str, str]:
    """Return ``(sector, scheme)`` for one sector cell (see the module docstring for the rules)."""
    text = "" if value is None or value is pd.NA else str(value).strip()
    if not text or text.casefold() == "nan":
        return "unknown", "given"
    mapped = {str(k).casefold(): str(v) for k, v in (sector_map or {}).items()}
    if text.casefold() in mapped:
        return mapped[text.casefold()], "sector_map"
    lookups = _lookups()
    compact = text.replace(" ", "")
    cpv = _CPV.match(compact)
    if cpv:
        hit = _longest_prefix(cpv.group(1), lookups["cpv"])
        if hit is not None:
            return hit, "cpv"
        return text, "given"
    dotted = _SIC_DOTTED.match(compact)
    if dotted or _SIC_DIGITS.match(compact):
        digits = dotted.group(1) + dotted.group(2) if dotted else compact
        hit = _longest_prefix(digits, lookups["sic"])
        if hit is not None:
            return hit, "sic"
        return text, "given"
    hit = lookups["text"].get(normalise_text(text))
    if hit is not None:
        # a cell that already names the sector is kept, not counted as translated
        return hit, "given" if hit.casefold() == text.casefold() else "text"
    return text, "given"


def classify_sectors(values: pd.Series, sector_map: dict[str, str] | None = None) -> pd.DataFrame:
    """Map sector cells to cwb sectors; return ``sector``, ``sector_source``, ``sector_scheme``.

    Each distinct value is classified once (:func:`classify_one`); empty cells
    become ``unknown`` (scheme ``given``). The result has the index of ``values``.
    """
    source = values.astype("string").str.strip().replace("", pd.NA)
    unique = source.dropna().unique()
    found = {v: classify_one(v, sector_map) for v in unique}
    sector = source.map(lambda v: found[v][0] if v in found else "unknown")
    scheme = source.map(lambda v: found[v][1] if v in found else "given")
    return pd.DataFrame(
        {
            "sector": sector.astype(object),
            "sector_source": source.astype(object).where(source.notna(), None),
            "sector_scheme": scheme.astype(object),
        },
        index=values.index,
    )


def sector_scheme_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read and £ per sector rule (``sector_scheme``), with included £ beside.

    One line per scheme of :data:`SECTOR_SCHEMES` (zeros included), so the
    lines add up to the rows read; ``values`` counts the distinct source
    cells each rule translated.
    """
    gbp = frame["amount_gbp"].fillna(0.0)
    included = frame["status"] == "included"
    rows = []
    for scheme in SECTOR_SCHEMES:
        hit = frame["sector_scheme"] == scheme
        rows.append(
            {
                "scheme": scheme,
                "transactions": int(hit.sum()),
                "amount_gbp": round(float(gbp[hit].sum()), 2),
                "included_gbp": round(float(gbp[hit & included].sum()), 2),
                "values": int(frame.loc[hit, "sector_source"].nunique()),
            }
        )
    table = pd.DataFrame(rows)
    mapped = table[~table["scheme"].isin(["given"])]
    log.info(
        "sectors: %s",
        "; ".join(
            f"{r.scheme} {r.transactions:,} rows £{r.amount_gbp:,.2f}"
            for r in mapped.itertuples()
            if r.transactions
        )
        or "no sector cell was translated",
    )
    return table
