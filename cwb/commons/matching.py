"""Match community groups' needs to under-used places, and book their weekly slots.

Scoring follows the shape of :mod:`cwb.matching`: candidate places are pruned with a
spatial index (only places within the need's distance are scored), each pair gets
score parts in [0, 1] combined with weights from ``[commons]`` in ``dataset.toml``, and
a line of reasons a person can read. A pair is *eligible* only when the place offers the
kind of space, is big enough, within the distance, affordable, reachable step-free when
that is asked, available in the need's dates, and free in at least as many of the asked
slots as the need has sessions.

Allocation books slots: the best-scoring pairs first, each need placed whole at one place
(all its sessions in one building, which is what a group can organise around), in the
earliest free slots that suit it. A slot of a place is never booked twice; several groups
sharing one building at different times is the normal case. Needs that stay unplaced and
places that stay unused are the gaps, each with its reason.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from cwb.commons.places import community_places
from cwb.dataset.model import Dataset
from cwb.dataset.schema import DAYS, SESSIONS, SLOTS, split_list
from cwb.errors import UsageError

#: Default weights of the score parts.
DEFAULT_WEIGHTS: dict[str, float] = {
    "size": 0.2,
    "distance": 0.25,
    "access": 0.1,
    "hours": 0.1,
    "cost": 0.15,
    "ownership": 0.2,
}
#: Ownership part by owner type: public land first (CO-CITY's pacts are with the city).
DEFAULT_OWNER_SCORES: dict[str, float] = {
    "public": 1.0,
    "community": 0.8,
    "mixed": 0.6,
    "unknown": 0.4,
    "private": 0.3,
}
_ACCESS_SCORES: dict[str, float] = {"step_free": 1.0, "partial": 0.5, "unknown": 0.3}

MATCH_COLUMNS: tuple[str, ...] = (
    "need",
    "group",
    "group_name",
    "place",
    "place_name",
    "space_type",
    "sessions",
    "score",
    *(f"{p}_score" for p in DEFAULT_WEIGHTS),
    "distance_m",
    "free_asked",
    "owner_type",
    "reasons",
)


@dataclass(frozen=True)
class CommonsSettings:
    """Weights and limits of place-to-group matching (``[commons]`` in ``dataset.toml``)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    owner_scores: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_OWNER_SCORES))
    decay_m: float = 1500.0
    max_distance_m: float = 3000.0
    min_score: float = 0.0

    @classmethod
    def from_manifest(cls, section: Mapping[str, Any] | None) -> CommonsSettings:
        """Settings from a ``[commons]`` table; unknown keys and weights are usage errors."""
        section = dict(section or {})
        known = {"weights", "owner_scores", "decay_m", "max_distance_m", "min_score"}
        unknown = sorted(set(section) - known)
        if unknown:
            raise UsageError(
                f"[commons] has unknown setting(s) {unknown}; known: {', '.join(sorted(known))}"
            )
        weights = dict(DEFAULT_WEIGHTS)
        for key, value in dict(section.pop("weights", {})).items():
            if key not in DEFAULT_WEIGHTS:
                raise UsageError(
                    f"[commons] weights: unknown part {key!r}; known: {', '.join(DEFAULT_WEIGHTS)}"
                )
            weights[key] = float(value)
        owners = {**DEFAULT_OWNER_SCORES, **dict(section.pop("owner_scores", {}))}
        return cls(weights=weights, owner_scores=owners, **section)


@dataclass
class CommonsResult:
    """Place-to-group matching: scored pairs, slot bookings and the gaps."""

    matches: pd.DataFrame
    bookings: pd.DataFrame
    unplaced: pd.DataFrame
    unused: pd.DataFrame
    places: gpd.GeoDataFrame
    settings: CommonsSettings


def _allowed(days: object, times: object) -> tuple[str, ...]:
    """The slots a need accepts (every slot when days and times are empty)."""
    ds = split_list(days) or list(DAYS)
    ts = split_list(times) or list(SESSIONS)
    return tuple(s for s in SLOTS if s.split("_")[0] in ds and s.split("_")[1] in ts)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _dates_clash(need: pd.Series, place: pd.Series) -> bool:
    """The place stops being available before the need starts, or starts after it ends."""
    until, start = place.get("available_until"), need.get("needed_from")
    if isinstance(until, str) and isinstance(start, str) and until < start:
        return True
    since, end = place.get("available_from"), need.get("needed_until")
    return isinstance(since, str) and isinstance(end, str) and since > end


def _score_pair(
    need: pd.Series, place: pd.Series, distance: float, reach: float, s: CommonsSettings
) -> tuple[dict[str, float], list[str]] | str:
    """Score parts and reasons, or the reason the pair is not eligible."""
    if need["space_type"] not in place["offers"]:
        return f"no {need['space_type']} offered"
    if distance > reach:
        return f"farther than {reach:,.0f} m"
    if _dates_clash(need, place):
        return "not available in the dates needed"
    reasons: list[str] = []
    parts: dict[str, float] = {}
    wanted, area = _number(need.get("min_area_m2")), place["area_m2"]
    if wanted is None:
        parts["size"] = 1.0
    elif area is None:
        parts["size"] = 0.5
        reasons.append("size unknown: check")
    elif area < wanted:
        return "too small"
    else:
        parts["size"] = 1.0
        reasons.append(f"size fits: {area:,.0f} m² for {wanted:,.0f} m² asked")
    parts["distance"] = math.exp(-distance / s.decay_m)
    reasons.append(f"{distance:,.0f} m away")
    access = place["accessibility"]
    step_free = need.get("step_free")
    if step_free is not None and not pd.isna(step_free) and bool(step_free):
        if access == "none":
            return "no step-free access"
        parts["access"] = _ACCESS_SCORES.get(access, 0.3)
        reasons.append(
            {"step_free": "step-free", "partial": "partly step-free"}.get(
                access, "step-free access unknown: check"
            )
        )
    else:
        parts["access"] = 1.0
    asked = _allowed(need.get("days"), need.get("times"))
    free = [slot for slot in place["free"] if slot in asked]
    sessions = int(need["sessions"])
    if len(free) < sessions:
        return "not free at the times asked"
    parts["hours"] = min(1.0, len(free) / (2 * max(sessions, 1)))
    reasons.append(f"{len(free)} of the asked sessions free, {sessions} needed")
    cost, budget = _number(place.get("cost_per_session")), _number(need.get("budget_per_session"))
    if cost is None:
        parts["cost"] = 0.5
        reasons.append("cost unknown")
    elif cost == 0:
        parts["cost"] = 1.0
        reasons.append("free of charge")
    elif budget is not None and cost > budget:
        return "over budget"
    else:
        parts["cost"] = 1.0 - 0.5 * cost / budget if budget else 0.5
        reasons.append(f"£{cost:,.0f} a session" + (f" (budget £{budget:,.0f})" if budget else ""))
    owner = place["owner_type"]
    parts["ownership"] = float(s.owner_scores.get(owner, 0.4))
    reasons.append(f"{owner} {'land' if 'growing_land' in place['offers'] else 'building'}")
    return parts, reasons


def located_needs(ds: Dataset) -> gpd.GeoDataFrame:
    """The needs with their group's name and location (empty when there is no needs table)."""
    columns = ["id", "group", "space_type", "sessions_per_week", "min_area_m2", "days", "times"]
    needs = ds.needs if ds.needs is not None else pd.DataFrame(columns=columns)
    groups = ds.assets.set_index("id")
    groups = groups[~groups.index.duplicated()]
    out = needs.copy()
    out["sessions"] = out["sessions_per_week"].fillna(1).astype(int)
    out["group_name"] = out["group"].map(groups["name"])
    geometry = out["group"].map(groups.geometry)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, crs=4326), crs=4326)


def score_places(
    ds: Dataset, settings: CommonsSettings | None = None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, dict[str, Counter[str]]]:
    """Score every eligible (need, place) pair within reach.

    Returns
    -------
    matches, places, rejected
        Scored pairs (columns :data:`MATCH_COLUMNS`, best first per need), the places
        considered (:func:`cwb.commons.places.community_places`) and, per need, how many
        places within reach were rejected for each reason.
    """
    s = settings or CommonsSettings.from_manifest(ds.manifest.settings.get("commons"))
    places = community_places(ds)
    needs = located_needs(ds)
    metric = ds.metric_crs
    place_pts = places.geometry.to_crs(metric).to_numpy()
    tree = shapely.STRtree(place_pts)
    need_pts = needs.geometry.to_crs(metric).to_numpy()
    weights = s.weights
    total = sum(weights.values()) or 1.0
    rows: list[dict[str, Any]] = []
    rejected: dict[str, Counter[str]] = {}
    for i, need in enumerate(needs.itertuples(index=False)):
        need_row = needs.iloc[i]
        why = rejected.setdefault(need.id, Counter())
        point = need_pts[i]
        if point is None or shapely.is_empty(point):
            why["the group has no location"] += 1
            continue
        reach = _number(need_row.get("max_distance_m")) or s.max_distance_m
        hits = tree.query(point, predicate="dwithin", distance=reach)
        if not len(hits):
            why[f"no place within {reach:,.0f} m"] += 1
        for j in hits:
            place = places.iloc[int(j)]
            distance = float(shapely.distance(point, place_pts[j]))
            scored = _score_pair(need_row, place, distance, reach, s)
            if isinstance(scored, str):
                why[scored] += 1
                continue
            parts, reasons = scored
            score = sum(weights[k] * parts.get(k, 0.0) for k in weights) / total
            if score < s.min_score:
                why["score below min_score"] += 1
                continue
            asked = _allowed(need_row.get("days"), need_row.get("times"))
            rows.append(
                {
                    "need": need.id,
                    "group": need.group,
                    "group_name": need.group_name,
                    "place": place["id"],
                    "place_name": place["name"],
                    "space_type": need.space_type,
                    "sessions": need.sessions,
                    "score": round(score, 4),
                    **{f"{k}_score": round(parts.get(k, 0.0), 4) for k in DEFAULT_WEIGHTS},
                    "distance_m": round(distance, 1),
                    "free_asked": ";".join(x for x in place["free"] if x in asked),
                    "owner_type": place["owner_type"],
                    "reasons": " · ".join(reasons),
                }
            )
    matches = pd.DataFrame(rows, columns=list(MATCH_COLUMNS))
    matches = matches.sort_values(["need", "score", "place"], ascending=[True, False, True])
    return matches.reset_index(drop=True), places, rejected


def allocate_slots(
    matches: pd.DataFrame,
    sessions: Mapping[str, int],
    asked: Mapping[str, tuple[str, ...]],
    free: Mapping[str, tuple[str, ...]],
) -> pd.DataFrame:
    """Book each need's sessions at one place, best pairs first; no slot is booked twice.

    Parameters
    ----------
    matches
        Eligible pairs with ``need``, ``place`` and ``score``.
    sessions
        Sessions a week each need asks for.
    asked
        The slots each need accepts.
    free
        The free slots of each place.

    Returns
    -------
    DataFrame
        One row per booked slot: ``need``, ``place``, ``slot``, ``score``.
    """
    booked: dict[str, set[str]] = {}
    placed: set[str] = set()
    rows: list[tuple[str, str, str, float]] = []
    order = matches.sort_values(["score", "need", "place"], ascending=[False, True, True])
    for need, place, score in order[["need", "place", "score"]].itertuples(index=False):
        if need in placed:
            continue
        taken = booked.setdefault(place, set())
        ok = set(asked.get(need, ()))
        open_slots = [s for s in free.get(place, ()) if s in ok and s not in taken]
        n = int(sessions.get(need, 0))
        if n <= 0 or len(open_slots) < n:
            continue
        for slot in open_slots[:n]:
            taken.add(slot)
            rows.append((need, place, slot, float(score)))
        placed.add(need)
    return pd.DataFrame(rows, columns=["need", "place", "slot", "score"])


def match_places(ds: Dataset, settings: CommonsSettings | None = None) -> CommonsResult:
    """Score, allocate and list the gaps of place-to-group matching for a dataset.

    Parameters
    ----------
    ds
        A dataset with a ``needs`` table and physical assets with a ``use_status``.
    settings
        Weights and limits; default ``[commons]`` of the manifest.

    Returns
    -------
    CommonsResult
        ``matches`` (scored pairs with reasons), ``bookings`` (need, place, slot, with
        names), ``unplaced`` (needs with no booking and why), ``unused`` (places with no
        booking and why).
    """
    s = settings or CommonsSettings.from_manifest(ds.manifest.settings.get("commons"))
    matches, places, rejected = score_places(ds, s)
    needs = located_needs(ds)
    sessions = dict(zip(needs["id"], needs["sessions"], strict=True))
    asked = {n.id: _allowed(n.days, n.times) for n in needs.itertuples()}
    free = dict(zip(places["id"], places["free"], strict=True))
    bookings = allocate_slots(matches, sessions, asked, free)
    names = dict(zip(places["id"], places["name"], strict=True))
    groups = dict(zip(needs["id"], needs["group_name"], strict=True))
    bookings.insert(1, "group_name", bookings["need"].map(groups))
    bookings.insert(3, "place_name", bookings["place"].map(names))
    placed = set(bookings["need"])
    unplaced = needs.loc[~needs["id"].isin(placed), ["id", "group", "group_name", "space_type"]]
    unplaced = pd.DataFrame(unplaced).rename(columns={"id": "need"})
    with_pairs = set(matches["need"])
    unplaced["reason"] = [
        "every fitting place is booked at the times asked"
        if need in with_pairs
        else _main_reason(rejected.get(need, Counter()))
        for need in unplaced["need"]
    ]
    used = set(bookings["place"])
    unused = places.loc[~places["id"].isin(used), ["id", "name", "category", "use_status"]]
    unused = pd.DataFrame(unused).rename(columns={"id": "place"})
    wanted = set(matches["place"])
    unused["offers"] = places.set_index("id").loc[unused["place"], "offers"].map(";".join).values
    unused["reason"] = [
        "the groups it fits are placed elsewhere" if p in wanted else "no group's need fits it"
        for p in unused["place"]
    ]
    return CommonsResult(
        matches=matches,
        bookings=bookings,
        unplaced=unplaced.reset_index(drop=True),
        unused=unused.reset_index(drop=True),
        places=places,
        settings=s,
    )


def _main_reason(reasons: Counter[str]) -> str:
    if not reasons:
        return "no place could be considered"
    return "; ".join(f"{r} ({n})" for r, n in reasons.most_common(3))


__all__ = [
    "CommonsResult",
    "CommonsSettings",
    "allocate_slots",
    "located_needs",
    "match_places",
    "score_places",
]
