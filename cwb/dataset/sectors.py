"""The one sector table: CPV/SIC codes and words → a sector → the skills that deliver it.

``cwb/resources/sectors.csv`` (columns ``scheme, code, label, sector, skills``) is
the single source that spend analysis (:mod:`cwb.spend.sectors`), the OCDS
importer and the 360Giving importer read:

- ``scheme = sector`` rows name each sector once, with the skills-vocabulary codes
  (``cwb/resources/skills.csv``) that can deliver it (``catering`` → ``catering``;
  ``health and care`` → ``care_worker;health_promotion``). An empty ``skills``
  cell says the vocabulary has no skill for it (medical supplies, energy …): a
  contract of that sector asks for :func:`sector_term` (``sector medical
  supplies``) and is matched only to organisations of the same sector, never to
  everyone;
- ``cpv`` and ``sic`` rows: a code prefix → a sector (the longest prefix wins);
- ``text`` rows: a buyer's expense category, normalised (``Purchases Food`` → food);
- ``activity`` rows: a word or phrase found, as whole words, in an organisation's
  name or description → a sector and the skills of that activity (``befriending``
  → community services, ``volunteering``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from cwb.text import normalise_text

__all__ = [
    "Activities",
    "cpv_sector",
    "find_activities",
    "sector_skills",
    "sector_table",
    "sector_term",
]

#: Schemes of the table's rows.
SCHEMES: tuple[str, ...] = ("sector", "cpv", "sic", "text", "activity")


@lru_cache(maxsize=1)
def sector_table() -> pd.DataFrame:
    """The bundled ``sectors.csv``: ``scheme, code, label, sector, skills`` (all text)."""
    path = resources.files("cwb") / "resources" / "sectors.csv"
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _skills_of_sector() -> dict[str, tuple[str, ...]]:
    table = sector_table()
    rows = table[table["scheme"] == "sector"]
    return {
        str(code).casefold(): tuple(s for s in str(skills).split(";") if s)
        for code, skills in zip(rows["code"], rows["skills"], strict=True)
    }


def sector_skills(sector: object) -> tuple[str, ...]:
    """The vocabulary codes that deliver a sector (``()`` for an unknown or unskilled one).

    >>> sector_skills("Health and care")
    ('care_worker', 'health_promotion')
    >>> sector_skills("medical supplies")
    ()
    """
    if not isinstance(sector, str):
        return ()
    return _skills_of_sector().get(sector.strip().casefold(), ())


def sector_term(sector: str) -> str:
    """The one thing asked of a sector that names no skill: ``"sector medical supplies"``.

    Matching treats it as a term of its own (unknown to the vocabulary), so only
    organisations of the same sector match, and a match's reasons read
    "has sector medical supplies": the link rests on the sector alone.
    """
    return f"sector {sector.strip()}"


@lru_cache(maxsize=1)
def _cpv_prefixes() -> dict[str, str]:
    table = sector_table()
    rows = table[table["scheme"] == "cpv"]
    return dict(zip(rows["code"], rows["sector"], strict=True))


def cpv_sector(code: object) -> str | None:
    """The sector of a CPV code by its longest known prefix (``"55520000-1"`` → catering).

    >>> cpv_sector("79713000-5")
    'security'
    >>> cpv_sector("") is None
    True
    """
    digits = re.sub(r"\D", "", str(code or ""))[:8]
    table = _cpv_prefixes()
    for end in range(len(digits), 1, -1):
        hit = table.get(digits[:end])
        if hit is not None:
            return hit
    return None


@dataclass(frozen=True)
class Activities:
    """What :func:`find_activities` found in a text: words, their sectors and skills."""

    words: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _activity_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    table = sector_table()
    rows = table[table["scheme"] == "activity"]
    words: dict[str, tuple[str, str]] = {}
    for code, sector, skills in zip(rows["code"], rows["sector"], rows["skills"], strict=True):
        words[normalise_text(code)] = (sector, skills)
    # longer phrases first, so "community development" wins over a shorter word in it
    alternatives = sorted(words, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in alternatives) + r")\b")
    return pattern, words


def find_activities(*texts: object) -> Activities:
    """Activity words in an organisation's texts (name, descriptions), in the order found.

    >>> found = find_activities("Carers Advice & Resource Establishment")
    >>> found.words, found.sectors, found.skills
    (('carers', 'advice'), ('health and care', 'community services'), ('care_worker', 'advice'))
    """
    pattern, table = _activity_pattern()
    words: list[str] = []
    sectors: list[str] = []
    skills: list[str] = []
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            continue
        for match in pattern.finditer(normalise_text(text)):
            word = match.group(1)
            if word in words:
                continue
            words.append(word)
            sector, codes = table[word]
            if sector not in sectors:
                sectors.append(sector)
            for code in codes.split(";") if codes else sector_skills(sector):
                if code and code not in skills:
                    skills.append(code)
    return Activities(tuple(words), tuple(sectors), tuple(skills))
