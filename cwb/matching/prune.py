"""Exact top-k selection of matches without scoring every candidate pair.

The score of a pair depends on the two skill profiles only through the skill
and pathway components; the rest (distance, deprivation, capacity) belongs to
the asset, the opportunity's location and its lot value. So:

1. Skills are scored once per pair of distinct *profiles* (an asset's skill
   bitset × an opportunity's required skills and pathway), and only for the
   profile pairs the sparse satisfier product finds plausible
   (:class:`ProfilePairs`).
2. Opportunities are grouped by type and location. The eligible assets within
   ``max_distance_m`` of a location form a *pool*, cut into segments of one
   skill profile and one supply mode, each segment sorted by the asset's
   location part ``w_distance * distance_score + w_deprivation * deprivation``.
3. Opportunities of one type, location and requirement profile (and lot value,
   where a capacity score applies) rank the assets alike: they are a *class*,
   selected once. An upper bound of each asset's score — exact skill and
   pathway, its location part, a capacity score of at most 1 — gives the
   threshold: score exactly the first few assets of the most promising
   segments, take the k-th best score θ, then score exactly only the assets
   whose bound reaches θ (a binary search per segment). Every other asset
   provably scores below θ and cannot be among the best k.

Exact scores come from :func:`cwb.matching.scoring.combine_score` on the same
inputs as :meth:`cwb.matching.engine.Engine.score`, so ties are broken the same
way (score, then distance, then asset id).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from cwb.matching.scoring import capacity_fit, combine_score, popcount

if TYPE_CHECKING:
    from cwb.matching.engine import Engine

#: Slack of the score bounds: float error and the rounding of scores to 6 decimals.
EPS = 2e-6
#: Up to this many (site, asset) pairs, distances are measured directly instead of by STRtree.
DIRECT_DISTANCES = 20_000_000
#: Profile pairs scored at once (memory guard for the bitset arithmetic).
PAIR_CHUNK = 500_000


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, end)`` for each pair (empty ranges allowed)."""
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


@dataclass
class ProfilePairs:
    """Skill and pathway components of every plausible (asset profile, opportunity profile).

    ``ptr[q]:ptr[q+1]`` slices the arrays for opportunity profile ``q``; within
    a slice the asset profiles ascend.
    """

    asset_profile: np.ndarray
    opp_profile: np.ndarray
    ptr: np.ndarray
    profile: np.ndarray
    skill: np.ndarray
    path: np.ndarray
    full: np.ndarray
    has_p: np.ndarray
    n_profiles: int

    @classmethod
    def build(cls, engine: Engine) -> ProfilePairs:
        """Deduplicate the profiles of ``engine`` and score their plausible pairs."""
        if len(engine.assets.bits):
            # distinct bitsets of the distinct code lists, then each asset's
            _, list_prof = np.unique(engine._list_bits, axis=0, return_inverse=True)
            a_prof = np.ravel(list_prof)[engine._code_list_of]
            _, a_rep = np.unique(a_prof, return_index=True)
        else:
            a_rep = a_prof = np.zeros(0, dtype=np.int64)
        okey = np.column_stack([engine.opps.bits, engine.opp_path.view(np.uint64)])
        if len(okey):
            _, o_rep, o_prof = np.unique(okey, axis=0, return_index=True, return_inverse=True)
        else:
            o_rep = o_prof = np.zeros(0, dtype=np.int64)
        a_prof, o_prof = np.ravel(a_prof), np.ravel(o_prof)
        sat = engine._satisfiers(a_rep)
        req = engine._requirements()[:, o_rep]
        product = (sat @ req).tocsc()
        product.sort_indices()
        ptr = product.indptr.astype(np.int64)
        profile = product.indices.astype(np.int64)
        q_col = np.repeat(np.arange(len(o_rep)), np.diff(ptr))
        skill = np.zeros(len(profile))
        path = np.zeros(len(profile))
        full = np.zeros(len(profile), dtype=bool)
        for start in range(0, len(profile), PAIR_CHUNK):
            part = slice(start, start + PAIR_CHUNK)
            a, o = a_rep[profile[part]], o_rep[q_col[part]]
            terms = engine.skill_terms(a, o)
            skill[part], path[part] = terms["skill"], terms["pathway"]
            cover = engine.assets.bits[a] | engine.related_bits[a]
            covered = popcount(cover & engine.opps.bits[o])
            full[part] = (covered == engine.opp_nreq[o]) & (terms["skill"] >= 1.0)
        has_p = engine.opp_path[o_rep] >= 0
        return cls(a_prof, o_prof, ptr, profile, skill, path, full, has_p, len(a_rep))


@dataclass
class _Pool:
    """Eligible assets within reach of one location, in segments (profile, supply mode)."""

    idx: np.ndarray
    dist: np.ndarray
    dscore: np.ndarray
    dep: np.ndarray
    lots: np.ndarray
    cap: np.ndarray
    rank: np.ndarray
    key: np.ndarray
    ug: float
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_label: np.ndarray
    seg_prof: np.ndarray
    seg_lots: np.ndarray
    seg_umax: np.ndarray


def _pool(
    engine: Engine, pairs: ProfilePairs, t: int, near: np.ndarray, lx: float, ly: float
) -> _Pool:
    s = engine.settings
    w = s.weights
    dist = np.round(np.hypot(engine.assets.x[near] - lx, engine.assets.y[near] - ly), 1)
    inside = dist <= s.max_distance_m
    near, dist = near[inside], dist[inside]
    dscore = np.exp(-dist / s.decay_m)
    dep = engine.deprivation[near]
    u = w["distance"] * dscore + w["deprivation"] * dep
    lots = engine.lots[engine.asset_cat[near], t]
    # one float sort key: the segment label (profile, supply mode), then the location part
    # descending; rounding is monotone, so "location part ≥ τ" is a prefix of each segment
    label = pairs.asset_profile[near] * 2 + lots
    top = float(u.max()) if len(u) else 0.0
    ug = 2.0 * top if top > 0 else 1.0
    key = label + 0.5 * (1.0 - u / ug)
    order = np.argsort(key)
    near, dist, dscore, dep, u, lots, label, key = (
        x[order] for x in (near, dist, dscore, dep, u, lots, label, key)
    )
    n = len(near)
    new = np.ones(n, dtype=bool)
    new[1:] = label[1:] != label[:-1]
    seg_start = np.flatnonzero(new)
    seg_end = np.r_[seg_start[1:], n].astype(np.int64)
    return _Pool(
        idx=near,
        dist=dist,
        dscore=dscore,
        dep=dep,
        lots=lots,
        cap=engine.capacity[near],
        rank=engine.asset_rank[near],
        key=key,
        ug=ug,
        seg_start=seg_start,
        seg_end=seg_end,
        seg_label=label[seg_start],
        seg_prof=label[seg_start] // 2,
        seg_lots=lots[seg_start],
        seg_umax=np.maximum.reduceat(u, seg_start) if n else u[:0],
    )


@dataclass
class _Class:
    """Opportunities of one type, location and requirement profile, and their segments."""

    t: int
    opps: np.ndarray
    pool: _Pool
    segs: np.ndarray
    skill: np.ndarray
    path: np.ndarray
    full: np.ndarray
    has_p: bool


@dataclass
class _Site:
    """Located opportunities of one type at one location, and the plausible assets near it."""

    t: int
    x: float
    y: float
    opps: np.ndarray
    profiles: np.ndarray
    profile_of: np.ndarray
    near: np.ndarray


def _sites(
    engine: Engine, opp_index: np.ndarray, asset_mask: np.ndarray | None = None
) -> Iterator[_Site]:
    """Each (type, location) of the located opportunities in ``opp_index``, with its assets.

    The assets are those located (and in ``asset_mask``), eligible for the type,
    within reach of the location (an STRtree query, or every asset when there
    are few sites) and of a skill profile plausible for one of the opportunities
    there; empty sites are skipped.
    """
    pairs = engine.profile_pairs()
    max_d = engine.settings.max_distance_m
    opp_index = opp_index[engine.opps.frame["located"].to_numpy()[opp_index]]
    ok = engine.assets.frame["located"].to_numpy().copy()
    if asset_mask is not None:
        ok &= asset_mask
    for t in np.unique(engine.opp_type[opp_index]):
        o_t = opp_index[engine.opp_type[opp_index] == t]
        pool_all = np.flatnonzero(ok & engine.eligible[engine.asset_cat, t])
        if not len(pool_all):
            continue
        xy = np.column_stack([engine.opps.x[o_t], engine.opps.y[o_t]])
        locs, loc_of = np.unique(xy, axis=0, return_inverse=True)
        loc_of = np.ravel(loc_of)
        if len(locs) * len(pool_all) <= DIRECT_DISTANCES:
            # few sites (opportunities sit at their project's): measure to every asset
            nears = [pool_all] * len(locs)
        else:
            tree = shapely.STRtree(
                shapely.points(engine.assets.x[pool_all], engine.assets.y[pool_all])
            )
            li, hits = tree.query(shapely.points(locs), predicate="dwithin", distance=max_d + 1.0)
            order = np.lexsort((hits, li))
            li, hits = li[order], hits[order]
            bounds = np.searchsorted(li, np.arange(len(locs) + 1))
            nears = [pool_all[hits[bounds[j] : bounds[j + 1]]] for j in range(len(locs))]
        for j, (lx, ly) in enumerate(locs):
            o_l = o_t[loc_of == j]
            qs, q_inv = np.unique(pairs.opp_profile[o_l], return_inverse=True)
            # only assets whose profile is plausible for one of these opportunities
            wanted = np.zeros(pairs.n_profiles, dtype=bool)
            wanted[pairs.profile[_ranges(pairs.ptr[qs], pairs.ptr[qs + 1])]] = True
            near = nears[j][wanted[pairs.asset_profile[nears[j]]]]
            if len(near):
                yield _Site(int(t), float(lx), float(ly), o_l, qs, np.ravel(q_inv), near)


def iter_classes(
    engine: Engine, opp_index: np.ndarray, asset_mask: np.ndarray | None = None
) -> Iterator[_Class]:
    """Every class of the located opportunities in ``opp_index`` with its plausible segments."""
    pairs = engine.profile_pairs()
    for site in _sites(engine, opp_index, asset_mask):
        pool = _pool(engine, pairs, site.t, site.near, site.x, site.y)
        for k, q in enumerate(site.profiles):
            lo, hi = pairs.ptr[q], pairs.ptr[q + 1]
            ps = pairs.profile[lo:hi]
            first = np.searchsorted(pool.seg_prof, ps, "left")
            last = np.searchsorted(pool.seg_prof, ps, "right")
            count = last - first
            yield _Class(
                t=site.t,
                opps=site.opps[site.profile_of == k],
                pool=pool,
                segs=_ranges(first, last),
                skill=np.repeat(pairs.skill[lo:hi], count),
                path=np.repeat(pairs.path[lo:hi], count),
                full=np.repeat(pairs.full[lo:hi], count),
                has_p=bool(pairs.has_p[q]),
            )


def _zero_nan(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), 0.0, x)


def _exact(
    engine: Engine, c: _Class, e: np.ndarray, seg_of: np.ndarray, value: float
) -> np.ndarray:
    """Scores of pool entries ``e`` (``seg_of``: their position in ``c.segs``)."""
    pool = c.pool
    cap_applies = pool.lots[e]
    if cap_applies.any():
        cap_score = np.where(cap_applies, capacity_fit(pool.cap[e], value), np.nan)
    else:
        cap_score = np.full(len(e), np.nan)
    return combine_score(
        engine.settings.weights,
        c.skill[seg_of],
        pool.dscore[e],
        pool.dep[e],
        c.path[seg_of],
        np.bool_(c.has_p),
        cap_score,
        cap_applies,
    )


def _entries(c: _Class, which: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool entries from the start of segments ``c.segs[which]`` up to ``ends``."""
    starts = c.pool.seg_start[c.segs[which]]
    e = _ranges(starts, ends)
    return e, np.repeat(which, np.maximum(ends - starts, 0))


#: Classes with at most this many candidates are scored whole, without the bound search.
SMALL_CLASS = 256


def select_class(
    engine: Engine,
    c: _Class,
    values: np.ndarray,
    *,
    min_score: float,
    top_k: int | None,
    by_distance: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For each lot value: the best pool entries of one class (best first) and their scores."""
    w = engine.settings.weights
    pool = c.pool
    seg_lots = pool.seg_lots[c.segs]
    den = (
        w["skills"]
        + w["distance"]
        + w["deprivation"]
        + w["pathway"] * c.has_p
        + w["capacity"] * seg_lots
    )
    base = w["skills"] * c.skill + w["pathway"] * _zero_nan(c.path) + w["capacity"] * seg_lots
    bound = (base + pool.seg_umax[c.segs]) / den
    reach = np.flatnonzero(bound >= min_score - EPS)
    starts, stops = pool.seg_start[c.segs[reach]], pool.seg_end[c.segs[reach]]
    whole = not top_k or int((stops - starts).sum()) <= SMALL_CLASS
    if whole:
        every, every_seg = _entries(c, reach, stops)
    else:
        best = reach[np.argsort(-bound[reach], kind="stable")[:top_k]]
        best_ends = np.minimum(pool.seg_start[c.segs[best]] + top_k, pool.seg_end[c.segs[best]])
        seeds, seeds_seg = _entries(c, best, best_ends)
    for value in values:
        if whole:
            e, seg_of = every, every_seg
        else:
            assert top_k  # whole when there is no top_k
            theta = min_score
            sc = _exact(engine, c, seeds, seeds_seg, value)
            good = sc[sc >= min_score]
            if len(good) >= top_k:
                theta = float(np.partition(good, len(good) - top_k)[len(good) - top_k])
            live = reach[bound[reach] >= theta - EPS]
            # in each live segment, the entries whose bound reaches θ: location part ≥ tau
            tau = np.maximum((theta - EPS) * den[live] - base[live], 0.0)
            seg = c.segs[live]
            limit = pool.seg_label[seg] + 0.5 * (1.0 - tau / pool.ug)
            ends = np.searchsorted(pool.key, limit, side="right")
            ends = np.clip(ends, pool.seg_start[seg], pool.seg_end[seg])
            e, seg_of = _entries(c, live, ends)
        sc = _exact(engine, c, e, seg_of, value)
        keep = sc >= min_score
        kept, sc = e[keep], sc[keep]
        keys = (pool.rank[kept], pool.dist[kept], -sc) if by_distance else (pool.rank[kept], -sc)
        order = np.lexsort(keys)
        if top_k:
            order = order[:top_k]
        yield kept[order], sc[order]


def select_pairs(
    engine: Engine,
    opp_index: np.ndarray,
    *,
    min_score: float,
    top_k: int | None,
    asset_mask: np.ndarray | None = None,
    by_distance: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kept pairs (asset, opportunity, rank), sorted by opportunity and rank.

    Per opportunity: the pairs scoring at least ``min_score``, the best
    ``top_k`` of them (all when None), ranked by score, then distance (when
    ``by_distance``), then asset id.
    """
    parts_a, parts_o, parts_r = [], [], []
    for c in iter_classes(engine, opp_index, asset_mask):
        if c.pool.seg_lots[c.segs].any():
            units, unit_of = np.unique(engine.lot_value[c.opps], return_inverse=True)
        else:
            units, unit_of = np.array([np.nan]), np.zeros(len(c.opps), dtype=np.int64)
        unit_of = np.ravel(unit_of)
        picked = select_class(
            engine, c, units, min_score=min_score, top_k=top_k, by_distance=by_distance
        )
        for u, (e, _) in enumerate(picked):
            if not len(e):
                continue
            opps = c.opps[unit_of == u] if len(units) > 1 else c.opps
            parts_a.append(np.tile(c.pool.idx[e], len(opps)))
            parts_o.append(np.repeat(opps, len(e)))
            parts_r.append(np.tile(np.arange(1, len(e) + 1), len(opps)))
    if not parts_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    a, o, rank = (np.concatenate(x).astype(np.int64) for x in (parts_a, parts_o, parts_r))
    order = np.lexsort((rank, o))
    return a[order], o[order], rank[order]


def plausible_assets(engine: Engine) -> np.ndarray:
    """Whether each asset has at least one plausible pair (before ``min_score`` and ``top_k``)."""
    # the pools of iter_classes without their sorting: every entry of a pool is in some
    # class (the site's assets all have a profile plausible for one of its opportunities)
    out = np.zeros(len(engine.assets.ids), dtype=bool)
    for site in _sites(engine, np.arange(len(engine.opps.ids))):
        dx = engine.assets.x[site.near] - site.x
        dist = np.round(np.hypot(dx, engine.assets.y[site.near] - site.y), 1)
        out[site.near[dist <= engine.settings.max_distance_m]] = True
    return out


def solo_capacity(
    engine: Engine, opp_index: np.ndarray, asset_mask: np.ndarray | None = None
) -> np.ndarray:
    """Per opportunity of ``opp_index``: the largest capacity of a candidate with every skill.

    Candidates count when they hold (or stand in for) every required skill and
    their skill score is 1; NaN when there is none.
    """
    out = np.full(len(engine.opps.ids), np.nan)
    for c in iter_classes(engine, opp_index, asset_mask):
        full = np.flatnonzero(c.full)
        e = _ranges(c.pool.seg_start[c.segs[full]], c.pool.seg_end[c.segs[full]])
        caps = c.pool.cap[e]
        caps = caps[~np.isnan(caps)]
        if len(caps):
            out[c.opps] = np.fmax(out[c.opps], caps.max())
    return out[opp_index]
