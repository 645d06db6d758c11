"""Merge imported rows into a dataset: stable ids, provenance, duplicates across sources.

A row whose ``id`` is already in the dataset is the same record imported again.
A row with another id may still be a *likely duplicate* of an existing one, or of
another row of the same import (see :mod:`cwb.importers.duplicates` for the rules: same
registered number; similar name nearby; same name and postcode).

What happens to a same-id row or a likely duplicate is the user's rule
(``on_duplicate``):

``keep-existing`` (default)
    keep the dataset's row; the incoming one is reported as merged into it.
``replace``
    the incoming row replaces the existing one but keeps the existing id.
``fill``
    keep the existing row and fill its empty cells from the incoming one; sources are joined.
``keep-both``
    keep both rows of a likely duplicate (reported); a same-id row is updated as with ``replace``.

Duplicates within one import are merged first, by the same rule: the row kept is
the one whose id sorts first (``keep-existing``: its cells win; ``replace``: the
later row's cells win; ``fill``: its empty cells are filled and sources joined;
``keep-both``: both rows stay). The kept row lists the ids merged into it in a
``merged_ids`` column. Then the import is merged into the dataset.

Links that pointed to a merged incoming id are redirected to the kept id, so the
dataset's ids stay stable across re-imports.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb import importers as imp
from cwb.dataset.io import write_table
from cwb.dataset.manifest import FileEntry
from cwb.dataset.model import WGS84
from cwb.dataset.postcodes import PostcodeLookup
from cwb.dataset.validate import validate_dataset
from cwb.errors import DatasetError, UsageError
from cwb.importers.acv import import_acv
from cwb.importers.brownfield import import_brownfield
from cwb.importers.common import ImportResult, Provenance, note_undated
from cwb.importers.duplicates import (
    DUPLICATE_COLUMNS,
    DuplicateRule,
    find_batch_duplicates,
    find_duplicates,
    in_ids,
    name_similarities,
    name_similarity,
)
from cwb.importers.local import keep_local
from cwb.importers.ocds_filter import OcdsFilter
from cwb.importers.transaction import check_inside, commit, locked, staging, validate_staged
from cwb.importers.workforce import import_nhs_workforce
from cwb.text import normalise_name, normalise_names

if TYPE_CHECKING:
    from pyproj import CRS

    from cwb.dataset.model import Dataset
    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

ON_DUPLICATE: tuple[str, ...] = ("keep-existing", "replace", "fill", "keep-both")
IMPORT_KINDS: tuple[str, ...] = (
    "osm",
    "openreferral",
    "360giving",
    "ocds",
    "register",
    "brownfield",
    "acv",
    "nhs_workforce",
)
#: Registers keyed by their own reference: importing a newer one updates the same rows.
UPDATED_BY_REFERENCE: frozenset[str] = frozenset({"brownfield", "acv"})

__all__ = [
    "DUPLICATE_COLUMNS",
    "IMPORT_KINDS",
    "ON_DUPLICATE",
    "DuplicateRule",
    "find_batch_duplicates",
    "find_duplicates",
    "duplicates_listing",
    "import_into",
    "merge_batch",
    "merge_table",
    "name_similarities",
    "name_similarity",
    "normalise_name",
    "normalise_names",
    "run_importer",
]


def _blank(values: pd.Series) -> np.ndarray:
    """Which cells are empty (missing, or text that is only spaces)."""
    text = values.astype(object)
    is_text = text.map(lambda v: isinstance(v, str))
    return (values.isna() | (is_text & (text.astype(str).str.strip() == ""))).to_numpy()


def merge_table(
    existing: pd.DataFrame | None,
    incoming: pd.DataFrame,
    *,
    on_duplicate: str = "keep-existing",
    duplicates: pd.DataFrame | None = None,
    id_column: str = "id",
) -> tuple[pd.DataFrame, dict[str, int], dict[str, str]]:
    """Merge ``incoming`` rows into ``existing`` by id and by the likely ``duplicates`` found.

    Returns
    -------
    merged, counts, id_map
        The merged table (existing rows first, in their order; new rows after),
        counts (``added``, ``updated``, ``kept_existing``, ``filled``, ``replaced``,
        ``kept_both``), and incoming id → kept id for rows merged into another id.
    """
    if on_duplicate not in ON_DUPLICATE:
        raise UsageError(
            f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}; got {on_duplicate!r}"
        )
    counts = dict.fromkeys(
        ("added", "updated", "kept_existing", "filled", "replaced", "kept_both"), 0
    )
    incoming = incoming.reset_index(drop=True)
    if existing is None or not len(existing):
        counts["added"] = len(incoming)
        return incoming, counts, {}
    columns = list(dict.fromkeys([*existing.columns, *incoming.columns]))
    ex = existing.reset_index(drop=True).reindex(columns=columns)
    inc = incoming.reindex(columns=columns)
    ex_ids = ex[id_column].astype(str)
    in_ids = inc[id_column].astype(str)
    position = pd.Series(np.arange(len(ex)), index=ex_ids.to_numpy())
    position = position[~position.index.duplicated()]
    dup_of = (
        {}
        if duplicates is None or not len(duplicates)
        else dict(
            zip(
                duplicates["incoming_id"].astype(str),
                duplicates["existing_id"].astype(str),
                strict=True,
            )
        )
    )
    by_id = in_ids.map(position).to_numpy(dtype=float)  # (Series.isin is slow on pandas 3 text)
    same = ~np.isnan(by_id)
    target = np.where(same, by_id, in_ids.map(dup_of).map(position).to_numpy(dtype=float))
    matched = ~np.isnan(target)
    if on_duplicate == "keep-both":
        counts["kept_both"] = int((matched & ~same).sum())
        matched &= same
    new = ~matched
    counts["added"] = int(new.sum()) - counts["kept_both"]
    rows = target[matched].astype(int)
    id_map = (
        {}
        if on_duplicate == "keep-both"
        else dict(
            zip(
                in_ids[matched & ~same],
                ex_ids.to_numpy()[target[matched & ~same].astype(int)],
                strict=True,
            )
        )
    )
    if on_duplicate == "keep-existing":
        counts["kept_existing"] = int(matched.sum())
    elif on_duplicate == "fill":
        counts["filled"] = int(matched.sum())
        _fill_rows(ex, inc[matched], rows, id_column)
    else:
        counts["replaced"] = int((matched & ~same).sum())
        counts["updated"] = int((matched & same).sum())
        for col in columns:
            if col != id_column:
                _assign(ex, rows, col, inc.loc[matched, col].to_numpy())
    # (an empty frame is left out: pandas 2 warns that it will change the dtypes)
    merged = pd.concat([ex, inc[new]] if new.any() else [ex], ignore_index=True)
    if isinstance(existing, gpd.GeoDataFrame) or isinstance(incoming, gpd.GeoDataFrame):
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)
    return merged, counts, id_map


def _assign(frame: pd.DataFrame, rows: np.ndarray, col: str, values: np.ndarray) -> None:
    """``frame[col].iloc[rows] = values``, widening the column's dtype when it must."""
    if not len(rows):
        return
    try:
        frame.iloc[rows, frame.columns.get_loc(col)] = values
    except (TypeError, ValueError):
        frame[col] = frame[col].astype(object)
        frame.iloc[rows, frame.columns.get_loc(col)] = values


def _fill_rows(ex: pd.DataFrame, new: pd.DataFrame, rows: np.ndarray, id_column: str) -> None:
    """Fill empty cells of ``ex`` rows ``rows`` from ``new`` (aligned); join the sources."""
    old_source = ex["source"].iloc[rows].copy() if "source" in ex else None
    for col in ex.columns:
        if col in (id_column, "geometry", "precision"):
            continue
        current = ex[col].iloc[rows]
        empty = _blank(current)
        if empty.any():
            _assign(ex, rows[empty], col, new[col].to_numpy()[empty])
    if "geometry" in ex:
        geoms = ex["geometry"].iloc[rows].to_numpy()
        given = new["geometry"].to_numpy()
        take = shapely.is_missing(geoms) & ~shapely.is_missing(given)
        _assign(ex, rows[take], "geometry", given[take])
        if "precision" in ex:
            _assign(ex, rows[take], "precision", new["precision"].to_numpy()[take])
    if old_source is not None:
        old = old_source.astype(object).fillna("").astype(str).to_numpy()
        add = new["source"].astype(object).fillna("").astype(str).to_numpy()
        joined = [
            o if (not a or a in o) else (f"{o}; {a}" if o else a)
            for o, a in zip(old, add, strict=True)
        ]
        _assign(ex, rows, "source", np.array(joined, dtype=object))


def merge_batch(
    incoming: pd.DataFrame,
    duplicates: pd.DataFrame | None,
    *,
    on_duplicate: str = "keep-existing",
    id_column: str = "id",
) -> tuple[pd.DataFrame, dict[str, int], dict[str, str]]:
    """Merge the likely duplicates found inside one table (:func:`find_batch_duplicates`).

    The rows merged away are merged into their kept row by :func:`merge_table`'s
    ``on_duplicate`` rule; the kept row lists their ids in ``merged_ids``.

    Returns
    -------
    merged, counts, id_map
        The table (rows in their incoming order), the non-zero counts (``kept_existing``,
        ``filled``, ``replaced`` or ``kept_both``) and merged id → kept id.
    """
    if duplicates is None or not len(duplicates):
        return incoming, {}, {}
    ids = incoming[id_column].astype(str)
    gone = in_ids(ids, set(duplicates["incoming_id"].astype(str)))
    merged, counts, id_map = merge_table(
        incoming.loc[~gone],
        incoming.loc[gone],
        on_duplicate=on_duplicate,
        duplicates=duplicates,
        id_column=id_column,
    )
    counts = {k: v for k, v in counts.items() if v and k != "added"}
    if id_map:
        into = pd.Series(list(id_map), index=list(id_map.values()), dtype=object)
        lists = into.groupby(level=0).agg(lambda s: ";".join(sorted(s)))
        merged["merged_ids"] = merged[id_column].astype(str).map(lists).astype(object)
        merged["merged_ids"] = merged["merged_ids"].where(merged["merged_ids"].notna(), None)
    position = pd.Series(np.arange(len(incoming)), index=ids.to_numpy())
    position = position[~position.index.duplicated()]
    order = np.argsort(merged[id_column].astype(str).map(position).to_numpy(), kind="stable")
    return merged.iloc[order].reset_index(drop=True), counts, id_map


def duplicates_listing(result: ImportResult) -> pd.DataFrame:
    """Every likely duplicate of an import in one table, with ``scope``.

    ``scope`` is ``dataset`` for a duplicate of an existing row and ``import`` for one
    found within the import itself.
    """
    parts = [
        found.assign(scope=scope)
        for found, scope in ((result.duplicates, "dataset"), (result.batch_duplicates, "import"))
        if found is not None and len(found)
    ]
    if not parts:
        return pd.DataFrame(columns=[*DUPLICATE_COLUMNS, "scope"])
    return pd.concat(parts, ignore_index=True)


def _merge_within_import(
    result: ImportResult,
    incoming: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame | None,
    *,
    on_duplicate: str,
    rule: DuplicateRule | None,
    metric_crs: CRS | str,
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Find and merge likely duplicates among the incoming rows still new to the dataset."""
    known = (
        set(result.duplicates["incoming_id"].astype(str))
        if result.duplicates is not None
        else set()
    )
    if existing is not None and len(existing):
        known |= set(existing["id"].astype(str))
    new = ~in_ids(incoming["id"], known)
    batch = find_batch_duplicates(incoming.loc[new], metric_crs=metric_crs, rule=rule)
    result.batch_duplicates = batch
    if not len(batch):
        return incoming, {}
    merged, counts, id_map = merge_batch(incoming, batch, on_duplicate=on_duplicate)
    result.merged.update({f"assets within the import {k}": v for k, v in counts.items() if v})
    log.info(
        "%s: %d likely duplicate(s) within the import (rule %s): %s",
        Path(result.source_file).name,
        len(batch),
        on_duplicate,
        ", ".join(f"{a} ~ {b}" for a, b in batch[["incoming_id", "existing_id"]].head(5).values)
        + (" …" if len(batch) > 5 else ""),
    )
    return merged, id_map


# --------------------------------------------------------------------------- into a dataset


class _ImporterArgs(TypedDict):
    """The arguments every importer takes."""

    provenance: Provenance | None
    postcodes: PostcodeLookup | None
    areas: gpd.GeoDataFrame | None


def run_importer(
    kind: str,
    path: str | Path,
    *,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
    provenance: Provenance | None = None,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    project: str | None = None,
    ocds_extensions: str | Path | None = None,
    register_options: dict[str, Any] | None = None,
    ocds_filter: OcdsFilter | None = None,
    workforce_options: dict[str, Any] | None = None,
) -> ImportResult:
    """Run the importer for ``kind`` (one of :data:`IMPORT_KINDS`) on ``path``."""
    common: _ImporterArgs = {"provenance": provenance, "postcodes": postcodes, "areas": areas}
    if kind == "osm":
        return imp.import_osm(path, **common)
    if kind == "openreferral":
        return imp.import_openreferral(path, **common)
    if kind == "360giving":
        return imp.import_360giving(path, recipient_category_override=category, **common)
    if kind == "ocds":
        return imp.import_ocds(
            path,
            project=project or "",
            extension_schemas=ocds_extensions,
            where=ocds_filter,
            **common,
        )
    if kind == "register":
        return imp.import_register(
            path,
            mapping=mapping,
            preset=preset,
            category=category,
            **(register_options or {}),
            **common,
        )
    if kind == "brownfield":
        return import_brownfield(path, **common)
    if kind == "acv":
        return import_acv(path, category=category, **common)
    if kind == "nhs_workforce":
        return import_nhs_workforce(
            path, project=project or "", **(workforce_options or {}), **common
        )
    raise UsageError(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")


def _blocking(problems: list, writing: set[str]) -> list:
    """Errors that make a dataset unsafe to import into (a missing table we write is fine)."""
    out = []
    for p in problems:
        if p.severity != "error":
            continue
        stem = Path(p.file).stem
        if p.code in ("missing_file", "empty_file") and stem in writing:
            continue
        out.append(p)
    return out


def _far(frame: gpd.GeoDataFrame, ds: Dataset) -> np.ndarray:
    """Rows located farther outside the dataset's areas than the manifest allows."""
    areas = ds.areas
    if frame is None or not len(frame) or areas is None or not len(areas):
        return np.zeros(len(frame) if frame is not None else 0, dtype=bool)
    metric = ds.metric_crs
    x0, y0, x1, y1 = areas.to_crs(metric).total_bounds
    d = ds.manifest.max_outside_m
    geoms = frame.geometry.to_crs(metric)
    ok = (geoms.notna() & ~geoms.is_empty).to_numpy()
    far = np.zeros(len(frame), dtype=bool)
    if ok.any():
        pts = geoms[ok].representative_point()
        far[ok] = (
            (pts.x < x0 - d) | (pts.x > x1 + d) | (pts.y < y0 - d) | (pts.y > y1 + d)
        ).to_numpy()
    return far


@locked("dataset")
def import_into(
    kind: str,
    path: str | Path,
    dataset: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    project: str | None = None,
    ocds_extensions: str | Path | None = None,
    ocds_filter: OcdsFilter | None = None,
    provenance: Provenance | None = None,
    on_duplicate: str | None = None,
    rule: DuplicateRule | None = None,
    drop_unlocated: bool = False,
    within_m: float | None = None,
    area_codes: list[str] | None = None,
    register_options: dict[str, Any] | None = None,
    workforce_options: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import a source file into a dataset folder and write the changed tables (atomically).

    Parameters
    ----------
    kind
        One of :data:`IMPORT_KINDS` (``osm``, ``openreferral``, ``360giving``, ``ocds``,
        ``register``, ``brownfield``, ``acv``, ``nhs_workforce``).
    path
        The source file or folder.
    dataset
        The dataset folder (with ``dataset.toml``); its postcode lookup and areas locate the rows.
    mapping, preset, category
        Register options (see :func:`cwb.importers.import_register`); ``category`` also
        forces the category of 360Giving recipients.
    register_options
        Further keyword arguments of :func:`cwb.importers.import_register`
        (``category_from``, ``category_map``, ``keep``).
    workforce_options
        ``nhs_workforce``: ``organisation`` (ODS code) and ``turnover`` (a yearly
        fraction) of :func:`cwb.importers.workforce.import_nhs_workforce`.
    project
        Project id for OCDS contracts and workforce jobs (default: the dataset's first project).
    ocds_extensions
        OCDS: a folder or file of the listed extensions' release-schema patches, whose
        merge rules compile the releases (see :mod:`cwb.importers.ocds_schema`).
    ocds_filter
        OCDS: which notices to keep (see :class:`cwb.importers.ocds_filter.OcdsFilter`).
    provenance
        Source, collector, date and licence for rows that do not carry their own.
    on_duplicate
        ``keep-existing``, ``replace``, ``fill`` or ``keep-both`` (see the module notes);
        default ``replace`` for registers keyed by reference (brownfield, acv: a newer
        register updates its rows), else ``keep-existing``.
    rule
        Distance and name similarity that make two assets likely duplicates.
    drop_unlocated
        Skip (and report) assets that could not be located instead of keeping them;
        a funder with kept grants is never dropped.
    within_m, area_codes
        Keep only rows within this many metres of the dataset's projects, or in these
        areas (codes of the dataset's areas), by :func:`cwb.importers.local.keep_local`.
        A 360Giving import with neither keeps the recipients in the dataset's areas.
    dry_run
        Do everything but write.

    Returns
    -------
    ImportResult
        With ``merged`` counts, ``duplicates`` (likely duplicates of the dataset's rows),
        ``batch_duplicates`` (likely duplicates within the import, merged first by the
        same ``on_duplicate`` rule) and ``written`` files.

    Raises
    ------
    DatasetError
        When the dataset already has errors (fix them first) or the source is malformed.
    """
    if on_duplicate is None:
        on_duplicate = "replace" if kind in UPDATED_BY_REFERENCE else "keep-existing"
    if on_duplicate not in ON_DUPLICATE:
        raise UsageError(
            f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}; got {on_duplicate!r}"
        )
    if kind not in IMPORT_KINDS:
        raise UsageError(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")
    folder = Path(dataset)
    report = validate_dataset(folder)
    ds = report.dataset
    if ds is None:  # the dataset could not be read at all
        raise DatasetError(report.problems, summary=f"{folder} cannot be read; fix it first")
    lookup = (
        PostcodeLookup.from_frame(ds.postcodes)
        if ds.postcodes is not None and len(ds.postcodes)
        else None
    )
    project = project or (ds.manifest.projects[0].id if ds.manifest.projects else None)
    result = run_importer(
        kind,
        path,
        postcodes=lookup,
        areas=ds.areas if len(ds.areas) else None,
        provenance=provenance,
        mapping=mapping,
        preset=preset,
        category=category,
        project=project,
        ocds_extensions=ocds_extensions,
        register_options=register_options,
        ocds_filter=ocds_filter,
        workforce_options=workforce_options,
    )
    blocking = _blocking(ds.problems, set(result.tables))
    if blocking:
        raise DatasetError(
            blocking,
            summary=f"{folder} has {len(blocking)} error(s); fix them "
            f"(`cwb validate {folder}`) before importing into it",
        )
    if kind == "360giving" and within_m is None and area_codes is None and len(ds.areas):
        area_codes = list(ds.areas["code"].astype(str))  # a national file: local recipients
    if area_codes is not None:
        unknown = sorted(set(area_codes) - set(ds.areas["code"].astype(str)))
        if unknown and len(unknown) == len(set(area_codes)):
            raise UsageError(f"--areas: none of {', '.join(unknown[:5])} is an area of {folder}")
    keep_local(
        result,
        centres=[(p.lat, p.lon) for p in ds.manifest.projects],
        within_m=within_m,
        areas=ds.areas if len(ds.areas) else None,
        area_codes=area_codes,
        metric_crs=ds.metric_crs,
    )
    _drop_far_and_unlocated(result, ds, drop_unlocated)
    note_undated(result)
    merged_tables: dict[str, pd.DataFrame] = {}
    id_maps: dict[str, str] = {}
    for table in ("assets", "opportunities", "spend"):
        incoming = result.tables.get(table)
        if incoming is None or not len(incoming):
            continue
        existing = getattr(ds, table)
        dups = None
        if table == "assets":
            dups = find_duplicates(existing, incoming, metric_crs=ds.metric_crs, rule=rule)
            if kind in UPDATED_BY_REFERENCE and len(dups):
                # two references of one register are two sites: only other sources merge
                prefix = f"{kind.replace('brownfield', 'bfl')}:"
                dups = dups[~dups["existing_id"].astype(str).str.startswith(prefix)]
            result.duplicates = dups
        if table == "assets" and kind not in UPDATED_BY_REFERENCE:
            # a register's distinct references are distinct sites, however alike their names
            incoming, batch_map = _merge_within_import(
                result,
                incoming,
                existing,
                on_duplicate=on_duplicate,
                rule=rule,
                metric_crs=ds.metric_crs,
            )
            id_maps.update(batch_map)
        merged, counts, id_map = merge_table(
            existing, incoming, on_duplicate=on_duplicate, duplicates=dups
        )
        id_maps.update(id_map)
        merged_tables[table] = merged
        result.merged.update({f"{table} {k}": v for k, v in counts.items() if v})
    # a row merged within the import into a row then merged into the dataset's
    id_maps = {k: id_maps.get(v, v) for k, v in id_maps.items()}
    links = result.tables.get("links")
    if links is not None and len(links):
        merged_tables["links"] = _merge_links(ds, links, id_maps, merged_tables, result)
    if not dry_run:
        result.written = _write_tables(folder, ds, merged_tables)
    return result


def _drop_far_and_unlocated(result: ImportResult, ds: Dataset, drop_unlocated: bool) -> None:
    km = ds.manifest.max_outside_m / 1000
    links = result.tables.get("links")
    funders = set(links["source"].astype(str)) if links is not None and len(links) else set()
    for table in ("assets", "opportunities"):
        frame = result.tables.get(table)
        if frame is None or not len(frame):
            continue
        drop = _far(frame, ds)
        # a funder of kept grants is kept as a national organisation: far away, unlocated
        national = drop & in_ids(frame["id"], funders)
        if national.any():
            frame = frame.copy()
            frame.loc[national, "geometry"] = None
            frame.loc[national, "precision"] = "none"
            result.notes.append(
                f"{int(national.sum())} funder(s) located more than {km:g} km outside the "
                "areas kept without a location (national organisations) with their grants"
            )
            drop &= ~national
        for rid in frame.loc[drop, "id"]:
            result.skip(f"located more than {km:g} km outside the dataset's areas", value=rid)
        if drop_unlocated and table == "assets":
            none = (frame["precision"] == "none").to_numpy() & ~drop
            none &= ~in_ids(frame["id"], funders)  # never a funder while it has grants
            for rid in frame.loc[none, "id"]:
                result.skip("not located (no coordinates, known postcode or area code)", value=rid)
            drop |= none
        result.tables[table] = frame.loc[~drop].reset_index(drop=True)
    spend = result.tables.get("spend")
    if spend is not None and len(spend):
        far = _far(spend, ds)
        if far.any():
            spend = spend.copy()
            spend["supplier_postcode"] = spend["postcode"].where(far, None)
            spend.loc[far, "postcode"] = None
            spend.loc[far, "precision"] = "none"
            spend.loc[far, "geometry"] = None
            result.tables["spend"] = spend
            result.notes.append(
                f"{int(far.sum())} spend row(s) have suppliers more than {km:g} km outside the "
                "areas: kept (the spend is real) without a location; postcode kept in "
                "supplier_postcode"
            )


def _merge_links(
    ds: Dataset,
    links: pd.DataFrame,
    id_maps: dict[str, str],
    merged_tables: dict[str, pd.DataFrame],
    result: ImportResult,
) -> pd.DataFrame:
    links = links.copy()
    links["source"] = links["source"].map(lambda v: id_maps.get(v, v))
    links["target"] = links["target"].map(lambda v: id_maps.get(v, v))
    known: set[str] = set()
    for table in ("assets", "opportunities"):
        frame = merged_tables.get(table, getattr(ds, table))
        if frame is not None and len(frame):
            known |= set(frame["id"].astype(str))
    ok = links["source"].isin(known) & links["target"].isin(known)
    for _, row in links.loc[~ok].iterrows():
        missing = row["source"] if row["source"] not in known else row["target"]
        result.skip(
            "link to an organisation that was not imported",
            value=f"{row.get('grant_id') or ''} "
            f"{row['source']} → {row['target']} ({missing} missing)".strip(),
        )
    links = links.loc[ok]
    existing = ds.links
    if existing is not None and len(existing):
        # a grant is known by its id: two grants alike in every other way are two grants
        key = ["source", "target", "relation", "description", "since", "grant_id"]
        seen = set(map(tuple, existing.reindex(columns=key).astype(str).to_numpy()))
        new = ~pd.Series(
            [tuple(r) in seen for r in links.reindex(columns=key).astype(str).to_numpy()],
            index=links.index,
        )
        result.merged["links already present"] = int((~new).sum())
        links = pd.concat([existing, links.loc[new]], ignore_index=True)
    result.merged["links added"] = int(ok.sum()) - result.merged.get("links already present", 0)
    return links.reset_index(drop=True)


def _write_tables(folder: Path, ds: Dataset, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Stage every table, validate the dataset with them, then move them all into place.

    Runs under the dataset's lock (see :mod:`cwb.importers.transaction`): nothing is
    written when a table path leads outside the folder or the result would not validate.
    """
    files = {name: ds.manifest.files.get(name) or FileEntry(f"{name}.csv") for name in tables}
    check_inside(folder, files)
    with staging(folder) as scratch:
        staged: dict[str, Path] = {}
        moves: list[tuple[Path, Path]] = []
        for name, frame in tables.items():
            entry = files[name]
            target = folder / entry.path
            if "precision" in frame and isinstance(frame, gpd.GeoDataFrame):
                # "none" is recomputed when read (an opportunity then sits at its project)
                frame = frame.copy()
                frame["precision"] = frame["precision"].where(frame["precision"] != "none", None)
            if entry.columns:
                frame = frame.rename(
                    columns={k: v for k, v in entry.columns.items() if k in frame.columns}
                )
            tmp = scratch / name / target.name
            tmp.parent.mkdir()
            write_table(frame, tmp, layer=entry.layer)
            staged[name] = tmp.resolve()
            # a shapefile is several files
            parts = tmp.parent.glob(f"{tmp.stem}.*") if target.suffix == ".shp" else [tmp]
            moves += [(part, target.with_suffix(part.suffix)) for part in parts]
        validate_staged(folder, staged, files)
        commit(scratch, moves)
    return [folder / files[name].path for name in tables]
