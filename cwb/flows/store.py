"""Writing flows into a dataset folder: the flows file and its line in ``dataset.toml``.

Rows already in the file with the same ``kind``, ``period``, ``source`` and geography
level as imported rows are replaced (importing the same table twice does not double
it); every other row is kept. The level is read from the origin's ONS code (``E02…``
an MSOA, ``E06…``–``E09…`` a local authority, …), so the MSOA and the local-authority
tables of one Census release live side by side.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cwb._atomic import write_text_atomic
from cwb.dataset.geography import geography_level
from cwb.dataset.io import write_table
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry
from cwb.dataset.raw import read_raw_table
from cwb.errors import DatasetError, ProblemLog, UsageError
from cwb.flows.table import flow_frame

_REPLACE_KEYS = ["kind", "period", "source"]


def _replace_key(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns that decide which existing rows an import replaces."""
    key = frame[_REPLACE_KEYS].fillna("").astype(str)
    key["level"] = [geography_level(code) for code in frame["origin"]]
    return key


@dataclass
class FlowsWritten:
    """What :func:`write_flows_into` did."""

    path: Path
    added: int
    replaced: int
    kept: int


def _declared(folder: Path) -> tuple[dict[str, Any], str]:
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        raise UsageError(f"{folder} is not a dataset folder (no {MANIFEST_NAME})")
    text = manifest.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{manifest} is not valid TOML: {exc}") from None
    return raw, text


def _declare(folder: Path, text: str, name: str) -> None:
    """Add ``flows = "<name>"`` to the manifest's [files] (comments and order kept)."""
    line = f'flows = "{name}"'
    if re.search(r"^\[files\]\s*$", text, flags=re.M):
        text = re.sub(r"^\[files\]\s*$", "[files]\n" + line, text, count=1, flags=re.M)
    else:
        text = text.rstrip("\n") + "\n\n[files]\n" + line + "\n"
    write_text_atomic(folder / MANIFEST_NAME, text)


def write_flows_into(folder: str | Path, flows: pd.DataFrame) -> FlowsWritten:
    """Add ``flows`` to the dataset in ``folder`` (its flows file, ``flows.csv`` by default).

    Raises
    ------
    UsageError
        When ``folder`` is not a dataset.
    DatasetError
        When the existing flows file cannot be read.
    """
    folder = Path(folder)
    raw, text = _declared(folder)
    declared = raw.get("files")
    files: dict[str, Any] = declared if isinstance(declared, dict) else {}
    given = files.get("flows")
    existing = None
    entry: FileEntry | None = None
    if given is not None:
        entry = FileEntry(path=given) if isinstance(given, str) else FileEntry(**given)
        if (folder / entry.path).exists():
            log = ProblemLog()
            table = read_raw_table(folder, entry, log)
            if table is None or log.has_errors:
                raise DatasetError(log.problems, summary=f"{entry.path}: cannot be read")
            existing = flow_frame(table.cells.replace("", None))
        path = folder / entry.path
    else:
        path = folder / "flows.csv"
    incoming = flow_frame(flows)
    replaced = 0
    if existing is not None and len(existing):
        keys = _replace_key(incoming).drop_duplicates()
        old = _replace_key(existing)
        hit = old.merge(keys, how="left", indicator=True)["_merge"].eq("both").to_numpy()
        replaced = int(hit.sum())
        existing = existing[~hit]
        combined = pd.concat([existing, incoming], ignore_index=True)
    else:
        combined = incoming
    write_table(combined, path)
    if entry is None:
        _declare(folder, text, path.name)
    return FlowsWritten(
        path=path,
        added=len(incoming),
        replaced=replaced,
        kept=0 if existing is None else len(existing),
    )
