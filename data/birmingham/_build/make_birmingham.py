"""Build the bundled Birmingham demo dataset ``data/birmingham/`` (for maintainers only).

cwb itself never runs this script: it reads the committed files. The script needs the
real public data in ``../shared/realdata`` (next to the repository; see its SOURCES.md)
to derive the real facts — ward polygons, IMD 2019 indicators, postcode centroids,
library and GP practice locations — and a seeded random generator for the
illustrative parts (residents' skills groups, firms, groups, opportunities, spend).
Running it twice gives byte-identical files.

Usage::

    python data/birmingham/_build/make_birmingham.py [--realdata PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
import sys
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_content as C  # noqa: E402
from demo_opportunities import build_opportunities  # noqa: E402
from demo_readme import write_readme  # noqa: E402
from demo_spend import build_spend  # noqa: E402

from cwb.schema import ASSETS, LINKS, OPPORTUNITIES, POSTCODES, SPEND  # noqa: E402

SEED = 20241006  # the day the hospital opened
HERE = Path(__file__).resolve().parent
OUT = HERE.parent
DEFAULT_REALDATA = HERE.parents[3] / "shared" / "realdata"

PROJECT = {
    "id": "mmuh",
    "name": "Midland Metropolitan University Hospital",
    "lat": 52.4951,
    "lon": -1.9447,
    "postcode": "B66 2QT",
}
ILLUSTRATIVE = "cwb demo (illustrative)"
DEMO_LICENCE = "CC0-1.0"
OGL = "OGL-UK-3.0"


# --------------------------------------------------------------------------- helpers


def _read_int(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.astype("str").str.replace(",", "", regex=False), errors="raise")


def _date(rng: random.Random, start: str, end: str) -> str:
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return (a + dt.timedelta(days=rng.randint(0, (b - a).days))).isoformat()


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, object]]) -> int:
    """Write rows as UTF-8 CSV with exactly ``columns``; refuse unknown keys."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
            n += 1
    return n


# --------------------------------------------------------------------------- areas


def build_areas(real: Path) -> gpd.GeoDataFrame:
    """The demo wards with IMD 2019 indicators (population-weighted over their LSOAs)."""
    wards = gpd.read_file(real / "boundaries_geographr" / "wards22_west_midlands_met.geojson")
    wanted = pd.DataFrame(C.WARDS, columns=["ward22_name", "lad_name"])
    wards = wanted.merge(wards, on=["ward22_name", "lad_name"], how="left", validate="one_to_one")
    if wards["ward22_code"].isna().any():
        raise SystemExit(f"wards not found: {wards.loc[wards.ward22_code.isna(), 'ward22_name'].tolist()}")
    wards = gpd.GeoDataFrame(wards, geometry="geometry", crs="EPSG:4326")

    lookup = pd.read_csv(real / "lookups_ons" / "lookup_lsoa11_ward19_lad19_west_midlands_met.csv")
    imd = pd.read_csv(real / "imd2019_energy_flex" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv",
                      encoding="utf-8-sig", dtype="str")
    pop = pd.read_csv(real / "imd2019_energy_flex" / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv",
                      encoding="utf-8-sig", dtype="str")
    lsoa = pd.DataFrame({
        "lsoa": imd["LSOA code (2011)"],
        "rank": _read_int(imd["Index of Multiple Deprivation (IMD) Rank"]),
        "decile": _read_int(imd["Index of Multiple Deprivation (IMD) Decile"]),
    }).merge(pd.DataFrame({"lsoa": pop["LSOA code (2011)"],
                           "pop": _read_int(pop["Total population: mid 2015 (excluding prisoners)"])}),
             on="lsoa", validate="one_to_one")
    lsoa = lsoa.merge(lookup[["LSOA11CD", "WD19CD"]].rename(columns={"LSOA11CD": "lsoa", "WD19CD": "code"}),
                      on="lsoa", validate="one_to_one")
    lsoa["w_rank"] = lsoa["rank"] * lsoa["pop"]
    lsoa["w_decile"] = lsoa["decile"] * lsoa["pop"]
    lsoa["most_deprived"] = (lsoa["decile"] == 1).astype(int)
    agg = lsoa.groupby("code").agg(population=("pop", "sum"), w_rank=("w_rank", "sum"),
                                   w_decile=("w_decile", "sum"), n=("lsoa", "size"),
                                   most=("most_deprived", "sum"))
    metric = wards.to_crs(27700)
    simple = metric.geometry.simplify(20, preserve_topology=True).to_crs(4326)
    geoms = shapely.set_precision(simple.to_numpy(), 1e-6)
    geoms = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
    out = gpd.GeoDataFrame({
        "code": wards["ward22_code"],
        "name": wards["ward22_name"],
        "local_authority": wards["lad_name"],
    }, geometry=geoms, crs="EPSG:4326")
    a = agg.reindex(out["code"]).reset_index(drop=True)
    if a["population"].isna().any():
        raise SystemExit("some wards have no LSOAs in the LSOA11→ward19 lookup")
    out["population"] = a["population"].astype(int)
    out["imd_decile"] = (a["w_decile"] / a["population"]).round(1)
    out["imd_rank"] = (a["w_rank"] / a["population"]).round(0).astype(int)
    out["share_most_deprived_10pc"] = (a["most"] / a["n"]).round(3)
    out["lsoa_count"] = a["n"].astype(int)
    return out


def write_areas(areas: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON, one feature per line, coordinates at 6 decimal places (deterministic)."""
    props = [c for c in areas.columns if c != "geometry"]
    lines = []
    for _, row in areas.iterrows():
        feature = {"type": "Feature",
                   "properties": {c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in props},
                   "geometry": json.loads(json.dumps(mapping(row.geometry)))}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- postcodes


class Postcodes:
    """The real postcode centroids, with pools per ward and outside the wards."""

    def __init__(self, real: Path, areas: gpd.GeoDataFrame) -> None:
        pc = pd.read_csv(real / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv", dtype={"Postcode": "str"})
        pc = pc.rename(columns={"Postcode": "postcode", "LAT": "lat", "LONG": "lon", "District": "district"})
        pc["postcode"] = pc["postcode"].str.split().str.join(" ")
        self.coords = {r.postcode: (round(float(r.lat), 6), round(float(r.lon), 6))
                       for r in pc.itertuples(index=False)}
        pts = gpd.GeoDataFrame(pc[["postcode", "district"]],
                               geometry=gpd.points_from_xy(pc["lon"], pc["lat"]), crs="EPSG:4326")
        joined = gpd.sjoin(pts, areas[["code", "geometry"]], predicate="within", how="left")
        joined = joined.drop_duplicates("postcode")
        self.by_ward: dict[str, list[str]] = {
            code: sorted(group["postcode"]) for code, group in joined.dropna(subset=["code"]).groupby("code")
        }
        outside = joined[joined["code"].isna()]
        self.la_outside = sorted(outside.loc[outside["district"].isin(["Birmingham", "Sandwell"]), "postcode"])
        self.region = sorted(outside.loc[~outside["district"].isin(["Birmingham", "Sandwell"]), "postcode"])
        self.extra: dict[str, tuple[float, float]] = {p: (la, lo) for p, la, lo, _ in C.OUTSIDE_POSTCODES}
        self.used: set[str] = set()

    def pick(self, rng: random.Random, pool: list[str]) -> str:
        """A random postcode from ``pool``, remembered as used."""
        postcode = rng.choice(pool)
        self.used.add(postcode)
        return postcode

    def use(self, postcode: str) -> str:
        """Mark a known postcode as used (checks that it exists)."""
        if postcode not in self.coords and postcode not in self.extra:
            raise SystemExit(f"postcode {postcode} is not in the postcode file")
        self.used.add(postcode)
        return postcode

    def rows(self) -> list[dict[str, object]]:
        """The postcodes.csv rows: every used postcode with its centroid."""
        out = []
        for postcode in sorted(self.used):
            lat, lon = self.coords.get(postcode) or self.extra[postcode]
            out.append({"postcode": postcode, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
        return out


# --------------------------------------------------------------------------- assets


class AssetBuilder:
    """Collects asset rows and hands out ids A0001, A0002, …"""

    def __init__(self, rng: random.Random, postcodes: Postcodes, areas: gpd.GeoDataFrame) -> None:
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
        self.contacts = iter([f"{f} {lasts[(i * 7 + j) % len(lasts)]}" for j in range(1, 6)
                              for i, f in enumerate(firsts)])  # organisations' contacts
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
        """A name from ``pattern`` with the first place that makes it unique."""
        for place in places:
            name = pattern.format(place=place)
            if name not in self.names:
                return name
        for i in range(2, 50):
            name = pattern.format(place=f"{places[0]} {i}") if "{place}" in pattern else f"{pattern} {i}"
            if name not in self.names:
                return name
        raise SystemExit(f"cannot make a unique name from {pattern!r}")

    def provenance(self, *, stale_share: float = 0.15, by: str = "community researchers (illustrative)") -> dict[str, str]:
        """Illustrative provenance; about ``stale_share`` rows last checked over three years ago."""
        collected = _date(self.rng, "2018-03-01", "2024-09-30")
        if self.rng.random() < stale_share:
            verified = _date(self.rng, collected, "2021-06-30") if collected < "2021-06-30" else collected
        else:
            verified = _date(self.rng, max(collected, "2023-04-01"), "2025-03-31")
        return {"source": ILLUSTRATIVE, "collected_by": by, "collected_on": collected,
                "licence": DEMO_LICENCE, "last_verified": verified}

    def org_contact(self) -> dict[str, str]:
        """An invented organisation contact (drama phone numbers, example.org mail)."""
        person = next(self.contacts)
        self.landline += 7
        local = person.lower().replace(" ", ".")
        return {"contact_name": person, "contact_email": f"{local}@example.org",
                "contact_phone": f"0121 {self.landline // 10000:03d} {self.landline % 10000:04d}"}

    def ward_places(self, ward: str) -> list[str]:
        places = list(C.PLACES[ward])
        self.rng.shuffle(places)
        return places

    def random_ward(self) -> str:
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
        b.add(name=r.name, kind="physical", category="library", lat=f"{r.lat:.6f}", lon=f"{r.lng:.6f}",
              postcode=postcode, skills="meeting room;wifi;digital skills;accessible",
              sector="libraries", capacity=b.rng.choice([250, 350, 450, 600]),
              description=f"Public library ({r.authority_name}); floor area illustrative.",
              source="Libraries Taskforce core dataset 2016 (via LibrariesHacked)", collected_by="cwb maintainers",
              collected_on="2016-10-01", licence=OGL, last_verified="2016-10-01")
    gp = pd.read_csv(real / "gp_practices_ods" / "epraccur_2019-12_B_WS_WV_DY_postcodes.csv")
    gp = gp[(gp["prescribing_setting"] == 4) & (gp["status_code"] == "A") & gp["lat_from_bsol_postcodes"].notna()]
    gp = gp[~gp["name"].str.match(r"^(DR|DRS)\b")]
    pts = gpd.GeoSeries(gpd.points_from_xy(gp["long_from_bsol_postcodes"], gp["lat_from_bsol_postcodes"]),
                        crs=4326).to_crs(27700)
    inside = b.areas.to_crs(27700).union_all()
    gp = gp[pts.within(inside).to_numpy()].sort_values("organisation_code").head(18)
    for r in gp.itertuples(index=False):
        postcode = b.pc.use(" ".join(str(r.postcode).split()))
        b.add(name=f"{str(r.name).title()} (GP practice)", kind="physical", category="health_facility",
              postcode=postcode, skills="health promotion;social prescribing", sector="primary care",
              registered_number=r.organisation_code,
              description="GP practice listed in the NHS ODS register (December 2019).",
              source="NHS Digital ODS epraccur 2019-12", collected_by="cwb maintainers",
              collected_on="2019-12-20", licence=OGL, last_verified="2019-12-20")
    b.add(name="City Hospital (Birmingham Treatment Centre)", kind="physical", category="health_facility",
          postcode=b.pc.use("B18 7QH"), skills="meeting room;training room;parking", sector="hospital",
          description="Former acute site of the trust; acute services moved to MMUH in 2024.",
          source="NHS website hospitals 2018 (TechForUK)", collected_by="cwb maintainers",
          collected_on="2018-06-01", licence=OGL, last_verified="2024-11-01")
    metric = b.areas.set_index("name").to_crs(27700)
    for name, lat, lon, ward, area_m2 in C.GREEN_SPACES:
        point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(27700).iloc[0]
        if metric.geometry[ward].distance(point) > 400:
            raise SystemExit(f"{name} is placed {metric.geometry[ward].distance(point):.0f} m from {ward}")
        b.add(name=name, kind="physical", category="green_space", lat=f"{lat:.6f}", lon=f"{lon:.6f}",
              skills="outdoor space;gardening", sector="parks", capacity=area_m2,
              description="Public green space; point hand-placed from public maps (about ±150 m), area approximate.",
              source="cwb demo: public place, hand-placed", collected_by="cwb maintainers",
              collected_on="2025-01-15", licence=DEMO_LICENCE, last_verified="2025-01-15")


def add_invented_physical(b: AssetBuilder) -> None:
    """Community centres, vacant buildings, shops, … with invented names at real ward postcodes."""
    per_category = {"community_centre": 20, "vacant_building": 16, "place_of_worship": 14, "sports_facility": 8,
                    "education_facility": 8, "shop": 14, "building": 10, "land": 7}
    for category, n in per_category.items():
        templates = C.PHYSICAL[category]
        for i in range(n):
            ward = C.WARDS[i % len(C.WARDS)][0]
            pattern, skills, (lo, hi) = templates[i % len(templates)]
            name = b.unique_name(pattern, b.ward_places(ward))
            prov = b.provenance(stale_share=0.25 if category == "vacant_building" else 0.15)
            contact = b.org_contact() if category == "community_centre" and i % 4 == 0 else {}
            b.add(name=name, kind="physical", category=category,
                  postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]), skills=skills,
                  sector={"shop": "retail", "land": "land", "vacant_building": "property"}.get(category, "community"),
                  capacity=int(round(b.rng.randint(lo, hi), -1)),
                  description="Invented for the demo; the postcode is real but chosen at random in the ward.",
                  **prov, **contact)
    for name, postcode, description in (
        ("University of Birmingham, Edgbaston campus", "B15 2TT", "Lecture theatres and conference rooms."),
        ("Sandwell College, Central campus", "B70 6AW", "Further education college; ESOL and apprenticeships."),
        ("Aston University campus", "B4 7ET", "University campus; training rooms."),
        ("Birmingham City University, City Centre campus", "B4 7XG", "Nursing and midwifery education."),
    ):
        b.add(name=name, kind="physical", category="education_facility", postcode=b.pc.use(postcode),
              skills="training room;meeting room;IT suite;wifi;accessible", sector="education",
              description=description, source="cwb demo: public body at its public address",
              collected_by="cwb maintainers", collected_on="2025-01-15", licence=DEMO_LICENCE,
              last_verified="2025-01-15")


def _size_band(capacity: float) -> str:
    return "micro" if capacity < 60_000 else "small" if capacity < 400_000 else "medium"


def add_financial(b: AssetBuilder) -> None:
    """Anchors (real bodies), invented enterprises in every sector, funders and investment."""
    for name, postcode, sector, skills, description in C.ANCHORS:
        b.add(name=name, kind="financial", category="anchor_institution", postcode=b.pc.use(postcode),
              skills=skills, sector=sector, description=description,
              source="cwb demo: public body at its public address", collected_by="cwb maintainers",
              collected_on="2025-01-15", licence=DEMO_LICENCE, last_verified="2025-01-15")
    suffix = {"business": ("Ltd", "Ltd", "& Sons Ltd", "Services Ltd"), "social_enterprise": ("CIC",),
              "cooperative": ("Co-operative", "Workers' Co-op")}
    number = 410_000
    near_pool = [p for p in b.pc.la_outside if p.split()[0] in {"B70", "B71"}]
    for sector, count in C.SECTOR_COUNTS.items():
        nouns, skill_sets, (lo, hi) = C.SECTORS[sector]
        for i in range(count):
            category = ("business", "business", "social_enterprise", "business", "cooperative",
                        "social_enterprise")[i % 6]
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
            b.add(name=name, kind="financial", category=category, postcode=b.pc.pick(b.rng, pool),
                  skills=skill_sets[i % len(skill_sets)], sector=sector, capacity=int(capacity),
                  registered_number=f"{prefix}{number:06d}",
                  description=f"Invented {sector} {category.replace('_', ' ')} ({_size_band(capacity)}); "
                              "capacity is the largest contract it could take on its own.",
                  **b.provenance(), **contact)
    for name, category, sector, skills, capacity in C.FUNDERS:
        ward = b.random_ward()
        b.add(name=name, kind="financial", category=category, postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]),
              skills=skills, sector=sector, capacity=capacity,
              description="Invented funder; capacity is its yearly budget in £.", **b.provenance())


def add_community(b: AssetBuilder) -> None:
    """Voluntary, faith and tenants' groups, charities, networks and services (invented names)."""
    per_category = {"voluntary_group": 28, "faith_group": 18, "tenants_association": 12, "charity": 24,
                    "network": 10, "service": 18}
    for category, n in per_category.items():
        templates = C.COMMUNITY[category]
        for i in range(n):
            ward = C.WARDS[(i * 5 + len(category)) % len(C.WARDS)][0]
            pattern, sector, skills = templates[i % len(templates)]
            name = b.unique_name(pattern, b.ward_places(ward))
            charity = category == "charity" or (category == "faith_group" and i % 2 == 0)
            contact = b.org_contact() if i % 3 == 0 else {}
            b.add(name=name, kind="community", category=category,
                  postcode=b.pc.pick(b.rng, b.pc.by_ward[b.code_of[ward]]), skills=skills, sector=sector,
                  capacity=b.rng.choice([10, 15, 20, 30, 40, 60, 80, 120]),
                  registered_number=f"DMCH{b.rng.randint(100000, 999999)}" if charity else "",
                  description="Invented group; capacity is the number of volunteers or members it can mobilise.",
                  **b.provenance(stale_share=0.2), **contact)


def add_human(b: AssetBuilder) -> None:
    """Residents' skills groups per ward (aggregates) and a few individual records with fake contacts."""
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
            b.add(name=f"{label}, {ward}", kind="human", category="skills_group", area_code=code,
                  skills=skills, count=count,
                  description="Residents who told community researchers about these skills (illustrative).",
                  **b.provenance(by="USE-IT!-style community researchers (illustrative)"))
        languages = list(C.LANGUAGES[la])
        b.rng.shuffle(languages)
        pair = sorted(languages[:2])
        b.add(name=f"{pair[0]} and {pair[1]} speakers who interpret, {ward}", kind="human",
              category="skills_group", area_code=code, skills=f"interpreting;{pair[0]};{pair[1]};English language",
              count=b.rng.randint(3, 25),
              description="Residents who interpret informally for neighbours (illustrative).",
              **b.provenance(by="USE-IT!-style community researchers (illustrative)"))
    individuals = (
        ("Overseas-trained pharmacist", "pharmacist;overseas pharmacy qualification;Urdu", "Smethwick"),
        ("Overseas-trained doctor preparing for PLAB 2", "doctor;overseas medical qualification;PLAB;Arabic",
         "Soho and Victoria"),
        ("Overseas-trained midwife", "midwife;overseas midwifery qualification;Somali", "Ladywood"),
        ("Retired chef offering kitchen mentoring", "chef;catering;food hygiene level 3;mentoring", "Handsworth"),
        ("Qualified electrician, recently arrived", "electrician;overseas qualification;CSCS card needed", "Lozells"),
        ("Registered nurse returning to practice", "registered nurse;NMC registered;return to practice",
         "St Pauls"),
        ("Bookkeeper offering volunteer help", "finance administration;volunteering;Bengali", "Newtown"),
        ("Minibus driver with D1 licence", "minibus driver;driver;first aid", "Bristnall"),
    )
    for label, skills, ward in individuals:
        person = next(b.people)
        b.phone += 37
        b.add(name=f"{label} (individual record)", kind="human", category="individual",
              area_code=b.code_of[ward], skills=skills, count=1,
              description="A single resident's record: kept only to test that cwb never publishes it.",
              contact_name=person, contact_email=f"{person.lower().replace(' ', '.')}@example.org",
              contact_phone=f"07700 {b.phone}",
              **b.provenance(by="USE-IT!-style community researchers (illustrative)"))


# --------------------------------------------------------------------------- links


def build_links(rng: random.Random, assets: list[dict[str, object]]) -> list[dict[str, object]]:
    """About forty relationships between assets: partner, member_of, funds, uses_space."""
    by_cat: dict[str, list[dict[str, object]]] = {}
    for a in assets:
        by_cat.setdefault(str(a["category"]), []).append(a)
    firms = by_cat["business"] + by_cat["social_enterprise"] + by_cat["cooperative"]
    groups = by_cat["voluntary_group"] + by_cat["faith_group"] + by_cat["charity"] + by_cat["tenants_association"]
    venues = by_cat["community_centre"] + by_cat["place_of_worship"] + by_cat["library"]
    funders = by_cat["funder"] + by_cat["investment"]
    links: list[dict[str, object]] = []
    seen: set[tuple[object, object]] = set()

    def link(source: dict[str, object], target: dict[str, object], relation: str, description: str) -> None:
        key = (source["id"], target["id"])
        if source["id"] != target["id"] and key not in seen:
            seen.add(key)
            links.append({"source": source["id"], "target": target["id"], "relation": relation,
                          "description": description, "since": _date(rng, "2016-01-01", "2024-12-31")})

    for network in by_cat["network"]:
        pool = firms if "Business" in str(network["name"]) or "Traders" in str(network["name"]) else groups
        for member in rng.sample(pool, 2):
            link(member, network, "member_of", f"{member['name']} is a member of {network['name']}.")
    for funder in funders[:7]:
        grantee = rng.choice(groups + firms)
        link(funder, grantee, "funds", f"Grant or loan from {funder['name']} (illustrative).")
    for _ in range(10):
        group, venue = rng.choice(groups), rng.choice(venues)
        link(group, venue, "uses_space", f"{group['name']} meets at {venue['name']}.")
    sectors: dict[str, list[dict[str, object]]] = {}
    for firm in firms:
        sectors.setdefault(str(firm["sector"]), []).append(firm)
    for sector in ("catering", "cleaning", "construction", "transport", "facilities management", "security"):
        a, b2 = rng.sample(sectors[sector], 2)
        link(a, b2, "partner", f"Have subcontracted to each other on {sector} work.")
    return links


# --------------------------------------------------------------------------- manifest


MANIFEST = """\
# The bundled demo dataset of cwb: Midland Metropolitan University Hospital, Smethwick,
# and the wards around it where USE-IT! worked. Generated by _build/make_birmingham.py;
# see README.md beside it for what is real and what is illustrative.

[dataset]
name = "Birmingham and Sandwell: Midland Metropolitan University Hospital"
description = "Real wards (ONS), IMD 2019 (MHCLG), postcode centroids and public places around MMUH, with illustrative residents' skills, enterprises, groups, opportunities and anchor spend."

[[projects]]
id = "mmuh"
name = "Midland Metropolitan University Hospital"
kind = "hospital"
lat = {lat}
lon = {lon}
postcode = "{postcode}"
opened = "2024-10-06"
description = "Acute hospital of Sandwell and West Birmingham NHS Trust, Grove Lane, Smethwick; opened 6 October 2024."
beds = 736

[catchment]
bands_m = [1000, 2000, 3000, 5000]
# Some spend suppliers are in London, Leeds or Bristol: allow located rows up to 200 km
# outside the wards so that their postcodes are not reported as mistakes.
max_outside_m = 200000

[privacy]
min_count = 5

[files]
assets = "assets.csv"
opportunities = "opportunities.csv"
areas = "areas.geojson"
spend = "spend.csv"
links = "links.csv"
postcodes = "postcodes.csv"

[spend]
local_areas = ["neighbourhood", "local_authority"]
"""


def main(argv: list[str] | None = None) -> None:
    """Build every file of data/birmingham/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    args = parser.parse_args(argv)
    real: Path = args.realdata
    if not (real / "SOURCES.md").exists():
        raise SystemExit(f"{real} is not the shared realdata folder (it needs ../shared/realdata)")
    rng = random.Random(SEED)
    areas = build_areas(real)
    postcodes = Postcodes(real, areas)
    postcodes.use(PROJECT["postcode"])
    b = AssetBuilder(rng, postcodes, areas)
    add_real_physical(b, real)
    add_invented_physical(b)
    add_financial(b)
    add_community(b)
    add_human(b)
    assets = b.rows
    opportunities = build_opportunities(rng, PROJECT, postcodes)
    spend = build_spend(rng, assets, postcodes)
    links = build_links(rng, assets)

    write_areas(areas, OUT / "areas.geojson")
    counts = {
        "assets": write_csv(OUT / "assets.csv", ASSETS.column_names, assets),
        "opportunities": write_csv(OUT / "opportunities.csv", OPPORTUNITIES.column_names, opportunities),
        "spend": write_csv(OUT / "spend.csv", SPEND.column_names, spend),
        "links": write_csv(OUT / "links.csv", LINKS.column_names, links),
        "postcodes": write_csv(OUT / "postcodes.csv", POSTCODES.column_names, postcodes.rows()),
    }
    (OUT / "dataset.toml").write_text(MANIFEST.format(**PROJECT), encoding="utf-8")
    write_readme(OUT.parent / "README.md", areas, assets, opportunities, spend)
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    print(f"areas: {len(areas)} wards")


if __name__ == "__main__":
    main()
