"""Skill bitsets and the score arithmetic shared by the engine, pruning and consortia.

Skills are bitsets over the vocabulary's codes: ``uint64`` words, one row per
asset or opportunity. :func:`combine_score` is the one place a pair's score is
computed, so that every path that ranks pairs gives bit-for-bit equal scores.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

#: Bits per word of a bitset.
WORD = 64


def to_bits(lists: list[list[int]], words: int) -> np.ndarray:
    """Rows of code indices → (n, words) uint64 bitsets."""
    out = np.zeros((len(lists), words), dtype=np.uint64)
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    if lengths.sum():
        rows = np.repeat(np.arange(len(lists)), lengths)
        cols = np.fromiter((c for x in lists for c in x), dtype=np.int64, count=int(lengths.sum()))
        np.bitwise_or.at(
            out,
            (rows, cols // WORD),
            np.left_shift(np.uint64(1), (cols % WORD).astype(np.uint64)),
        )
    return out


def popcount(bits: np.ndarray) -> np.ndarray:
    """Number of set bits in each row."""
    return np.bitwise_count(bits).sum(axis=-1, dtype=np.int64)


def has_code(bits: np.ndarray, code: int) -> np.ndarray:
    """Whether each row has the bit of code index ``code``."""
    return ((bits[:, code // WORD] >> np.uint64(code % WORD)) & np.uint64(1)).astype(bool)


def codes_of(row: np.ndarray) -> list[int]:
    """The code indices set in one bitset row."""
    out: list[int] = []
    for w, word in enumerate(row.tolist()):
        while word:
            low = word & -word
            out.append(w * WORD + low.bit_length() - 1)
            word ^= low
    return out


def capacity_fit(capacity: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    """``min(1, capacity / value)``; 1 for a value of 0 or less; 0.5 when either is unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.where(value > 0, np.minimum(1.0, capacity / value), 1.0)
    return np.where(np.isnan(capacity) | np.isnan(value), 0.5, fit)


def combine_score(
    w: dict[str, float],
    skill: np.ndarray,
    dist_score: np.ndarray,
    dep: np.ndarray,
    path_score: np.ndarray,
    has_p: np.ndarray | np.bool_,
    cap_score: np.ndarray,
    cap_applies: np.ndarray,
) -> np.ndarray:
    """The weighted mean over the components that apply, rounded to 6 decimals.

    Every path that ranks pairs goes through this one function, so that equal
    inputs give bit-for-bit equal scores (ties are decided on them).
    """
    numerator = (
        w["skills"] * skill
        + w["distance"] * dist_score
        + w["deprivation"] * dep
        + w["pathway"] * np.where(np.isnan(path_score), 0.0, path_score)
        + w["capacity"] * np.where(np.isnan(cap_score), 0.0, cap_score)
    )
    denominator = (
        w["skills"]
        + w["distance"]
        + w["deprivation"]
        + w["pathway"] * has_p
        + w["capacity"] * cap_applies
    )
    return np.round(numerator / denominator, 6)


def weighted_mean(weights: Mapping[str, float], parts: Mapping[str, float]) -> float:
    """The weighted mean of score parts in [0, 1] (a missing part counts 0), to 6 decimals.

    >>> weighted_mean({"size": 1.0, "distance": 3.0}, {"size": 1.0, "distance": 0.5})
    0.625
    """
    total = sum(weights.values()) or 1.0
    return round(sum(w * parts.get(k, 0.0) for k, w in weights.items()) / total, 6)
