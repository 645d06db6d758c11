"""Random draws and the skill vocabulary of synthetic datasets (see :mod:`cwb.synth.generate`).

Vectorised helpers that turn a seeded numpy generator into Arrow string columns
(ids, dates, names, ``;``-lists of skills) and split totals by weight; and the
skill vocabulary, grouped by sector, that the synthetic rows draw from (the same
one as the Birmingham demo).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cwb.dataset.schema import split_list

log = logging.getLogger(__name__)

#: Skill groups that are not trades: residents hold them besides their trade (shares per resident).
CROSS_CUTTING: dict[str, float] = {"language": 0.3, "qualification": 0.2}
#: The skill group describing what a space offers (rooms, kitchens): for buildings, not trades.
SPACE_GROUP = "space"
#: Minimal skill vocabulary by sector, used only when neither the skills resource nor the demo
#: dataset is available.
FALLBACK_SKILLS: dict[str, tuple[str, ...]] = {
    "health": ("registered nurse", "midwifery", "pharmacy", "medicine", "healthcare support"),
    "catering": ("cooking", "food hygiene"),
    "cleaning": ("cleaning", "infection control"),
    "construction": ("construction", "electrical installation", "plumbing"),
    "security": ("security",),
    "transport": ("driving", "logistics"),
    "facilities management": ("facilities management", "maintenance"),
    "IT": ("IT support", "software development"),
}


@dataclass(frozen=True)
class SkillVocabulary:
    """Skills grouped by sector; ``source`` says where they were read from."""

    by_sector: dict[str, tuple[str, ...]]
    source: str

    @property
    def sectors(self) -> list[str]:
        """Sector names."""
        return list(self.by_sector)

    @property
    def labels(self) -> list[str]:
        """Every skill label."""
        return sorted({s for skills in self.by_sector.values() for s in skills})


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def load_skill_vocabulary() -> SkillVocabulary:
    """The skill vocabulary shared with the demo, grouped by sector.

    Read from ``cwb/resources/skills.csv`` (a ``label`` column and, if present,
    a ``sector``/``group``/``family`` column) when it exists; else from the skills
    and sectors of ``data/birmingham/assets.csv`` and ``opportunities.csv``; else
    a minimal built-in list.
    """
    resource = Path(__file__).resolve().parents[1] / "resources" / "skills.csv"
    if resource.exists():
        vocab = vocabulary_from_rows(_read_csv_rows(resource), "label", resource.name)
        if vocab is not None:
            return vocab
    demo = _repo_root() / "data" / "birmingham"
    rows: list[dict[str, str]] = []
    for name in ("assets.csv", "opportunities.csv"):
        if (demo / name).exists():
            rows += _read_csv_rows(demo / name)
    vocab = vocabulary_from_rows(rows, "skills", "data/birmingham")
    return vocab or SkillVocabulary(dict(FALLBACK_SKILLS), "built-in")


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("could not read skills from %s: %s", path, exc)
        return []


def vocabulary_from_rows(
    rows: list[dict[str, str]], column: str, source: str
) -> SkillVocabulary | None:
    """Group the skills of ``column`` (a label or a ``;`` list) by the row's sector."""
    if not rows:
        return None
    keys = {k.lower(): k for k in rows[0] if k}
    col = keys.get(column) or keys.get("skill") or keys.get("name")
    groups = [keys[k] for k in ("sector", "group", "family", "domain", "category") if k in keys]
    group = groups[0] if groups else None
    if col is None:
        return None
    by_sector: dict[str, set[str]] = {}
    for row in rows:
        sector = (row.get(group) or "").strip() if group else ""
        for skill in split_list(row.get(col)):
            by_sector.setdefault(sector or "general", set()).add(skill)
    if not by_sector:
        return None
    return SkillVocabulary({k: tuple(sorted(v)) for k, v in sorted(by_sector.items())}, source)


# --------------------------------------------------------------------------- sampling helpers


def apportion(total: int, weights: dict[str, float], *, at_least_one: bool) -> dict[str, int]:
    """Split ``total`` by weight (largest remainder), giving each key one row first when it fits."""
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    base = np.full(len(keys), 1 if at_least_one and total >= len(keys) else 0)
    rest = total - int(base.sum())
    exact = w / w.sum() * rest
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: rest - int(counts.sum())]] += 1
    return dict(zip(keys, (base + counts).tolist(), strict=True))


def shuffled_codes(rng: np.random.Generator, counts: dict[str, int]) -> np.ndarray:
    """Codes 0..len(counts)-1, each repeated its count, in random order."""
    return rng.permutation(np.repeat(np.arange(len(counts)), list(counts.values())))


def lognormal(
    rng: np.random.Generator, median: float | np.ndarray, sigma: float | np.ndarray, n: int
) -> np.ndarray:
    """``n`` log-normal draws around ``median`` with log-spread ``sigma``."""
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * np.asarray(sigma))


def take(labels: Iterable[str], codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``labels[codes]`` as an Arrow string array (null where ``valid`` is False)."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    indices = pa.array(np.asarray(codes, dtype=np.int64), mask=mask)
    return pc.take(pa.array(list(labels), pa.string()), indices)


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of Arrow string arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def repeat(text: str, n: int) -> pa.Array:
    """A string array of ``n`` times ``text``."""
    return pa.repeat(pa.scalar(text, pa.string()), n)


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as strings, zero-padded to ``width``."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0") if width else text


def numbered(prefix: str, n: int) -> pa.Array:
    """``prefix`` + 1..n zero-padded to the same width: A0001 … A1000."""
    return join(prefix, digits(np.arange(1, n + 1), len(str(n))))


def iso_dates(first: str, days: np.ndarray) -> pa.Array:
    """ISO dates ``days`` after ``first`` (each distinct day formatted once)."""
    span = np.datetime64(first, "D") + np.arange(int(days.max(initial=0)) + 1)
    return pc.take(pc.strftime(pa.array(span), format="%Y-%m-%d"), pa.array(days))


def dates(rng: np.random.Generator, first: str, last: str, n: int) -> pa.Array:
    """``n`` random ISO dates from ``first`` to ``last``."""
    span = int((np.datetime64(last, "D") - np.datetime64(first, "D")).astype(int))
    return iso_dates(first, rng.integers(0, span + 1, n))


def title_case(words: Iterable[str]) -> list[str]:
    """Capitalise the first letter of each string; short words are acronyms ('it' → 'IT')."""
    return [w.upper() if len(w) <= 2 else w[:1].upper() + w[1:] for w in words]


def pick_skills(
    rng: np.random.Generator, vocab: SkillVocabulary, sector_idx: np.ndarray, max_k: int
) -> tuple[pa.Array, pa.Array]:
    """Per row, a ``;``-list of 1..max_k distinct skills of its sector, and the first one.

    Each sector's pool is shuffled once; low positions in it are drawn more often, so
    some skills are common and others rare.
    """
    pools = [
        list(rng.permutation(np.array(vocab.by_sector[s], dtype=object))) for s in vocab.sectors
    ]
    labels = [skill for pool in pools for skill in pool]
    size = np.array([len(pool) for pool in pools])
    offset = np.concatenate([[0], np.cumsum(size)[:-1]])
    n = len(sector_idx)
    p, base = size[sector_idx], offset[sector_idx]
    first = np.minimum((p * rng.random(n) ** 1.6).astype(int), p - 1)
    k_max = np.minimum(max_k, p)
    k = 1 + (rng.random(n) * k_max).astype(int)
    step = 1 + (rng.random(n) * np.maximum(1, (p - 1) // np.maximum(1, k_max - 1))).astype(int)
    lead = take(labels, base + first)
    text = lead
    for j in range(1, max_k):
        nxt = take(labels, base + (first + j * step) % p)
        text = pc.if_else(pa.array(k > j), join(text, ";", nxt), text)
    return text, lead


def trades(rng: np.random.Generator, vocab: SkillVocabulary, n: int) -> np.ndarray:
    """Random sector indices among the trades (not cross-cutting groups nor the space group)."""
    other = {*CROSS_CUTTING, SPACE_GROUP}
    trades = [i for i, s in enumerate(vocab.sectors) if s not in other]
    trades = trades or list(range(len(vocab.sectors)))
    return np.array(trades)[rng.integers(0, len(trades), n)]


def with_group(
    vocab: SkillVocabulary, group: str, mask: np.ndarray, sector_idx: np.ndarray
) -> np.ndarray:
    """``sector_idx`` with ``group`` where ``mask`` is True (unchanged for an unknown group)."""
    if group not in vocab.by_sector:
        return sector_idx
    return np.where(mask, vocab.sectors.index(group), sector_idx)


def add_cross_cutting(
    rng: np.random.Generator, vocab: SkillVocabulary, skills: pa.Array, who: np.ndarray
) -> pa.Array:
    """Append a language or a qualification to the skills of some of the ``who`` rows."""
    n = len(who)
    for group, share in CROSS_CUTTING.items():
        if group in vocab.by_sector:
            extra, _ = pick_skills(rng, vocab, np.full(n, vocab.sectors.index(group)), 1)
            chosen = pa.array(who & (rng.random(n) < share))
            skills = pc.if_else(chosen, join(skills, ";", extra), skills)
    return skills
