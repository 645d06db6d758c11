"""A tour of cwb's Python API on the bundled Birmingham dataset.

Run from anywhere after ``pip install .``::

    python examples/python_api_tour.py [OUT_DIR]

It reads and validates the dataset, prints the catalogue, the best local
matches for the hospital's nursing posts, the proposed consortia and the
Preston-model spend figures, then writes a map, a report and a GEXF graph.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cwb
from cwb.dataset.catalogue import catalogue
from cwb.demo import demo_dataset_path


def main(out_dir: Path) -> None:
    """Walk through the pipeline and write three files into ``out_dir``."""
    ds = cwb.read_dataset(demo_dataset_path())
    print(f"{ds.name}: {len(ds.assets)} assets, {len(ds.opportunities)} opportunities")
    print(f"{len(ds.warnings)} warnings, distances in {ds.metric_crs.name}")

    print("\nAssets by kind:")
    print(catalogue(ds).by_category.groupby("kind")[["assets", "residents"]].sum().to_string())

    result = cwb.match_dataset(ds)
    nursing = ds.opportunities.loc[
        ds.opportunities["title"].str.contains("nurse", case=False), "id"
    ]
    best = result.matches[result.matches["opportunity_id"].isin(nursing)].nlargest(3, "score")
    print("\nBest local links to nursing posts:")
    for row in best.itertuples():
        print(f"  {row.score:.2f}  {row.asset_id} -> {row.opportunity_id}: {row.reasons}")

    print(f"\n{len(result.consortia)} consortia proposed for lots no single local firm can take")

    spend = cwb.analyse_spend(ds)
    overall = spend.summary.iloc[-1]
    print(
        f"\nAnchor spend analysed: £{overall['total_gbp']:,.0f}; "
        f"local share {overall['local_share']:.1%}, SME share {overall['sme_share']:.1%}"
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    # results are passed in: maps and reports never re-run matching or the spend analysis
    cwb.save_map(ds, out_dir / "map.html", matches=result, spend=spend)
    cwb.save_report(ds, out_dir / "report.html", map_href="map.html", matches=result, spend=spend)
    cwb.write_graph(cwb.build_graph(ds, result), out_dir / "graph.gexf")
    print(f"\nwrote {out_dir / 'map.html'}, {out_dir / 'report.html'}, {out_dir / 'graph.gexf'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/tour"))
