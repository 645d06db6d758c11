"""Row-level validation: check and type every table of a dataset, vectorised.

Every problem names the file, the row (as a spreadsheet numbers it: header = 1),
the column, the value and the reason, with a hint where one helps. Nothing is
dropped: each row read is counted as clean, with warnings, or with errors, and
the counts add up to the rows read.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset._cell_types import YES_WORDS, normalise_word, per_distinct, suggest, type_columns
from cwb.dataset._checks import (
    Checker,
    TableCounts,
    has_control_bytes,
    regex_contains,
    text_or_missing,
)
from cwb.dataset._commons_checks import COMMONS_CHECKS
from cwb.dataset._flow_checks import check_flows
from cwb.dataset.generation import read_consistent
from cwb.dataset.locate import Place, locate_rows, place_for
from cwb.dataset.manifest import MANIFEST_NAME, Manifest, read_manifest
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.postcodes import PostcodeLookup, normalise_postcodes
from cwb.dataset.raw import RawTable, read_raw_table
from cwb.dataset.schema import ASSET_CATEGORIES, CATEGORY_KIND, TABLES, TableSpec
from cwb.dataset.synonyms import Synonyms, load_synonyms, suggest_category
from cwb.errors import DatasetError, Problem, ProblemLog, UsageError, tidy_problems
from cwb.progress import track

log = logging.getLogger(__name__)

#: Rows whose ``example`` cell says yes are the template's examples: read, warned about,
#: and left out of the dataset (every stage sees the same rows).
EXAMPLE_COLUMN = "example"


def count_example_rows(problems: Iterable[Problem]) -> int:
    """How many rows marked ``example = yes`` (the template's) were left out of a dataset."""
    return sum(
        p.code == "example_row" and p.row is not None and p.column == EXAMPLE_COLUMN
        for p in problems
    )


def example_rows_note(problems: Iterable[Problem]) -> str | None:
    """The line maps and reports show while template example rows remain (None when none do)."""
    n = count_example_rows(problems)
    if not n:
        return None
    rows, are, were, them = ("rows", "are", "were", "them") if n > 1 else ("row", "is", "was", "it")
    return (
        f"{n} example {rows} from the template {are} still in the dataset and {were} left out "
        f"of every figure: delete {them} once your own rows are in."
    )


@dataclass
class ValidationReport:
    """The outcome of validating a dataset folder."""

    path: Path
    problems: list[Problem]
    counts: dict[str, TableCounts] = field(default_factory=dict)
    dataset: Dataset | None = None

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity error."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity warning."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors


# --------------------------------------------------------------------------- table checks


def _check_columns(
    chk: Checker, cells: pd.DataFrame, spec: TableSpec, located: bool
) -> pd.DataFrame:
    if chk.n == 0 and spec.name != "assets":
        missing = []  # an empty table (e.g. a blank areas.geojson) has no columns to check
    else:
        missing = [c for c in spec.required_columns if c not in cells.columns]
    for name in missing:
        column = spec.column(name)
        chk.log.add(
            chk.file,
            f"required column {name!r} is missing",
            column=name,
            code="missing_column",
            hint=f"{column.description if column else ''} "
            f"Columns found: {', '.join(cells.columns)}",
        )
    cells = cells.copy()
    for name in missing:
        cells[name] = ""
    if missing:
        chk.row_error[:] = True  # no row of a file without its required columns is usable
    return cells


def _check_duplicates(chk: Checker, cells: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """Flag repeated rows and repeated/empty ids; return the duplicate-row mask."""
    if not len(cells):
        return np.zeros(0, dtype=bool)
    id_col = spec.id_column
    dup_rows = np.zeros(len(cells), dtype=bool)
    # two equal rows have equal ids: only rows whose id cell repeats need hashing
    maybe = (
        cells[id_col].duplicated(keep=False).to_numpy()
        if id_col and id_col in cells
        else np.ones(len(cells), dtype=bool)
    )
    where = np.flatnonzero(maybe)
    hashes = pd.util.hash_pandas_object(cells.iloc[where], index=False).to_numpy()
    dup_rows[where] = pd.Series(hashes).duplicated(keep="first").to_numpy()
    if dup_rows.any():
        first = pd.Series(where, index=hashes).groupby(level=0).first()
        first_row = np.zeros(len(cells), dtype=np.int64)
        first_row[where] = first.reindex(hashes).to_numpy() + 2
        chk.flag(
            dup_rows,
            None,
            None,
            lambda i: f"duplicate row: the same as row {first_row[i]}",
            code="duplicate_row",
            hint="delete one of them",
        )
    if id_col and id_col in cells:
        ids = cells[id_col].str.strip()
        chk.flag(
            (ids == "").to_numpy(),
            id_col,
            ids,
            f"{id_col} is empty",
            code="empty_id",
            hint=f"every row needs a unique {id_col}",
        )
        repeated = ids.duplicated(keep="first").to_numpy() & ~dup_rows & (ids != "").to_numpy()
        if repeated.any():
            first_of = pd.Series(np.arange(len(ids)), index=ids.to_numpy()).groupby(level=0).first()
            first_row = first_of.reindex(ids.to_numpy()).to_numpy() + 2
            chk.flag(
                repeated,
                id_col,
                ids,
                lambda i: f"{id_col} is already used on row {first_row[i]}",
                code="duplicate_id",
                hint=f"give each row its own {id_col}",
            )
        _check_lookalike_ids(chk, ids, id_col, dup_rows | repeated)
    return dup_rows


#: Characters that do not show: zero-width spaces and joiners, word joiner, BOM.
_INVISIBLE = r"[\u200b-\u200f\u2060\ufeff\u00ad]"
#: C0 control characters (but tab, line feed, carriage return) and DEL: they break
#: GraphML/GEXF and most viewers.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def fold_ids(ids: pd.Series) -> pd.Series:
    """Ids as a reader sees them: NFKC, case-folded, without invisible characters.

    ASCII ids (nearly all) are only lower-cased: NFKC leaves ASCII alone and ``casefold``
    is ``lower`` there; the others go through :mod:`unicodedata` one by one.
    """
    text = ids.astype("str")
    # not Series.str.isascii: pandas 2 has none (cwb supports pandas >= 2.1)
    plain = ~text.str.contains(r"[^\x00-\x7f]", regex=True, na=True).to_numpy(dtype=bool)
    folded = text.str.lower()
    if not plain.all():
        other = text[~plain].map(lambda v: unicodedata.normalize("NFKC", str(v)).casefold())
        folded = folded.astype(object)
        folded[~plain] = other.str.replace(_INVISIBLE, "", regex=True).to_numpy(dtype=object)
        folded = folded.astype("str")
    return folded


def _check_lookalike_ids(chk: Checker, ids: pd.Series, id_col: str, already: np.ndarray) -> None:
    """Report ids that differ from an earlier one only by case, width or invisible characters.

    They would be two rows to cwb but one to a reader (full-width digits, a
    zero-width space): an error, not a guess.
    """
    folded = fold_ids(ids)
    lookalike = (folded.duplicated(keep="first").to_numpy() & ~already) & (ids != "").to_numpy()
    if not lookalike.any():
        return
    first_of = pd.Series(np.arange(len(ids)), index=folded.to_numpy()).groupby(level=0).first()
    first_row = first_of.reindex(folded.to_numpy()).to_numpy() + 2
    chk.flag(
        lookalike,
        id_col,
        ids.map(ascii),
        lambda i: (
            f"{id_col} differs from the {id_col} on row {first_row[i]} only by case, "
            "character width or invisible characters"
        ),
        code="lookalike_id",
        hint="make ids differ in what a reader sees, or make them equal",
    )


def _check_control_characters(chk: Checker, cells: pd.DataFrame) -> None:
    for column in cells.columns:
        if not has_control_bytes(cells[column], _CONTROL_BYTES):
            continue  # the bytes of the whole column hold none: no cell to look at
        bad = regex_contains(cells[column], CONTROL_CHARACTERS)
        if not bad.any():
            continue
        chk.flag(
            bad,
            column,
            cells[column].map(ascii),
            "holds a control character",
            code="control_character",
            hint="remove it; control characters break GraphML/GEXF exports and most viewers",
        )


def _check_categories(
    chk: Checker, frame: pd.DataFrame, cells: pd.DataFrame, synonyms: Synonyms
) -> None:
    kind = frame["kind"].fillna("")
    text = cells["category"] if "category" in cells else pd.Series("", index=cells.index)
    category = per_distinct(text, normalise_word)
    frame["category"] = text_or_missing(category.where(category != ""))
    bad = kind.isin(list(ASSET_CATEGORIES)) & ~_category_allowed(kind, category)
    if not bad.any():
        return
    kinds, cats = kind.to_numpy(), category.to_numpy()
    hints: dict[tuple[str, str], str | None] = {}
    for k, c in set(zip(kinds[bad.to_numpy()], cats[bad.to_numpy()], strict=True)):
        other = CATEGORY_KIND.get(c)
        meant = suggest_category(c, k, synonyms) if c else None
        if other:
            hints[(k, c)] = f"{c!r} is a category of kind {other!r}"
        elif meant and meant[0] == k:
            hints[(k, c)] = f"did you mean {meant[1]!r}?"
        elif meant:
            hints[(k, c)] = f"did you mean {meant[1]!r} (kind {meant[0]!r})?"
        else:
            hints[(k, c)] = suggest(c, ASSET_CATEGORIES[k])
    chk.flag(
        bad.to_numpy(),
        "category",
        text,
        lambda i: "category is empty" if not cats[i] else f"is not a category of kind {kinds[i]!r}",
        code="unknown_category",
        hint=lambda i: hints.get((kinds[i], cats[i])),
    )


def _category_allowed(kind: pd.Series, category: pd.Series) -> pd.Series:
    pairs = pd.MultiIndex.from_arrays([kind.to_numpy(), category.to_numpy()])
    valid = pd.MultiIndex.from_tuples([(k, c) for k, cs in ASSET_CATEGORIES.items() for c in cs])
    return pd.Series(pairs.isin(valid), index=kind.index)


# --------------------------------------------------------------------------- tables


def _validate_table(
    raw: RawTable,
    spec: TableSpec,
    place: Place | None,
    log: ProblemLog,
    known: dict[str, pd.Index],
    synonyms: Synonyms | None = None,
) -> tuple[pd.DataFrame, TableCounts]:
    chk = Checker(raw, log)
    if chk.n == 0 and spec.name == "assets":
        log.add(
            raw.file,
            "file has a header but no rows",
            code="empty_file",
            hint="add your assets, one per row",
        )
    elif chk.n == 0 and spec.required:
        log.warn(raw.file, "file has a header but no rows", code="empty_file")
    cells = _check_columns(chk, raw.cells, spec, spec.located)
    cells = cells.fillna("").astype("str")
    _check_control_characters(chk, cells)
    _check_duplicates(chk, cells, spec)
    frame = type_columns(chk, cells, spec)
    if spec.name == "assets":
        _check_categories(chk, frame, cells, synonyms or {})
    if spec.name == "opportunities" and "project" in cells:
        projects = sorted(known.get("projects", pd.Index([], dtype="str")))
        bad = (frame["project"].notna() & ~frame["project"].isin(projects)).to_numpy()
        chk.flag(
            bad,
            "project",
            frame["project"],
            "names a project that is not declared in dataset.toml",
            code="unknown_project",
            hint=lambda i: (
                suggest(str(frame["project"].iloc[i]), projects)
                if projects
                else "declare it as [[projects]] in dataset.toml"
            ),
        )
    if spec.name == "links":
        empty = pd.Index([], dtype="str")
        examples = known.get("examples", empty)
        known_ids = (
            known.get("assets", empty)
            .append([known.get("opportunities", empty), examples])
            .unique()
        )
        for column in ("source", "target"):
            found = (
                known_ids.get_indexer(frame[column]) >= 0
            )  # hashed; isin() on arrow strings is slow
            bad = (frame[column].notna() & ~found).to_numpy() & ~_examples(cells).to_numpy()
            chk.flag(
                bad,
                column,
                frame[column],
                "is not the id of an asset or opportunity",
                code="unknown_id",
            )
    if spec.name == "flows":
        check_flows(chk, frame, known)
    if spec.name in COMMONS_CHECKS:
        COMMONS_CHECKS[spec.name](chk, frame, known)
    if spec.located and place is not None:
        geometry = locate_rows(chk, raw, cells, frame, spec, place)
        frame = gpd.GeoDataFrame(
            frame.drop(columns=["lat", "lon"], errors="ignore"), geometry=geometry, crs=WGS84
        )
    frame = _drop_examples(chk, cells, frame, spec, known)
    return frame, chk.counts()


def _examples(cells: pd.DataFrame) -> pd.Series:
    """Which rows are the template's examples (``example`` says yes)."""
    if EXAMPLE_COLUMN not in cells:
        return pd.Series(False, index=cells.index)
    return cells[EXAMPLE_COLUMN].str.strip().str.lower().isin(YES_WORDS)


def _drop_examples(
    chk: Checker,
    cells: pd.DataFrame,
    frame: pd.DataFrame,
    spec: TableSpec,
    known: dict[str, pd.Index],
) -> pd.DataFrame:
    """Leave out the rows marked ``example = yes`` (the template's), with a warning each.

    Their ids go to ``known["examples"]``; a link to an example row is left out too.
    """
    marked = _examples(cells)
    examples = known.get("examples", pd.Index([], dtype="str"))
    if spec.id_column and spec.id_column in frame and marked.any():
        ids = frame.loc[marked.to_numpy(), spec.id_column].dropna().astype(str)
        known["examples"] = examples.append(pd.Index(ids, dtype="str"))
    if spec.name == "links" and len(examples):
        to_example = (frame["source"].isin(examples) | frame["target"].isin(examples)).to_numpy()
        chk.flag(
            to_example & ~marked.to_numpy(),
            "source",
            frame["source"],
            "links an example row of the template: left out",
            code="example_row",
            severity="warning",
            hint="delete the link, or use the id of one of your own rows",
        )
        marked |= to_example
    if not marked.any():
        return frame.drop(columns=EXAMPLE_COLUMN, errors="ignore")
    chk.flag(
        marked.to_numpy(),
        EXAMPLE_COLUMN,
        cells[EXAMPLE_COLUMN],
        "example row from the template: left out of every figure",
        code="example_row",
        severity="warning",
        hint="delete it once your own rows are in",
    )
    return frame.loc[~marked.to_numpy()].drop(columns=EXAMPLE_COLUMN, errors="ignore")


def _read_postcodes(
    folder: Path, manifest: Manifest, log: ProblemLog
) -> tuple[PostcodeLookup | None, pd.DataFrame | None]:
    entry = manifest.files.get("postcodes")
    if entry is None:
        return None, None
    raw = read_raw_table(folder, entry, log, manifest.limits)
    if raw is None:
        return None, None
    cells = raw.cells
    missing = [c for c in ("postcode", "lat", "lon") if c not in cells]
    if missing:
        log.add(
            raw.file,
            f"postcode lookup needs columns postcode, lat, lon; missing {missing}",
            code="missing_column",
            hint='map them in the manifest: columns = { postcode = "Postcode", … }',
        )
        return None, None
    table = pd.DataFrame({"postcode": cells["postcode"], "lat": cells["lat"], "lon": cells["lon"]})
    _check_postcode_places(raw.file, table, log)
    lookup = PostcodeLookup.from_frame(table)
    stored = pd.DataFrame(
        {
            "postcode": lookup.table.index.astype("str"),
            "lat": lookup.table["lat"].to_numpy(),
            "lon": lookup.table["lon"].to_numpy(),
        }
    )
    return lookup, stored


def _check_postcode_places(file: str, table: pd.DataFrame, log: ProblemLog) -> None:
    """Two rows giving one postcode two different places: an error, not a first-wins guess."""
    keys = normalise_postcodes(table["postcode"])
    places = table["lat"].astype(str).str.strip() + "," + table["lon"].astype(str).str.strip()
    frame = pd.DataFrame({"key": keys, "place": places}).dropna()
    frame = frame[frame["key"] != ""]
    first = frame.drop_duplicates("key")
    clash = frame.merge(first, on="key", suffixes=("", "_first"), how="left")
    clash.index = frame.index
    rows = frame.index.to_series().groupby(frame["key"]).transform("first")
    for i in np.flatnonzero((clash["place"] != clash["place_first"]).to_numpy())[:50]:
        label = frame.index[i]
        log.add(
            file,
            f"gives postcode {frame['key'].iloc[i]!r} a second place; row {int(rows.iloc[i]) + 2} "
            f"puts it at {clash['place_first'].iloc[i]}",
            row=int(label) + 2,
            column="postcode",
            value=str(table["postcode"].iloc[label]),
            code="conflicting_postcode",
            hint="keep one row per postcode",
        )


def validate_folder(folder: Path, *, files: dict[str, Path] | None = None) -> ValidationReport:
    """Validate a dataset folder and build the Dataset (even when it has errors).

    ``files`` reads these tables from other paths instead of the manifest's (an
    import validates its staged tables this way before writing them).
    """
    if not folder.exists():
        raise UsageError(f"{folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; a dataset is a folder holding {MANIFEST_NAME}")
    log = ProblemLog()
    manifest = read_manifest(folder, log)
    counts: dict[str, TableCounts] = {}
    lookup, postcodes = _read_postcodes(folder, manifest, log)
    synonyms = load_synonyms(folder, log)
    known: dict[str, pd.Index] = {
        "projects": pd.Index([p.id for p in manifest.projects], dtype="str")
    }
    tables: dict[str, pd.DataFrame | None] = {}
    place = None
    for name in track(
        ("areas", "assets", "opportunities", "spend", "links", "flows", "needs", "pacts"),
        f"validating {folder.name}",
    ):
        spec = TABLES[name]
        entry = manifest.files.get(name)
        if entry is None:
            tables[name] = None
            continue
        if files and name in files:
            entry = replace(entry, path=str(files[name]))
        raw = read_raw_table(folder, entry, log, manifest.limits)
        if raw is None:
            tables[name] = None
            continue
        if name == "areas":
            frame, counts[name] = _validate_table(
                raw, spec, place_for(manifest, None, lookup), log, known
            )
            place = place_for(manifest, frame, lookup)
        else:
            place = place or place_for(manifest, None, lookup)
            frame, counts[name] = _validate_table(raw, spec, place, log, known, synonyms)
        if spec.id_column:
            known[name] = pd.Index(frame[spec.id_column].dropna().unique(), dtype="str")
        tables[name] = frame
    log.problems[:] = tidy_problems(log.problems)
    dataset = Dataset(
        manifest=manifest,
        assets=_or_empty(tables["assets"], TABLES["assets"]),
        opportunities=_or_empty(tables["opportunities"], TABLES["opportunities"]),
        areas=_or_empty(tables["areas"], TABLES["areas"]),
        spend=tables["spend"],
        links=tables["links"],
        postcodes=postcodes,
        flows=tables["flows"],
        needs=tables["needs"],
        pacts=tables["pacts"],
        path=folder,
        problems=log.problems,
    )
    return ValidationReport(path=folder, problems=log.problems, counts=counts, dataset=dataset)


def _or_empty(frame: pd.DataFrame | None, spec: TableSpec) -> gpd.GeoDataFrame:
    if frame is not None:
        return frame
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str") for c in spec.column_names if c not in ("lat", "lon")},
        geometry=gpd.GeoSeries(crs=WGS84),
        crs=WGS84,
    )


def validate_dataset(path: str | Path) -> ValidationReport:
    """Validate a dataset folder without raising for data problems.

    Raises
    ------
    UsageError
        When ``path`` is not a folder.
    """
    folder = Path(path)
    return read_consistent(folder, lambda: validate_folder(folder))


def load_dataset(folder: Path, *, strict: bool = False) -> Dataset:
    """Validate and return the dataset; raise :class:`DatasetError` when it has errors."""
    report = read_consistent(folder, lambda: validate_folder(folder))
    problems = report.problems
    if strict:
        problems = [replace(p, severity="error") for p in problems]
    if any(p.severity == "error" for p in problems):
        raise DatasetError(
            problems,
            summary=f"{folder}: the dataset has "
            f"{sum(p.severity == 'error' for p in problems)} error(s)",
        )
    assert report.dataset is not None
    examples = count_example_rows(problems)
    if examples:
        log.warning(
            "%s: %d example row(s) of the template are left out of every figure; "
            "delete them once your own rows are in",
            folder,
            examples,
        )
    return report.dataset


# --------------------------------------------------------------------------- batch by batch


@dataclass
class SourceContext:
    """What validating one table of a folder needs from the rest of it (a store build's batches).

    The manifest, the postcode lookup, the synonyms and the areas (validated), exactly as
    :func:`validate_folder` has them when it reaches the assets.
    """

    folder: Path
    manifest: Manifest
    place: Place | None
    synonyms: Synonyms
    known: dict[str, pd.Index]
    areas: gpd.GeoDataFrame | None
    postcodes: pd.DataFrame | None


def source_context(folder: Path, log: ProblemLog) -> SourceContext:
    """Read the manifest, postcodes, synonyms and areas of ``folder`` (problems into ``log``)."""
    manifest = read_manifest(folder, log)
    lookup, postcodes = _read_postcodes(folder, manifest, log)
    synonyms = load_synonyms(folder, log)
    known: dict[str, pd.Index] = {
        "projects": pd.Index([p.id for p in manifest.projects], dtype="str")
    }
    areas = None
    entry = manifest.files.get("areas")
    raw = read_raw_table(folder, entry, log, manifest.limits) if entry is not None else None
    if raw is not None:
        areas, _ = _validate_table(
            raw, TABLES["areas"], place_for(manifest, None, lookup), log, known
        )
        known["areas"] = pd.Index(areas["code"].dropna().unique(), dtype="str")
    place = place_for(manifest, areas, lookup)
    return SourceContext(folder, manifest, place, synonyms, known, areas, postcodes)


def validate_rows(
    raw: RawTable, table: str, context: SourceContext, log: ProblemLog
) -> pd.DataFrame:
    """Check and type the rows of ``raw`` (one table, or a batch of it) as ``cwb validate`` does.

    Row numbers in the problems count from the batch's first row.
    """
    frame, _ = _validate_table(
        raw, TABLES[table], context.place, log, context.known, context.synonyms
    )
    return frame


#: The checks that compare rows with each other; a batch-by-batch validation leaves
#: them out of each batch and runs them over the keys of every batch (:func:`row_keys`).
CROSS_ROW_CODES = ("duplicate_row", "duplicate_id", "lookalike_id")


def row_keys(raw: RawTable, table: str) -> pd.DataFrame:
    """Per row: hashes of the whole row, of the id and of its folded form, and the id.

    The same cells and foldings as the duplicate checks of ``cwb validate``; a 64-bit
    hash stands for the text.
    """
    spec = TABLES[table]
    chk = Checker(raw, ProblemLog())
    cells = _check_columns(chk, raw.cells, spec, spec.located).fillna("").astype("str")
    row_hash = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    id_col = spec.id_column
    ids = (
        cells[id_col].str.strip()
        if id_col and id_col in cells
        else pd.Series("", index=cells.index, dtype="str")
    )
    folded = fold_ids(ids)
    return pd.DataFrame(
        {
            "row_hash": row_hash,
            "id_hash": pd.util.hash_array(ids.to_numpy(dtype=object)),
            "fold_hash": pd.util.hash_array(folded.to_numpy(dtype=object)),
            "id": ids.to_numpy(dtype=object),
        }
    )
