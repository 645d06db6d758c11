"""Asset rows of the demo (maintainers only; see make_birmingham.py).

Real public places (libraries, GP practices, parks, public bodies) at their real
locations, and invented enterprises, groups, buildings and residents' skills groups
at real postcodes chosen at random inside each ward.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any

import demo_content as C
import geopandas as gpd
import pandas as pd

from cwb.dataset.schema import ASSETS

ILLUSTRATIVE = "cwb demo (illustrative)"
DEMO_LICENCE = "CC0-1.0"
OGL = "OGL-UK-3.0"


def random_date(rng: random.Random, start: str, end: str) -> str:
    """Return a random ISO date between ``start`` and ``end`` (inclusive)."""
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return (a + dt.timedelta(days=rng.randint(0, (b - a).days))).isoformat()


class AssetBuilder:
    """Collects asset rows and hands out ids A0001, A0002, and so on."""

    def __init__(self, rng: random.Random, postcodes: Any, areas: gpd.GeoDataFrame) -> None:
        self.rng = rng
        self.pc = postcodes
        self.areas = areas
        self.code_of = dict(zip(areas["name"], areas["code"], strict=True))
        self.la_of = dict(zip(areas["name"], areas["local_authority"], strict=True))
        self.rows: list[dict[str, object]] = []
        self.names: set[str] = set()
        self.people = iter(C.FAKE_PEOPLE[:8])  # the individual records
        firsts = [p.split()[0] for p in C.FAKE_PEOPLE]
        lasts = [p.split()[1] for p in C.FAKE_PEOPLE]
        self.contacts = iter(
            [
                f"{f} {lasts[(i * 7 + j) % len(lasts)]}"
                for j in range(1, 6)
                for i, f in enumerate(firsts)
            ]
        )  # organisations' contacts
        self.phone = 900100
        self.landline = 496_0100

    def add(self, **fields: object) -> dict[str, object]:
        """Append one asset; refuse a duplicate name or a column outside the schema."""
        unknown = set(fields) - set(ASSETS.column_names)
        if unknown:
            raise SystemExit(f"asset columns outside the schema: {sorted(unknown)}")
        if fields["name"] in self.names:
            raise SystemExit(f"duplicate asset name {fields['name']!r}")
        self.names.add(str(fields["name"]))
        row = {"id": f"A{len(self.rows) + 1:04d}", **fields}
        self.rows.append(row)
        return row

    def unique_name(self, pattern: str, places: list[str]) -> str:
        """Return a name from ``pattern`` with the first place that makes it unique."""
        for place in places:
            name = pattern.format(place=place)
            if name not in self.names:
                return name
        for i in range(2, 50):
            name = (
                pattern.format(place=f"{places[0]} {i}")
                if "{place}" in pattern
                else f"{pattern} {i}"
            )
            if name not in self.names:
                return name
        raise SystemExit(f"cannot make a unique name from {pattern!r}")

    def provenance(
        self, *, stale_share: float = 0.15, by: str = "community researchers (illustrative)"
    ) -> dict[str, str]:
        """Illustrative provenance; about ``stale_share`` rows last checked over three years ago."""
        collected = random_date(self.rng, "2018-03-01", "2024-09-30")
        if self.rng.random() < stale_share:
            verified = (
                random_date(self.rng, collected, "2021-06-30")
                if collected < "2021-06-30"
                else collected
            )
        else:
            verified = random_date(self.rng, max(collected, "2023-04-01"), "2025-03-31")
        return {
            "source": ILLUSTRATIVE,
            "collected_by": by,
            "collected_on": collected,
            "licence": DEMO_LICENCE,
            "last_verified": verified,
        }

    def org_contact(self) -> dict[str, str]:
        """Return an invented organisation contact (drama phone numbers, example.org mail)."""
        person = next(self.contacts)
        self.landline += 7
        local = person.lower().replace(" ", ".")
        return {
            "contact_name": person,
            "contact_email": f"{local}@example.org",
            "contact_phone": f"0121 {self.landline // 10000:03d} {self.landline % 10000:04d}",
        }

    def ward_places(self, ward: str) -> list[str]:
        """Return the ward's place names in a random order."""
        places = list(C.PLACES[ward])
        self.rng.shuffle(places)
        return places

    def random_ward(self) -> str:
        """Return the name of a random ward."""
        return self.rng.choice([w for w, _ in C.WARDS])


def add_real_physical(b: AssetBuilder, real: Path) -> None:
    """Libraries, GP practices and parks: real public places at real locations."""
    union = b.areas.to_crs(27700).union_all().buffer(1500)
    lib = pd.read_csv(real / "libraries_librarieshacked" / "libraries_2016_west_midlands_met.csv")
    lib = lib[lib["authority_name"].isin(["Birmingham", "Sandwell"]) & lib["closed"].isna()]
    pts = gpd.GeoSeries(gpd.points_from_xy(lib["lng"], lib["lat"]), crs=4326).to_crs(27700)
    lib = lib[pts.within(union).to_numpy()].sort_values("name")
    for r in lib.itertuples(index=False):
        postcode = " ".join(str(r.postcode).split())
        postcode = b.pc.use(postcode) if postcode in b.pc.coords else ""
        b.add(
            name=r.name,
            kind="physical",
            category="library",
            lat=f"{r.lat:.6f}",
            lon=f"{r.lng:.6f}",
            postcode=postcode,
            skills="meeting room;wifi;digital skills;accessible",
            sector="libraries",
            capacity=b.rng.choice([250, 350, 450, 600]),
            description=f"Public library ({r.authority_name}); floor area illustrative.",
            source="Libraries Taskforce core dataset 2016 (via LibrariesHacked)",
            collected_by="cwb maintainers",
            collected_on="2016-10-01",
            licence=OGL,
            last_verified="2016-10-01",
        )
    gp = pd.read_csv(real / "gp_practices_ods" / "epraccur_2019-12_B_WS_WV_DY_postcodes.csv")
    gp = gp[
        (gp["prescribing_setting"] == 4)
        & (gp["status_code"] == "A")
        & gp["lat_from_bsol_postcodes"].notna()
    ]
    gp = gp[~gp["name"].str.match(r"^(DR|DRS)\b")]
    pts = gpd.GeoSeries(
        gpd.points_from_xy(gp["long_from_bsol_postcodes"], gp["lat_from_bsol_postcodes"]), crs=4326
    ).to_crs(27700)
    inside = b.areas.to_crs(27700).union_all()
    gp = gp[pts.within(inside).to_numpy()].sort_values("organisation_code").head(18)
    for r in gp.itertuples(index=False):
        postcode = b.pc.use(" ".join(str(r.postcode).split()))
        b.add(
            name=f"{str(r.name).title()} (GP practice)",
            kind="physical",
            category="health_facility",
            postcode=postcode,
            skills="health promotion;social prescribing",
            sector="primary care",
            registered_number=r.organisation_code,
            description="GP practice listed in the NHS ODS register (December 2019).",
            source="NHS Digital ODS epraccur 2019-12",
            collected_by="cwb maintainers",
            collected_on="2019-12-20",
            licence=OGL,
            last_verified="2019-12-20",
        )
    b.add(
        name="City Hospital (Birmingham Treatment Centre)",
        kind="physical",
        category="health_facility",
        postcode=b.pc.use("B18 7QH"),
        skills="meeting room;training room;parking",
        sector="hospital",
        description="Former acute site of the trust; acute services moved to MMUH in 2024.",
        source="NHS website hospitals 2018 (TechForUK)",
        collected_by="cwb maintainers",
        collected_on="2018-06-01",
        licence=OGL,
        last_verified="2024-11-01",
    )
    metric = b.areas.set_index("name").to_crs(27700)
    for name, lat, lon, ward, area_m2 in C.GREEN_SPACES:
        point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(27700).iloc[0]
        if metric.geometry[ward].distance(point) > 400:
            raise SystemExit(
                f"{name} is placed {metric.geometry[ward].distance(point):.0f} m from {ward}"
            )
        b.add(
            name=name,
            kind="physical",
            category="green_space",
            lat=f"{lat:.6f}",
            lon=f"{lon:.6f}",
            skills="outdoor space;gardening",
            sector="parks",
            capacity=area_m2,
            description="Public green space; point hand-placed from public maps (about ±150 m), "
            "area approximate.",
            source="cwb demo: public place, hand-placed",
            collected_by="cwb maintainers",
            collected_on="2025-01-15",
            licence=DEMO_LICENCE,
            last_verified="2025-01-15",
        )


def add_invented_physical(b: AssetBuilder) -> None:
    """Community centres, vacant buildings, shops, … with invented names at real ward postcodes."""
    per_category = {
        "community_centre": 20,
        "vacant_building": 16,
        "place_of_worship": 14,
        "sports_facility": 8,
        "education_facility": 8,
        "shop": 14,
        "building": 10,
        "land": 7,
    }
    for category, n in per_category.items():
        templates = C.PHYSICAL[category]
        for i in range(n):
            ward = C.WARDS[i % len(C.WARDS)][0]
            pattern, skills, (lo, hi) = templates[i % len(templates)]
            name = b.unique_name(pattern, b.ward_places(ward))
            prov = b.provenance(stale_share=0.25 if category == "vacant_building" else 0.15)
            contact = b.org_contact() if category == "community_centre" and i % 4 == 0 else {}
            b.add(
                name=name,
                kind="physical",
                category=category,
                postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]),
                skills=skills,
                sector={"shop": "retail", "land": "land", "vacant_building": "property"}.get(
                    category, "community"
                ),
                capacity=int(round(b.rng.randint(lo, hi), -1)),
                description="Invented for the demo; the postcode is real "
                "but chosen at random in the ward.",
                **prov,
                **contact,
            )
    for name, postcode, description in (
        (
            "University of Birmingham, Edgbaston campus",
            "B15 2TT",
            "Lecture theatres and conference rooms.",
        ),
        (
            "Sandwell College, Central campus",
            "B70 6AW",
            "Further education college; ESOL and apprenticeships.",
        ),
        ("Aston University campus", "B4 7ET", "University campus; training rooms."),
        (
            "Birmingham City University, City Centre campus",
            "B4 7XG",
            "Nursing and midwifery education.",
        ),
    ):
        b.add(
            name=name,
            kind="physical",
            category="education_facility",
            postcode=b.pc.use(postcode),
            skills="training room;meeting room;IT suite;wifi;accessible",
            sector="education",
            description=description,
            source="cwb demo: public body at its public address",
            collected_by="cwb maintainers",
            collected_on="2025-01-15",
            licence=DEMO_LICENCE,
            last_verified="2025-01-15",
        )


def _size_band(capacity: float) -> str:
    return "micro" if capacity < 60_000 else "small" if capacity < 400_000 else "medium"


def add_financial(b: AssetBuilder) -> None:
    """Anchors (real bodies), invented enterprises in every sector, funders and investment."""
    for name, postcode, sector, skills, description in C.ANCHORS:
        b.add(
            name=name,
            kind="financial",
            category="anchor_institution",
            postcode=b.pc.use(postcode),
            skills=skills,
            sector=sector,
            description=description,
            source="cwb demo: public body at its public address",
            collected_by="cwb maintainers",
            collected_on="2025-01-15",
            licence=DEMO_LICENCE,
            last_verified="2025-01-15",
        )
    suffix = {
        "business": ("Ltd", "Limited", "(West Midlands) Ltd", "Ltd"),
        "social_enterprise": ("CIC",),
        "cooperative": ("Co-operative", "Workers' Co-op"),
    }
    number = 410_000
    near_pool = [p for p in b.pc.la_outside if p.split()[0] in {"B70", "B71"}]
    for sector, count in C.SECTOR_COUNTS.items():
        nouns, skill_sets, (lo, hi) = C.SECTORS[sector]
        for i in range(count):
            category = (
                "business",
                "business",
                "social_enterprise",
                "business",
                "cooperative",
                "social_enterprise",
            )[i % 6]
            ward = b.random_ward()
            noun = nouns[i % len(nouns)]
            tail = suffix[category][i % len(suffix[category])]
            near = i % 9 == 8 and bool(near_pool)  # a few just outside the wards, in West Bromwich
            places = list(C.WEST_BROMWICH_PLACES) if near else b.ward_places(ward)
            name = b.unique_name(f"{{place}} {noun} {tail}", places)
            capacity = round(math.exp(b.rng.uniform(math.log(lo), math.log(hi))), -3)
            if i == 0:
                capacity = hi  # the largest firm of each sector sits at the cap
            number += b.rng.randint(7, 977)
            prefix = "DMRS" if category == "cooperative" else "DM"
            pool = near_pool if near else b.pc.by_ward[b.code_of[ward]]
            contact = b.org_contact() if i % 5 == 1 else {}
            b.add(
                name=name,
                kind="financial",
                category=category,
                postcode=b.pc.pick(b.rng, pool),
                skills=skill_sets[i % len(skill_sets)],
                sector=sector,
                capacity=int(capacity),
                registered_number=f"{prefix}{number:06d}",
                description=f"Invented {sector} {category.replace('_', ' ')} "
                f"({_size_band(capacity)}); "
                "capacity is the largest contract it could take on its own.",
                **b.provenance(),
                **contact,
            )
    for name, category, sector, skills, capacity in C.FUNDERS:
        ward = b.random_ward()
        b.add(
            name=name,
            kind="financial",
            category=category,
            postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]),
            skills=skills,
            sector=sector,
            capacity=capacity,
            description="Invented funder; capacity is its yearly budget in £.",
            **b.provenance(),
        )


def add_community(b: AssetBuilder) -> None:
    """Voluntary, faith and tenants' groups, charities, networks and services (invented names)."""
    per_category = {
        "voluntary_group": 28,
        "faith_group": 18,
        "tenants_association": 12,
        "charity": 24,
        "network": 10,
        "service": 18,
    }
    for category, n in per_category.items():
        templates = C.COMMUNITY[category]
        for i in range(n):
            ward = C.WARDS[(i * 5 + len(category)) % len(C.WARDS)][0]
            pattern, sector, skills = templates[i % len(templates)]
            name = b.unique_name(pattern, b.ward_places(ward))
            charity = category == "charity" or (category == "faith_group" and i % 2 == 0)
            contact = b.org_contact() if i % 3 == 0 else {}
            b.add(
                name=name,
                kind="community",
                category=category,
                postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]),
                skills=skills,
                sector=sector,
                capacity=b.rng.choice([10, 15, 20, 30, 40, 60, 80, 120]),
                registered_number=f"DMCH{b.rng.randint(100000, 999999)}" if charity else "",
                description="Invented group; capacity is the number of volunteers "
                "or members it can mobilise.",
                **b.provenance(stale_share=0.2),
                **contact,
            )


def add_human(b: AssetBuilder) -> None:
    """Add residents' skills groups per ward and a few individual records with fake contacts."""
    for ward, la in C.WARDS:
        code = b.code_of[ward]
        hot = set(C.HUMAN_HOTSPOTS[ward])
        profiles = [p for p in C.HUMAN_PROFILES if p[0] in hot]
        others = [p for p in C.HUMAN_PROFILES if p[0] not in hot]
        b.rng.shuffle(others)
        chosen = profiles + others[: 11 - len(profiles) // 2]
        chosen.sort(key=lambda p: [q[0] for q in C.HUMAN_PROFILES].index(p[0]))
        for key, label, skills, (lo, hi) in chosen:
            count = b.rng.randint(lo, hi)
            if key in hot:
                count = min(40, count + b.rng.randint(5, 15))
            b.add(
                name=f"{label}, {ward}",
                kind="human",
                category="skills_group",
                area_code=code,
                skills=skills,
                count=count,
                description="Residents who told community researchers "
                "about these skills (illustrative).",
                **b.provenance(by="USE-IT!-style community researchers (illustrative)"),
            )
        languages = list(C.LANGUAGES[la])
        b.rng.shuffle(languages)
        pair = sorted(languages[:2])
        b.add(
            name=f"{pair[0]} and {pair[1]} speakers who interpret, {ward}",
            kind="human",
            category="skills_group",
            area_code=code,
            skills=f"interpreting;{pair[0]};{pair[1]};English language",
            count=b.rng.randint(3, 25),
            description="Residents who interpret informally for neighbours (illustrative).",
            **b.provenance(by="USE-IT!-style community researchers (illustrative)"),
        )
    individuals = (
        (
            "Overseas-trained pharmacist",
            "pharmacist;overseas pharmacy qualification;Urdu",
            "Smethwick",
        ),
        (
            "Overseas-trained doctor preparing for PLAB 2",
            "doctor;overseas medical qualification;PLAB;Arabic",
            "Soho and Victoria",
        ),
        ("Overseas-trained midwife", "midwife;overseas midwifery qualification;Somali", "Ladywood"),
        (
            "Retired chef offering kitchen mentoring",
            "chef;catering;food hygiene level 3;mentoring",
            "Handsworth",
        ),
        (
            "Qualified electrician, recently arrived",
            "electrician;overseas qualification;CSCS card needed",
            "Lozells",
        ),
        (
            "Registered nurse returning to practice",
            "registered nurse;NMC registered;return to practice",
            "St Pauls",
        ),
        (
            "Bookkeeper offering volunteer help",
            "finance administration;volunteering;Bengali",
            "Newtown",
        ),
        ("Minibus driver with D1 licence", "minibus driver;driver;first aid", "Bristnall"),
    )
    for label, skills, ward in individuals:
        person = next(b.people)
        b.phone += 37
        b.add(
            name=f"{label} (individual record)",
            kind="human",
            category="individual",
            area_code=b.code_of[ward],
            skills=skills,
            count=1,
            description="A single resident's record: kept only to test "
            "that cwb never publishes it.",
            contact_name=person,
            contact_email=f"{person.lower().replace(' ', '.')}@example.org",
            contact_phone=f"07700 {b.phone}",
            **b.provenance(by="USE-IT!-style community researchers (illustrative)"),
        )
