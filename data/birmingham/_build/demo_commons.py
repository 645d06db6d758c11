"""Illustrative community use of places for the demo (CO-CITY): place use, needs, pacts.

Everything here is invented for the demo, around the hospital: which places are
under-used or vacant, who owns them, what local groups need and the pacts signed.
Seeded and deterministic, with its own random stream so that the other files do not
change when this one does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

SEED = 14  # the issue that brought the strand in
#: The demo's "today": pact statuses agree with their dates as of this day.
TODAY = "2026-11-30"

#: Needs by words in a group's name: (space type, sessions, least m², times that suit).
_NEEDS: tuple[tuple[str, str, int, float, str], ...] = (
    ("Gardeners", "growing_land", 3, 400.0, "morning;afternoon"),
    ("Lunch Club", "kitchen", 2, 60.0, "morning;afternoon"),
    ("Food Pantry", "storage", 2, 30.0, ""),
    ("Foodbank", "storage", 3, 50.0, ""),
    ("Men's Shed", "workshop", 2, 80.0, ""),
    ("Repair Café", "workshop", 1, 60.0, "afternoon;evening"),
    ("Homework Club", "hall", 2, 60.0, "evening"),
    ("Walking Group", "hall", 1, 40.0, "morning"),
    ("Community Choir", "hall", 1, 100.0, "evening"),
    ("Youth Football Club", "hall", 2, 200.0, "evening"),
    ("Tenants and Residents", "hall", 1, 50.0, "evening"),
    ("Residents' Forum", "hall", 1, 50.0, "evening"),
    ("Advice Centre", "office", 3, 20.0, "morning;afternoon"),
    ("Refugee Welcome", "office", 2, 20.0, ""),
    ("ESOL Classes", "hall", 3, 50.0, ""),
    ("Gurdwara Seva Committee", "kitchen", 2, 80.0, ""),
    ("Bangladeshi Women's Association", "kitchen", 1, 40.0, ""),
)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two (lat, lon) points (equirectangular; fine at this scale)."""
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    return 6_371_000 * math.hypot(math.radians(a[1] - b[1]) * k, math.radians(a[0] - b[0]))


def _where(asset: Mapping[str, object], coords: Mapping[str, tuple[float, float]]):
    if asset.get("lat") not in (None, ""):
        return float(asset["lat"]), float(asset["lon"])  # type: ignore[arg-type]
    return coords.get(str(asset.get("postcode") or ""))


def _nearest(assets, coords, centre, categories, n):
    rows = []
    for asset in assets:
        if asset["category"] not in categories:
            continue
        where = _where(asset, coords)
        if where is not None:
            rows.append((_distance_m(where, centre), asset["id"], asset))
    return [a for _, _, a in sorted(rows, key=lambda r: (r[0], r[1]))[:n]]


def add_place_use(
    rng: random.Random, assets: list[dict[str, object]], coords, centre: tuple[float, float]
) -> None:
    """Fill the use and ownership columns of the physical assets nearest the hospital."""
    for asset in _nearest(assets, coords, centre, {"land"}, 7):
        public = asset["id"] not in ("A0142", "A0145")
        area = float(asset.get("capacity") or 3000)
        asset.update(
            use_status="derelict" if "allotment" in str(asset["name"]) else "vacant",
            owner_type="public" if public else "private",
            owner="Sandwell Council" if public else "a private landowner",
            hours_used_per_week=0,
            site_area_ha=round(area / 10_000, 2),
            condition="poor",
            accessibility="partial",
            spaces="growing_land",
            cost_per_session=0,
        )
    for i, asset in enumerate(_nearest(assets, coords, centre, {"vacant_building"}, 8)):
        asset.update(
            use_status="vacant",
            owner_type="public" if i % 3 else "private",
            owner="Sandwell Council" if i % 3 else "a private landlord",
            hours_used_per_week=0,
            floor_area_m2=rng.choice([120, 180, 240, 320, 450]),
            condition=rng.choice(["fair", "poor", "poor", "unsafe"]),
            accessibility=rng.choice(["step_free", "partial", "none"]),
            spaces=rng.choice(["hall;office", "workshop;storage", "hall;kitchen", "office;storage"]),
            cost_per_session=rng.choice([0, 0, 5, 10]),
            available_from="2025-04-01",
        )
    for asset in _nearest(assets, coords, centre, {"community_centre"}, 8):
        asset.update(
            use_status="under_used",
            owner_type=rng.choice(["public", "public", "community"]),
            owner=rng.choice(["Sandwell Council", "a community trust"]),
            hours_used_per_week=rng.choice([12, 16, 20, 28, 36]),
            floor_area_m2=float(asset.get("capacity") or 300),
            condition=rng.choice(["good", "fair"]),
            accessibility=rng.choice(["step_free", "step_free", "partial"]),
            cost_per_session=rng.choice([8, 12, 15, 20]),
        )
    for asset in _nearest(assets, coords, centre, {"place_of_worship"}, 3):
        asset.update(
            use_status="under_used",
            owner_type="community",
            owner="the congregation",
            hours_used_per_week=rng.choice([10, 14, 18]),
            floor_area_m2=rng.choice([150, 220]),
            accessibility="partial",
            spaces="hall;kitchen",
            cost_per_session=rng.choice([0, 5]),
        )
    for asset in _nearest(assets, coords, centre, {"library"}, 3):
        asset.update(
            use_status="in_use",
            owner_type="public",
            owner="Sandwell Council",
            hours_used_per_week=45,
            floor_area_m2=rng.choice([90, 140]),
            accessibility="step_free",
            free_sessions="tue_evening;thu_evening;sat_afternoon",
            cost_per_session=0,
        )
    for asset in _nearest(assets, coords, centre, {"green_space"}, 2):
        asset.update(
            use_status="under_used",
            owner_type="public",
            owner="Sandwell Council",
            hours_used_per_week=20,
            site_area_ha=0.2,
            accessibility="step_free",
            spaces="growing_land",
            cost_per_session=0,
        )


def build_needs(
    rng: random.Random, assets: list[dict[str, object]], coords, centre: tuple[float, float]
) -> list[dict[str, object]]:
    """Needs of the community groups within about 3 km of the hospital."""
    groups = _nearest(
        assets,
        coords,
        centre,
        {"voluntary_group", "faith_group", "tenants_association", "charity", "service"},
        60,
    )
    needs: list[dict[str, object]] = []
    for group in groups:
        rule = next((r for r in _NEEDS if r[0] in str(group["name"])), None)
        if rule is None:
            continue
        _, space, sessions, area, times = rule
        needs.append(
            {
                "id": f"N{len(needs) + 1:03d}",
                "group": group["id"],
                "space_type": space,
                "sessions_per_week": sessions,
                "min_area_m2": area,
                "days": rng.choice(["", "", "mon;tue;wed;thu;fri", "sat;sun"]),
                "times": times,
                "max_distance_m": rng.choice([1500, 2000, 2500, 3000]),
                "budget_per_session": rng.choice([0, 10, 15, 25]),
                "step_free": rng.choice(["yes", "no", "no"]),
                "needed_from": "2026-01-01",
                "description": f"{group['name']} needs a {space.replace('_', ' ')}.",
                "source": "illustrative (cwb demo)",
                "collected_by": "Smethwick community researchers",
                "collected_on": "2025-11-15",
                "licence": "CC0-1.0",
            }
        )
    return needs


def build_pacts(assets: list[dict[str, object]], needs: list[dict[str, object]]):
    """A few pacts of collaboration at every stage of the lifecycle, mostly for land."""
    by_id = {str(a["id"]): a for a in assets}
    land = [a for a in assets if a["category"] == "land" and a.get("use_status")]
    buildings = [a for a in assets if a["category"] == "vacant_building" and a.get("use_status")]
    centres = [a for a in assets if a["category"] == "community_centre" and a.get("use_status")]
    groups = [str(n["group"]) for n in needs]
    council = "A0151"

    def pact(pid, place, partners, status, title, dates, hours, insured, activities, notes=""):
        return {
            "id": pid,
            "asset": place["id"],
            "partners": ";".join([*partners]),
            "status": status,
            "title": title,
            "proposed_on": dates[0],
            "signed_on": dates[1],
            "starts": dates[2],
            "ends": dates[3],
            "activities": activities,
            "responsibilities": notes
            or "the council clears the site and keeps the boundary safe; the groups look "
            "after the ground and open it to neighbours",
            "insured_by": insured,
            "hours_per_week": hours,
            "description": f"Illustrative pact for {by_id[str(place['id'])]['name']}.",
            "source": "illustrative (cwb demo)",
            "collected_by": "Smethwick community researchers",
            "collected_on": "2025-11-15",
            "licence": "CC0-1.0",
        }

    return [
        pact("P001", land[0], [council, groups[0]], "active", "Grove Lane growing plot",
             ("2023-03-01", "2023-06-15", "2023-07-01", ""), 12, "Sandwell Council",
             "food growing;composting"),
        pact("P002", land[1], [council, groups[1], groups[2]], "signed", "Rolfe Street allotments reborn",
             ("2025-02-10", "2025-10-01", "2027-03-01", ""), 10, "the groups (community group policy)",
             "food growing;open days"),
        pact("P003", land[2], [council, groups[3]], "negotiating", "Canal-side orchard",
             ("2025-09-01", "", "", ""), 6, "", "tree planting"),
        pact("P004", land[3], [groups[4]], "proposed", "Bearwood wildflower meadow",
             ("2026-06-01", "", "", ""), 4, "", "wildflower planting"),
        pact("P005", centres[0], [council, groups[5]], "active", "Lunch club kitchen",
             ("2022-11-01", "2023-01-20", "2023-02-01", ""), 8, "Sandwell Council",
             "cooking;shared meals",
             "the centre's manager opens and locks up; the club cleans the kitchen"),
        pact("P006", land[4], [groups[6]], "ended", "Meanwhile garden at Castle Road",
             ("2021-09-01", "2022-03-01", "2022-04-01", "2024-10-31"), 8, "the landowner",
             "food growing", "the site was sold for housing; the planters moved to P001"),
        pact("P007", buildings[0], [council, groups[7]], "negotiating", "Repair workshop",
             ("2025-05-01", "", "", ""), 10, "",
             "repair café;tool library",
             "held back by the cost of repairs and of public liability insurance"),
    ]


def add_commons(
    assets: list[dict[str, object]], coords, centre: tuple[float, float]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Fill place use on ``assets`` (in place) and return the needs and pacts rows."""
    rng = random.Random(SEED)
    add_place_use(rng, assets, coords, centre)
    needs = build_needs(rng, assets, coords, centre)
    return needs, build_pacts(assets, needs)
