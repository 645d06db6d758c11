"""What every importer shares: the import result, provenance and locating rows.

An importer turns one source file (or folder) into cwb tables. It never drops a
record silently: each record it reads is either imported into a table or
reported as skipped with its reason (a :class:`cwb.errors.Problem` of severity
``warning`` and code ``skipped``). Rows that cannot be located are kept, with an
empty geometry and ``precision == "none"``, and counted as unlocated.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.locate import locate_frame
from cwb.dataset.parsing import exact_floats
from cwb.dataset.schema import TABLES
from cwb.errors import DatasetError, Problem

if TYPE_CHECKING:
    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

#: Provenance columns every imported row carries.
PROVENANCE_COLUMNS: tuple[str, ...] = ("source", "collected_by", "collected_on", "licence")

#: Tables an importer may fill, in the order they are reported.
IMPORT_TABLES: tuple[str, ...] = ("assets", "opportunities", "spend", "links")

#: A UK postcode anywhere in a string (for addresses that bury it in a street line).
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")


@dataclass(frozen=True)
class Provenance:
    """Where imported rows came from; fills provenance cells the source left empty."""

    source: str = ""
    collected_by: str = ""
    collected_on: str = ""
    licence: str = ""

    def with_defaults(self, *, source: str, licence: str = "") -> Provenance:
        """A copy whose empty fields take these defaults.

        ``collected_on`` is never set to today: a register published years ago must show
        as old, so an unknown date stays empty (undated) unless the caller gives one.
        """
        return Provenance(
            source=self.source or source,
            collected_by=self.collected_by or "cwb import",
            collected_on=self.collected_on,
            licence=self.licence or licence,
        )


@dataclass
class ImportResult:
    """The outcome of reading one source: its tables and what happened to every record.

    Attributes
    ----------
    importer
        The importer's name (``osm``, ``openreferral``, ``360giving``, ``ocds``, ``register``).
    source_file
        The file or folder read.
    tables
        Table name → (Geo)DataFrame in the schema's columns (``assets``,
        ``opportunities``, ``spend`` located; ``links`` plain).
    read
        How many source records were read (features, grants, releases, rows …).
    skipped
        One warning per record that was not imported, with the reason.
    notes
        Other things worth telling the user (unlocated rows, shared award values …).
    merged
        Counts filled in when the result is merged into a dataset (see :mod:`cwb.importers.merge`).
    duplicates, batch_duplicates
        Likely duplicates of the dataset's rows, and within the import itself
        (see :mod:`cwb.importers.duplicates`).
    """

    importer: str
    source_file: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    read: int = 0
    skipped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    merged: dict[str, int] = field(default_factory=dict)
    duplicates: pd.DataFrame | None = None
    batch_duplicates: pd.DataFrame | None = None
    written: list[Path] = field(default_factory=list)

    def skip(
        self,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        file: str | None = None,
    ) -> None:
        """Record one skipped record and why."""
        self.skipped.append(
            Problem(
                file=file or Path(self.source_file).name,
                reason=reason,
                row=row,
                column=column,
                value=None if value is None else str(value),
                severity="warning",
                code="skipped",
            )
        )

    @property
    def imported(self) -> dict[str, int]:
        """Rows per table produced by the import (before merging)."""
        return {name: len(frame) for name, frame in self.tables.items() if frame is not None}

    def unlocated(self) -> dict[str, int]:
        """Rows per located table that have no location (``precision == "none"``)."""
        out: dict[str, int] = {}
        for name, frame in self.tables.items():
            if frame is not None and "precision" in frame:
                n = int((frame["precision"] == "none").sum())
                if n:
                    out[name] = n
        return out

    def skip_reasons(self) -> Counter[str]:
        """How many records were skipped for each reason."""
        return Counter(p.reason for p in self.skipped)

    def summary(self) -> str:
        """A few lines a person can read: read, imported, merged, skipped (by reason)."""
        lines = [f"{self.importer}: read {self.read} record(s) from {self.source_file}"]
        imported = ", ".join(f"{n} {t}" for t, n in self.imported.items()) or "nothing"
        lines.append(f"  imported: {imported}")
        for table, n in self.unlocated().items():
            where = (
                "placed at their project when read"
                if table == "opportunities"
                else "precision none"
            )
            lines.append(f"  unlocated: {n} {table} row(s) kept with no location ({where})")
        if self.merged:
            lines.append("  merged: " + ", ".join(f"{k} {v}" for k, v in self.merged.items()))
        lines.append(f"  skipped: {len(self.skipped)}")
        for reason, n in self.skip_reasons().most_common():
            lines.append(f"    {n} × {reason}")
        records = next(
            (t for t, n in self.imported.items() if n + len(self.skipped) == self.read), None
        )
        if records is not None:  # say so when every record read is accounted for
            lines.append(
                f"  accounted for: {self.read} read = {self.imported[records]} {records} "
                f"imported + {len(self.skipped)} skipped"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def note_undated(result: ImportResult) -> None:
    """Say how many imported rows have no ``collected_on`` (it is never set to today)."""
    if any("collected_on" in note for note in result.notes):
        return
    for name, frame in result.tables.items():
        if name == "links" or frame is None or not len(frame) or "collected_on" not in frame:
            continue
        empty = int(frame["collected_on"].isna().sum())
        if empty:
            result.notes.append(
                f"collected_on is unknown for {empty} {name} row(s): left empty (they list as "
                "undated in `cwb stale`); give --collected-on DATE (the source's date)"
            )


def schema_frame(table: str, records: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """A DataFrame of ``records`` with every column of the table's spec first, then extras."""
    spec = TABLES[table]
    if isinstance(records, pd.DataFrame):
        frame = records.reset_index(drop=True)
    else:
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    columns = spec.column_names + [c for c in frame.columns if c not in spec.column_names]
    frame = frame.reindex(columns=columns)
    for col in spec.columns:
        if col.type in ("float",):
            frame[col.name] = exact_floats(frame[col.name])
        elif col.type == "int":
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").astype("Int64")
        elif col.type == "bool":
            frame[col.name] = frame[col.name].astype("boolean")
        else:
            frame[col.name] = frame[col.name].astype(object).where(frame[col.name].notna(), None)
    return frame


def apply_provenance(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    """Fill empty provenance cells of ``frame`` from ``provenance`` (in place; returned)."""
    for name in PROVENANCE_COLUMNS:
        value = getattr(provenance, name)
        if not value:
            continue
        if name not in frame:
            frame[name] = value
        else:
            empty = frame[name].isna() | (frame[name].astype(str).str.strip() == "")
            frame[name] = frame[name].astype(object).where(~empty, value)
    return frame


def postcode_in_text(text: object) -> str | None:
    """The first UK postcode found in a free-text address, normalised (``"B66 2QT"``), or None."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    match = _POSTCODE_IN_TEXT.search(str(text).upper())
    return f"{match.group(1)} {match.group(2)}" if match else None


def clean_str(value: object) -> str | None:
    """A stripped string, or None for missing/blank values."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def iso_date(value: object) -> str | None:
    """``YYYY-MM-DD`` from an ISO datetime/date string or ``YYYYMMDD`` (None when unparseable)."""
    text = clean_str(value)
    if not text:
        return None
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not match:
        return None
    try:
        return _dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None


def to_float(value: object) -> float | None:
    """A float from a number or numeric string (thousands separators allowed), else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and np.isnan(value) else float(value)
    text = str(value).strip().replace(",", "").replace("£", "")
    try:
        return float(text)
    except ValueError:
        return None


def locate(
    frame: pd.DataFrame,
    *,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
    file: str = "",
    result: ImportResult | None = None,
) -> gpd.GeoDataFrame:
    """Give every row a geometry and a ``precision``; drop the lat/lon columns.

    Rows are located by :func:`cwb.dataset.locate.locate_frame` (geometry,
    lat/lon, easting/northing, the ``postcode`` in ``postcodes``, the area whose
    ``code`` is ``area_code``); rows it cannot place are kept with geometry None
    and precision ``none``. Out-of-range coordinates (and 0, 0 placeholders) are
    reported as notes on ``result``.
    """
    located = locate_frame(frame, postcodes=postcodes, areas=areas, table="import", file=file)
    bad = located.flagged.get("out_of_range", 0)
    if result is not None and bad:
        result.notes.append(
            f"{bad} row(s) of {file or result.source_file} had lat/lon out of range "
            "(or 0,0 placeholders); they were located by postcode or area where possible"
        )
    return located.apply(frame)


def located_table(
    table: str,
    records: list[dict[str, Any]] | pd.DataFrame,
    *,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
    provenance: Provenance | None = None,
    result: ImportResult | None = None,
) -> gpd.GeoDataFrame:
    """Records → a located GeoDataFrame in the table's schema, with provenance filled."""
    frame = schema_frame(table, records)
    if provenance is not None and table != "links":
        apply_provenance(frame, provenance)
    if not isinstance(records, pd.DataFrame):
        geometry = [r.get("geometry") for r in records] if records else []
        if any(g is not None for g in geometry):
            frame["geometry"] = geometry
    return locate(frame, postcodes=postcodes, areas=areas, result=result)


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning a syntax error into a :class:`cwb.errors.DatasetError`."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            [
                Problem(
                    file=str(path),
                    reason=f"is not valid JSON: {exc.msg}",
                    row=exc.lineno,
                    value=None,
                    code="parse",
                )
            ],
            summary=f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
        ) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(
            [Problem(file=str(path), reason=f"is not UTF-8 text: {exc}", code="parse")]
        ) from None
