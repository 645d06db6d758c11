"""Community use of places on real data: Birmingham's brownfield register beside the demo.

Copies the demo dataset, imports Birmingham City Council's brownfield land register
(``../shared/realdata/brownfield_digital_land``) into the copy, and prints what the
register holds near the hospital and which places matching proposes for the local
groups' needs. Run it from the repository folder::

    python examples/commons_brownfield.py out/commons
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cwb.commons import match_places
from cwb.commons.pacts import commons_figures, write_commons
from cwb.dataset.io import read_dataset
from cwb.demo import demo_dataset_path
from cwb.importers.merge import import_into

REGISTER = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "brownfield_digital_land"
    / "birmingham_brownfield_register.csv"
)


def main(out: Path, register: Path = REGISTER) -> None:
    """Import the register into a copy of the demo, match places and write the tables."""
    folder = out / "dataset"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(demo_dataset_path(), folder, ignore=shutil.ignore_patterns("_build"))
    result = import_into("brownfield", register, folder)
    print(result.summary())
    ds = read_dataset(folder)
    sites = ds.assets[ds.assets["id"].str.startswith("bfl:")].to_crs(ds.metric_crs)
    hospital = ds.projects.to_crs(ds.metric_crs).geometry.iloc[0]
    near = sites[sites.distance(hospital) <= 3000]
    print(f"register sites within 3 km of the hospital: {len(near)}")
    print(near["owner_type"].value_counts().to_string())
    places = match_places(ds)
    write_commons(places, out)
    for name, value in commons_figures(ds, places).rows():
        print(f"{name}: {value}")
    print(places.bookings.groupby(["group_name", "place_name"]).size().head(10).to_string())


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/commons"))
