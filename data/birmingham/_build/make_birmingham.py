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
import json
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
from demo_commons import add_commons  # noqa: E402
from demo_assets import (  # noqa: E402
    AssetBuilder,
    add_community,
    add_financial,
    add_human,
    add_invented_physical,
    add_real_physical,
    random_date,
)
from demo_flows import build_flows  # noqa: E402
from demo_opportunities import build_opportunities  # noqa: E402
from demo_readme import write_readme  # noqa: E402
from demo_spend import build_spend  # noqa: E402

from cwb.dataset.schema import (  # noqa: E402
    ASSETS,
    FLOWS,
    LINKS,
    NEEDS,
    OPPORTUNITIES,
    PACTS,
    POSTCODES,
    SPEND,
)

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


# --------------------------------------------------------------------------- helpers


def _read_int(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.astype("str").str.replace(",", "", regex=False), errors="raise")


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
    """Return the demo wards with IMD 2019 indicators, population-weighted over their LSOAs."""
    wards = gpd.read_file(real / "boundaries_geographr" / "wards22_west_midlands_met.geojson")
    wanted = pd.DataFrame(C.WARDS, columns=["ward22_name", "lad_name"])
    wards = wanted.merge(wards, on=["ward22_name", "lad_name"], how="left", validate="one_to_one")
    if wards["ward22_code"].isna().any():
        raise SystemExit(
            f"wards not found: {wards.loc[wards.ward22_code.isna(), 'ward22_name'].tolist()}"
        )
    wards = gpd.GeoDataFrame(wards, geometry="geometry", crs="EPSG:4326")

    lookup = pd.read_csv(real / "lookups_ons" / "lookup_lsoa11_ward19_lad19_west_midlands_met.csv")
    imd = pd.read_csv(
        real / "imd2019_energy_flex" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv",
        encoding="utf-8-sig",
        dtype="str",
    )
    pop = pd.read_csv(
        real
        / "imd2019_energy_flex"
        / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv",
        encoding="utf-8-sig",
        dtype="str",
    )
    lsoa = pd.DataFrame(
        {
            "lsoa": imd["LSOA code (2011)"],
            "rank": _read_int(imd["Index of Multiple Deprivation (IMD) Rank"]),
            "decile": _read_int(imd["Index of Multiple Deprivation (IMD) Decile"]),
        }
    ).merge(
        pd.DataFrame(
            {
                "lsoa": pop["LSOA code (2011)"],
                "pop": _read_int(pop["Total population: mid 2015 (excluding prisoners)"]),
            }
        ),
        on="lsoa",
        validate="one_to_one",
    )
    lsoa = lsoa.merge(
        lookup[["LSOA11CD", "WD19CD"]].rename(columns={"LSOA11CD": "lsoa", "WD19CD": "code"}),
        on="lsoa",
        validate="one_to_one",
    )
    lsoa["w_rank"] = lsoa["rank"] * lsoa["pop"]
    lsoa["w_decile"] = lsoa["decile"] * lsoa["pop"]
    lsoa["most_deprived"] = (lsoa["decile"] == 1).astype(int)
    agg = lsoa.groupby("code").agg(
        population=("pop", "sum"),
        w_rank=("w_rank", "sum"),
        w_decile=("w_decile", "sum"),
        n=("lsoa", "size"),
        most=("most_deprived", "sum"),
    )
    metric = wards.to_crs(27700)
    simple = metric.geometry.simplify(20, preserve_topology=True).to_crs(4326)
    geoms = shapely.set_precision(simple.to_numpy(), 1e-6)
    geoms = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
    out = gpd.GeoDataFrame(
        {
            "code": wards["ward22_code"],
            "name": wards["ward22_name"],
            "local_authority": wards["lad_name"],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
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
        feature = {
            "type": "Feature",
            "properties": {
                c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in props
            },
            "geometry": json.loads(json.dumps(mapping(row.geometry))),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- postcodes


class Postcodes:
    """The real postcode centroids, with pools per ward and outside the wards."""

    def __init__(self, real: Path, areas: gpd.GeoDataFrame) -> None:
        pc = pd.read_csv(
            real / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv", dtype={"Postcode": "str"}
        )
        pc = pc.rename(
            columns={"Postcode": "postcode", "LAT": "lat", "LONG": "lon", "District": "district"}
        )
        pc["postcode"] = pc["postcode"].str.split().str.join(" ")
        self.coords = {
            r.postcode: (round(float(r.lat), 6), round(float(r.lon), 6))
            for r in pc.itertuples(index=False)
        }
        pts = gpd.GeoDataFrame(
            pc[["postcode", "district"]],
            geometry=gpd.points_from_xy(pc["lon"], pc["lat"]),
            crs="EPSG:4326",
        )
        joined = gpd.sjoin(pts, areas[["code", "geometry"]], predicate="within", how="left")
        joined = joined.drop_duplicates("postcode")
        self.by_ward: dict[str, list[str]] = {
            code: sorted(group["postcode"])
            for code, group in joined.dropna(subset=["code"]).groupby("code")
        }
        outside = joined[joined["code"].isna()]
        self.la_outside = sorted(
            outside.loc[outside["district"].isin(["Birmingham", "Sandwell"]), "postcode"]
        )
        self.region = sorted(
            outside.loc[~outside["district"].isin(["Birmingham", "Sandwell"]), "postcode"]
        )
        self.extra: dict[str, tuple[float, float]] = {
            p: (la, lo) for p, la, lo, _ in C.OUTSIDE_POSTCODES
        }
        self.used: set[str] = set()

    def pick(self, rng: random.Random, pool: list[str]) -> str:
        """Return a random postcode from ``pool``, remembered as used."""
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
        """Return the postcodes.csv rows: every used postcode with its centroid."""
        out = []
        for postcode in sorted(self.used):
            lat, lon = self.coords.get(postcode) or self.extra[postcode]
            out.append({"postcode": postcode, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
        return out


# --------------------------------------------------------------------------- links


def build_links(rng: random.Random, assets: list[dict[str, object]]) -> list[dict[str, object]]:
    """About forty relationships between assets: partner, member_of, funds, uses_space."""
    by_cat: dict[str, list[dict[str, object]]] = {}
    for a in assets:
        by_cat.setdefault(str(a["category"]), []).append(a)
    firms = by_cat["business"] + by_cat["social_enterprise"] + by_cat["cooperative"]
    groups = (
        by_cat["voluntary_group"]
        + by_cat["faith_group"]
        + by_cat["charity"]
        + by_cat["tenants_association"]
    )
    venues = by_cat["community_centre"] + by_cat["place_of_worship"] + by_cat["library"]
    funders = by_cat["funder"] + by_cat["investment"]
    links: list[dict[str, object]] = []
    seen: set[tuple[object, object]] = set()

    def link(
        source: dict[str, object], target: dict[str, object], relation: str, description: str
    ) -> None:
        key = (source["id"], target["id"])
        if source["id"] != target["id"] and key not in seen:
            seen.add(key)
            links.append(
                {
                    "source": source["id"],
                    "target": target["id"],
                    "relation": relation,
                    "description": description,
                    "since": random_date(rng, "2016-01-01", "2024-12-31"),
                }
            )

    for network in by_cat["network"]:
        pool = (
            firms
            if "Business" in str(network["name"]) or "Traders" in str(network["name"])
            else groups
        )
        for member in rng.sample(pool, 2):
            link(
                member, network, "member_of", f"{member['name']} is a member of {network['name']}."
            )
    for funder in funders[:7]:
        grantee = rng.choice(groups + firms)
        link(funder, grantee, "funds", f"Grant or loan from {funder['name']} (illustrative).")
    for _ in range(10):
        group, venue = rng.choice(groups), rng.choice(venues)
        link(group, venue, "uses_space", f"{group['name']} meets at {venue['name']}.")
    sectors: dict[str, list[dict[str, object]]] = {}
    for firm in firms:
        sectors.setdefault(str(firm["sector"]), []).append(firm)
    for sector in (
        "catering",
        "cleaning",
        "construction",
        "transport",
        "facilities management",
        "security",
    ):
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
description = "Real wards and IMD 2019 around MMUH, with illustrative assets and spend."

[[projects]]
id = "mmuh"
name = "Midland Metropolitan University Hospital"
kind = "hospital"
lat = {lat}
lon = {lon}
postcode = "{postcode}"
opened = "2024-10-06"
description = "Acute hospital of Sandwell and West Birmingham NHS Trust, Grove Lane, Smethwick."
beds = 736

[catchment]
bands_m = [1000, 2000, 3000, 5000]
# An asset or opportunity farther than this outside the wards is reported as an error
# (spend suppliers may be anywhere and are not checked).
max_outside_m = 10000

[privacy]
min_count = 5

[files]
assets = "assets.csv"
opportunities = "opportunities.csv"
areas = "areas.geojson"
spend = "spend.csv"
links = "links.csv"
postcodes = "postcodes.csv"
flows = "flows.csv"
needs = "needs.csv"
pacts = "pacts.csv"

[flows]
# places added to the catchment of the flow measures (besides its wards and the project):
# the two boroughs the wards lie in, so that Census commuting between boroughs is measured
catchment = ["E08000025", "E08000028"]

[spend]
# nested "local" geographies, innermost first: the 14 wards, then each borough's wards
geographies = [
  {{ name = "neighbourhood", areas = "all" }},
  {{ name = "Sandwell wards", local_authority = "Sandwell" }},
  {{ name = "Birmingham wards", local_authority = "Birmingham" }},
]
region_postcode_areas = ["B", "WS", "WV", "DY", "CV"]
fx = {{ EUR = 0.85 }}
buyer_projects = {{ "Sandwell and West Birmingham NHS Trust" = "mmuh" }}

[commons]
# place-to-group matching (defaults shown): public land first
max_distance_m = 3000
decay_m = 1500
weights = {{ size = 0.2, distance = 0.25, access = 0.1, hours = 0.1, cost = 0.15, ownership = 0.2 }}
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
    needs, pacts = add_commons(assets, postcodes.coords, (PROJECT["lat"], PROJECT["lon"]))
    opportunities = build_opportunities(rng, PROJECT, postcodes)
    spend = build_spend(rng, assets, postcodes)
    links = build_links(rng, assets)
    flows = build_flows(real, PROJECT["id"])

    write_areas(areas, OUT / "areas.geojson")
    counts = {
        "assets": write_csv(OUT / "assets.csv", ASSETS.column_names, assets),
        "opportunities": write_csv(
            OUT / "opportunities.csv", OPPORTUNITIES.column_names, opportunities
        ),
        "spend": write_csv(OUT / "spend.csv", SPEND.column_names, spend),
        "links": write_csv(OUT / "links.csv", LINKS.column_names, links),
        "needs": write_csv(OUT / "needs.csv", NEEDS.column_names, needs),
        "pacts": write_csv(OUT / "pacts.csv", PACTS.column_names, pacts),
        "postcodes": write_csv(OUT / "postcodes.csv", POSTCODES.column_names, postcodes.rows()),
        "flows": write_csv(
            OUT / "flows.csv",
            FLOWS.column_names,
            flows.astype(object).where(flows.notna(), "").to_dict("records"),
        ),
    }
    (OUT / "dataset.toml").write_text(MANIFEST.format(**PROJECT), encoding="utf-8")
    write_readme(
        OUT.parent / "README.md",
        areas,
        assets,
        opportunities,
        spend,
        n_links=counts["links"],
        n_postcodes=counts["postcodes"],
        flows=flows,
        needs=needs,
        pacts=pacts,
        ward_postcodes={p for pool in postcodes.by_ward.values() for p in pool},
    )
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    print(f"areas: {len(areas)} wards")


if __name__ == "__main__":
    main()
