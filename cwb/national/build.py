"""Building a national store: validated batch by batch, Hilbert-sorted, cut by key ranges.

Two passes, each a partition function run by :func:`cwb.national.engine.run_parts` (in
turn without Dask, with ``map_partitions`` on a LocalCluster or a cluster):

1. **Batches.** Each partitioned table (assets, spend) of each source folder is cut into
   batches of at most ``batch_rows`` rows (a Parquet file by its row groups, a bigger row
   group in slices; a file of any other format is one batch; on Dask the size follows the
   workers' memory limit, :func:`batch_rows_for`). A batch is read, validated with the
   validators of ``cwb validate`` (row numbers shifted to the file's), given its Hilbert
   key on a fixed national extent (so keys compare across batches), sorted and written as
   a *run*; the per-row hashes of the duplicate checks are written beside it.
2. **Partitions.** Key ranges of about ``rows_per_file`` rows are cut from the keys of
   every run; each partition gathers its range from every run (only the row groups whose
   key statistics meet it; on Dask in key parts that fit a worker, :func:`gather_rows_for`),
   merges the sorted pieces (:func:`merge_sorted`) and writes one GeoParquet 1.1 file with
   a ``bbox`` covering column, a row group at a time.

Between the passes the client merges the batches' problems (at most
``MAX_LISTED_PER_CHECK`` listed per check, as ``cwb validate`` lists them) and runs the
checks that compare rows with each other (repeated rows, ids and look-alike ids) over the
hashes of the whole file. Memory follows a batch and a partition, not the store.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from geopandas.tools.hilbert_curve import _encode

from cwb import settings
from cwb.dataset._checks import MAX_LISTED_PER_CHECK, clip_text
from cwb.dataset.manifest import Manifest
from cwb.dataset.model import Dataset
from cwb.dataset.raw import read_raw_table
from cwb.dataset.validate import (
    CROSS_ROW_CODES,
    SourceContext,
    row_keys,
    source_context,
    validate_rows,
)
from cwb.errors import DatasetError, Problem, ProblemLog, UsageError
from cwb.national.engine import Executor, read_parts, run_parts

PARTITIONED = ("assets", "spend")
#: Extent of the Hilbert curve (lon/lat around Great Britain and Ireland); rows outside
#: it are clamped to its edge, so every batch's keys are on one curve.
GB_BOUNDS = (-11.0, 49.0, 2.5, 61.0)
HILBERT_LEVEL = 16
KEY = "_hilbert"
UNLOCATED = np.iinfo(np.int64).max
#: Rows per row group of a sorted run: a partition reads only the runs' row groups whose
#: keys meet its range, so small groups read little beyond it.
RUN_ROW_GROUP = 5_000
_MORE = re.compile(r"^(\d+) more rows with the same problem \(")


# --------------------------------------------------------------------------- keys


def hilbert_keys(geometry: gpd.GeoSeries) -> np.ndarray:
    """Hilbert distance of each row's point on the fixed national extent; unlocated last."""
    values = geometry.to_numpy()
    located = ~(shapely.is_missing(values) | shapely.is_empty(values))
    key = np.full(len(values), UNLOCATED, dtype=np.int64)
    if not located.any():
        return key
    points = values[located]
    if not bool((shapely.get_type_id(points) == 0).all()):
        points = shapely.point_on_surface(points)
    x0, y0, x1, y1 = GB_BOUNDS
    side = 2**HILBERT_LEVEL - 1
    x = np.clip(shapely.get_x(points), x0, x1)
    y = np.clip(shapely.get_y(points), y0, y1)
    ix = ((x - x0) / (x1 - x0) * side).astype(np.uint32)
    iy = ((y - y0) / (y1 - y0) * side).astype(np.uint32)
    key[located] = _encode(HILBERT_LEVEL, ix, iy).astype(np.int64)
    return key


# --------------------------------------------------------------------------- pass 1


@dataclass(frozen=True)
class Batch:
    """Rows of one table file to validate, key and sort into one run."""

    index: int  # global order of the batch
    source: int
    folder: str
    table: str
    row_groups: tuple[int, ...] | None  # None: the whole file
    first_row: int  # rows of the file before the batch
    tmp: str
    part: str = ""  # a file of a folder of parts (a store's table), relative to the folder
    write: bool = True  # False: validate only (cwb store validate), no sorted run
    start: int = 0  # rows of the row groups before the batch (a row group cut in slices)
    count: int = -1  # rows of the row groups in the batch (-1: all of them)


def batch_rows_for(memory_mb: float | None) -> int:
    """Rows of a pass-1 batch for a worker with ``memory_mb`` (None: no limit known).

    The batch may fill ``settings.STORE_WORKER_MEMORY_SHARE`` of the limit above a
    worker's own ``STORE_WORKER_BASE_MB``, at ``STORE_BATCH_MB_PER_1000_ROWS``; at most
    ``STORE_BATCH_ROWS``, at least one store row group.
    """
    return _rows_for(memory_mb, settings.STORE_BATCH_MB_PER_1000_ROWS, settings.STORE_BATCH_ROWS)


def gather_rows_for(memory_mb: float | None, rows_per_file: int) -> int:
    """Rows of a store file gathered and merged at once in pass 2 on a worker.

    As :func:`batch_rows_for`, at ``STORE_GATHER_MB_PER_1000_ROWS``; without a limit,
    the whole file (``rows_per_file``).
    """
    return _rows_for(memory_mb, settings.STORE_GATHER_MB_PER_1000_ROWS, rows_per_file)


def _rows_for(memory_mb: float | None, mb_per_1000: float, most: int) -> int:
    if memory_mb is None:
        return most
    room = memory_mb * settings.STORE_WORKER_MEMORY_SHARE - settings.STORE_WORKER_BASE_MB
    return max(min(settings.STORE_ROW_GROUP, most), min(most, int(room / mb_per_1000 * 1000)))


def group_batches(
    meta: pq.FileMetaData, batch_rows: int
) -> list[tuple[tuple[int, ...], int, int, int]]:
    """The batches of a Parquet file: ``(row groups, first row, start, count)`` each.

    Consecutive row groups are taken together up to ``batch_rows`` rows; a row group
    bigger than ``batch_rows`` is cut into equal slices of at most ``batch_rows`` rows
    (``start``, ``count`` within it; ``count`` -1 for whole row groups).
    """
    out: list[tuple[tuple[int, ...], int, int, int]] = []
    groups: list[int] = []
    rows = first = 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if groups and rows + n > batch_rows:
            out.append((tuple(groups), first, 0, -1))
            first += rows
            groups, rows = [], 0
        if n > batch_rows:
            size = -(-n // -(-n // batch_rows))  # equal slices, none above batch_rows
            out += [((g,), first + s, s, min(size, n - s)) for s in range(0, n, size)]
            first += n
            continue
        groups.append(g)
        rows += n
    if groups:
        out.append((tuple(groups), first, 0, -1))
    return out


def plan_batches(
    source: int, folder: Path, manifest: Manifest, tmp: Path, start: int, batch_rows: int
) -> list[Batch]:
    """The batches of the partitioned tables of one source folder."""
    batches: list[Batch] = []
    for table in PARTITIONED:
        entry = manifest.files.get(table)
        if entry is None:
            continue
        path = folder / entry.path
        planned = []
        if path.suffix.lower() == ".parquet" and path.is_file():
            planned = group_batches(pq.ParquetFile(path).metadata, batch_rows)
        if not planned:  # another format, or no row group: the whole file
            batches.append(
                Batch(start + len(batches), source, str(folder), table, None, 0, str(tmp))
            )
        for groups, first, at, count in planned:
            batches.append(
                Batch(start + len(batches), source, str(folder), table, groups, first,
                      str(tmp), start=at, count=count)
            )  # fmt: skip
    return batches


_CONTEXTS: dict[str, tuple[SourceContext, list[Problem]]] = {}


def _context(folder: str) -> SourceContext:
    """The source's manifest, postcodes and areas, read once per process."""
    if folder not in _CONTEXTS:
        log = ProblemLog()
        _CONTEXTS.clear()  # one source at a time: batches come in source order
        _CONTEXTS[folder] = (source_context(Path(folder), log), log.problems)
    return _CONTEXTS[folder][0]


def batch_frame(batch: Batch) -> pd.DataFrame:
    """A batch as a one-row frame (the partitions of pass 1 are batches)."""
    row = asdict(batch)
    row["row_groups"] = json.dumps(batch.row_groups)
    return pd.DataFrame([row])


BATCH_META = pd.DataFrame(
    {
        "index": pd.Series(dtype="int64"),
        "rows": pd.Series(dtype="int64"),
        "problems": pd.Series(dtype="object"),
    }
)


def release_memory() -> None:
    """Give the memory of what was freed back to the system (Python, Arrow and C heaps).

    A worker runs batch after batch: without this, the heap pages a finished batch
    freed stay the process's (its resident memory grew from 350 to 600 MB over 40
    batches of 125,000 rows) and the next pass starts from there.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:  # pragma: no cover - depends on the platform
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


_LIBC = _libc()


def validate_batches(frame: pd.DataFrame) -> pd.DataFrame:
    """Pass 1 on each batch of ``frame``: validate, key, sort, write the run and the hashes."""
    rows = []
    for r in _records(frame):
        rows.append(_validate_batch(Batch(**{**r, "row_groups": _groups(r)})))
        release_memory()
    return pd.DataFrame(rows, columns=list(BATCH_META.columns)) if rows else BATCH_META.copy()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def _groups(record: dict[str, Any]) -> tuple[int, ...] | None:
    groups = json.loads(record["row_groups"])
    return None if groups is None else tuple(groups)


def _validate_batch(batch: Batch) -> dict[str, Any]:
    context = _context(batch.folder)
    entry = shown = context.manifest.files[batch.table]
    if batch.part:  # one file of a folder of parts, named in problems as the folder
        entry = replace(entry, path=batch.part)
    log = ProblemLog()
    raw = read_raw_table(
        Path(batch.folder),
        entry,
        log,
        context.manifest.limits,
        row_groups=batch.row_groups,
        rows=None if batch.count < 0 else (batch.start, batch.count),
    )
    tmp = Path(batch.tmp)
    n = 0
    if raw is not None:
        n = len(raw.cells)
        row_keys(raw, batch.table).to_parquet(tmp / f"keys-{batch.index:05d}.parquet", index=False)
        frame = validate_rows(raw, batch.table, context, log)
        if batch.write:
            _write_run(frame, tmp / f"run-{batch.table}-{batch.index:05d}.parquet")
    problems = [
        asdict(
            replace(
                p,
                row=p.row + batch.first_row if p.row is not None else None,
                file=shown.path if p.file == entry.path else p.file,
            )
        )
        for p in log.problems
    ]
    return {"index": batch.index, "rows": n, "problems": json.dumps(problems)}


def _write_run(frame: pd.DataFrame, path: Path) -> None:
    """A batch sorted by its Hilbert key, with the bbox covering column."""
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index), crs="EPSG:4326"
        )
    frame = frame.assign(**{KEY: hilbert_keys(frame.geometry)})
    frame = frame.sort_values(KEY, kind="stable").reset_index(drop=True)
    frame.to_parquet(path, index=False, write_covering_bbox=True, row_group_size=RUN_ROW_GROUP)


def write_dataset_runs(ds: Dataset, tmp: Path, start: int, batch_rows: int) -> int:
    """Runs of an in-memory (already validated) dataset's partitioned tables; batches written."""
    index = start
    for table in PARTITIONED:
        frame = getattr(ds, table)
        if frame is None or not len(frame):
            continue
        for first in range(0, len(frame), batch_rows):
            part = frame.iloc[first : first + batch_rows]
            keys = pd.DataFrame(
                {"id_hash": pd.util.hash_array(part["id"].astype(str).to_numpy(dtype=object))}
            )
            keys.to_parquet(tmp / f"keys-{index:05d}.parquet", index=False)
            _write_run(part, tmp / f"run-{table}-{index:05d}.parquet")
            index += 1
    return index - start


# --------------------------------------------------------------------------- problems


def merge_problems(
    batch_problems: Iterable[list[dict[str, Any]]], cross_row: list[dict[str, Any]] | None = None
) -> list[Problem]:
    """The batches' problems as one file's: each check listed up to the cap, the rest counted.

    Problems of the cross-row checks are left out (:func:`cross_row_problems` redoes
    them over the whole file); file-level problems repeated by every batch appear once.
    """
    listed: dict[tuple[str, str, str | None, str], list[Problem]] = {}
    totals: dict[tuple[str, str, str | None, str], int] = {}
    order: list[Problem | tuple[str, str, str | None, str]] = []
    seen: set[Problem] = set()
    sources = [(b, True) for b in batch_problems] + [(cross_row or [], False)]
    for problems, batched in sources:
        for raw in problems:
            p = Problem(**raw)
            if batched and p.code in CROSS_ROW_CODES:
                continue
            key = (p.file, p.code, p.column, p.severity)
            more = _MORE.match(p.reason) if p.row is None else None
            if p.row is not None or more:
                if key not in totals:
                    order.append(key)
                    totals[key] = 0
                    listed[key] = []
                if more:
                    totals[key] += int(more.group(1))
                else:
                    totals[key] += 1
                    listed[key].append(p)
            elif p not in seen:
                seen.add(p)
                order.append(p)
    return _capped(order, listed, totals)


def _capped(
    order: list[Any],
    listed: dict[tuple[str, str, str | None, str], list[Problem]],
    totals: dict[tuple[str, str, str | None, str], int],
) -> list[Problem]:
    out: list[Problem] = []
    for item in order:
        if isinstance(item, Problem):
            out.append(item)
            continue
        file, code, column, severity = item
        rows = sorted(listed[item], key=lambda p: p.row or 0)[:MAX_LISTED_PER_CHECK]
        out += rows
        if totals[item] > len(rows):
            out.append(
                Problem(
                    file,
                    f"{totals[item] - len(rows)} more rows with the same problem ({code}) "
                    "are not listed",
                    column=column,
                    severity=severity,
                    code=code,
                )
            )
    return out


def _firsts(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row repeats an earlier row's hash, and the position of the first."""
    n = len(hashes)
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    new = np.ones(n, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    starts = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    first = np.empty(n, dtype=np.int64)
    first[order] = order[starts]
    repeated = np.empty(n, dtype=bool)
    repeated[order] = ~new
    return repeated, first


def _chunks(keys: list[Path], column: str) -> Iterator[tuple[int, np.ndarray]]:
    """Each key file's ``column`` with the position of its first row in the file."""
    offset = 0
    for k in keys:
        values = pq.read_table(k, columns=[column])[column].to_numpy(zero_copy_only=False)
        yield offset, values
        offset += len(values)


def _sorted_column(files: list[Path], column: str, dtype: type = np.uint64) -> np.ndarray:
    """Every value of ``column`` over ``files``, sorted (one array, filled and sorted in place)."""
    n = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    every = np.empty(n, dtype=dtype)
    for offset, values in _chunks(files, column):
        every[offset : offset + len(values)] = values
    every.sort()
    return every


def _first_of_each(ordered: np.ndarray) -> np.ndarray:
    """Mask of the first of each run of equal values in a sorted array."""
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


@dataclass(frozen=True)
class Repeats:
    """The rows whose hash repeats an earlier row's (ascending), each with its first row."""

    rows: np.ndarray
    first: np.ndarray
    hashes: np.ndarray


def _repeats(keys: list[Path], column: str) -> Repeats:
    """:func:`_firsts` for the rows that repeat only, memory of one hash per row.

    The hashes are sorted once to find the repeated values; the key files are then read
    again a file at a time for the rows holding those values.
    """
    every = _sorted_column(keys, column)
    values = np.unique(every[1:][every[1:] == every[:-1]])
    del every
    rows, hashes = [np.array([], dtype=np.int64)], [np.array([], dtype=np.uint64)]
    if len(values):
        for offset, chunk in _chunks(keys, column):
            hit = np.flatnonzero(np.isin(chunk, values))
            rows.append(hit + offset)
            hashes.append(chunk[hit])
    found, found_hashes = np.concatenate(rows), np.concatenate(hashes)
    repeated, first = _firsts(found_hashes)
    return Repeats(found[repeated], found[first[repeated]], found_hashes[repeated])


def _gather(keys: list[Path], column: str, rows: np.ndarray) -> np.ndarray:
    """``column`` at ``rows`` (ascending positions in the file), read a key file at a time."""
    out = []
    for offset, chunk in _chunks(keys, column):
        lo, hi = np.searchsorted(rows, [offset, offset + len(chunk)])
        out.append(chunk[rows[lo:hi] - offset])
    return np.concatenate(out) if out else np.array([], dtype=object)


def _distinct_ids(keys: list[Path], given: np.uint64, left_out: np.ndarray) -> np.ndarray:
    """Distinct hashes of the ids in the rows not ``left_out`` (ascending positions).

    ``given`` is the hash that is no id (the empty id's); a hash is kept unless every
    row holding it is left out.
    """
    every = _sorted_column(keys, "id_hash")
    keep = _first_of_each(every)
    keep &= every != given
    if len(left_out):
        dropped, times = np.unique(_gather(keys, "id_hash", left_out), return_counts=True)
        held = np.searchsorted(every, dropped, "right") - np.searchsorted(every, dropped)
        gone = dropped[held == times]
        if len(gone):
            keep &= ~np.isin(every, gone)
    return every[keep]


def cross_row_problems(
    file: str, table: str, keys: list[Path], id_col: str | None
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Repeated rows, repeated ids and look-alike ids over every batch of one file.

    Returns the problems (as :meth:`Checker.flag` would list them, uncapped) and the
    hashes of the file's distinct non-empty ids (for the check across sources). Memory:
    one 64-bit hash per row at a time (sorted to find the repeated values), then only
    the rows that repeat one.
    """
    dups = _repeats(keys, "row_hash")
    problems: list[dict[str, Any]] = [
        {"file": file, "reason": f"duplicate row: the same as row {int(f) + 2}", "row": int(i) + 2,
         "column": None, "value": None, "hint": "delete one of them", "severity": "error",
         "code": "duplicate_row"}
        for i, f in zip(dups.rows, dups.first, strict=True)
    ]  # fmt: skip
    if id_col is None:
        every = _sorted_column(keys, "id_hash")
        return problems, every[_first_of_each(every)]
    empty_hash = pd.util.hash_array(np.array([""], dtype=object))[0]
    same_id = _repeats(keys, "id_hash")
    keep = (same_id.hashes != empty_hash) & ~np.isin(same_id.rows, dups.rows)
    repeated = dict(zip(same_id.rows[keep].tolist(), same_id.first[keep].tolist(), strict=True))
    folded = _repeats(keys, "fold_hash")
    keep = ~np.isin(folded.rows, dups.rows) & ~np.isin(folded.rows, same_id.rows[keep])
    keep[keep] = _gather(keys, "id_hash", folded.rows[keep]) != empty_hash
    lookalike = dict(zip(folded.rows[keep].tolist(), folded.first[keep].tolist(), strict=True))
    flagged = np.array(sorted({*repeated, *lookalike}), dtype=np.int64)
    ids = _gather(keys, "id", flagged) if len(flagged) else flagged
    for i, value in zip(flagged.tolist(), ids, strict=True):
        if i in repeated:
            problems.append(
                {"file": file,
                 "reason": f"{id_col} is already used on row {repeated[i] + 2}",
                 "row": i + 2, "column": id_col, "value": clip_text(value),
                 "hint": f"give each row its own {id_col}", "severity": "error",
                 "code": "duplicate_id"}
            )  # fmt: skip
        else:
            problems.append(
                {"file": file, "row": i + 2, "column": id_col,
                 "reason": f"{id_col} differs from the {id_col} on row "
                 f"{lookalike[i] + 2} only by case, character width or invisible "
                 "characters", "value": clip_text(ascii(value)),
                 "hint": "make ids differ in what a reader sees, or make them equal",
                 "severity": "error", "code": "lookalike_id"}
            )  # fmt: skip
    left_out = np.union1d(dups.rows, same_id.rows[same_id.hashes != empty_hash])
    return problems, _distinct_ids(keys, empty_hash, left_out)


# --------------------------------------------------------------------------- pass 2


@dataclass(frozen=True)
class Cut:
    """One partition to write: the rows of ``table`` with ``lo <= key < hi``."""

    index: int
    table: str
    lo: int
    hi: int | None
    runs: str  # JSON list of run paths
    path: str
    schema: str  # the store-wide Arrow schema, serialised (hex)
    inner: str = "[]"  # JSON keys cutting the range into parts gathered one at a time


CUT_META = pd.DataFrame(
    {
        "index": pd.Series(dtype="int64"),
        "rows": pd.Series(dtype="int64"),
        "bytes": pd.Series(dtype="int64"),
        "bbox": pd.Series(dtype="object"),
    }
)


def cut_frame(cut: Cut) -> pd.DataFrame:
    """A cut as a one-row frame (the partitions of pass 2 are cuts)."""
    return pd.DataFrame([asdict(cut)])


def write_cuts(frame: pd.DataFrame) -> pd.DataFrame:
    """Pass 2 on each cut of ``frame``: gather its key range from every run, merge, write."""
    rows = []
    for r in _records(frame):
        rows.append(_write_cut(Cut(**r)))
        release_memory()
    return pd.DataFrame(rows, columns=list(CUT_META.columns)) if rows else CUT_META.copy()


def _in_range(column: pa.ChunkedArray | pa.Array, lo: int, hi: int | None) -> pa.Array:
    mask = pc.greater_equal(column, lo)
    return pc.and_(mask, pc.less(column, hi)) if hi is not None else mask


def _write_cut(cut: Cut) -> dict[str, Any]:
    _CONTEXTS.clear()  # pass 1's source context (postcodes, areas) is not needed here
    schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(cut.schema)))
    runs = [RunIndex.of(r) for r in json.loads(cut.runs)]
    located = [c for c in ("bbox",) if c in schema.names]
    bbox = _extent(_gathered(runs, cut.lo, cut.hi, [KEY, *located])) if located else None
    out = schema.remove(schema.get_field_index(KEY)).with_metadata(_metadata(schema, bbox))
    size = settings.STORE_ROW_GROUP
    bounds = [cut.lo, *json.loads(cut.inner), cut.hi]
    merged = (
        chunk
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        for chunk in merge_sorted(_pieces(runs, lo, hi, schema), size)
    )
    rows = 0
    with pq.ParquetWriter(cut.path, out) as writer:
        for chunk in _rechunk(merged, size):
            writer.write_table(chunk.drop_columns([KEY]), row_group_size=size)
            rows += chunk.num_rows
        if not rows:
            writer.write_table(schema.empty_table().drop_columns([KEY]), row_group_size=size)
    return {"index": cut.index, "rows": rows, "bytes": Path(cut.path).stat().st_size,
            "bbox": json.dumps(bbox)}  # fmt: skip


@dataclass(frozen=True)
class RunIndex:
    """Where a sorted run's keys lie: the file and each row group's key range.

    Pass 2 reads every run for each part of a partition; an open Parquet file holds its
    footer (about 0.6 MB for a 40-column run of 13 row groups), so 320 runs held open
    took 190 MB of a worker. The index keeps the key ranges alone and opens the file
    only to read the row groups meeting a range.
    """

    path: str
    schema: pa.Schema
    ranges: tuple[tuple[int, int] | None, ...]

    @classmethod
    def of(cls, path: str | Path) -> RunIndex:
        """The index of the run at ``path`` (its footer read once, then let go)."""
        with pq.ParquetFile(path) as handle:
            meta = handle.metadata
            column = handle.schema_arrow.get_field_index(KEY)
            ranges = []
            for g in range(meta.num_row_groups):
                stats = meta.row_group(g).column(column).statistics
                has = stats is not None and stats.has_min_max
                ranges.append((int(stats.min), int(stats.max)) if has else None)
            return cls(str(path), handle.schema_arrow.remove_metadata(), tuple(ranges))

    def groups_meeting(self, lo: int, hi: int | None) -> list[int]:
        """The row groups that may hold keys ``lo <= key < hi`` (all, without statistics)."""
        return [
            g
            for g, keys in enumerate(self.ranges)
            if keys is None or not (keys[1] < lo or (hi is not None and keys[0] >= hi))
        ]

    def read(self, lo: int, hi: int | None, columns: list[str] | None = None) -> pa.Table:
        """The rows with ``lo <= key < hi``, read a row group at a time (those meeting it)."""
        groups = self.groups_meeting(lo, hi)
        if not groups:
            return self.schema.empty_table().select(columns or self.schema.names)
        kept = []
        with pq.ParquetFile(self.path) as handle:
            for g in groups:
                group = handle.read_row_group(g, columns=columns)
                kept.append(group.filter(_in_range(group[KEY], lo, hi)))
                del group
        return pa.concat_tables(kept)


def _pieces(runs: list[RunIndex], lo: int, hi: int | None, schema: pa.Schema) -> list[pa.Table]:
    """The rows of each run with ``lo <= key < hi`` (each piece sorted by key)."""
    return [_conform(t, schema) for run in runs if (t := run.read(lo, hi)).num_rows]


def _gathered(runs: list[RunIndex], lo: int, hi: int | None, columns: list[str]) -> pa.Table:
    """``columns`` of the rows of every run with ``lo <= key < hi``, as one table."""
    return pa.concat_tables([run.read(lo, hi, columns) for run in runs])


def _rechunk(chunks: Iterable[pa.Table], rows: int) -> Iterator[pa.Table]:
    """``chunks`` cut again into tables of ``rows`` rows (the last one shorter)."""
    held: list[pa.Table] = []
    n = 0
    for chunk in chunks:
        held.append(chunk)
        n += chunk.num_rows
        while n >= rows:
            table = pa.concat_tables(held)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            held, n = ([rest] if rest.num_rows else []), rest.num_rows
    if n:
        yield pa.concat_tables(held)


def merge_sorted(pieces: list[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The rows of ``pieces`` (each sorted by its key) in key order, ``rows`` at a time.

    The order of a stable sort of all the pieces concatenated (ties in piece order), so
    the chunks equal ``pa.concat_tables(pieces).sort_by(KEY)`` cut every ``rows`` rows;
    only the keys are sorted whole: each chunk takes a run of consecutive rows from each
    piece (zero-copy slices) and interleaves those alone, so memory is the pieces and one
    chunk, not a sorted copy of them.
    """
    if not pieces:
        return
    keys = np.concatenate([p[KEY].to_numpy() for p in pieces])
    offsets = np.cumsum([0, *(p.num_rows for p in pieces)])
    source = np.searchsorted(offsets, np.argsort(keys, kind="stable"), "right") - 1
    del keys
    taken = np.zeros(len(pieces), dtype=np.int64)
    for start in range(0, len(source), rows):
        of = source[start : start + rows]
        counts = np.bincount(of, minlength=len(pieces))
        parts = [pieces[p].slice(taken[p], n) for p, n in enumerate(counts.tolist()) if n]
        taken += counts
        chunk = pa.concat_tables(parts)
        if len(parts) > 1:  # interleave: the k-th row of the chunk from its piece's slice
            order = np.argsort(np.argsort(of, kind="stable"), kind="stable")
            chunk = chunk.combine_chunks().take(pa.array(order))
        yield chunk


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the store-wide schema's columns, order and types."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.table(columns, schema=schema)


def _extent(table: pa.Table) -> list[float] | None:
    if "bbox" not in table.column_names or not table.num_rows:
        return None
    box = table["bbox"].combine_chunks()
    values = [box.field(k).to_numpy(zero_copy_only=False) for k in ("xmin", "ymin", "xmax", "ymax")]
    values = [np.asarray(v, dtype=float) for v in values]
    if np.isnan(values[0]).all():
        return None
    return [float(np.nanmin(values[0])), float(np.nanmin(values[1])),
            float(np.nanmax(values[2])), float(np.nanmax(values[3]))]  # fmt: skip


def _metadata(schema: pa.Schema, bbox: list[float] | None) -> dict[bytes, bytes]:
    meta = dict(schema.metadata or {})
    if b"geo" in meta:
        geo = json.loads(meta[b"geo"])
        column = geo["columns"][geo.get("primary_column", "geometry")]
        column.pop("bbox", None)
        if bbox is not None:
            column["bbox"] = bbox
        meta[b"geo"] = json.dumps(geo).encode()
    return meta


def store_schema(runs: list[Path]) -> pa.Schema:
    """One schema for every run of a table.

    A column typed alike in every run keeps its type; null in some runs, the others'
    type; typed differently, text.
    """
    schemas = [pq.read_schema(r) for r in runs]
    fields: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for field in schema:
            fields.setdefault(field.name, []).append(field.type)
    out = []
    for name, types in fields.items():
        known = {t for t in types if not pa.types.is_null(t)}
        kind = known.pop() if len(known) == 1 else (pa.null() if not known else pa.string())
        if name in ("geometry", "bbox", KEY):
            kind = next(t for t in types if not pa.types.is_null(t))
        out.append(pa.field(name, kind))
    return pa.schema(out, metadata=schemas[0].metadata)


def plan_cuts(
    table: str, runs: list[Path], out: Path, rows_per_file: int, gather_rows: int | None = None
) -> list[Cut]:
    """Key ranges of about ``rows_per_file`` rows over every run (edges from their keys).

    Each range is gathered from the runs ``gather_rows`` rows at a time (a part of it
    cut at a key: :func:`gather_rows_for`); the file is the same whatever their size.
    """
    keys = _sorted_column(runs, KEY, np.int64)
    edges = np.unique(keys[::rows_per_file])
    step = gather_rows or rows_per_file
    inner = []
    for lo, hi in zip(edges, [*edges[1:], None], strict=True):
        first = int(np.searchsorted(keys, lo))
        last = len(keys) if hi is None else int(np.searchsorted(keys, hi))
        inner.append(json.dumps(np.unique(keys[first:last:step])[1:].tolist()))
    del keys
    schema = store_schema(runs).serialize().to_pybytes().hex()
    folder = out / f"{table}.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    names = json.dumps([str(r) for r in runs])
    bounds = edges.tolist()
    return [
        Cut(i, table, int(lo), int(hi) if hi is not None else None, names,
            str(folder / f"part-{i:05d}.parquet"), schema, inner[i])
        for i, (lo, hi) in enumerate(zip(bounds, [*bounds[1:], None], strict=True))
    ]  # fmt: skip


def run_batches(run: Executor, batches: list[Batch], tmp: Path) -> pd.DataFrame:
    """Pass 1 over ``batches`` on ``run``; one result row per batch, in batch order."""
    folder = tmp / "_pass1"
    shutil.rmtree(folder, ignore_errors=True)
    parts = run_parts(run, batch_frame, batches, validate_batches, BATCH_META, folder)
    return read_parts(parts)


def run_cuts(run: Executor, cuts: list[Cut], tmp: Path) -> pd.DataFrame:
    """Pass 2 over ``cuts`` on ``run``; one result row per partition, in order."""
    folder = tmp / "_pass2"
    shutil.rmtree(folder, ignore_errors=True)
    parts = run_parts(run, cut_frame, cuts, write_cuts, CUT_META, folder)
    return read_parts(parts)


def source_problems(folder: str) -> list[Problem]:
    """The problems of the source's manifest, postcodes and areas (read in this process)."""
    log = ProblemLog()
    source_context(Path(folder), log)
    return log.problems


def raise_on_errors(problems: list[Problem], name: str) -> None:
    """A source with errors stops the build, as ``cwb validate`` would report them."""
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        raise DatasetError(problems, summary=f"{name}: the dataset has {errors} error(s)")


def check_new_ids(table: str, name: str, ids: np.ndarray, seen: dict[str, np.ndarray]) -> None:
    """Ids must be unique across sources: stop when ``ids`` meets an earlier source's."""
    earlier = seen.get(table)
    if earlier is not None and len(ids) and np.isin(ids, earlier, assume_unique=True).any():
        raise UsageError(f"{name}: {table} ids also in an earlier source")
    seen[table] = ids if earlier is None else np.union1d(earlier, ids)
