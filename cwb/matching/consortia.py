"""Consortia: small groups of nearby local enterprises that together can take a contract.

For each contract no single local enterprise can take — none has both the
capacity for the lot's value and every required skill — propose groups of 2 to
``max_consortium_size`` (default 4) enterprises (``business``,
``social_enterprise``, ``cooperative``; see :data:`CONSORTIUM_CATEGORIES`)
within ``max_distance_m`` of the contract whose combined capacity covers the
value and whose combined skills (held, or related) cover every required skill.
Only minimal groups are proposed (no member could be dropped), ranked by
score, at most ``consortia_per_contract`` per contract.

Columns of the table (:data:`CONSORTIUM_COLUMNS`): ``consortium_id`` (e.g.
``O012-C1``), ``opportunity_id``, ``project``, ``title``, ``rank``, ``size``,
``members`` (``;``-joined asset ids), ``member_names``, ``combined_capacity``,
``value``, ``capacity_cover`` (combined capacity / value), ``skills_covered``,
``skills_missing``, ``max_distance_m`` (farthest member), ``score`` (in [0, 1]:
the members' mean match score times the share of required skills covered,
less 0.05 per member beyond two) and ``reasons``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cwb.matching.core import MatchResult, MatchSettings
    from cwb.matching.engine import Engine

log = logging.getLogger(__name__)

#: Asset categories that can join a consortium (the financial kind's local enterprises).
CONSORTIUM_CATEGORIES: tuple[str, ...] = ("business", "social_enterprise", "cooperative")
#: Candidates per contract (best match scores first) from which consortia are formed.
CANDIDATES_PER_CONTRACT = 10
#: Columns of the consortia table.
CONSORTIUM_COLUMNS: list[str] = [
    "consortium_id",
    "opportunity_id",
    "project",
    "title",
    "rank",
    "size",
    "members",
    "member_names",
    "combined_capacity",
    "value",
    "capacity_cover",
    "skills_covered",
    "skills_missing",
    "max_distance_m",
    "score",
    "reasons",
]


def propose_consortia(
    result: MatchResult, *, settings: MatchSettings | None = None
) -> pd.DataFrame:
    """Ranked consortia for the contracts no single local enterprise can take.

    Parameters
    ----------
    result
        The output of :func:`cwb.matching.core.match` (its engine is reused).
    settings
        Settings (``max_consortium_size``, ``consortia_per_contract``,
        ``max_distance_m``); default: ``result.settings``.

    Returns
    -------
    pandas.DataFrame
        One row per proposed consortium, columns :data:`CONSORTIUM_COLUMNS`.
    """
    from cwb.matching.prune import select_pairs, solo_capacity

    settings = settings or result.settings
    engine = result._engine
    assert engine is not None  # a result of match(), which keeps its engine
    opps = engine.opps.frame
    contracts = np.flatnonzero((opps["type"] == "contract").to_numpy() & opps["located"].to_numpy())
    if not len(contracts):
        return pd.DataFrame(columns=CONSORTIUM_COLUMNS)
    members_ok = engine.assets.frame["category"].isin(CONSORTIUM_CATEGORIES).to_numpy()
    # contracts one enterprise can take alone need no consortium
    value = engine.lot_value[contracts]
    alone = solo_capacity(engine, contracts, members_ok) >= value
    need = contracts[~alone & ~np.isnan(value)]
    # the strongest few candidates with a known capacity, by score then asset id
    known = members_ok & ~np.isnan(engine.capacity)
    a, o, rank = select_pairs(
        engine,
        need,
        min_score=0.0,
        top_k=CANDIDATES_PER_CONTRACT,
        asset_mask=known,
        by_distance=False,
    )
    comp = engine.score(a, o, detail=False)
    bounds = np.flatnonzero(np.r_[True, o[1:] != o[:-1], True]) if len(o) else np.zeros(1, int)
    rows: list[dict[str, object]] = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        part = slice(start, stop)
        rows += _for_contract(
            engine, int(o[start]), a[part], comp["score"][part], comp["distance_m"][part], settings
        )
    out = pd.DataFrame(rows, columns=CONSORTIUM_COLUMNS)
    log.info(
        "consortia: %d proposed for %d contracts",
        len(out),
        out["opportunity_id"].nunique() if len(out) else 0,
    )
    return out


def _combinations(n: int, size: int) -> np.ndarray:
    """All ``size``-subsets of ``range(n)`` in lexicographic order, one per row."""
    from itertools import combinations

    return np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)


def _for_contract(
    engine: Engine,
    opp: int,
    a_ids: np.ndarray,
    scores: np.ndarray,
    distances: np.ndarray,
    settings: MatchSettings,
) -> list[dict[str, object]]:
    """Minimal feasible groups among one contract's best candidates, best first, as rows."""
    from cwb.matching.engine import _popcount
    from cwb.matching.reasons import format_money

    e = engine
    req = e.opps.bits[opp]
    nreq = int(_popcount(req[None, :])[0])
    value = float(e.lot_value[opp])
    capacity = e.capacity
    caps_all = capacity[a_ids]
    cover = (e.assets.bits[a_ids] | e.related_bits[a_ids]) & req
    found: list[tuple[float, tuple[int, ...]]] = []
    feasible: list[int] = []  # accepted groups as bitmasks of candidate positions
    for size in range(2, settings.max_consortium_size + 1):
        combos = _combinations(len(a_ids), size)
        if not len(combos):
            break
        total = caps_all[combos[:, 0]]
        union = cover[combos[:, 0]]
        for j in range(1, size):
            total = total + caps_all[combos[:, j]]
            union = union | cover[combos[:, j]]
        covered = _popcount(union) if nreq else np.zeros(len(combos), dtype=np.int64)
        for i in np.flatnonzero((total >= value) & (covered >= nreq)):
            combo = combos[i]
            bits = sum(1 << int(k) for k in combo)
            if any(f & ~bits == 0 for f in feasible):
                continue  # not minimal: a smaller group inside already works
            feasible.append(bits)
            mean_score = float(scores[combo].mean())
            members = tuple(int(a_ids[k]) for k in combo)
            found.append((round(max(0.0, mean_score - 0.05 * (size - 2)), 6), members))
    found.sort(key=lambda item: (-item[0], len(item[1]), [e.asset_rank[m] for m in item[1]]))
    rows = []
    opp_id = str(e.opps.ids[opp])
    frame = e.assets.frame
    dist = dict(zip(a_ids.tolist(), distances.tolist(), strict=True))
    for rank, (score, members) in enumerate(found[: settings.consortia_per_contract], start=1):
        caps = capacity[list(members)]
        idx = list(members)
        union = np.bitwise_or.reduce((e.assets.bits[idx] | e.related_bits[idx]) & req, axis=0)
        names = [str(frame.at[m, "name"]) for m in members]
        deprived = int((frame["imd_decile"].to_numpy(dtype=float)[idx] <= 2).sum())
        far = max(dist[m] for m in members)
        reasons = [
            f"together {format_money(caps.sum())} of capacity covers the {format_money(value)} lot "
            f"("
            + ", ".join(f"{n} {format_money(c)}" for n, c in zip(names, caps, strict=True))
            + ")",
            "no single local enterprise has both the capacity and every skill",
            ("covers " + ", ".join(e.labels(union[None, :])[0].split(";")))
            if nreq
            else "no particular skills asked",
            f"all within {far / 1000:.1f} km of the site",
        ]
        if deprived:
            reasons.append(f"{deprived} member(s) in the 20% most deprived areas")
        rows.append(
            {
                "consortium_id": f"{opp_id}-C{rank}",
                "opportunity_id": opp_id,
                "project": e.opps.frame.at[opp, "project"],
                "title": e.opps.frame.at[opp, "title"],
                "rank": rank,
                "size": len(members),
                "members": ";".join(str(e.assets.ids[m]) for m in members),
                "member_names": ";".join(names),
                "combined_capacity": float(caps.sum()),
                "value": value,
                "capacity_cover": round(float(caps.sum()) / value, 3),
                "skills_covered": e.labels(union[None, :])[0],
                "skills_missing": e.labels((req & ~union)[None, :])[0],
                "max_distance_m": far,
                "score": score,
                "reasons": " · ".join(reasons),
            }
        )
    return rows
