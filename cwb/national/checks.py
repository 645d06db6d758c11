"""Validation batch by batch: a source folder while a store is built, or a store itself.

:func:`validate_source` runs pass 1 of :mod:`cwb.national.build` over a folder's batches
and gathers the problems as ``cwb validate`` reports them (same files, rows, columns and
reasons; each check listed up to its cap); :func:`validate_store` does the same over the
partition files of a store (``cwb store validate``, ``cwb validate STORE``), the folder
of parts of each table numbered as one table, as ``cwb validate`` reads it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq

from cwb import settings
from cwb.dataset.model import WGS84
from cwb.dataset.raw import read_raw_table
from cwb.dataset.schema import TABLES
from cwb.dataset.validate import SourceContext, source_context, validate_rows
from cwb.errors import Problem, ProblemLog, UsageError, tidy_problems
from cwb.national.build import (
    PARTITIONED,
    Batch,
    check_new_ids,
    cross_row_problems,
    group_batches,
    merge_problems,
    plan_batches,
    release_memory,
    run_batches,
)
from cwb.national.engine import Executor


@dataclass
class SourceCheck:
    """What validating one source found: its problems, batches and small tables."""

    context: SourceContext
    problems: list[Problem]
    batches: int
    opportunities: gpd.GeoDataFrame

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The source's areas (validated), or no rows."""
        return self.context.areas if self.context.areas is not None else no_rows()


def no_rows() -> gpd.GeoDataFrame:
    """An empty GeoDataFrame in WGS84."""
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))


def _validate_small(context: SourceContext, table: str, log: ProblemLog) -> gpd.GeoDataFrame:
    """A small table of the source (opportunities), read and validated whole."""
    entry = context.manifest.files.get(table)
    if entry is None:
        return no_rows()
    raw = read_raw_table(context.folder, entry, log, context.manifest.limits)
    if raw is None:
        return no_rows()
    return validate_rows(raw, table, context, log)


def _checked(
    run: Executor,
    context: SourceContext,
    log: ProblemLog,
    batches: list[Batch],
    tmp: Path,
    seen: dict[str, np.ndarray] | None,
    name: str,
) -> SourceCheck:
    results = run_batches(run, batches, tmp / f"pass1-{batches[0].index if batches else 0:05d}")
    by_index = {int(r["index"]): json.loads(r["problems"]) for r in results.to_dict("records")}
    merged: dict[str, list[Problem]] = {}
    for table in PARTITIONED:
        mine = [b for b in batches if b.table == table]
        keys = [tmp / f"keys-{b.index:05d}.parquet" for b in mine]
        keys = [k for k in keys if k.exists()]
        if not keys:
            merged[table] = merge_problems([by_index.get(b.index, []) for b in mine])
            continue
        entry = context.manifest.files[table]
        shown = f"{entry.path}, sheet {entry.sheet}" if entry.sheet else entry.path
        cross, ids = cross_row_problems(shown, table, keys, TABLES[table].id_column)
        merged[table] = merge_problems([by_index.get(b.index, []) for b in mine], cross)
        if seen is not None:
            check_new_ids(table, name, ids, seen)
        del ids
        release_memory()  # the hash columns sorted by the checks
    small_log = ProblemLog()
    opportunities = _validate_small(context, "opportunities", small_log)
    # in cwb validate's order: manifest, postcodes, areas, assets, opportunities, spend
    problems = (
        list(log.problems) + merged.get("assets", []) + small_log.problems + merged.get("spend", [])
    )
    return SourceCheck(context, tidy_problems(problems), len(batches), opportunities)


def validate_source(
    run: Executor,
    folder: Path,
    tmp: Path,
    start: int,
    *,
    batch_rows: int = settings.STORE_BATCH_ROWS,
    seen: dict[str, np.ndarray] | None = None,
    name: str = "",
) -> SourceCheck:
    """Validate one dataset folder batch by batch, writing each batch's sorted run in ``tmp``."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a dataset folder")
    log = ProblemLog()
    context = source_context(folder, log)
    batches = plan_batches(0, folder, context.manifest, tmp, start, batch_rows)
    return _checked(run, context, log, batches, tmp, seen, name or str(folder))


def _store_batches(store: Path, context: SourceContext, tmp: Path, batch_rows: int) -> list[Batch]:
    batches: list[Batch] = []
    for table in PARTITIONED:
        entry = context.manifest.files.get(table)
        if entry is None:
            continue
        first = 0
        for part in sorted((store / entry.path).glob("*.parquet")):
            meta = pq.ParquetFile(part).metadata
            for groups, at, start, count in group_batches(meta, batch_rows):
                batches.append(
                    Batch(len(batches), 0, str(store), table, groups, first + at, str(tmp),
                          str(part.relative_to(store)), write=False, start=start, count=count)
                )  # fmt: skip
            first += meta.num_rows
    return batches


def validate_store(
    store: str | Path, run: Executor | None = None, *, batch_rows: int = settings.STORE_BATCH_ROWS
) -> list[Problem]:
    """Validate a store partition file by partition file; the problems ``cwb validate`` finds.

    Each folder of parts is numbered as one table (rows counted across its files in
    order), as ``cwb validate`` reads a store whole.
    """
    path = Path(store)
    log = ProblemLog()
    context = source_context(path, log)
    tmp = Path(tempfile.mkdtemp(prefix="cwb-validate-"))
    try:
        batches = _store_batches(path, context, tmp, batch_rows)
        return _checked(run or Executor(), context, log, batches, tmp, None, str(path)).problems
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
