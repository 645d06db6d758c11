"""Places that could host community groups: what each offers, and its free slots in a week.

The week model
--------------
A place's week is 21 *slots*: seven days × three sessions (morning, afternoon,
evening), ``mon_morning`` … ``sun_evening``. One session stands for
:data:`~cwb.dataset.schema.SESSION_HOURS` hours (4). A place's free slots are, in order:

* its ``free_sessions`` cell, when filled in (the owner's own word);
* otherwise, by ``use_status``: ``vacant`` and ``derelict`` places are free in every
  slot; an ``under_used`` place is taken for ``ceil(hours_used_per_week / 4)``
  sessions, the weekday daytimes first (Monday morning, Monday afternoon, Tuesday
  morning …), and free in the rest; an ``in_use`` place (or one with no status) has
  no free slot;
* less the sessions of its signed or active pacts (``ceil(hours_per_week / 4)``
  each, taken in the same order).

Which kinds of space a place offers (``spaces``) and in which use statuses it can host
groups at all come from its own ``spaces`` cell, else from its category's row of
``cwb/resources/commons_spaces.csv`` (data, not code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import geopandas as gpd
import pandas as pd

from cwb.dataset.model import Dataset
from cwb.dataset.schema import DAYS, SESSION_HOURS, SESSIONS, SLOTS, split_list

#: The order in which a place's own use and its pacts take slots: weekday daytimes first,
#: then weekend daytimes, then evenings.
TAKE_ORDER: tuple[str, ...] = (
    tuple(f"{d}_{s}" for d in DAYS[:5] for s in SESSIONS[:2])
    + tuple(f"{d}_{s}" for d in DAYS[5:] for s in SESSIONS[:2])
    + tuple(f"{d}_evening" for d in DAYS)
)
#: Pact statuses whose sessions are already taken.
PACT_TAKES: tuple[str, ...] = ("signed", "active")


@dataclass(frozen=True)
class SpaceRule:
    """What a category of place offers by default, and the statuses it can host groups in."""

    category: str
    spaces: tuple[str, ...]
    statuses: tuple[str, ...]


def load_space_rules() -> dict[str, SpaceRule]:
    """The rules of ``cwb/resources/commons_spaces.csv``, by category."""
    path = resources.files("cwb").joinpath("resources", "commons_spaces.csv")
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return {
        row.category: SpaceRule(
            row.category, tuple(split_list(row.spaces)), tuple(split_list(row.statuses))
        )
        for row in table.itertuples()
    }


def sessions_for(hours: float | None) -> int:
    """Sessions a number of weekly hours takes (``ceil(hours / 4)``; 0 when unknown)."""
    if hours is None or pd.isna(hours) or hours <= 0:
        return 0
    return min(len(SLOTS), math.ceil(float(hours) / SESSION_HOURS))


def free_slots(
    use_status: object, hours_used: object, free_sessions: object, pact_hours: float = 0.0
) -> tuple[str, ...]:
    """A place's free slots in a week (see the module notes), in :data:`SLOTS` order."""
    given = split_list(free_sessions)
    if given:
        free = set(given)
    elif use_status in ("vacant", "derelict"):
        free = set(SLOTS)
    elif use_status == "under_used":
        free = set(TAKE_ORDER[sessions_for(hours_used) :])  # type: ignore[arg-type]
    else:
        free = set()
    taken = [s for s in TAKE_ORDER if s in free][: sessions_for(pact_hours)]
    return tuple(s for s in SLOTS if s in free and s not in taken)


def area_m2(row: pd.Series) -> float | None:
    """Usable area in m²: floor area, else site area, else a physical asset's capacity."""
    for column, factor in (("floor_area_m2", 1.0), ("site_area_ha", 10_000.0), ("capacity", 1.0)):
        value = row.get(column)
        if value is not None and not pd.isna(value):
            return float(value) * factor
    return None


def community_places(ds: Dataset) -> gpd.GeoDataFrame:
    """The physical assets that can host groups now, with what they offer and when.

    Returns
    -------
    GeoDataFrame
        One row per place that has a use status its category allows and at least one free
        slot: ``id``, ``name``, ``category``, ``use_status``, ``owner_type``, ``offers``
        (tuple of space types), ``free`` (tuple of slots), ``area_m2``, ``accessibility``,
        ``cost_per_session``, ``available_from``, ``available_until``, geometry.
    """
    rules = load_space_rules()
    assets = ds.assets
    physical = assets[(assets["kind"] == "physical") & assets["use_status"].notna()]
    pact_hours = _pact_hours(ds)
    rows = []
    for _, asset in physical.iterrows():
        rule = rules.get(asset["category"])
        offers = tuple(split_list(asset.get("spaces"))) or (rule.spaces if rule else ())
        statuses = rule.statuses if rule else ("under_used", "vacant")
        if not offers or asset["use_status"] not in statuses:
            continue
        free = free_slots(
            asset["use_status"],
            asset.get("hours_used_per_week"),
            asset.get("free_sessions"),
            pact_hours.get(asset["id"], 0.0),
        )
        if not free:
            continue
        rows.append(
            {
                "id": asset["id"],
                "name": asset["name"],
                "category": asset["category"],
                "use_status": asset["use_status"],
                "owner_type": asset.get("owner_type") or "unknown",
                "owner": asset.get("owner"),
                "offers": offers,
                "free": free,
                "area_m2": area_m2(asset),
                "accessibility": asset.get("accessibility") or "unknown",
                "cost_per_session": asset.get("cost_per_session"),
                "available_from": asset.get("available_from"),
                "available_until": asset.get("available_until"),
                "geometry": asset.geometry,
            }
        )
    columns = [
        "id",
        "name",
        "category",
        "use_status",
        "owner_type",
        "owner",
        "offers",
        "free",
        "area_m2",
        "accessibility",
        "cost_per_session",
        "available_from",
        "available_until",
        "geometry",
    ]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=4326)


def _pact_hours(ds: Dataset) -> dict[str, float]:
    """Hours a week already promised to signed or active pacts, per place."""
    pacts = ds.pacts
    if pacts is None or not len(pacts):
        return {}
    taking = pacts[pacts["status"].isin(PACT_TAKES)]
    return taking.groupby("asset")["hours_per_week"].sum(min_count=1).fillna(0.0).to_dict()
