"""Illustrative anchor-institution spend for the demo (maintainers only; see make_birmingham.py).

Four real anchor institutions buy from invented suppliers between April 2019 and
March 2025. Suppliers are in the neighbourhood (the catalogue's own enterprises), elsewhere
in Birmingham and Sandwell, elsewhere in the West Midlands, or outside the region. The
chance that a purchase goes to a local supplier rises every year (as local spend did in Preston),
so that spend analysis finds a trend. A few messy rows are included on purpose: credit
notes, missing postcodes, duplicate-looking invoices with distinct ids, and EUR invoices.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import demo_content as C

BUYERS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    (
        "Sandwell and West Birmingham NHS Trust",
        630,
        (
            "medical supplies",
            "pharmaceuticals",
            "agency staffing",
            "catering",
            "cleaning",
            "laundry",
            "transport",
            "security",
            "facilities management",
            "IT",
            "waste",
            "interpreting",
            "construction",
            "energy",
        ),
    ),
    (
        "Sandwell Metropolitan Borough Council",
        470,
        (
            "construction",
            "grounds maintenance",
            "transport",
            "IT",
            "professional services",
            "health and care",
            "catering",
            "cleaning",
            "security",
            "waste",
            "printing and design",
            "energy",
            "facilities management",
        ),
    ),
    (
        "Birmingham City Council",
        430,
        (
            "construction",
            "grounds maintenance",
            "transport",
            "IT",
            "professional services",
            "health and care",
            "catering",
            "cleaning",
            "security",
            "waste",
            "printing and design",
            "energy",
            "interpreting",
        ),
    ),
    (
        "University of Birmingham",
        230,
        (
            "IT",
            "catering",
            "cleaning",
            "construction",
            "facilities management",
            "professional services",
            "printing and design",
            "energy",
            "security",
            "laundry",
        ),
    ),
)
YEARS = tuple(range(2019, 2025))  # financial years 2019-20 … 2024-25
TIER_MEDIAN = {"neighbourhood": 2_800, "local_authority": 4_500, "region": 6_500}
ORG_OF = {
    "business": "private",
    "social_enterprise": "social_enterprise",
    "cooperative": "cooperative",
}


def _tier_weights(year_index: int) -> dict[str, float]:
    """Chance of each supplier tier in a year: local shares rise, outside falls."""
    neighbourhood = 0.08 + 0.05 * year_index
    local_authority = 0.17 + 0.03 * year_index
    region = 0.15
    return {
        "neighbourhood": neighbourhood,
        "local_authority": local_authority,
        "region": region,
        "outside": 1 - neighbourhood - local_authority - region,
    }


def _suppliers(
    rng: random.Random, assets: list[dict[str, object]], postcodes: Any
) -> list[dict[str, Any]]:
    """Every supplier: the catalogue's enterprises plus invented ones further away."""
    ward_postcodes = {p for pool in postcodes.by_ward.values() for p in pool}
    out: list[dict[str, Any]] = []
    for a in assets:
        if a["category"] in ORG_OF or (a["category"] == "charity" and len(out) % 3 == 0):
            capacity = float(a.get("capacity") or 50_000)
            out.append(
                {
                    "name": a["name"],
                    "id": a.get("registered_number", ""),
                    "postcode": a["postcode"],
                    "sector": a["sector"] if a["category"] != "charity" else "health and care",
                    "sme": True,
                    "size_band": "micro"
                    if capacity < 60_000
                    else "small"
                    if capacity < 400_000
                    else "medium",
                    "org_type": ORG_OF.get(str(a["category"]), "charity"),
                    "tier": "neighbourhood"
                    if a["postcode"] in ward_postcodes
                    else "local_authority",
                    "cap": capacity,
                }
            )
    stems = list(C.SUPPLIER_STEMS)
    rng.shuffle(stems)
    local_sectors = list(C.SECTORS)
    national = list(C.NATIONAL_SECTORS)
    number = 720_000

    def invent(tier: str, sector: str, noun: str, postcode: str, *, large: bool) -> None:
        nonlocal number
        stem = stems[len(out) % len(stems)]
        suffix = "plc" if large and rng.random() < 0.3 else "Ltd"
        name = f"{stem} {noun} {suffix}"
        while any(s["name"] == name for s in out):
            name = f"{stem} {noun} ({rng.choice(['Midlands', 'UK', 'Holdings', 'Group'])}) {suffix}"
        number += rng.randint(11, 1999)
        size = (
            rng.choice(["large", "large", "medium"])
            if large
            else rng.choice(["micro", "small", "small", "medium"])
        )
        out.append(
            {
                "name": name,
                "id": f"DM{number:06d}" if rng.random() < 0.85 else "",
                "postcode": postcode,
                "sector": sector,
                "sme": size != "large",
                "size_band": size,
                "org_type": "private"
                if rng.random() < 0.9
                else rng.choice(["charity", "social_enterprise"]),
                "tier": tier,
                "cap": 5_000_000 if large else 600_000,
            }
        )

    for i in range(45):
        sector = local_sectors[i % len(local_sectors)]
        invent(
            "local_authority",
            sector,
            C.SECTORS[sector][0][i % len(C.SECTORS[sector][0])],
            postcodes.pick(rng, postcodes.la_outside),
            large=False,
        )
    for i in range(28):
        sector, noun, _ = national[i % len(national)]
        invent("region", sector, noun, postcodes.pick(rng, postcodes.region), large=i % 4 == 0)
    for i in range(42):
        sector, noun, _ = national[i % len(national)]
        postcode = C.OUTSIDE_POSTCODES[i % len(C.OUTSIDE_POSTCODES)][0]
        invent("outside", sector, noun, postcodes.use(postcode), large=True)
    for i in range(3):  # suppliers whose postcode nobody recorded
        sector = ("catering", "cleaning", "construction")[i]
        invent("unknown", sector, C.SECTORS[sector][0][0], "", large=False)
    return out


def build_spend(
    rng: random.Random, assets: list[dict[str, object]], postcodes: Any
) -> list[dict[str, object]]:
    """Return the spend rows, sorted by date, with ids T000001, T000002, and so on."""
    suppliers = _suppliers(rng, assets, postcodes)
    national_median = {s: m for s, _, m in C.NATIONAL_SECTORS}
    by_tier: dict[str, list[dict[str, Any]]] = {}
    for s in suppliers:
        by_tier.setdefault(s["tier"], []).append(s)
    rows: list[dict[str, object]] = []
    for buyer, total, sectors in BUYERS:
        for y, year in enumerate(YEARS):
            weights = _tier_weights(y)
            for _ in range(total // len(YEARS)):
                tier = rng.choices(list(weights), weights=list(weights.values()))[0]
                sector = rng.choice(sectors)
                pool = [s for s in by_tier[tier] if s["sector"] == sector] or by_tier[tier]
                rows.append(_transaction(rng, buyer, rng.choice(pool), year, national_median))
    for supplier in by_tier["unknown"]:
        for _ in range(2):
            rows.append(
                _transaction(
                    rng, rng.choice(BUYERS)[0], supplier, rng.choice(YEARS), national_median
                )
            )
    rows += _messy(rng, rows)
    rows.sort(
        key=lambda r: (str(r["date"]), str(r["buyer"]), str(r["supplier_name"]), float(r["amount"]))
    )
    for i, row in enumerate(rows, start=1):
        row["id"] = f"T{i:06d}"
    return rows


def _transaction(
    rng: random.Random, buyer: str, s: dict[str, Any], year: int, national_median: dict[str, int]
) -> dict[str, object]:
    median = TIER_MEDIAN.get(s["tier"]) or national_median.get(s["sector"], 8_000)
    growth = 1 + 0.08 * (year - YEARS[0])  # budgets (and prices) grow year on year
    amount = min(rng.lognormvariate(0, 0.95) * median * growth, s["cap"] / 3)
    start = dt.date(year, 4, 1)
    date = start + dt.timedelta(days=rng.randint(0, 364))
    name = s["name"].upper() if s["tier"] == "neighbourhood" and rng.random() < 0.03 else s["name"]
    return {
        "id": "",
        "buyer": buyer,
        "supplier_name": name,
        "supplier_id": s["id"],
        "amount": f"{max(amount, 25):.2f}",
        "currency": "GBP",
        "date": date.isoformat(),
        "period": f"{year}-{(year + 1) % 100:02d}",
        "sector": s["sector"],
        "sme": "true" if s["sme"] else "false",
        "size_band": s["size_band"],
        "org_type": s["org_type"],
        "description": f"{s['sector']} (illustrative)",
        "postcode": s["postcode"],
    }


def _messy(rng: random.Random, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Credit notes, duplicate-looking invoices and EUR invoices."""
    extra: list[dict[str, object]] = []
    for original in rng.sample(rows, 10):
        credit = dict(original)
        day = dt.date.fromisoformat(str(original["date"])) + dt.timedelta(days=rng.randint(5, 40))
        fy = day.year if day.month >= 4 else day.year - 1
        credit.update(
            amount=f"{-float(original['amount']) * rng.choice([1, 1, 0.5, 0.25]):.2f}",
            date=day.isoformat(),
            period=f"{fy}-{(fy + 1) % 100:02d}",
            description="credit note (illustrative)",
        )
        extra.append(credit)
    for original in rng.sample(rows, 2):
        extra.append(
            dict(original, description=str(original["description"]))
        )  # same invoice keyed twice
    foreign = (
        ("Rotterdam Imaging Components BV", "medical supplies"),
        ("Dublin Clinical Software DAC", "IT"),
        ("Lyon Laboratoire Réactifs SAS", "medical supplies"),
    )
    for i in range(5):
        name, sector = foreign[i % len(foreign)]
        year = rng.choice(YEARS[2:])
        day = dt.date(year, 4, 1) + dt.timedelta(days=rng.randint(0, 364))
        extra.append(
            {
                "id": "",
                "buyer": BUYERS[i % 2 * 3][0],
                "supplier_name": name,
                "supplier_id": "",
                "amount": f"{rng.lognormvariate(0, 0.6) * 12_000:.2f}",
                "currency": "EUR",
                "date": day.isoformat(),
                "period": f"{year}-{(year + 1) % 100:02d}",
                "sector": sector,
                "sme": "false",
                "size_band": "large",
                "org_type": "private",
                "description": "invoice in euros from an EU supplier (illustrative)",
                "postcode": "",
            }
        )
    return extra
