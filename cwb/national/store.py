"""The national store: assets and spend as Hilbert-sorted GeoParquet files with a bbox column.

A store is a folder::

    STORE/
      store.json            # the manifest: every partition file, its rows and bounding box
      dataset.toml          # projects, bands and settings of the source dataset(s)
      assets.parquet/part-00000.parquet …   # Hilbert-sorted, about rows_per_file rows each
      spend.parquet/part-00000.parquet …
      opportunities.parquet, areas.parquet

The ``dataset.toml`` names the folders of parts as the tables' files, so a store is also
a dataset folder: every ``cwb`` command that takes a dataset reads a store whole (as one
GeoDataFrame per table, validated as usual); the ``cwb national`` commands read it by
partition and by catchment.

Every partition is GeoParquet 1.1 with a ``bbox`` covering column and small row groups,
so a project's catchment is read with ``geopandas.read_parquet(bbox=…)`` from the few
files whose extent meets it, never the whole table. Building is an external sort: each
source is read (and validated, as ``cwb validate`` does) on its own, sorted by Hilbert
distance into a temporary file, then the files are cut by Hilbert ranges, so memory is
bounded by the largest source, not the store.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from cwb import settings
from cwb._atomic import write_text_atomic
from cwb._gc import paused_gc
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, Manifest, Project, read_manifest
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.projection import transformer
from cwb.errors import DatasetError, Problem, ProblemLog, UsageError
from cwb.national.build import (
    PARTITIONED,
    batch_rows_for,
    check_new_ids,
    gather_rows_for,
    plan_cuts,
    raise_on_errors,
    release_memory,
    run_cuts,
    write_dataset_runs,
)
from cwb.national.checks import validate_source
from cwb.national.engine import Executor

STORE_MANIFEST = "store.json"
STORE_VERSION = 1
#: Tables cut into Hilbert-sorted partitions: ``PARTITIONED``; the others are one file each.
SMALL = ("opportunities", "areas")
#: Extent of the Hilbert curve (lon/lat of Great Britain and Ireland, widened by the data).
GB_BOUNDS = (-11.0, 49.0, 2.5, 61.0)
_KEY = "_hilbert"


@dataclass(frozen=True)
class Partition:
    """One file of a partitioned table: its path (relative to the store), rows and extent."""

    path: str
    rows: int
    bytes: int
    bbox: tuple[float, float, float, float] | None  # None: no located row


@dataclass
class Store:
    """An opened national store (see the module notes)."""

    path: Path
    manifest: Manifest
    partitions: dict[str, list[Partition]]
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        """Rows per partitioned table."""
        return {t: sum(p.rows for p in parts) for t, parts in self.partitions.items()}

    @property
    def bytes(self) -> int:
        """Size of every file in the store."""
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def files(self, table: str) -> list[Path]:
        """The partition files of ``table``, in Hilbert order."""
        return [self.path / p.path for p in self.partitions.get(table, [])]

    def overlapping(
        self, table: str, bbox: tuple[float, float, float, float]
    ) -> list[tuple[int, Partition]]:
        """The partitions (index, partition) of ``table`` whose extent meets ``bbox``."""
        return [
            (i, p)
            for i, p in enumerate(self.partitions.get(table, []))
            if p.bbox is not None and _meets(p.bbox, bbox)
        ]

    def read_bbox(
        self,
        table: str,
        bbox: tuple[float, float, float, float],
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Rows of ``table`` whose bounding box meets ``bbox`` (lon/lat), read by bbox only.

        ``columns``: the columns to read besides the geometry (default: every column).
        """
        found = self._read_arrow(table, bbox, columns)
        return self.empty(table, columns) if found is None else to_geoframe(found)

    def _read_arrow(
        self,
        table: str,
        bbox: tuple[float, float, float, float],
        columns: Sequence[str] | None,
    ) -> pa.Table | None:
        paths = [self.path / p.path for _, p in self.overlapping(table, bbox)]
        if not paths:
            return None
        wanted = list(pq.read_schema(paths[0]).names) if columns is None else [*columns]
        geometry = [] if all(only_points(p) for p in paths) else ["geometry"]
        wanted = [*(c for c in wanted if c not in ("geometry", "bbox")), *geometry, "bbox"]
        found = [read_boxes(path, [bbox], wanted) for path in paths]
        found = [t for t in found if t.num_rows]
        return pa.concat_tables(found) if found else None

    def read_catchment(
        self,
        table: str,
        project: Project,
        radius_m: float,
        columns: Sequence[str] | None = settings.CATCHMENT_COLUMNS,
    ) -> gpd.GeoDataFrame:
        """Rows of ``table`` within ``radius_m`` metres of ``project`` (read by bbox).

        ``columns``: the columns to read besides the geometry — by default
        ``settings.CATCHMENT_COLUMNS`` (those of them the table has); ``None`` reads
        every column. The distance is measured in Arrow, from each row's point (a
        point's bbox; other shapes' representative point), before any row becomes a
        Python object; points are built from their bbox (:func:`table_geometry`).
        """
        metric = self.manifest.metric_crs or "EPSG:27700"
        if columns is not None:
            known = self.columns(table)
            columns = [c for c in columns if c in known]
        found = self._read_arrow(table, catchment_bbox(project, radius_m, metric), columns)
        if found is None:
            return self.empty(table, columns)
        lon, lat = table_points(found)
        inside = within_radius(lon, lat, project, radius_m, metric)
        return to_geoframe(found.filter(pa.array(inside)))

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` (from its first file's schema)."""
        files = self.files(table) if table in PARTITIONED else [self.path / f"{table}.parquet"]
        if not files or not files[0].exists():
            return []
        return list(pq.read_schema(files[0]).names)

    def empty(self, table: str, columns: Sequence[str] | None = None) -> gpd.GeoDataFrame:
        """``table`` with its columns (or ``columns`` and the geometry) and no row."""
        files = self.files(table) if table in PARTITIONED else [self.path / f"{table}.parquet"]
        if not files or not files[0].exists():
            return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))
        wanted = None if columns is None else [*columns, "geometry"]
        return gpd.read_parquet(files[0], columns=wanted).iloc[:0]

    def read_small(self, table: str) -> gpd.GeoDataFrame:
        """A small table (opportunities, areas) whole (read once per process and file)."""
        path = self.path / f"{table}.parquet"
        if not path.exists():
            return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))
        stat = path.stat()
        return _read_small(str(path), stat.st_mtime_ns, stat.st_size).copy()

    def read_all(self, table: str) -> gpd.GeoDataFrame:
        """Every row of ``table`` (the plain-geopandas path; memory grows with the store)."""
        if table in SMALL:
            return self.read_small(table)
        frames = [gpd.read_parquet(f) for f in self.files(table)]
        if not frames:
            return self.empty(table)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)

    def to_dataset(self) -> Dataset:
        """The whole store as one in-memory :class:`Dataset` (for the single-dataset commands)."""
        return Dataset(
            manifest=self.manifest,
            assets=self.read_all("assets"),
            opportunities=self.read_small("opportunities"),
            areas=self.read_small("areas"),
            spend=self.read_all("spend") if self.partitions.get("spend") else None,
            path=self.path,
        )


@dataclass
class StoreBuild:
    """What :func:`build_store` wrote."""

    store: Store
    seconds: float
    sources: int


@functools.lru_cache(maxsize=8)
def _read_small(path: str, mtime_ns: int, size: int) -> gpd.GeoDataFrame:
    """A small table's file, kept: a national run reads it once per project otherwise."""
    return gpd.read_parquet(path)


def _rows(path: Path) -> int:
    return int(pq.read_metadata(path).num_rows)


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a national store folder."""
    return (Path(path) / STORE_MANIFEST).is_file()


def open_store(path: str | Path) -> Store:
    """Open a store folder written by :func:`build_store`."""
    path = Path(path)
    if not is_store(path):
        raise UsageError(f"{path} is not a cwb store (no {STORE_MANIFEST}); see cwb store build")
    meta = json.loads((path / STORE_MANIFEST).read_text(encoding="utf-8"))
    if meta.get("version") != STORE_VERSION:
        raise UsageError(f"{path}: store version {meta.get('version')} is not {STORE_VERSION}")
    partitions = {
        table: [
            Partition(p["path"], p["rows"], p["bytes"], tuple(p["bbox"]) if p["bbox"] else None)
            for p in parts
        ]
        for table, parts in meta["tables"].items()
    }
    log = ProblemLog()
    manifest = read_manifest(path, log)
    if log.has_errors:
        raise DatasetError(log.problems, f"{path / MANIFEST_NAME} has errors")
    return Store(path, manifest, partitions, meta.get("problems", []))


def _meets(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def catchment_bbox(
    project: Project, radius_m: float, metric_crs: str = "EPSG:27700"
) -> tuple[float, float, float, float]:
    """Lon/lat box around the disc of ``radius_m`` metres about ``project``."""
    x, y = transformer(WGS84, metric_crs).transform(project.lon, project.lat)
    back = transformer(metric_crs, WGS84)
    box = back.transform_bounds(
        x - radius_m, y - radius_m, x + radius_m, y + radius_m, densify_pts=21
    )
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


#: Relative margin around the radius where :func:`within_radius` measures exactly.
_RING = 0.02


def within_radius(
    lon: np.ndarray, lat: np.ndarray, centre: Project, radius_m: float, metric_crs: str
) -> np.ndarray:
    """Whether each lon/lat point lies within ``radius_m`` metres of ``centre``.

    The same answer as projecting every point to ``metric_crs`` (``metre_distances``),
    quicker: the projection is linearised about the centre (central differences), the
    points clearly inside or outside are decided by it, and only those within 2% of the
    radius are projected. The linearisation is checked at the catchment's corners first;
    where it errs by more than a quarter of the margin, every point is projected.
    """
    forward = transformer(WGS84, metric_crs)
    cx, cy = forward.transform(centre.lon, centre.lat)
    inside = np.zeros(len(lon), dtype=bool)
    if not len(lon):
        return inside
    d = 0.001
    xs, ys = forward.transform(
        [centre.lon - d, centre.lon + d, centre.lon, centre.lon],
        [centre.lat, centre.lat, centre.lat - d, centre.lat + d],
    )
    jac = np.array([[xs[1] - xs[0], xs[3] - xs[2]], [ys[1] - ys[0], ys[3] - ys[2]]]) / (2 * d)

    def linear(lo: np.ndarray, la: np.ndarray) -> np.ndarray:
        dl, dp = lo - centre.lon, la - centre.lat
        return np.hypot(jac[0, 0] * dl + jac[0, 1] * dp, jac[1, 0] * dl + jac[1, 1] * dp)

    box = catchment_bbox(centre, radius_m, metric_crs)
    probe_lon = np.array([box[0], box[2], box[0], box[2], box[0], box[2], centre.lon, centre.lon])
    probe_lat = np.array([box[1], box[1], box[3], box[3], centre.lat, centre.lat, box[1], box[3]])
    px, py = forward.transform(probe_lon, probe_lat)
    exact = np.hypot(np.asarray(px) - cx, np.asarray(py) - cy)
    sure = bool(np.all(np.abs(linear(probe_lon, probe_lat) - exact) <= _RING / 4 * radius_m))
    located = ~np.isnan(lon)
    if sure:
        near = linear(lon, lat)
        inside = near <= radius_m * (1 - _RING)
        check = np.flatnonzero(located & ~inside & (near <= radius_m * (1 + _RING)))
    else:
        check = np.flatnonzero(located)
    if len(check):
        x, y = forward.transform(lon[check], lat[check])
        inside[check] = np.hypot(np.asarray(x) - cx, np.asarray(y) - cy) <= radius_m
    return inside


def metric_xy(
    geometry: gpd.GeoSeries, metric_crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metric x, y of each row's point (representative point of other shapes) and located."""
    values = geometry.to_numpy()
    located = ~(shapely.is_missing(values) | shapely.is_empty(values))
    x = np.full(len(values), np.nan)
    y = np.full(len(values), np.nan)
    if located.any():
        points = values[located]
        if not bool((shapely.get_type_id(points) == 0).all()):
            points = shapely.point_on_surface(points)
        mx, my = transformer(WGS84, metric_crs).transform(
            shapely.get_x(points), shapely.get_y(points)
        )
        x[located], y[located] = mx, my
    return x, y, located


def metre_distances(
    geometry: gpd.GeoSeries, projects: list[Project], metric_crs: str = "EPSG:27700"
) -> np.ndarray:
    """(rows, projects) distances in metres from each geometry's point to each project.

    Non-point geometries are measured from their representative point; empty rows get NaN.
    """
    x, y, _ = metric_xy(geometry, metric_crs)
    if not projects:
        return np.full((len(geometry), 0), np.nan)
    px, py = transformer(WGS84, metric_crs).transform(
        [p.lon for p in projects], [p.lat for p in projects]
    )
    return np.hypot(x[:, None] - np.asarray(px)[None, :], y[:, None] - np.asarray(py)[None, :])


def _groups_meeting(handle: pq.ParquetFile, boxes: Sequence[tuple[float, ...]]) -> list[int]:
    """Row groups whose bbox statistics meet some box (all when statistics are missing)."""
    meta = handle.metadata
    index = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    keys = ("bbox.xmin", "bbox.ymin", "bbox.xmax", "bbox.ymax")
    if not all(k in index for k in keys):
        return list(range(meta.num_row_groups))
    found = []
    for g in range(meta.num_row_groups):
        stats = [meta.row_group(g).column(index[k]).statistics for k in keys]
        if any(s is None or not s.has_min_max for s in stats):
            found.append(g)
            continue
        x0, y0, x1, y1 = stats[0].min, stats[1].min, stats[2].max, stats[3].max
        if any(x0 <= b[2] and b[0] <= x1 and y0 <= b[3] and b[1] <= y1 for b in boxes):
            found.append(g)
    return found


def read_boxes(
    path: str | Path, boxes: Sequence[tuple[float, ...]], columns: Sequence[str] | None = None
) -> pa.Table:
    """Rows of one store file whose bbox meets any of ``boxes``, as Arrow.

    Row groups are pruned by their bbox statistics, rows by their bbox (vectorised): one
    read, whatever the number of boxes.
    """
    handle = pq.ParquetFile(path)
    groups = _groups_meeting(handle, boxes)
    # first the bbox column alone: which rows, hence which row groups, are wanted
    box = handle.read_row_groups(groups, columns=["bbox"])
    xmin, ymin, xmax, ymax = box_arrays(box)
    keep = np.zeros(len(xmin), dtype=bool)
    for x0, y0, x1, y1 in boxes:  # NaN (no bbox) compares false
        keep |= (xmin <= x1) & (xmax >= x0) & (ymin <= y1) & (ymax >= y0)
    sizes = [handle.metadata.row_group(g).num_rows for g in groups]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    hits = [i for i in range(len(groups)) if keep[starts[i] : starts[i + 1]].any()]
    names = handle.schema_arrow.names if columns is None else list(dict.fromkeys(columns))
    rest = [c for c in names if c != "bbox"]
    table = handle.read_row_groups([groups[i] for i in hits], columns=rest)
    mask = np.concatenate([keep[starts[i] : starts[i + 1]] for i in hits]) if hits else keep[:0]
    table = table.filter(pa.array(mask))
    if "bbox" in names or columns is None:  # the bbox already read, not read again
        rows = np.flatnonzero(keep)
        table = table.append_column("bbox", box["bbox"].take(pa.array(rows)))
        table = table.select(names)
    return table


def box_arrays(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """xmin, ymin, xmax, ymax of each row's ``bbox`` as floats (NaN where it is null)."""
    box = table["bbox"].combine_chunks()
    valid = np.asarray(box.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out = []
    for k in ("xmin", "ymin", "xmax", "ymax"):
        values = np.asarray(box.field(k).to_numpy(zero_copy_only=False), dtype=float)
        out.append(np.where(valid, values, np.nan))
    return out[0], out[1], out[2], out[3]


def table_points(
    table: pa.Table, geometry: Callable[[], pa.ChunkedArray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of each row's point: a point's bbox, other shapes' representative point.

    Only the rows whose bbox is not a point are decoded, from the ``geometry`` column
    (or the column ``geometry()`` reads, when the table has none); rows without a
    location get NaN.
    """
    xmin, ymin, xmax, ymax = box_arrays(table)
    lon, lat = xmin.copy(), ymin.copy()
    shapes = np.flatnonzero(~np.isnan(xmin) & ((xmin != xmax) | (ymin != ymax)))
    if len(shapes):
        column = geometry() if geometry is not None else table["geometry"]
        wkb = column.take(pa.array(shapes)).to_numpy(zero_copy_only=False)
        points = shapely.point_on_surface(shapely.from_wkb(wkb))
        lon[shapes], lat[shapes] = shapely.get_x(points), shapely.get_y(points)
    return lon, lat


#: Length of the WKB of a 2-D point (byte order, type, x, y).
_POINT_WKB = 21


#: Points built per thread at least (shapely releases the GIL while it builds them).
_POINTS_PER_THREAD = 50_000


def _points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``shapely.points(x, y)``, in slices on a thread per core when there are many."""
    threads = min(os.cpu_count() or 1, settings.STORE_READ_THREADS, len(x) // _POINTS_PER_THREAD)
    if threads < 2:
        return np.asarray(shapely.points(x, y), dtype=object)
    edges = np.linspace(0, len(x), threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(
            lambda i: shapely.points(x[edges[i] : edges[i + 1]], y[edges[i] : edges[i + 1]]),
            range(threads),
        )
        return np.concatenate(list(parts))


@functools.lru_cache(maxsize=4096)
def _geometry_types(path: str, mtime_ns: int) -> tuple[str, ...] | None:
    geo = (pq.read_schema(path).metadata or {}).get(b"geo")
    if geo is None:
        return None
    column = json.loads(geo).get("columns", {}).get("geometry", {})
    types = column.get("geometry_types")
    return tuple(types) if isinstance(types, list) else None


def only_points(path: str | Path) -> bool:
    """Whether the GeoParquet file's geometries are all 2-D points (its ``geometry_types``).

    Such a file's points are its bbox column: a read need not decode its geometry.
    """
    return _geometry_types(str(path), os.stat(path).st_mtime_ns) == ("Point",)


def table_geometry(table: pa.Table) -> np.ndarray:
    """The shapely geometry of each row of a store table.

    Points are built from their bbox (``shapely.points``: the same coordinates, no WKB
    parsed); other shapes are decoded from WKB. A table read without its ``geometry``
    column (from files of points only, :func:`only_points`) is points wherever the bbox
    is set and missing elsewhere (an empty point comes back missing).
    """
    if "bbox" not in table.column_names:
        column = table["geometry"]
        return np.asarray(shapely.from_wkb(column.to_numpy(zero_copy_only=False)), dtype=object)
    xmin, ymin, xmax, ymax = box_arrays(table)
    if "geometry" not in table.column_names:
        out = np.full(len(xmin), None, dtype=object)
        located = np.isfinite(xmin) & np.isfinite(ymin)
        out[located] = _points(xmin[located], ymin[located])
        return out
    column = table["geometry"]
    size = pc.fill_null(pc.binary_length(column), -1).to_numpy()
    point = (size == _POINT_WKB) & np.isfinite(xmin) & (xmin == xmax) & (ymin == ymax)
    out = np.full(len(xmin), None, dtype=object)
    if point.any():
        out[point] = _points(xmin[point], ymin[point])
    rest = np.flatnonzero(~point & (size >= 0))
    if len(rest):
        out[rest] = shapely.from_wkb(column.take(pa.array(rest)).to_numpy(zero_copy_only=False))
    return out


def to_geoframe(table: pa.Table) -> gpd.GeoDataFrame:
    """A store table (Arrow, WKB geometry in WGS84) as a GeoDataFrame, without the bbox column.

    Quicker than geopandas' reader: the CRS is not parsed from the file, points are
    built from their bbox (:func:`table_geometry`) and the garbage collector is paused
    while the row objects are made (half the time of a 270,000-row read otherwise).
    """
    with paused_gc():
        geometry = gpd.GeoSeries(table_geometry(table), crs=WGS84)
        frame = table.drop_columns([c for c in ("geometry", "bbox") if c in table.column_names])
        return gpd.GeoDataFrame(frame.to_pandas(), geometry=geometry, crs=WGS84)


# --------------------------------------------------------------------------- building


def _merge_projects(manifest: Manifest | None, extra: Manifest) -> Manifest:
    if manifest is None:
        return Manifest(
            name=extra.name,
            projects=list(extra.projects),
            files={},
            description=extra.description,
            metric_crs=extra.metric_crs,
            bands_m=extra.bands_m,
            max_outside_m=extra.max_outside_m,
            min_count=extra.min_count,
            settings=dict(extra.settings),
        )
    known = {p.id for p in manifest.projects}
    manifest.projects += [p for p in extra.projects if p.id not in known]
    return manifest


def build_store(
    sources: Iterable[str | Path | Dataset],
    out: str | Path,
    *,
    rows_per_file: int = settings.STORE_ROWS_PER_FILE,
    batch_rows: int | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
    run: Executor | None = None,
) -> StoreBuild:
    """Build a national store from dataset folders (or stores, or in-memory datasets).

    Each source folder is validated batch by batch (see :mod:`cwb.national.build`) with
    the validators of ``cwb validate``: a source with errors stops the build with the
    same :class:`cwb.errors.DatasetError` (the same problems, row numbers as in the
    source file); warnings are kept in ``store.json``. Ids must be unique across sources.

    Parameters
    ----------
    sources
        Dataset folders, stores or :class:`Dataset` objects; their assets and spend are
        merged, opportunities and areas concatenated, projects merged by id.
    out
        The store folder to write (must be absent or empty unless ``overwrite``).
    rows_per_file
        The most rows in one partition file.
    batch_rows
        Rows validated and sorted at once (a Parquet source is read by row groups, a
        bigger row group in slices); by default :func:`batch_rows_for` the workers'
        memory limit (``settings.STORE_BATCH_ROWS`` plainly). The store is the same
        whatever the batch size.
    run
        Where the batches and partitions run (:func:`cwb.national.executor`); plainly
        in this process by default.
    """
    start = time.perf_counter()
    run = run or Executor()
    if batch_rows is None:
        batch_rows = batch_rows_for(run.worker_memory_mb)
    if rows_per_file < 1 or batch_rows < 1:
        raise UsageError("must be at least 1", argument="rows-per-file")
    out = Path(out).resolve()  # workers may run elsewhere: absolute paths
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise UsageError(f"{out} is not empty; pick another folder or overwrite it")
        shutil.rmtree(out)
    tmp = (out / ".build").resolve()
    tmp.mkdir(parents=True)
    say = progress or (lambda _msg: None)
    manifest: Manifest | None = None
    small: dict[str, list[gpd.GeoDataFrame]] = {t: [] for t in SMALL}
    problems: list[dict[str, Any]] = []
    seen: dict[str, np.ndarray] = {}
    n_batches = n_sources = 0
    for item in sources:
        n_sources += 1
        if isinstance(item, Dataset) or is_store(item):
            ds = item if isinstance(item, Dataset) else open_store(item).to_dataset()
            name = str(ds.path or ds.name)
            problems += [_problem_dict(name, p) for p in ds.problems]
            manifest = _merge_projects(manifest, ds.manifest)
            for table in PARTITIONED:
                frame = getattr(ds, table)
                if frame is not None and len(frame):
                    ids = np.unique(
                        pd.util.hash_array(frame["id"].astype(str).to_numpy(dtype=object))
                    )
                    check_new_ids(table, name, ids, seen)
            n_batches += write_dataset_runs(ds, tmp, n_batches, batch_rows)
            for table in SMALL:
                small[table].append(getattr(ds, table))
            continue
        folder = Path(item).resolve()
        say(f"{item}: validating")
        check = validate_source(
            run, folder, tmp, n_batches, batch_rows=batch_rows, seen=seen, name=str(item)
        )
        raise_on_errors(check.problems, str(item))
        n_batches += check.batches
        problems += [_problem_dict(str(item), p) for p in check.problems]
        manifest = _merge_projects(manifest, check.context.manifest)
        small["areas"].append(check.areas)
        small["opportunities"].append(check.opportunities)
    seen.clear()  # the ids' hashes: not needed by pass 2
    release_memory()
    if manifest is None:
        raise UsageError("no source to build a store from")
    partitions = {}
    for table in PARTITIONED:
        # a source's empty table (a spend.csv with a header only) leaves an empty run
        runs = [r for r in sorted(tmp.glob(f"run-{table}-*.parquet")) if _rows(r)]
        if not runs:
            continue
        gather = gather_rows_for(run.worker_memory_mb, rows_per_file)
        cuts = plan_cuts(table, runs, out, rows_per_file, gather)
        release_memory()  # the keys sorted to find the edges
        say(f"{table}: {len(cuts)} partition(s) from {len(runs)} sorted batch(es)")
        written = run_cuts(run, cuts, tmp)
        partitions[table] = [
            Partition(
                f"{table}.parquet/part-{int(r['index']):05d}.parquet",
                int(r["rows"]),
                int(r["bytes"]),
                tuple(json.loads(r["bbox"])) if json.loads(r["bbox"]) else None,
            )
            for r in written.to_dict("records")
        ]
    for table, frames in small.items():
        frames = [f for f in frames if f is not None]
        frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
        if table == "areas" and "code" in frame:
            frame = frame.drop_duplicates("code").reset_index(drop=True)
        frame.to_parquet(out / f"{table}.parquet", index=False, write_covering_bbox=True)
    shutil.rmtree(tmp)
    manifest.files = {t: FileEntry(f"{t}.parquet") for t in (*partitions, *SMALL)}
    write_text_atomic(out / MANIFEST_NAME, manifest.to_toml())
    meta = {
        "version": STORE_VERSION,
        "tables": {
            t: [{"path": p.path, "rows": p.rows, "bytes": p.bytes, "bbox": p.bbox} for p in parts]
            for t, parts in partitions.items()
        },
        "problems": problems,
    }
    write_text_atomic(out / STORE_MANIFEST, json.dumps(meta, indent=1))
    store = open_store(out)
    return StoreBuild(store, time.perf_counter() - start, n_sources)


def _problem_dict(source: str, problem: Problem) -> dict[str, Any]:
    return {"source": source, "severity": problem.severity, "problem": str(problem)}
