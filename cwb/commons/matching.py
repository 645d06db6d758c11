"""Match community groups' needs to under-used places, and book their weekly slots.

This runs on the engine of :mod:`cwb.matching`: candidate places are pruned with a
spatial index (only places within the need's distance are scored), each pair gets
score parts in [0, 1] combined by :func:`cwb.matching.scoring.weighted_mean` with the
weights of ``[commons]`` in ``dataset.toml`` (defaults in :mod:`cwb.settings`), and
reasons worded by :mod:`cwb.matching.reasons`. What a category of place offers and in
which use statuses is data (``cwb/resources/commons_spaces.csv``). A pair is
*eligible* only when the place offers the kind of space, is big enough, within the
distance, affordable, reachable step-free when that is asked, available in the need's
dates, and free in at least one of the asked slots.

Allocation is the min-cost flow of :func:`cwb.matching.allocation.solve_flow`, the one
that fills jobs and contracts: the units are sessions, each free slot of a place is a
supply of one, each need asks for its sessions a week. The flow books as many sessions
as can be booked, then the best-scoring ones (ties: the group's better-ranked place,
then the earlier slot); a group whose sessions were spread over several places is then
moved into one of them when one can host them all. A slot of a place is never booked
twice; several groups sharing one building at different times is the normal case. Needs
left short and places left unused are the gaps, each with its reason.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb import settings as defaults
from cwb.commons.places import community_places
from cwb.dataset.model import Dataset
from cwb.dataset.schema import DAYS, SESSIONS, SLOTS, split_list
from cwb.errors import UsageError
from cwb.matching.allocation import flow_costs, solve_flow
from cwb.matching.reasons import format_distance, format_money
from cwb.matching.scoring import weighted_mean

#: Default weights of the score parts (:data:`cwb.settings.COMMONS_WEIGHTS`).
DEFAULT_WEIGHTS: dict[str, float] = dict(defaults.COMMONS_WEIGHTS)
#: Ownership part by owner type: public land first (CO-CITY's pacts are with the city).
DEFAULT_OWNER_SCORES: dict[str, float] = dict(defaults.COMMONS_OWNER_SCORES)
_SLOT_ORDER = {slot: i for i, slot in enumerate(SLOTS)}

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
    decay_m: float = defaults.COMMONS_DECAY_M
    max_distance_m: float = defaults.COMMONS_MAX_DISTANCE_M
    min_score: float = defaults.COMMONS_MIN_SCORE

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
    reasons.append(f"{format_distance(distance)} away")
    access = place["accessibility"]
    step_free = need.get("step_free")
    if step_free is not None and not pd.isna(step_free) and bool(step_free):
        if access == "none":
            return "no step-free access"
        parts["access"] = defaults.COMMONS_ACCESS_SCORES.get(access, 0.3)
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
    if not free:
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
        budget_text = f" (budget {format_money(budget)})" if budget else ""
        reasons.append(f"{format_money(cost)} a session{budget_text}")
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
            score = weighted_mean(s.weights, parts)
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
    """Book needs' sessions in places' free slots with the min-cost flow of matching.

    Every free slot of a place is a supply of one session, every need asks for its
    sessions, and an arc joins a slot to a need when the pair is in ``matches`` and the
    slot is one the need accepts. :func:`cwb.matching.allocation.solve_flow` books as many
    sessions as can be booked, then the best scores; ties go to the need's better-ranked
    place, then to the earlier slot. A group whose sessions the flow spread over several
    places is then moved into one of them when one can host them all, so a group's
    sessions are split only when no single place can take them. No slot is ever booked
    twice.

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
        One row per booked slot: ``need``, ``place``, ``slot``, ``score``; in need,
        place and slot order.
    """
    columns = ["need", "place", "slot", "score"]
    pairs = matches[["need", "place", "score"]].drop_duplicates(["need", "place"])
    pairs = pairs[pairs["need"].map(lambda n: int(sessions.get(n, 0)) > 0)]
    if not len(pairs):
        return pd.DataFrame(columns=columns)
    pairs = pairs.sort_values(["need", "score", "place"], ascending=[True, False, True])
    pairs["rank"] = pairs.groupby("need").cumcount()
    arcs = [
        (need, place, slot, score, rank * len(SLOTS) + _SLOT_ORDER[slot])
        for need, place, score, rank in pairs.itertuples(index=False)
        for slot in free.get(place, ())
        if slot in set(asked.get(need, ()))
    ]
    table = pd.DataFrame(arcs, columns=[*columns, "tie"])
    if not len(table):
        return pd.DataFrame(columns=columns)
    s_index, s_keys = pd.factorize(table["place"] + "\x00" + table["slot"])
    o_index, o_keys = pd.factorize(table["need"])
    flow = solve_flow(
        s_index,
        o_index,
        np.ones(len(table), dtype=np.int64),
        flow_costs(table["score"].to_numpy(dtype=float), table["tie"].to_numpy()),
        np.ones(len(s_keys), dtype=np.int64),
        np.array([int(sessions[n]) for n in o_keys], dtype=np.int64),
    )
    booked = _keep_together(table.loc[flow > 0, columns].copy(), pairs, asked, free)
    booked["_order"] = booked["slot"].map(_SLOT_ORDER)
    booked = booked.sort_values(["need", "place", "_order"]).drop(columns="_order")
    return booked.reset_index(drop=True)


def _keep_together(
    booked: pd.DataFrame,
    pairs: pd.DataFrame,
    asked: Mapping[str, tuple[str, ...]],
    free: Mapping[str, tuple[str, ...]],
) -> pd.DataFrame:
    """Move each group the flow split over places into one of them, when one can host it.

    The group goes to the best-scoring of its places with enough open slots, earliest
    slots first.
    """
    split = booked.groupby("need")["place"].nunique()
    for need in sorted(split[split > 1].index):
        mine = booked["need"] == need
        taken = set(zip(booked.loc[~mine, "place"], booked.loc[~mine, "slot"], strict=True))
        wanted = int(mine.sum())
        ok = set(asked.get(need, ()))
        for place, score in pairs.loc[pairs["need"] == need, ["place", "score"]].itertuples(
            index=False
        ):
            open_slots = [x for x in free.get(place, ()) if x in ok and (place, x) not in taken]
            if len(open_slots) >= wanted:
                moved = pd.DataFrame(
                    {"need": need, "place": place, "slot": open_slots[:wanted], "score": score}
                )
                booked = pd.concat([booked[~mine], moved], ignore_index=True)
                break
    return booked


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
        names), ``unplaced`` (needs with fewer sessions booked than asked, and why),
        ``unused`` (places with no booking and why).
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
    booked = bookings["need"].value_counts()
    short = needs["id"].map(booked).fillna(0).astype(int) < needs["sessions"]
    unplaced = pd.DataFrame(
        needs.loc[short, ["id", "group", "group_name", "space_type", "sessions"]]
    ).rename(columns={"id": "need"})
    unplaced["booked"] = unplaced["need"].map(booked).fillna(0).astype(int)
    with_pairs = set(matches["need"])
    unplaced["reason"] = [
        _short_reason(n, done, need in with_pairs, rejected.get(need, Counter()))
        for need, n, done in unplaced[["need", "sessions", "booked"]].itertuples(index=False)
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


def _short_reason(sessions: int, booked: int, has_pairs: bool, rejected: Counter[str]) -> str:
    """Why a need has fewer sessions booked than it asks for."""
    if booked:
        return (
            f"{booked} of {sessions} sessions booked: the fitting places are full "
            "at the other times asked"
        )
    if has_pairs:
        return "every fitting place is booked at the times asked"
    return _main_reason(rejected)


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
