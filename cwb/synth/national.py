"""A synthetic national dataset, written as GeoParquet in chunks (``cwb bench --national``).

Where the assets are: real assets follow people, so the points are spread over the town
centres of England — the centroid of each of its 309 local authorities (``ltla_centroids.csv``)
— with a weight proportional to its population (its number of LSOAs in IMD 2019, about
1,500 residents each: ``ltla_lsoas.csv``). Each town has high streets (45% of its assets,
350 m around one of six centres), a town-wide spread (45%, a Gaussian of 2.5 km × √(LSOAs/100),
so Birmingham spreads wider than Rutland) and a rural tail (10%, five times as wide).
The projects (e.g. the New Hospital Programme schemes) are centres too, each with the
median town's weight: included, not privileged. A 5 km catchment then holds about
0.1–1.5% of the country's assets (Smethwick's, in the Birmingham conurbation, the most).

The table is written chunk by chunk (a row group per chunk) into one ``assets.parquet``
and one ``spend.parquet``, so memory follows the chunk, not the dataset; the areas,
postcodes and opportunities are made once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import Transformer

from cwb._atomic import write_text_atomic
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, Manifest, Project, ReadLimits
from cwb.synth.generate import (
    _assets,
    _Context,
    _opportunities,
    _point_frame,
    _spend,
    _write_table,
)
from cwb.synth.geography import BNG, WGS84, Geography
from cwb.synth.sampling import load_skill_vocabulary

#: Rows generated and written at once (one row group of ``assets.parquet``).
NATIONAL_CHUNK = 250_000
#: Spread (m) of a town of 100 LSOAs (about 150,000 residents).
TOWN_SPREAD_M = 2_500.0


@dataclass
class NationalSynth:
    """What :func:`write_national_synth` wrote."""

    folder: Path
    assets: int
    spend: int
    seconds: float


def town_centres() -> pd.DataFrame:
    """England's local authorities: code, name, lat, lon and LSOAs (the population weight)."""
    folder = resources.files("cwb") / "resources"
    with (folder / "ltla_centroids.csv").open("rb") as handle:
        centres = pd.read_csv(handle)
    with (folder / "ltla_lsoas.csv").open("rb") as handle:
        weights = pd.read_csv(handle)
    return centres.merge(weights, on="code", how="inner").reset_index(drop=True)


def national_geography(rng: np.random.Generator, sites: list[Project]) -> Geography:
    """Towns weighted by population, plus ``sites`` (the projects) at the median weight."""
    towns = town_centres()
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    tx, ty = to_bng.transform(towns["lon"].to_numpy(), towns["lat"].to_numpy())
    sx, sy = to_bng.transform([p.lon for p in sites], [p.lat for p in sites])
    centres = np.column_stack([np.concatenate([tx, sx]), np.concatenate([ty, sy])])
    lsoas = towns["lsoas"].to_numpy(dtype=float)
    weights = np.concatenate([lsoas, np.full(len(sites), float(np.median(lsoas)))])
    spread = TOWN_SPREAD_M * np.sqrt(weights / 100.0)
    sub = centres[:, None, :] + rng.normal(0.0, 1.0, (len(centres), 6, 2)) * spread[:, None, None]
    authority = [*towns["name"].astype(str), *(str(p.extra.get("trust") or p.name) for p in sites)]
    pad = 20_000.0
    (x0, y0), (x1, y1) = centres.min(axis=0) - pad, centres.max(axis=0) + pad
    return Geography(
        list(sites), authority, centres, (x0, y0, x1, y1), sub, weights=weights, spread=spread
    )


class _ChunkWriter:
    """Appends GeoDataFrames to one GeoParquet file, a row group per chunk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0

    def write(self, frame: gpd.GeoDataFrame) -> None:
        table = frame.to_arrow(index=False, geometry_encoding="WKB")
        table = pa.table(table)
        if self.writer is None:
            geo = _geo_metadata(frame)
            self.schema = table.schema.with_metadata({b"geo": geo.encode()})
            self.writer = pq.ParquetWriter(self.path, self.schema)
        assert self.schema is not None
        self.writer.write_table(table.cast(self.schema), row_group_size=len(frame))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _geo_metadata(frame: gpd.GeoDataFrame) -> str:
    """GeoParquet metadata for a file written in chunks (no file-wide bbox: unknown yet)."""
    import json  # noqa: PLC0415 - only here

    crs = frame.crs.to_json_dict() if frame.crs is not None else None
    return json.dumps(
        {
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": {"geometry": {"encoding": "WKB", "geometry_types": [], "crs": crs}},
        }
    )


def write_national_synth(
    folder: str | Path,
    assets: int,
    *,
    sites: list[Project],
    seed: int = 0,
    chunk: int = NATIONAL_CHUNK,
    opportunities: int | None = None,
) -> NationalSynth:
    """Write a synthetic national dataset of ``assets`` rows in GeoParquet (see module notes).

    Ids are ``A<chunk>-<n>``; spend is a tenth of the assets; the opportunities (about one
    per 500 assets, 40 to 2,000) are spread over ``sites``.
    """
    start = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vocab = load_skill_vocabulary()
    geo = national_geography(rng, sites)
    ctx, areas = _Context.with_areas(rng, geo, vocab, 100_000, seed)
    m = opportunities or max(40, min(2_000, assets // 500))
    _write_table(_point_frame(_opportunities(ctx, m)), folder / "opportunities.parquet")
    _write_table(areas, folder / "areas.parquet")
    _write_table(ctx.postcode_table(), folder / "postcodes.parquet")
    writers = {t: _ChunkWriter(folder / f"{t}.parquet") for t in ("assets", "spend")}
    try:
        for i, first in enumerate(range(0, assets, chunk)):
            n = min(chunk, assets - first)
            frame, xy = _assets(ctx, n)
            frame["id"] = f"A{i:03d}-" + frame["id"].astype(str)
            spend = _spend(ctx, max(1, n // 10), frame, xy)
            spend["id"] = f"S{i:03d}-" + spend["id"].astype(str)
            writers["assets"].write(_point_frame(frame))
            writers["spend"].write(_point_frame(spend))
            del frame, xy, spend
    finally:
        for writer in writers.values():
            writer.close()
    names = ("assets", "opportunities", "areas", "spend", "postcodes")
    manifest = Manifest(
        name=f"Synthetic national dataset ({assets:,} assets, seed {seed})",
        description="Generated by cwb bench --national: invented assets spread over England's "
        "towns by population, with the projects among them. Not real data.",
        metric_crs=BNG,
        projects=list(sites),
        files={t: FileEntry(path=f"{t}.parquet") for t in names},
        limits=ReadLimits(max_file_mb=1e6),
        settings={"synth": {"assets": assets, "seed": seed, "national": True}},
    )
    write_text_atomic(folder / MANIFEST_NAME, manifest.to_toml())
    return NationalSynth(
        folder, writers["assets"].rows, writers["spend"].rows, time.perf_counter() - start
    )
