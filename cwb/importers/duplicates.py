"""Likely duplicates among asset tables: against a dataset's rows and within one import.

Two rows are likely the same organisation or place when they have

- the same registered number (Companies House, charity, ODS code), or
- a similar name (:func:`name_similarity` of normalised names, with ``rapidfuzz``, default ≥ 90)
  within a short distance (default 250 m, measured in the dataset's metric CRS
  with a spatial index), or the same normalised name and postcode when unlocated.

With ``DuplicateRule.same_kind`` (the default) the two name rules also need the
same ``kind`` when both rows give one: a library building and the friends' group
that runs it are two assets. :func:`find_duplicates` compares incoming rows with
a dataset's; :func:`find_batch_duplicates` compares the rows of one import with
each other by the same rules, through the same code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from cwb import settings
from cwb.text import normalise_names

if TYPE_CHECKING:
    from pyproj import CRS


def _digits(name: str) -> list[str]:
    return re.findall(r"\d+", name)


def name_similarity(a: str, b: str) -> float:
    """Similarity (0–100) of two normalised names.

    Word order does not matter, and a name that adds words to the other
    ("smethwick library" / "smethwick public library") counts as the same when
    they share at least two words; one shared word is not enough ("coseley" /
    "coseley medical centre"), and each must add words to, not swap words of, the
    other. Names whose numbers differ ("unit 4", "unit 5") are different (0).
    """
    return float(name_similarities([a], [b])[0])


def name_similarities(left: list[str], right: list[str], *, at_least: float = 0.0) -> np.ndarray:
    """:func:`name_similarity` of each pair ``(left[k], right[k])``, computed in bulk.

    Pairs that cannot reach ``at_least`` score 0.
    """
    if not left:
        return np.zeros(0)
    subset = np.asarray(
        cpdist(left, right, scorer=fuzz.token_set_ratio, score_cutoff=at_least, workers=-1),
        dtype=float,
    )
    # the token-set ratio is never below the token-sort ratio: only pairs it keeps can reach
    # at_least, so the token-sort ratio is computed for those alone
    score = np.zeros(len(left))
    hope = np.flatnonzero(subset >= at_least)
    if len(hope):
        score[hope] = cpdist(
            [left[k] for k in hope],
            [right[k] for k in hope],
            scorer=fuzz.token_sort_ratio,
            workers=-1,
        )
    for k in np.flatnonzero((subset > score) & (subset >= at_least)):
        a, b = set(left[k].split()), set(right[k].split())
        if len(a & b) >= 2 and (a <= b or b <= a):  # one name adds words to the other
            score[k] = subset[k]
    for k in np.flatnonzero(score >= max(at_least, 1e-9)):
        if _digits(left[k]) != _digits(right[k]):
            score[k] = 0.0
    return score


def _norm_number(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", "", str(value)).upper()


@dataclass(frozen=True)
class DuplicateRule:
    """How likely duplicates are found."""

    max_distance_m: float = settings.DUPLICATE_DISTANCE_M
    min_similarity: float = settings.DUPLICATE_SIMILARITY
    same_kind: bool = True


#: Columns of a duplicates listing (``existing_id`` is the kept row's id).
DUPLICATE_COLUMNS: list[str] = [
    "incoming_id",
    "existing_id",
    "incoming_name",
    "existing_name",
    "reason",
    "similarity",
    "distance_m",
]


def in_ids(values: pd.Series, ids: set[str]) -> np.ndarray:
    """Which ``values`` (as text) are in ``ids``, as a boolean array.

    A plain set look-up: ``Series.isin`` on pandas 3 text columns takes about a second
    per 100k rows.
    """
    text = values.astype(object).to_numpy()
    return np.fromiter((str(v) in ids for v in text), dtype=bool, count=len(text))


def _keys(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as upper-case text without spaces ('' when missing or absent)."""
    if column not in frame:
        return np.full(len(frame), "", dtype=object)
    return (
        frame[column]
        .astype(object)
        .fillna("")
        .astype(str)
        .str.replace(r"\s+", "", regex=True)
        .str.upper()
        .to_numpy(dtype=object)
    )


def _equal_keys(
    left: np.ndarray, right: np.ndarray, *, same: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` whose non-empty keys are equal (each ``i`` to the first such ``j``)."""
    lf = pd.DataFrame({"i": np.arange(len(left)), "key": left})
    rf = pd.DataFrame({"j": np.arange(len(right)), "key": right})
    hit = lf[lf["key"] != ""].merge(rf[rf["key"] != ""].drop_duplicates("key"), on="key")
    if same:
        hit = hit[hit["i"] != hit["j"]]
    return hit["i"].to_numpy(dtype=int), hit["j"].to_numpy(dtype=int)


def _distances(left: np.ndarray, right: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Distances between geometries ``left[i]`` and ``right[j]`` (from coordinates for points)."""
    lx, ly = shapely.get_x(left), shapely.get_y(left)  # NaN for other geometries
    rx, ry = (lx, ly) if right is left else (shapely.get_x(right), shapely.get_y(right))
    dist = np.hypot(lx[i] - rx[j], ly[i] - ry[j])
    other = np.isnan(dist)  # not two points
    dist[other] = shapely.distance(left[i[other]], right[j[other]])
    return dist


def _candidates(
    left: gpd.GeoDataFrame,
    right: gpd.GeoDataFrame,
    *,
    metric_crs: CRS | str,
    rule: DuplicateRule,
    same: bool = False,
) -> pd.DataFrame:
    """Every pair ``(i, j)`` of rows (positions) that the rule calls likely duplicates.

    With ``same`` the two tables are one and pairs of a row with itself are left out.
    Columns: ``i``, ``j``, ``reason``, ``similarity``, ``distance_m``, ``_number``.
    """
    l_names = normalise_names(left["name"]).to_numpy(dtype=object)
    r_names = l_names if same else normalise_names(right["name"]).to_numpy(dtype=object)
    l_named, r_named = l_names != "", r_names != ""

    def both(column: str) -> tuple[np.ndarray, np.ndarray]:
        keys = _keys(left, column)
        return keys, keys if same else _keys(right, column)

    # kinds as small integers (0 = not given), so that millions of pairs compare quickly
    kinds = pd.Series(np.concatenate(both("kind")))
    codes = pd.factorize(kinds.replace("", None))[0] + 1
    l_kind, r_kind = codes[: len(left)], codes[len(left) :]
    found: list[pd.DataFrame] = []

    def add(
        i: np.ndarray,
        j: np.ndarray,
        reason: str,
        score: np.ndarray | float,
        dist: np.ndarray | float,
    ) -> None:
        found.append(
            pd.DataFrame(
                {
                    "i": i,
                    "j": j,
                    "reason": reason,
                    "similarity": score,
                    "distance_m": dist,
                    "_number": reason == "same registered number",
                }
            )
        )

    cats = pd.Series(np.concatenate(both("category")))
    # a generic building is any physical category; other categories must be equal
    cat_codes = pd.factorize(cats.replace({"": None, "BUILDING": None}))[0] + 1
    l_cat, r_cat = cat_codes[: len(left)], cat_codes[len(left) :]
    physical = kinds.to_numpy() == "PHYSICAL"
    l_phys, r_phys = physical[: len(left)], physical[len(left) :]

    def kind_ok(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if not rule.same_kind:
            return np.ones(len(i), dtype=bool)
        a, b = l_kind[i], r_kind[j]
        same_kind = (a == 0) | (b == 0) | (a == b)
        c, d = l_cat[i], r_cat[j]
        # a library and a medical centre are two places, however alike their names
        same_place = ~(l_phys[i] & r_phys[j]) | (c == 0) | (d == 0) | (c == d)
        return same_kind & same_place

    if "registered_number" in left and "registered_number" in right:
        i, j = _equal_keys(*both("registered_number"), same=same)
        add(i, j, "same registered number", 100.0, np.nan)
    l_geom = left.geometry.to_crs(metric_crs).to_numpy()
    r_geom = l_geom if same else right.geometry.to_crs(metric_crs).to_numpy()
    l_ok = ~shapely.is_missing(l_geom) & ~shapely.is_empty(l_geom)
    r_ok = ~shapely.is_missing(r_geom) & ~shapely.is_empty(r_geom)
    if l_ok.any() and r_ok.any():
        l_pos, r_pos = np.flatnonzero(l_ok), np.flatnonzero(r_ok)
        d = rule.max_distance_m
        # envelopes grown by d, then exact distances: far faster than the dwithin predicate
        tree = shapely.STRtree(r_geom[r_pos])
        x0, y0, x1, y1 = shapely.bounds(l_geom[l_pos]).T
        a, b = tree.query(shapely.box(x0 - d, y0 - d, x1 + d, y1 + d))
        i, j = l_pos[a], r_pos[b]
        if same:  # each unordered pair once
            i, j = i[i < j], j[i < j]
        keep = l_named[i] & r_named[j]
        keep[keep] = kind_ok(i[keep], j[keep])
        i, j = i[keep], j[keep]
        dist = _distances(l_geom, r_geom, i, j)
        i, j, dist = i[dist <= d], j[dist <= d], dist[dist <= d]
        score = name_similarities(list(l_names[i]), list(r_names[j]), at_least=rule.min_similarity)
        close = score >= rule.min_similarity
        i, j, score, dist = i[close], j[close], score[close], np.round(dist[close], 1)
        add(i, j, f"similar name within {d:g} m", np.round(score, 1), dist)
    if "postcode" in left and "postcode" in right:
        l_pc, r_pc = both("postcode")
        l_key = np.where(~l_ok & l_named & (l_pc != ""), l_names + "|" + l_pc, "")
        r_key = np.where(~r_ok & r_named & (r_pc != ""), r_names + "|" + r_pc, "")
        i, j = _equal_keys(l_key, r_key, same=same)
        keep = kind_ok(i, j)
        add(i[keep], j[keep], "same name and postcode", 100.0, np.nan)
    if not found:
        return pd.DataFrame(columns=["i", "j", "reason", "similarity", "distance_m", "_number"])
    cand = pd.concat(found, ignore_index=True)
    clash = _numbers_differ(
        left, right, cand["i"].to_numpy(dtype=int), cand["j"].to_numpy(dtype=int)
    )
    return cand[~clash].reset_index(drop=True)


#: Columns holding an organisation's or site's registered numbers (ODS code, charity, company).
NUMBER_COLUMNS: tuple[str, ...] = ("registered_number", "charity_number", "company_number")


def _numbers_differ(
    left: pd.DataFrame, right: pd.DataFrame, i: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Pairs whose registered numbers say they are two organisations or sites.

    Two charity numbers, or two company numbers, that differ; or two registered numbers
    (ODS codes …) that differ when neither appears among the other's numbers (a charity
    number on one side and the company number of the same body on the other is no clash).
    """
    clash = np.zeros(len(i), dtype=bool)
    if not len(i):
        return clash
    keys = {c: (_keys(left, c)[i], _keys(right, c)[j]) for c in NUMBER_COLUMNS}
    for column in ("charity_number", "company_number"):
        a, b = keys[column]
        clash |= (a != "") & (b != "") & (a != b)
    a, b = keys["registered_number"]
    differ = (a != "") & (b != "") & (a != b)
    for column in ("charity_number", "company_number"):
        differ &= (a != keys[column][1]) & (b != keys[column][0])
    return clash | differ


def _best_first(cand: pd.DataFrame, by: str) -> pd.DataFrame:
    """Candidates ordered by ``by``, then best first: same number, most similar, nearest."""
    return cand.sort_values(
        [by, "_number", "similarity", "distance_m"],
        ascending=[True, False, False, True],
        na_position="last",
        kind="stable",
    )


def _listing(
    kept: pd.DataFrame, merged: pd.DataFrame, i: np.ndarray, j: np.ndarray, best: pd.DataFrame
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incoming_id": merged["id"].astype(str).to_numpy()[i],
            "existing_id": kept["id"].astype(str).to_numpy()[j],
            "incoming_name": merged["name"].to_numpy()[i],
            "existing_name": kept["name"].to_numpy()[j],
            "reason": best["reason"].to_numpy(),
            "similarity": best["similarity"].to_numpy(dtype=float),
            "distance_m": best["distance_m"].to_numpy(dtype=float),
        },
        columns=DUPLICATE_COLUMNS,
    )


def find_duplicates(
    existing: gpd.GeoDataFrame,
    incoming: gpd.GeoDataFrame,
    *,
    metric_crs: CRS | str = "EPSG:27700",
    rule: DuplicateRule | None = None,
) -> pd.DataFrame:
    """Likely duplicates between two asset tables (ids already in ``existing`` are not listed).

    Returns
    -------
    DataFrame
        One row per incoming row that has a likely duplicate (its best match: the same
        registered number first, then the most similar name, then the nearest):
        ``incoming_id``, ``existing_id``, ``incoming_name``, ``existing_name``,
        ``reason``, ``similarity`` (0–100) and ``distance_m`` (NaN when not measured).
    """
    rule = rule or DuplicateRule()
    if existing is None or not len(existing) or not len(incoming):
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    cand = _candidates(incoming, existing, metric_crs=metric_crs, rule=rule)
    known = in_ids(incoming["id"], set(existing["id"].astype(str)))
    cand = cand[~known[cand["i"].to_numpy(dtype=int)]]
    best = _best_first(cand, "i").drop_duplicates("i")
    return _listing(
        existing, incoming, best["i"].to_numpy(dtype=int), best["j"].to_numpy(dtype=int), best
    )


def find_batch_duplicates(
    incoming: gpd.GeoDataFrame,
    *,
    metric_crs: CRS | str = "EPSG:27700",
    rule: DuplicateRule | None = None,
) -> pd.DataFrame:
    """Likely duplicates inside one table (one import), by the rules of :func:`find_duplicates`.

    Rows are taken in the order of their ids, so the answer does not depend on the
    order of the source file. A row is merged into the first earlier row that it is a
    likely duplicate of and that is itself kept (best match first); a chain A ~ B ~ C
    where A and C are not alike keeps A and C and merges B into A. Every merge is
    therefore justified by the rule between the two rows themselves.

    Returns
    -------
    DataFrame
        The columns of :func:`find_duplicates`: ``incoming_id`` is the row merged away,
        ``existing_id`` the row it is merged into (kept).
    """
    rule = rule or DuplicateRule()
    if incoming is None or len(incoming) < 2:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    order = np.argsort(incoming["id"].astype(str).to_numpy(), kind="stable")
    rows = incoming.iloc[order].reset_index(drop=True)
    cand = _candidates(rows, rows, metric_crs=metric_crs, rule=rule, same=True)
    if not len(cand):
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    lo = np.minimum(cand["i"], cand["j"]).to_numpy(dtype=int)
    hi = np.maximum(cand["i"], cand["j"]).to_numpy(dtype=int)
    cand = cand.assign(lo=lo, hi=hi)
    cand = _best_first(cand.sort_values("lo", kind="stable"), "hi")
    kept_in = np.full(len(rows), -1)
    chosen: list[int] = []
    for k, (a, b) in enumerate(zip(cand["lo"].to_numpy(), cand["hi"].to_numpy(), strict=True)):
        if kept_in[b] == -1 and kept_in[a] == -1:
            kept_in[b] = a
            chosen.append(k)
    best = cand.iloc[chosen]
    return _listing(
        rows, rows, best["hi"].to_numpy(dtype=int), best["lo"].to_numpy(dtype=int), best
    )
