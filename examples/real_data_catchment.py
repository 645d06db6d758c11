"""Worked example: a real-data dataset for Midland Metropolitan University Hospital's catchment.

A thin caller of ``cwb build`` (:func:`cwb.build.build`) with the bundled recipe
``examples/smethwick_recipe.toml``: wards of Birmingham and Sandwell within 5 km of
the hospital with their IMD 2019, the postcode lookup, libraries, GP practices and
NHS sites, the West Midlands Contracts Finder notices, Birmingham City Council's
purchase-card spend; then ``map.html`` and ``report.html``. The same as::

    cwb build examples/smethwick_recipe.toml -o out/real_catchment --realdata ../shared/realdata

Run from the repository root::

    python examples/real_data_catchment.py [OUT_DIR] [--realdata PATH] [--force]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cwb.build import build

RECIPE = Path(__file__).resolve().parent / "smethwick_recipe.toml"


def main(argv: list[str] | None = None) -> int:
    """Build the dataset of the bundled recipe, with its map and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out/real_catchment", type=Path)
    parser.add_argument(
        "--realdata", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "realdata"
    )
    parser.add_argument("--force", action="store_true", help="rebuild into a folder not empty")
    args = parser.parse_args(argv)
    if not args.realdata.is_dir():
        print(
            f"{args.realdata} not found: this example needs the shared real-data collection",
            file=sys.stderr,
        )
        return 2
    build(RECIPE, args.out, realdata=args.realdata, force=args.force, say=print)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
