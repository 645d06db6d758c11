"""Where the national work runs: plain geopandas, a LocalCluster, or an existing Dask cluster.

One work list, one partition function, three executors:

- no ``workers`` and no ``scheduler``: the function is applied to each work item in turn
  in this process (plain geopandas; Dask need not be installed);
- ``workers=N``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes;
- ``scheduler="tcp://host:8786"``: the workers of an existing cluster (every worker needs
  cwb installed and the store's path readable, e.g. on a shared filesystem).

Per-partition results go straight to Parquet (``part.N.parquet`` in one folder, written by
each worker with ``to_parquet``), never gathered on the client; the summaries then read
those small files back in partition order, so all three paths give identical figures.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from cwb.errors import MissingDependencyError, UsageError
from cwb.progress import track

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Executor:
    """How to run: ``client`` is a ``dask.distributed.Client`` or None (plain geopandas)."""

    client: Any = None
    local: bool = False

    @property
    def kind(self) -> str:
        """``plain``, ``local`` (a LocalCluster) or ``cluster`` (an existing scheduler)."""
        if self.client is None:
            return "plain"
        return "local" if self.local else "cluster"

    @property
    def dashboard(self) -> str | None:
        """The address of Dask's dashboard (tasks, workers' memory); None plainly."""
        return None if self.client is None else str(self.client.dashboard_link)

    def describe(self) -> str:
        """One line for the user: where the work runs, and the dashboard to watch it on."""
        if self.client is None:
            return "plain geopandas, in this process"
        workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        where = "a local Dask cluster" if self.local else "the Dask cluster"
        return f"{where} of {workers} worker(s); dashboard {self.dashboard}"

    @property
    def worker_memory_mb(self) -> float | None:
        """The smallest memory limit of the workers (MB); None plainly or when unlimited."""
        if self.client is None:
            return None
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {}).values()
        limits = [w.get("memory_limit") or 0 for w in workers]
        return min(limits) / 1e6 if limits and min(limits) > 0 else None


def _distributed() -> Any:
    try:
        import dask_geopandas  # noqa: F401, PLC0415 - optional dependency
        import distributed  # noqa: PLC0415 - optional dependency
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingDependencyError.for_extra("national", "running on Dask") from exc
    return distributed


@contextlib.contextmanager
def executor(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    worker_memory_mb: float | None = None,
) -> Iterator[Executor]:
    """The executor for ``--workers`` / ``--scheduler`` (see the module notes).

    ``worker_memory_mb``: the memory limit of each LocalCluster worker (default: Dask's,
    the machine's memory shared among them), which work sizes itself to (the store
    build's batches); Dask's spilling and its pausing and restarting of a worker over it
    are turned off for them — cwb writes every result from the worker and keeps nothing
    for Dask to spill, and a worker that keeps the memory of a finished batch would stay
    paused. Scripts that start a LocalCluster (``workers``) must call this under
    ``if __name__ == "__main__":``, as every multiprocessing program must.
    """
    if workers is not None and scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both", argument="workers")
    if workers is None and scheduler is None:
        yield Executor()
        return
    distributed = _distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UsageError(
                f"no Dask scheduler at {scheduler}: {exc}", argument="scheduler"
            ) from exc
        with client:
            yield Executor(client)
        return
    if workers is not None and workers < 1:
        raise UsageError("must be at least 1", argument="workers")
    limit: dict[str, Any] = {}
    thresholds: dict[str, Any] = {}
    if worker_memory_mb is not None:
        limit = {"memory_limit": int(worker_memory_mb * 1e6)}
        thresholds = {f"distributed.worker.memory.{k}": False for k in _THRESHOLDS}
    import dask  # noqa: PLC0415 - optional dependency

    with (
        dask.config.set(thresholds),
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: two clusters may run at once
            **limit,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield Executor(client, local=True)


_THRESHOLDS = ("target", "spill", "pause", "terminate")


def run_parts(
    run: Executor,
    read: Callable[..., Any],
    items: Sequence[Any],
    apply: Callable[..., pd.DataFrame],
    meta: pd.DataFrame,
    out: Path,
    *,
    label: str = "",
    **kwargs: Any,
) -> Path:
    """``apply(read(item), **kwargs)`` for each work item, written to ``out/part.N.parquet``.

    On Dask the items become the partitions of a dask-geopandas frame
    (``dask.dataframe.from_map``), ``apply`` runs with ``map_partitions`` and the result is
    written by the workers with ``to_parquet``. In plain geopandas a progress bar named
    ``label`` (default: the folder's name) counts the items on a terminal.
    """
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part.*.parquet"):
        old.unlink()
    if not items:
        meta.to_parquet(out / "part.0.parquet", index=False)
        return out
    if run.client is None:
        for i, item in enumerate(track(items, label or out.name.strip("_"))):
            apply(read(item), **kwargs).to_parquet(out / f"part.{i}.parquet", index=False)
        return out
    import dask.dataframe as dd  # noqa: PLC0415 - optional dependency
    import dask_geopandas  # noqa: F401, PLC0415 - optional; registers the GeoDataFrame backend

    frames = dd.from_map(read, list(items), enforce_metadata=False)
    result = frames.map_partitions(apply, **kwargs, meta=meta, enforce_metadata=False)
    result.to_parquet(
        out, write_index=False, write_metadata_file=False, schema=_schema(meta), compute=True
    )
    return out


def _schema(meta: pd.DataFrame) -> Any:
    """The Arrow schema of the result parts (text columns as strings, not Python objects)."""
    fields = []
    for name, dtype in meta.dtypes.items():
        text = pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        kind = pa.string() if text else pa.from_numpy_dtype(dtype)
        fields.append(pa.field(str(name), kind))
    return pa.schema(fields)


def read_parts(folder: Path) -> pd.DataFrame:
    """The ``part.N.parquet`` files of ``folder`` in partition order, as one frame."""
    files = sorted(folder.glob("part.*.parquet"), key=lambda p: int(p.name.split(".")[1]))
    frames = [pd.read_parquet(f) for f in files]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.read_parquet(files[0]) if files else pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def run_tasks(
    run: Executor,
    task: Callable[..., dict[str, Any]],
    items: Sequence[Any],
    *,
    label: str = "tasks",
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """``task(item, **kwargs)`` for each item (one per catchment); small result rows back.

    Each task writes its own outputs; only its summary row returns to the client. A
    progress bar named ``label`` counts the finished tasks on a terminal.
    """
    if run.client is None:
        return [task(item, **kwargs) for item in track(items, label)]
    futures = run.client.map(task, list(items), **kwargs, pure=False)
    for _ in track(_distributed().as_completed(futures), label, total=len(futures)):
        pass
    return list(run.client.gather(futures))
