"""Merge imported rows into a dataset: stable ids, provenance, duplicates across sources.

A row whose ``id`` is already in the dataset is the same record imported again.
A row with another id may still be a *likely duplicate* of an existing one:

- the same registered number (Companies House, charity, ODS code), or
- a similar name (:func:`name_similarity` of normalised names, with ``rapidfuzz``, default ≥ 90)
  within a short distance (default 250 m, measured in the dataset's metric CRS
  with a spatial index), or the same normalised name and postcode when unlocated.

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

Links that pointed to a merged incoming id are redirected to the kept id, so the
dataset's ids stay stable across re-imports.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.errors import DatasetError, UsageError
from cwb.importers.common import WGS84, ImportResult, Provenance

log = logging.getLogger(__name__)

ON_DUPLICATE: tuple[str, ...] = ("keep-existing", "replace", "fill", "keep-both")
IMPORT_KINDS: tuple[str, ...] = ("osm", "openreferral", "360giving", "ocds", "register")

#: Words that say nothing about which organisation a name means.
_NOISE = re.compile(
    r"\b(the|ltd|limited|plc|llp|cic|inc|co|company|uk|cio|trust|charitable|incorporated)\b"
)


def normalise_name(value: object) -> str:
    """Lower case, ``&`` → ``and``, no punctuation or legal-form words, single spaces."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).lower().replace("&", " and ").replace("'", "").replace(".", "")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = _NOISE.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def name_similarity(a: str, b: str) -> float:
    """Similarity (0–100) of two normalised names.

    Word order does not matter, and a name that adds words to the other
    ("smethwick library" / "smethwick public library") counts as the same when
    they share at least two words; one shared word is not enough ("coseley" /
    "coseley medical centre").
    """
    from rapidfuzz import fuzz

    score = fuzz.token_sort_ratio(a, b)
    if len(set(a.split()) & set(b.split())) >= 2:
        score = max(score, fuzz.token_set_ratio(a, b))
    return float(score)


def _norm_number(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", "", str(value)).upper()


@dataclass(frozen=True)
class DuplicateRule:
    """How likely duplicates are found."""

    max_distance_m: float = 250.0
    min_similarity: float = 90.0


def find_duplicates(
    existing: gpd.GeoDataFrame,
    incoming: gpd.GeoDataFrame,
    *,
    metric_crs: Any = "EPSG:27700",
    rule: DuplicateRule | None = None,
) -> pd.DataFrame:
    """Likely duplicates between two asset tables (rows with equal ids are not listed).

    Returns
    -------
    DataFrame
        One row per incoming row that has a likely duplicate: ``incoming_id``,
        ``existing_id``, ``incoming_name``, ``existing_name``, ``reason``,
        ``similarity`` (0–100) and ``distance_m`` (NaN when not measured).
    """
    rule = rule or DuplicateRule()
    columns = [
        "incoming_id",
        "existing_id",
        "incoming_name",
        "existing_name",
        "reason",
        "similarity",
        "distance_m",
    ]
    if existing is None or not len(existing) or not len(incoming):
        return pd.DataFrame(columns=columns)
    ex_ids = existing["id"].astype(str).to_numpy()
    in_ids = incoming["id"].astype(str).to_numpy()
    ex_names = existing["name"].map(normalise_name).to_numpy()
    in_names = incoming["name"].map(normalise_name).to_numpy()
    found: dict[int, dict[str, Any]] = {}
    existing_id_set = set(ex_ids)

    def offer(i: int, j: int, reason: str, score: float, dist: float) -> None:
        if in_ids[i] == ex_ids[j] or in_ids[i] in existing_id_set:
            return
        best = found.get(i)
        rank = (reason == "same registered number", score, -dist if not np.isnan(dist) else 0)
        if best is None or rank > best["_rank"]:
            found[i] = {
                "incoming_id": in_ids[i],
                "existing_id": ex_ids[j],
                "incoming_name": incoming["name"].iloc[i],
                "existing_name": existing["name"].iloc[j],
                "reason": reason,
                "similarity": round(score, 1),
                "distance_m": dist,
                "_rank": rank,
            }

    if "registered_number" in existing and "registered_number" in incoming:
        by_number: dict[str, int] = {}
        for j, v in enumerate(existing["registered_number"].map(_norm_number)):
            if v:
                by_number.setdefault(v, j)
        for i, v in enumerate(incoming["registered_number"].map(_norm_number)):
            if v and v in by_number:
                offer(i, by_number[v], "same registered number", 100.0, np.nan)
    ex_geom = existing.geometry.to_crs(metric_crs)
    in_geom = incoming.geometry.to_crs(metric_crs)
    ex_ok = (ex_geom.notna() & ~ex_geom.is_empty).to_numpy()
    in_ok = (in_geom.notna() & ~in_geom.is_empty).to_numpy()
    if ex_ok.any() and in_ok.any():
        ex_pos = np.flatnonzero(ex_ok)
        in_pos = np.flatnonzero(in_ok)
        tree = gpd.GeoSeries(ex_geom.to_numpy()[ex_pos]).sindex
        pairs = tree.query(
            in_geom.to_numpy()[in_pos], predicate="dwithin", distance=rule.max_distance_m
        )
        for a, b in zip(pairs[0], pairs[1], strict=True):
            i, j = int(in_pos[a]), int(ex_pos[b])
            if not in_names[i] or not ex_names[j]:
                continue
            score = name_similarity(in_names[i], ex_names[j])
            if score >= rule.min_similarity:
                dist = float(in_geom.iloc[i].distance(ex_geom.iloc[j]))
                offer(
                    i,
                    j,
                    f"similar name within {rule.max_distance_m:g} m",
                    float(score),
                    round(dist, 1),
                )
    if "postcode" in existing and "postcode" in incoming:
        key = {}
        for j in np.flatnonzero(~ex_ok):
            pc = existing["postcode"].iloc[j]
            if isinstance(pc, str) and ex_names[j]:
                key.setdefault((ex_names[j], pc.replace(" ", "").upper()), j)
        for i in np.flatnonzero(~in_ok):
            pc = incoming["postcode"].iloc[i]
            if isinstance(pc, str) and (in_names[i], pc.replace(" ", "").upper()) in key:
                offer(
                    i,
                    key[(in_names[i], pc.replace(" ", "").upper())],
                    "same name and postcode",
                    100.0,
                    np.nan,
                )
    rows = [{k: v for k, v in row.items() if k != "_rank"} for _, row in sorted(found.items())]
    return pd.DataFrame(rows, columns=columns)


def _fill(old: pd.Series, new: pd.Series) -> pd.Series:
    out = old.copy()
    for col, value in new.items():
        if col in ("id", "geometry"):
            continue
        if col not in out.index or _empty(out[col]):
            out[col] = value
    if old.get("geometry") is None and new.get("geometry") is not None:
        out["geometry"] = new["geometry"]
        out["precision"] = new.get("precision")
    if not _empty(new.get("source")) and str(new.get("source")) not in str(old.get("source") or ""):
        out["source"] = "; ".join(
            str(s) for s in (old.get("source"), new.get("source")) if not _empty(s)
        )
    return out


def _empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and not value.strip()


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
    counts = {
        "added": 0,
        "updated": 0,
        "kept_existing": 0,
        "filled": 0,
        "replaced": 0,
        "kept_both": 0,
    }
    id_map: dict[str, str] = {}
    if existing is None or not len(existing):
        counts["added"] = len(incoming)
        return incoming.reset_index(drop=True), counts, id_map
    rows = {
        str(k): row
        for k, row in existing.set_index(existing[id_column].astype(str), drop=False).iterrows()
    }
    order = list(rows)
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
    for _, new in incoming.iterrows():
        nid = str(new[id_column])
        target = nid if nid in rows else dup_of.get(nid)
        if target is None or target not in rows:
            rows[nid] = new
            order.append(nid)
            counts["added"] += 1
            continue
        same_id = target == nid
        if on_duplicate == "keep-both" and not same_id:
            rows[nid] = new
            order.append(nid)
            counts["kept_both"] += 1
            continue
        if not same_id:
            id_map[nid] = target
        if on_duplicate == "keep-existing":
            counts["kept_existing"] += 1
        elif on_duplicate == "fill":
            rows[target] = _fill(rows[target], new)
            counts["filled"] += 1
        else:  # replace, or keep-both for the same id
            replaced = new.copy()
            replaced[id_column] = target
            rows[target] = replaced
            counts["replaced" if not same_id else "updated"] += 1
    merged = pd.DataFrame([rows[k] for k in order])
    merged = merged.reindex(columns=list(dict.fromkeys([*existing.columns, *incoming.columns])))
    if isinstance(existing, gpd.GeoDataFrame) or isinstance(incoming, gpd.GeoDataFrame):
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)
    return merged.reset_index(drop=True), counts, id_map


# --------------------------------------------------------------------------- into a dataset


def run_importer(
    kind: str,
    path: str | Path,
    *,
    postcodes: Any = None,
    areas: Any = None,
    provenance: Provenance | None = None,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    project: str | None = None,
) -> ImportResult:
    """Run the importer for ``kind`` (one of :data:`IMPORT_KINDS`) on ``path``."""
    from cwb import importers as imp

    common = {"provenance": provenance, "postcodes": postcodes, "areas": areas}
    if kind == "osm":
        return imp.import_osm(path, **common)
    if kind == "openreferral":
        return imp.import_openreferral(path, **common)
    if kind == "360giving":
        return imp.import_360giving(path, recipient_category_override=category, **common)
    if kind == "ocds":
        return imp.import_ocds(path, project=project or "", **common)
    if kind == "register":
        return imp.import_register(
            path, mapping=mapping, preset=preset, category=category, **common
        )
    raise UsageError(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")


def _blocking(problems: list, writing: set[str]) -> list:
    """Errors that make a dataset unsafe to import into (a missing table we are about to write is fine)."""
    out = []
    for p in problems:
        if p.severity != "error":
            continue
        stem = Path(p.file).stem
        if p.code in ("missing_file", "empty_file") and stem in writing:
            continue
        out.append(p)
    return out


def _far(frame: gpd.GeoDataFrame, ds: Any) -> np.ndarray:
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


def import_into(
    kind: str,
    path: str | Path,
    dataset: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    category: str | None = None,
    project: str | None = None,
    provenance: Provenance | None = None,
    on_duplicate: str = "keep-existing",
    rule: DuplicateRule | None = None,
    drop_unlocated: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import a source file into a dataset folder and write the changed tables (atomically).

    Parameters
    ----------
    kind
        ``osm``, ``openreferral``, ``360giving``, ``ocds`` or ``register``.
    path
        The source file or folder.
    dataset
        The dataset folder (with ``dataset.toml``); its postcode lookup and areas locate the rows.
    mapping, preset, category
        Register options (see :func:`cwb.importers.import_register`); ``category`` also
        forces the category of 360Giving recipients.
    project
        Project id for OCDS contracts (default: the dataset's first project).
    provenance
        Source, collector, date and licence for rows that do not carry their own.
    on_duplicate
        ``keep-existing``, ``replace``, ``fill`` or ``keep-both`` (see the module notes).
    rule
        Distance and name similarity that make two assets likely duplicates.
    drop_unlocated
        Skip (and report) assets that could not be located instead of keeping them.
    dry_run
        Do everything but write.

    Returns
    -------
    ImportResult
        With ``merged`` counts, ``duplicates`` (the likely duplicates found) and ``written`` files.

    Raises
    ------
    DatasetError
        When the dataset already has errors (fix them first) or the source is malformed.
    """
    from cwb.geocode import PostcodeLookup
    from cwb.validate import validate_dataset

    if on_duplicate not in ON_DUPLICATE:
        raise UsageError(
            f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}; got {on_duplicate!r}"
        )
    if kind not in IMPORT_KINDS:
        raise UsageError(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")
    folder = Path(dataset)
    report = validate_dataset(folder)
    ds = report.dataset
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
    )
    blocking = _blocking(ds.problems, set(result.tables))
    if blocking:
        raise DatasetError(
            blocking,
            summary=f"{folder} has {len(blocking)} error(s); fix them "
            f"(`cwb validate {folder}`) before importing into it",
        )
    _drop_far_and_unlocated(result, ds, drop_unlocated)
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
            result.duplicates = dups
        merged, counts, id_map = merge_table(
            existing, incoming, on_duplicate=on_duplicate, duplicates=dups
        )
        id_maps.update(id_map)
        merged_tables[table] = merged
        result.merged.update({f"{table} {k}": v for k, v in counts.items() if v})
    links = result.tables.get("links")
    if links is not None and len(links):
        merged_tables["links"] = _merge_links(ds, links, id_maps, merged_tables, result)
    if not dry_run:
        result.written = _write_tables(folder, ds, merged_tables)
    return result


def _drop_far_and_unlocated(result: ImportResult, ds: Any, drop_unlocated: bool) -> None:
    km = ds.manifest.max_outside_m / 1000
    for table in ("assets", "opportunities"):
        frame = result.tables.get(table)
        if frame is None or not len(frame):
            continue
        drop = _far(frame, ds)
        for rid in frame.loc[drop, "id"]:
            result.skip(f"located more than {km:g} km outside the dataset's areas", value=rid)
        if drop_unlocated and table == "assets":
            none = (frame["precision"] == "none").to_numpy() & ~drop
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
    ds: Any,
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
        key = ["source", "target", "relation", "description", "since"]
        seen = set(map(tuple, existing.reindex(columns=key).astype(str).to_numpy()))
        new = ~pd.Series(
            [tuple(r) in seen for r in links.reindex(columns=key).astype(str).to_numpy()],
            index=links.index,
        )
        result.merged["links already present"] = int((~new).sum())
        links = pd.concat([existing, links.loc[new]], ignore_index=True)
    result.merged["links added"] = int(ok.sum()) - result.merged.get("links already present", 0)
    return links.reset_index(drop=True)


def _write_tables(folder: Path, ds: Any, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write every table to a scratch folder first, then move them all into place."""
    from cwb.io import write_table

    scratch = folder / ".cwb-import"
    scratch.mkdir(exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, frame in tables.items():
            entry = ds.manifest.files.get(name)
            target = folder / (entry.path if entry else f"{name}.csv")
            if "precision" in frame and isinstance(frame, gpd.GeoDataFrame):
                # "none" is recomputed when read (an opportunity then sits at its project)
                frame = frame.copy()
                frame["precision"] = frame["precision"].where(frame["precision"] != "none", None)
            if entry and entry.columns:
                frame = frame.rename(
                    columns={k: v for k, v in entry.columns.items() if k in frame.columns}
                )
            tmp = scratch / target.name
            write_table(frame, tmp, layer=entry.layer if entry else None)
            staged.append((tmp, target))
        for tmp, target in staged:
            if target.suffix == ".shp":  # a shapefile is several files
                for part in scratch.glob(f"{tmp.stem}.*"):
                    os.replace(part, target.with_suffix(part.suffix))
            else:
                os.replace(tmp, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [target for _, target in staged]
