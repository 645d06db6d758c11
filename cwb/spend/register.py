"""Supplier register: locate spend rows that give only a supplier's name or number.

Most council spend files name the supplier and nothing else, so its rows
stay unlocated. A *supplier register* is a table of suppliers with where they
are: the file named by ``[spend] supplier_register`` (CSV, XLSX or Parquet in
the dataset folder, columns below) and, unless ``register_assets = false``,
the dataset's own financial assets (name, ``registered_number``, location).

Register columns (header spellings as in :func:`cwb.dataset.raw.normalise_header`;
only a name or a company number is required):

``supplier_name`` (or ``name``), ``company_number`` (or ``registered_number``,
``supplier_id``), ``postcode`` and/or ``lat``/``lon``, ``sme``, ``org_type``,
``size_band``.

Every unlocated spend row is matched, in order (:func:`locate_by_register`):

1. ``company_number``: the row's ``supplier_id`` (or ``company_number``)
   equals a register company number (upper case, spaces removed, all-digit
   numbers padded to 8 digits as Companies House writes them);
2. ``name``: the supplier's normalised name (:func:`name_key`: lower case,
   punctuation and legal-form words such as *Ltd*, *Limited*, *PLC* removed)
   equals a register name;
3. ``fuzzy_name``: the best register name by rapidfuzz ``token_sort_ratio``
   scores at least ``register_fuzzy_threshold`` (default 92 of 100).

A key that leads to register entries in two places, or a fuzzy best score
shared by two entries in different places, is *ambiguous*: the row stays
unlocated and is reported. Matched rows take the register's location (and
postcode when they have none) and fill a missing ``sme``, ``org_type`` and
``size_band``. The column ``located_by`` says how each row was located:
``postcode``, ``coordinates`` (given lat/lon), ``company_number``, ``name``,
``fuzzy_name`` or empty; ``register_match`` names the register entry matched,
or the candidates of an ambiguous row.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from cwb import settings
from cwb.dataset.locate import locate_frame
from cwb.dataset.manifest import FileEntry
from cwb.dataset.raw import read_raw_table
from cwb.errors import DatasetError, ProblemLog, UsageError
from cwb.text import normalise_names

if TYPE_CHECKING:
    from cwb.dataset.postcodes import PostcodeSource
    from cwb.spend.load import SpendSettings


__all__ = [
    "LOCATED_BY",
    "located_by_table",
    "locate_by_register",
    "name_key",
    "read_supplier_register",
    "register_from_assets",
]

log = logging.getLogger(__name__)

#: How a spend row was located, in the order of the ``located_by`` table.
LOCATED_BY: tuple[str, ...] = (
    "postcode",
    "coordinates",
    "company_number",
    "name",
    "fuzzy_name",
)
AMBIGUOUS = "ambiguous: "

#: Register columns: cwb name → accepted header spellings (after header normalisation).
_REGISTER_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("supplier_name", "name", "company_name", "supplier", "organisation"),
    "company_number": ("company_number", "registered_number", "supplier_id", "company_no", "crn"),
    "postcode": ("postcode",),
    "lat": ("lat",),
    "lon": ("lon",),
    "sme": ("sme",),
    "org_type": ("org_type",),
    "size_band": ("size_band",),
}
_FILLED = ("sme", "org_type", "size_band")
#: Asset category → spend org_type when the assets act as a register.
_ASSET_ORG_TYPES = {
    "business": "private",
    "social_enterprise": "social_enterprise",
    "cooperative": "cooperative",
}
#: Cells per block of the fuzzy score matrix (queries x register names).
_BLOCK_CELLS = 4_000_000


def name_key(values: pd.Series) -> pd.Series:
    """Names for matching, as the import's duplicate search compares them.

    :func:`cwb.text.normalise_names`: lower case, ``&`` as "and", no
    punctuation, no legal-form words (*Ltd*, *Limited*, *PLC*, *The* ...).
    """
    return normalise_names(values)


def company_key(values: pd.Series) -> pd.Series:
    """Company numbers for matching: upper case, no spaces, digits padded to 8; else missing."""
    text = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    text = text.where(~text.str.fullmatch(r"\d{1,8}").fillna(False), text.str.zfill(8))
    return text.replace("", pd.NA)


def read_supplier_register(
    path: str | Path, *, postcodes: PostcodeSource | None = None
) -> pd.DataFrame:
    """Read a supplier register (CSV, XLSX or Parquet) and locate it.

    Parameters
    ----------
    path
        The register file.
    postcodes
        A postcode lookup (see :func:`cwb.dataset.postcodes.as_postcode_lookup`)
        for rows with a postcode and no lat/lon.

    Returns
    -------
    DataFrame
        ``name``, ``company_number``, ``postcode``, ``lat``, ``lon``, ``sme``,
        ``org_type``, ``size_band``, ``source``; rows without a location are kept
        (they are reported, and never matched).

    Raises
    ------
    UsageError
        When the file is missing or has neither a name nor a company-number column.
    DatasetError
        When the file cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"[spend] supplier_register: {path} does not exist")
    problems = ProblemLog()
    raw = read_raw_table(path.parent, FileEntry(path=path.name), problems)
    if raw is None or problems.has_errors:
        raise DatasetError(problems.problems, summary=f"cannot read supplier register {path.name}")
    cells = raw.cells
    frame = pd.DataFrame(index=cells.index)
    for column, spellings in _REGISTER_HEADERS.items():
        hit = next((s for s in spellings if s in cells.columns), None)
        frame[column] = cells[hit].replace("", pd.NA) if hit else pd.NA
    if frame["name"].isna().all() and frame["company_number"].isna().all():
        raise UsageError(
            f"supplier register {path.name} has no supplier name or company number column "
            f"(looked for {', '.join(_REGISTER_HEADERS['name'])}, "
            f"{', '.join(_REGISTER_HEADERS['company_number'])}"
            f"; it has {', '.join(cells.columns)})"
        )
    if raw.geometry is not None:
        frame["geometry"] = raw.geometry.representative_point().to_numpy()
    grid = {c: cells[c] for c in ("easting", "northing") if c in cells}
    located = locate_frame(
        frame.assign(**grid), postcodes=postcodes, table="register", file=path.name
    )
    points = located.geometry
    frame = frame.drop(columns=["geometry"], errors="ignore")
    postcode = located.postcode
    if postcode is not None:
        frame["postcode"] = postcode.astype(object).where(postcode.notna(), pd.NA)
    else:
        frame["postcode"] = pd.NA
    frame["lat"] = points.y.where(points.notna()).astype("float64")
    frame["lon"] = points.x.where(points.notna()).astype("float64")
    frame["precision"] = located.precision
    frame["source"] = path.name
    log.info(
        "supplier register %s: %d rows, %d located",
        path.name,
        len(frame),
        int(frame["lat"].notna().sum()),
    )
    return frame


def register_from_assets(assets: gpd.GeoDataFrame) -> pd.DataFrame:
    """The dataset's located financial assets as a supplier register (``source`` = ``assets``)."""
    used = ["name", "registered_number", "postcode", "category", "precision"]
    columns = [c for c in used if c in assets] + [assets.geometry.name]
    firms = assets.loc[(assets["kind"] == "financial") & assets.geometry.notna(), columns]
    firms = firms[~firms.geometry.is_empty]
    number = firms["registered_number"] if "registered_number" in firms else pd.NA
    return pd.DataFrame(
        {
            "name": firms["name"],
            "company_number": number,
            "postcode": firms["postcode"] if "postcode" in firms else pd.NA,
            "lat": firms.geometry.y,
            "lon": firms.geometry.x,
            "sme": pd.NA,
            "org_type": firms["category"].map(_ASSET_ORG_TYPES),
            "size_band": pd.NA,
            "precision": firms["precision"] if "precision" in firms else "exact",
            "source": "assets",
        }
    ).reset_index(drop=True)


def _entries(register: pd.DataFrame) -> pd.DataFrame:
    """Register rows with a location and match keys; a file's entries shadow the assets'."""
    frame = register.copy()
    frame = frame[frame["lat"].notna() & frame["lon"].notna()].reset_index(drop=True)
    frame["number_key"] = company_key(frame["company_number"])
    frame["name_key"] = name_key(frame["name"]).replace("", pd.NA)
    frame["place"] = _place_keys(frame["lat"], frame["lon"])
    from_assets = frame["source"] == "assets"
    if from_assets.any() and (~from_assets).any():
        own = frame[~from_assets]
        shadowed = frame["number_key"].isin(own["number_key"].dropna()) | frame["name_key"].isin(
            own["name_key"].dropna()
        )
        frame = frame[~(from_assets & shadowed)].reset_index(drop=True)
    return frame


def _place_keys(lat: pd.Series, lon: pd.Series) -> np.ndarray:
    """One number per distinct place: the coordinates rounded to 5 decimals (about 1 m).

    Two rounded floats are the same place when their bits are: ``-0.0`` and
    ``0.0`` stay apart, as their text (``"-0.0"``, ``"0.0"``) does.
    """
    lat_of, lats = pd.factorize(np.round(lat.to_numpy(dtype="float64"), 5).view(np.int64))
    lon_of, _ = pd.factorize(np.round(lon.to_numpy(dtype="float64"), 5).view(np.int64))
    return lon_of.astype(np.int64) * max(len(lats), 1) + lat_of


def _by_key(entries: pd.DataFrame, key: str) -> dict[str, list[int]]:
    """Key → register rows, one per distinct place (two places make the key ambiguous)."""
    keyed = entries[entries[key].notna()].drop_duplicates([key, "place"])
    return {k: list(idx) for k, idx in keyed.groupby(key).groups.items()}


def locate_by_register(
    frame: gpd.GeoDataFrame,
    register: pd.DataFrame,
    *,
    threshold: float = settings.REGISTER_FUZZY_THRESHOLD,
) -> gpd.GeoDataFrame:
    """Locate unlocated spend rows through a supplier register (see the module docstring).

    Returns a copy of ``frame`` with ``located_by`` and ``register_match``
    columns; matched rows get the register's point and ``precision``
    (``exact`` or ``postcode``), a postcode when they had none, and a
    missing ``sme``/``org_type``/``size_band`` from the register.
    """
    out = frame.copy()
    precision = out["precision"].fillna("none").astype(str)
    located = out.geometry.notna() & ~out.geometry.is_empty & (precision != "none")
    label = precision.map({"postcode": "postcode", "exact": "coordinates"}).fillna(precision)
    out["located_by"] = label.where(located, "").astype(object)
    out["register_match"] = ""
    entries = _entries(register) if register is not None and len(register) else pd.DataFrame()
    todo = ~located
    if entries.empty or not todo.any():
        return out
    ids = out.get("company_number", pd.Series(pd.NA, index=out.index))
    numbers = company_key(out["supplier_id"]).fillna(company_key(ids)).fillna("")
    keys = pd.DataFrame({"number": numbers, "name": name_key(out["supplier_name"])})[todo]
    by_number = _by_key(entries, "number_key")
    by_name = _by_key(entries, "name_key")
    decided: dict[tuple[str, str], tuple[str, list[int], str]] = {}
    later: list[tuple[str, str]] = []
    for number, name in keys.drop_duplicates().itertuples(index=False):
        if number and number in by_number:
            decided[(number, name)] = ("company_number", by_number[number], "")
        elif name and name in by_name:
            decided[(number, name)] = ("name", by_name[name], "")
        elif name:
            later.append((number, name))
    fuzzy = _fuzzy(sorted({name for _, name in later}), entries, by_name, threshold)
    decided |= {key: fuzzy[key[1]] for key in later if key[1] in fuzzy}
    _apply(out, entries, decided, keys)
    return out


def _fuzzy(
    queries: list[str], entries: pd.DataFrame, by_name: dict[str, list[int]], threshold: float
) -> dict[str, tuple[str, list[int], str]]:
    """Best register name per query at or above the threshold; ties across places kept all."""
    if not queries or not by_name:
        return {}

    choices = list(by_name)
    found: dict[str, tuple[str, list[int], str]] = {}
    step = max(1, _BLOCK_CELLS // len(choices))
    for start in range(0, len(queries), step):
        block = queries[start : start + step]
        scores = process.cdist(
            block, choices, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, dtype=np.float32
        )
        best = scores.max(axis=1)
        for row, query in enumerate(block):
            if best[row] < threshold or best[row] == 0:
                continue
            tied = np.flatnonzero(scores[row] == best[row])
            rows = sorted({i for t in tied for i in by_name[choices[t]]})
            places = entries.loc[rows].drop_duplicates("place").index.tolist()
            found[query] = ("fuzzy_name", places, f"{best[row]:.0f}")
    return found


def _apply(
    out: gpd.GeoDataFrame,
    entries: pd.DataFrame,
    decided: dict[tuple[str, str], tuple[str, list[int], str]],
    keys: pd.DataFrame,
) -> None:
    """Write the decisions into ``out`` (in place): location, filled columns, labels."""
    groups = keys.groupby(["number", "name"], sort=False).groups
    matched: list[Any] = []
    chosen: list[int] = []
    ambiguous = 0
    for key, (how, rows, score) in decided.items():
        index = groups.get(key)
        if index is None:
            continue
        if len(rows) > 1:
            candidates = "; ".join(entries.loc[rows, "name"].fillna("").astype(str))
            out.loc[index, "register_match"] = f"{AMBIGUOUS}{candidates}"
            ambiguous += len(index)
            continue
        entry = entries.loc[rows[0]]
        shown = "" if pd.isna(entry["name"]) else str(entry["name"])
        out.loc[index, "located_by"] = how
        out.loc[index, "register_match"] = f"{shown} ({score})" if score else shown
        matched += list(index)
        chosen += [rows[0]] * len(index)
    if matched:
        picked = entries.loc[chosen].set_index(pd.Index(matched))
        points = gpd.points_from_xy(picked["lon"], picked["lat"], crs=out.crs)
        out.loc[matched, out.geometry.name] = gpd.GeoSeries(points, index=picked.index)
        out.loc[matched, "precision"] = picked["precision"]
        for column in ("postcode", *_FILLED):
            current = out.loc[matched, column]
            empty = current.isna() | current.astype("string").str.strip().isin(["", "unknown"])
            fill = picked[column].where(empty.to_numpy())
            out.loc[matched, column] = current.where(fill.isna(), fill)
    log.info(
        "supplier register: %d of %d unlocated rows located, %d ambiguous",
        len(matched),
        len(keys),
        ambiguous,
    )


def located_by_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read and £ by how they were located, plus ``ambiguous`` and ``unlocated``.

    The lines add up to the rows read (in transactions and £);
    ``included_gbp`` counts included rows only.
    """
    gbp = frame["amount_gbp"].fillna(0.0)
    included = frame["status"] == "included"
    how = frame["located_by"].fillna("").astype(str)
    ambiguous = frame["register_match"].fillna("").astype(str).str.startswith(AMBIGUOUS)
    line = how.where(how != "", np.where(ambiguous, "ambiguous", "unlocated"))
    order = [*LOCATED_BY, *sorted(set(line) - {*LOCATED_BY, "ambiguous", "unlocated"})]
    rows = []
    for name in [*order, "ambiguous", "unlocated"]:
        hit = line == name
        rows.append(
            {
                "located_by": name,
                "transactions": int(hit.sum()),
                "suppliers": int(frame.loc[hit, "supplier_key"].nunique()),
                "amount_gbp": round(float(gbp[hit].sum()), 2),
                "included_gbp": round(float(gbp[hit & included].sum()), 2),
            }
        )
    return pd.DataFrame(rows)


def register_for(
    settings: SpendSettings,
    *,
    base_dir: Path | None,
    assets: gpd.GeoDataFrame | None,
    postcodes: PostcodeSource | None,
) -> pd.DataFrame | None:
    """The supplier register a dataset's ``[spend]`` settings ask for, or None.

    ``settings.supplier_register`` (relative to ``base_dir``) comes first; the
    located financial ``assets`` follow when ``settings.register_assets``.
    """
    parts = []
    if settings.supplier_register:
        path = Path(settings.supplier_register)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        parts.append(read_supplier_register(path, postcodes=postcodes))
    if settings.register_assets and assets is not None and len(assets):
        parts.append(register_from_assets(assets))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else None


def register_review(frame: pd.DataFrame) -> pd.DataFrame:
    """Suppliers to check by hand: fuzzy matches and ambiguous ones, largest £ first.

    One row per supplier name and outcome, with the register entry matched (and
    its score) or the candidates, transactions and £ read.
    """
    how = frame["located_by"].fillna("").astype(str)
    note = frame["register_match"].fillna("").astype(str)
    ambiguous = note.str.startswith(AMBIGUOUS)
    chosen = pd.DataFrame(
        {
            "supplier_name": frame["supplier_name"].fillna("").astype(str),
            "outcome": np.where(ambiguous, "ambiguous", how),
            "register_match": note.str.removeprefix(AMBIGUOUS),
            "_gbp": frame["amount_gbp"].fillna(0.0),
        }
    )[(how == "fuzzy_name") | ambiguous]
    columns = ["supplier_name", "outcome", "register_match", "transactions", "amount_gbp"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    table = (
        chosen.groupby(["supplier_name", "outcome", "register_match"])
        .agg(transactions=("_gbp", "size"), amount_gbp=("_gbp", "sum"))
        .reset_index()
    )
    table["amount_gbp"] = table["amount_gbp"].round(2)
    return table.sort_values(["amount_gbp", "supplier_name"], ascending=[False, True])[
        columns
    ].reset_index(drop=True)
