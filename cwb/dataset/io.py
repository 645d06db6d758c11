"""Read and write dataset folders, and write single tables in every supported format.

Reading a dataset reads each table with :mod:`cwb.dataset.raw` and checks and
types it with :mod:`cwb.dataset.validate`. Writing is lossless: read → write →
read gives equal tables.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb._atomic import atomic_path, write_text_atomic
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.raw import SHAPEFILE_NAMES, SUFFIXES, table_format
from cwb.dataset.validate import load_dataset
from cwb.errors import UsageError
from cwb.safe_output import neutralise_frame, write_excel


def read_dataset(path: str | Path, *, strict: bool = False) -> Dataset:
    """Read and validate a dataset folder.

    Parameters
    ----------
    path
        The folder holding ``dataset.toml``.
    strict
        Treat warnings as errors.

    Raises
    ------
    DatasetError
        When the data has errors; ``.problems`` lists every one, with file, row and column.
    UsageError
        When ``path`` is not a folder.
    """
    return load_dataset(Path(path), strict=strict)


def write_table(frame: pd.DataFrame, path: str | Path, *, layer: str | None = None) -> Path:
    """Write one table (GeoDataFrame or DataFrame) to ``path`` atomically, format by suffix.

    Point geometries go to ``lat``/``lon`` columns in CSV and Excel, other
    geometries to a WKT ``geometry`` column; geo formats keep the geometry.
    """
    path = Path(path)
    fmt = table_format(path)
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    if fmt in ("csv", "xlsx"):
        flat = _flatten_geometry(frame) if is_geo else pd.DataFrame(frame)
        with atomic_path(path) as tmp:
            if fmt == "csv":
                # CRLF line ends make the csv writer quote cells holding a bare \r or \n
                flat = neutralise_frame(flat)
                flat.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
            else:
                _check_excel_cells(flat, path)
                write_excel(flat, tmp)
        return path
    if fmt == "parquet":
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        return path
    gdf = (
        frame
        if is_geo
        else gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)), crs=WGS84)
    )
    if fmt == "shp":
        gdf = _shapefile_ready(gdf, path)
    with atomic_path(path) as tmp:
        options = {"layer": layer or path.stem} if fmt == "gpkg" else {}
        gdf.to_file(tmp, engine="pyogrio", **options)
        if fmt == "shp":  # move the sidecar files along with the .shp
            for part in tmp.parent.glob(f"{tmp.stem}.*"):
                if part.suffix != ".shp":
                    part.replace(path.with_suffix(part.suffix))
    return path


def _flatten_geometry(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = gdf.geometry
    flat = pd.DataFrame(gdf.drop(columns=geoms.name))
    kinds = shapely.get_type_id(geoms.to_numpy())
    points = kinds == 0
    if points.all() or (~points & shapely.is_missing(geoms.to_numpy()) | points).all():
        xs = np.where(points, shapely.get_x(np.where(points, geoms.to_numpy(), None)), np.nan)
        ys = np.where(points, shapely.get_y(np.where(points, geoms.to_numpy(), None)), np.nan)
        flat.insert(_after(flat, "category"), "lat", ys)
        flat.insert(_after(flat, "lat"), "lon", xs)
    else:
        flat["geometry"] = shapely.to_wkt(geoms.to_numpy(), rounding_precision=-1)
    return flat


def _after(frame: pd.DataFrame, column: str) -> int:
    return frame.columns.get_loc(column) + 1 if column in frame.columns else len(frame.columns)


def _check_excel_cells(frame: pd.DataFrame, path: Path) -> None:
    limit = 32_767
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column].dtype):
            lengths = frame[column].fillna("").astype(str).str.len()
            if (lengths > limit).any():
                raise UsageError(
                    f"{path.name}: column {column!r} has cells longer than Excel's "
                    f"{limit} characters; write this table as GeoJSON or GeoPackage instead"
                )


def _shapefile_ready(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    renamed = gdf.rename(columns=SHAPEFILE_NAMES)
    too_long = [c for c in renamed.columns if len(c) > 10 and c != renamed.geometry.name]
    if too_long:
        raise UsageError(
            f"{path.name}: shapefile field names are at most 10 characters; "
            f"rename {too_long} or write GeoPackage instead"
        )
    for column in renamed.columns:
        if column == renamed.geometry.name:
            continue
        if (
            pd.api.types.is_string_dtype(renamed[column].dtype)
            and (renamed[column].str.len() > 254).any()
        ):
            raise UsageError(
                f"{path.name}: column {column!r} has text longer than a shapefile's 254 "
                "characters; write GeoPackage instead"
            )
        if isinstance(renamed[column].dtype, pd.BooleanDtype):
            # object, not "str": pandas 2 would write a missing value as the text 'nan'
            text = renamed[column].map({True: "true", False: "false"})
            renamed[column] = text.astype(object).where(renamed[column].notna(), None)
        elif isinstance(renamed[column].dtype, pd.Int64Dtype):
            renamed[column] = renamed[column].astype("float64")
    return renamed


def write_dataset(ds: Dataset, folder: str | Path, *, format: str = "csv") -> Path:
    """Write a dataset folder: every table in ``format`` plus a matching ``dataset.toml``.

    ``format`` is one of csv, xlsx, geojson, gpkg, parquet, shp. Reading the
    folder back gives tables equal to ``ds``'s.
    """
    if format not in SUFFIXES:
        raise UsageError(f"format must be one of {', '.join(SUFFIXES)}; got {format!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = SUFFIXES[format]
    files: dict[str, FileEntry] = {}
    for name, frame in ds.tables().items():
        target = folder / f"{name}{suffix}"
        write_table(frame, target)
        files[name] = FileEntry(path=target.name)
    if ds.postcodes is not None:
        write_table(ds.postcodes, folder / "postcodes.csv")
        files["postcodes"] = FileEntry(path="postcodes.csv")
    manifest = replace(ds.manifest, files=files)  # every setting kept, flags included
    write_text_atomic(folder / MANIFEST_NAME, manifest.to_toml())
    return folder
