"""Worked example: a real-data dataset for Midland Metropolitan University Hospital's catchment.

It builds a dataset folder from public files only (the ``../shared/realdata``
collection; see its SOURCES.md) and maps it:

1. wards of Birmingham and Sandwell with their IMD 2019 decile, aggregated from
   LSOAs (population-weighted), kept where they come within 5 km of the hospital;
2. the postcode lookup (B, WS, WV, DY postcodes) named in ``dataset.toml`` in place;
3. libraries, GP practices and NHS sites imported from their registers and
   located through that lookup; entries more than 2 km outside the wards are
   skipped and reported;
4. Contracts Finder notices (OCDS) as contract opportunities of the hospital
   project, their suppliers as assets (where local) and their awards as spend.

Run from the repository root::

    python examples/real_data_catchment.py [OUT_DIR] [--realdata PATH]

The dataset goes to ``OUT_DIR`` (default ``out/real_catchment``) with
``map.html`` beside its tables when :mod:`cwb.maps.compose` is available.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from cwb.dataset.geography import build_areas
from cwb.dataset.io import read_dataset, write_table
from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.schema import TABLES
from cwb.importers.common import Provenance
from cwb.importers.merge import import_into
from cwb.pipeline import Pipeline

HOSPITAL = {
    "id": "mmuh",
    "name": "Midland Metropolitan University Hospital",
    "lat": 52.4951,
    "lon": -1.9447,
    "postcode": "B66 2QT",
}
CATCHMENT_M = 5000
#: The shared postcode lookup's own column names, mapped in dataset.toml.
LOOKUP_COLUMNS = {"postcode": "Postcode", "lat": "LAT", "lon": "LONG"}


def manifest_text(postcodes: Path) -> str:
    """The dataset.toml: the hospital, catchment bands and the shared postcode lookup."""
    files: dict[str, object] = {
        name: f"{name}.csv" for name in ("assets", "opportunities", "spend", "links")
    }
    files["areas"] = "areas.geojson"
    files["postcodes"] = {"path": str(postcodes), "columns": LOOKUP_COLUMNS}
    return manifest_from_dict(
        {
            "dataset": {
                "name": "Midland Metropolitan University Hospital catchment (real public data)",
                "description": "Built by examples/real_data_catchment.py from ../shared/realdata.",
                # the shared postcode lookup is read where it lies, outside the folder
                "allow_outside": True,
            },
            "projects": [{**HOSPITAL, "kind": "hospital", "opened": "2024-10-06"}],
            "catchment": {"bands_m": [1000.0, 2000.0, 3000.0, 5000.0], "max_outside_m": 2000.0},
            "privacy": {"min_count": 5},
            "files": files,
        }
    ).to_toml()


def catchment_wards(realdata: Path) -> gpd.GeoDataFrame:
    """Birmingham and Sandwell wards with IMD 2019 deciles, within 5 km of the hospital."""
    imd = realdata / "imd2019_energy_flex"
    wards = build_areas(
        realdata / "boundaries_geographr" / "wards22_west_midlands_met.geojson",
        imd=imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_ENGLAND.csv",
        population=imd / "File_6_-_IoD2019_Population_Denominators_west_midlands_met.csv",
        lsoa_boundaries=realdata / "boundaries_geographr" / "lsoa11_west_midlands_met.geojson",
        local_authorities=["Birmingham", "Sandwell"],
    )
    hospital = gpd.GeoSeries([Point(HOSPITAL["lon"], HOSPITAL["lat"])], crs="EPSG:4326")
    hospital = hospital.to_crs("EPSG:27700")
    near = wards.to_crs("EPSG:27700").intersects(hospital.buffer(CATCHMENT_M).iloc[0])
    return wards[near.to_numpy()].reset_index(drop=True)


def empty_table(name: str, path: Path) -> None:
    """Write a table with its header only (importers fill it)."""
    columns = [c for c in TABLES[name].column_names if c != "precision"]
    write_table(pd.DataFrame(columns=columns), path)


def build(out: Path, realdata: Path) -> Path:
    """Build the dataset folder and return it."""
    out.mkdir(parents=True, exist_ok=True)
    postcodes = (realdata / "bsol_mapR" / "WM_Postcodes_B_WS_WV_DY.csv").resolve()
    (out / "dataset.toml").write_text(manifest_text(postcodes), encoding="utf-8")
    wards = catchment_wards(realdata)
    write_table(wards, out / "areas.geojson")
    print(
        f"areas: {len(wards)} wards within {CATCHMENT_M / 1000:g} km, IMD deciles "
        f"{sorted(wards['imd_decile'].dropna().astype(int).unique().tolist())}"
    )
    for table in ("assets", "opportunities", "spend", "links"):
        empty_table(table, out / f"{table}.csv")
    steps = [
        (
            "register",
            realdata / "libraries_librarieshacked" / "libraries_2016_west_midlands_met.csv",
            {"preset": "libraries"},
        ),
        (
            "register",
            realdata / "gp_practices_ods" / "epraccur_2019-12_B_WS_WV_DY_postcodes.csv",
            {"preset": "gp_practices"},
        ),
        (
            "register",
            realdata / "nhs_techforuk" / "ods_etrust_sites_B_WS_WV_DY_postcodes.csv",
            {"preset": "nhs_ods"},
        ),
        ("ocds", realdata / "ocds_contracts_finder_bluetail" / "json_1_1_raw", {"project": "mmuh"}),
    ]
    for kind, path, options in steps:
        result = import_into(
            kind,
            path,
            out,
            on_duplicate="fill",
            drop_unlocated=True,
            provenance=Provenance(collected_by="cwb example: real_data_catchment"),
            **options,
        )
        print(result.summary())
    return out


def main(argv: list[str] | None = None) -> int:
    """Build the dataset, then map it when cwb.maps.compose is available."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out/real_catchment", type=Path)
    parser.add_argument(
        "--realdata", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realdata"
    )
    args = parser.parse_args(argv)
    if not args.realdata.is_dir():
        print(
            f"{args.realdata} not found: this example needs the shared real-data collection",
            file=sys.stderr,
        )
        return 2
    folder = build(args.out, args.realdata)
    ds = read_dataset(folder)
    counts = ds.assets.groupby(["kind", "category"]).size()
    print(
        f"\n{folder}: {len(ds.assets)} assets, {len(ds.opportunities)} opportunities, "
        f"{0 if ds.spend is None else len(ds.spend)} spend rows"
    )
    print(counts.to_string())
    target = Pipeline(ds).write_map(folder / "map.html")  # with the matched links and the spend
    print(f"map: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
