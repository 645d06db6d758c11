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

import pandas as pd

if TYPE_CHECKING:
    from cwb.matching import MatchResult, MatchSettings

log = logging.getLogger(__name__)

#: Asset categories that can join a consortium (the financial kind's local enterprises).
CONSORTIUM_CATEGORIES: tuple[str, ...] = ("business", "social_enterprise", "cooperative")
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
        The output of :func:`cwb.matching.match` (its engine is reused).
    settings
        Settings (``max_consortium_size``, ``consortia_per_contract``,
        ``max_distance_m``); default: ``result.settings``.

    Returns
    -------
    pandas.DataFrame
        One row per proposed consortium, columns :data:`CONSORTIUM_COLUMNS`.
    """
    import numpy as np

    from cwb.match_engine import candidate_table

    settings = settings or result.settings
    engine = result._engine
    opps = engine.opps.frame
    contracts = np.flatnonzero((opps["type"] == "contract").to_numpy() & opps["located"].to_numpy())
    if not len(contracts):
        return pd.DataFrame(columns=CONSORTIUM_COLUMNS)
    members_ok = engine.assets.frame["category"].isin(CONSORTIUM_CATEGORIES).to_numpy()
    pool = candidate_table(engine, contracts, members_ok)
    rows: list[dict[str, object]] = []
    for opp, cands in pool.groupby("o", sort=True):
        rows += _for_contract(engine, int(opp), cands, settings)
    out = pd.DataFrame(rows, columns=CONSORTIUM_COLUMNS)
    log.info(
        "consortia: %d proposed for %d contracts",
        len(out),
        out["opportunity_id"].nunique() if len(out) else 0,
    )
    return out


def _for_contract(
    engine: object, opp: int, cands: pd.DataFrame, settings: MatchSettings
) -> list[dict[str, object]]:
    from itertools import combinations

    import numpy as np

    from cwb.match_engine import _money, _popcount

    e = engine  # the prepared arrays of cwb.match_engine.Engine
    req = e.opps.bits[opp]
    nreq = int(_popcount(req[None, :])[0])
    value = float(e.lot_value[opp])
    capacity = e.assets.frame["capacity"].to_numpy(dtype=float)
    cover_bits = e.assets.bits | e.related_bits
    a_all = cands["a"].to_numpy()
    full_skill = (
        (_popcount(cover_bits[a_all] & req) == nreq) if nreq else np.ones(len(a_all), dtype=bool)
    )
    big_enough = np.isnan(value) | (capacity[a_all] >= value)
    if (full_skill & big_enough & (cands["skill"].to_numpy() >= 1.0)).any():
        return []  # one enterprise can take it alone
    if np.isnan(value):
        return []
    # the strongest few candidates with a known capacity
    cands = (
        cands[~np.isnan(capacity[a_all])]
        .sort_values(["score", "rank_key"], ascending=[False, True])
        .head(10)
    )
    a_ids = cands["a"].to_numpy()
    found: list[tuple[float, tuple[int, ...]]] = []
    feasible: list[frozenset[int]] = []
    for size in range(2, settings.max_consortium_size + 1):
        for combo in combinations(range(len(a_ids)), size):
            members = tuple(int(a_ids[i]) for i in combo)
            if any(f <= frozenset(members) for f in feasible):
                continue  # not minimal: a smaller group inside already works
            total = float(capacity[list(members)].sum())
            union = np.bitwise_or.reduce(cover_bits[list(members)] & req, axis=0)
            covered = int(_popcount(union[None, :])[0]) if nreq else 0
            if total < value or covered < nreq:
                continue
            feasible.append(frozenset(members))
            mean_score = float(cands["score"].to_numpy()[list(combo)].mean())
            found.append((round(max(0.0, mean_score - 0.05 * (size - 2)), 6), members))
    found.sort(key=lambda item: (-item[0], len(item[1]), [e.asset_rank[m] for m in item[1]]))
    rows = []
    opp_id = str(e.opps.ids[opp])
    frame = e.assets.frame
    dist = dict(zip(cands["a"], cands["distance_m"], strict=True))
    for rank, (score, members) in enumerate(found[: settings.consortia_per_contract], start=1):
        caps = capacity[list(members)]
        union = np.bitwise_or.reduce(cover_bits[list(members)] & req, axis=0)
        names = [str(frame.at[m, "name"]) for m in members]
        deprived = int((frame["imd_decile"].to_numpy(dtype=float)[list(members)] <= 2).sum())
        far = max(dist[m] for m in members)
        reasons = [
            f"together {_money(caps.sum())} of capacity covers the {_money(value)} lot "
            f"(" + ", ".join(f"{n} {_money(c)}" for n, c in zip(names, caps, strict=True)) + ")",
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
