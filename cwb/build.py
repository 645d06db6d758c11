"""``cwb build RECIPE.toml -o DIR``: a catchment dataset from public files, then its map and report.

A recipe is a ``dataset.toml`` (``[dataset]``, ``[[projects]]``, ``[catchment]``,
``[privacy]`` … as usual) plus a ``[build]`` section naming the source files:

- ``realdata``: the folder the source paths are relative to, itself relative to
  the recipe file (``--realdata`` replaces it); default the recipe's folder;
- ``boundaries`` (one or more files), ``imd``, ``population``, ``lsoa_lookup``,
  ``within_m`` and ``local_authorities``: the areas, built as ``cwb areas`` does
  (:func:`cwb.dataset.catchment_areas.build_catchment_areas`);
- ``[build.postcodes]``: the postcode lookup (``path`` and its ``columns``); its
  postcode, lat and lon columns are copied into the dataset's ``postcodes.csv``, so the
  dataset is whole on its own;
- ``[[build.import]]``: each an import as ``cwb import`` runs it (``kind``,
  ``path`` and that kind's options; OCDS filters as in
  :class:`cwb.importers.ocds_filter.OcdsFilter`; ``within_m`` keeps an import
  local; ``nhs_workforce`` takes ``organisation`` and ``turnover``), in order, through
  :func:`cwb.importers.merge.import_into`;
- ``[[build.spend]]``: raw spend files (``path``, ``mapping``, ``sheet``) read by
  :func:`cwb.spend.load.read_spend_file` and added to the spend table;
- ``map`` and ``report`` (default true): write ``map.html`` and ``report.html``.

The output folder must be new or empty (or ``force``: its tables are rebuilt).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cwb.dataset.catchment_areas import build_catchment_areas
from cwb.dataset.io import read_dataset, write_table
from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.postcodes import PostcodeLookup
from cwb.dataset.schema import TABLES
from cwb.errors import ProblemLog, UsageError
from cwb.importers.common import Provenance
from cwb.importers.merge import IMPORT_KINDS, import_into
from cwb.importers.ocds_filter import OcdsFilter
from cwb.pipeline import Pipeline
from cwb.spend.load import read_spend_file

log = logging.getLogger(__name__)

#: Keys of ``[build]``.
BUILD_KEYS = frozenset(
    {
        "realdata",
        "boundaries",
        "imd",
        "population",
        "lsoa_lookup",
        "within_m",
        "local_authorities",
        "postcodes",
        "import",
        "spend",
        "map",
        "report",
    }
)
#: Keys of one ``[[build.import]]`` passed to :func:`import_into` as they are.
IMPORT_KEYS = frozenset(
    {"preset", "category", "project", "on_duplicate", "drop_unlocated", "mapping", "within_m"}
)
#: Keys of an ``nhs_workforce`` ``[[build.import]]`` (see :mod:`cwb.importers.workforce`).
WORKFORCE_KEYS = frozenset({"organisation", "turnover"})
#: Keys of one ``[[build.import]]`` that make its OCDS filter.
OCDS_FILTER_KEYS = frozenset(
    {
        "buyers",
        "region",
        "buyer_region",
        "delivery_region",
        "postcode_areas",
        "cpv",
        "since",
        "until",
        "open_only",
    }
)
TABLE_NAMES = ("assets", "opportunities", "spend", "links")


@dataclass
class BuildResult:
    """What a build wrote and said.

    Attributes
    ----------
    folder
        The dataset folder.
    lines
        What each step did, for a person to read (import summaries included).
    written
        Files written besides the dataset's tables (map, report).
    """

    folder: Path
    lines: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The recipe's TOML, checked to have a ``[build]`` section of known keys."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"recipe {path} does not exist", argument="recipe")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"recipe {path.name} is not valid TOML: {exc}", argument="recipe"
        ) from None
    build = raw.get("build")
    if not isinstance(build, dict):
        raise UsageError(f"recipe {path.name} has no [build] section", argument="recipe")
    unknown = sorted(set(build) - BUILD_KEYS)
    if unknown:
        raise UsageError(
            f"recipe {path.name}: unknown [build] key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(BUILD_KEYS))}",
            argument="recipe",
        )
    if not raw.get("projects"):
        raise UsageError(f"recipe {path.name} names no [[projects]]", argument="recipe")
    return raw


def _source(base: Path, value: object, what: str) -> Path:
    if not isinstance(value, str) or not value:
        raise UsageError(f"recipe: {what} must be a path", argument="recipe")
    path = (base / value).resolve()
    if not path.exists():
        raise UsageError(f"recipe: {what} {path} does not exist", argument="recipe")
    return path


def _copy_postcodes(source: Path, columns: dict[str, str], target: Path) -> None:
    """Write the postcode, lat and lon columns of a lookup file into the dataset."""
    wanted = {name: columns.get(name, name) for name in ("postcode", "lat", "lon")}
    try:
        table = pd.read_csv(source, dtype=str, usecols=list(wanted.values()))
    except (OSError, ValueError) as exc:
        raise UsageError(f"recipe: [build.postcodes] {source}: cannot be read ({exc})") from None
    write_table(table.rename(columns={v: k for k, v in wanted.items()}), target)


def _fresh_folder(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file", argument="output")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(
            f"{out} is not empty: give --force to rebuild its tables, or another folder",
            argument="output",
        )
    out.mkdir(parents=True, exist_ok=True)


def build(
    recipe: str | Path,
    out: str | Path,
    *,
    realdata: str | Path | None = None,
    force: bool = False,
    say: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the dataset a recipe describes into ``out``, then its map and report.

    Parameters
    ----------
    recipe
        The recipe file (see the module notes).
    out
        The dataset folder to write (new or empty, unless ``force``).
    realdata
        The folder the recipe's source paths are relative to (replaces ``[build] realdata``).
    force
        Rebuild into a folder that is not empty (its tables are replaced).
    say
        Called with each line of progress as it happens (default: logged).
    """
    recipe = Path(recipe)
    raw = read_recipe(recipe)
    spec: dict[str, Any] = raw["build"]
    base = (
        Path(realdata)
        if realdata is not None
        else (recipe.parent / str(spec.get("realdata", "."))).resolve()
    )
    if not base.is_dir():
        raise UsageError(
            f"the source folder {base} does not exist (give --realdata)", argument="realdata"
        )
    out = Path(out)
    result = BuildResult(folder=out)

    def tell(line: str) -> None:
        result.lines.append(line)
        (say or log.info)(line)

    # check every source exists before writing anything
    boundaries = spec.get("boundaries")
    if isinstance(boundaries, str):
        boundaries = [boundaries]
    if not boundaries:
        raise UsageError("recipe: [build] boundaries names no file", argument="recipe")
    boundary_files: list[str | Path] = [_source(base, b, "boundaries") for b in boundaries]
    optional = {
        k: _source(base, spec[k], k) if spec.get(k) else None
        for k in ("imd", "population", "lsoa_lookup")
    }
    imports = [_import_step(base, i, n) for n, i in enumerate(spec.get("import") or [], 1)]
    spends = [_spend_step(base, s, n) for n, s in enumerate(spec.get("spend") or [], 1)]
    postcodes = spec.get("postcodes")
    files: dict[str, object] = {name: f"{name}.csv" for name in TABLE_NAMES}
    files["areas"] = "areas.geojson"
    postcode_source: tuple[Path, dict[str, str]] | None = None
    if postcodes is not None:
        if not isinstance(postcodes, dict):
            raise UsageError("recipe: [build.postcodes] must be a table (path, columns)")
        # copied into the dataset, so that the dataset is whole on its own (a manifest never
        # reads outside its folder unless it says allow_outside)
        postcode_source = (
            Path(_source(base, postcodes.get("path"), "postcodes")),
            dict(postcodes.get("columns") or {}),
        )
        files["postcodes"] = "postcodes.csv"

    manifest_raw = {k: v for k, v in raw.items() if k != "build"}
    manifest_raw["files"] = {**files, **(raw.get("files") or {})}
    problems = ProblemLog()
    manifest = manifest_from_dict(manifest_raw, problems)
    errors = [p for p in problems.problems if p.severity == "error"]
    if errors:
        raise UsageError("recipe: " + "; ".join(p.reason for p in errors[:5]), argument="recipe")

    _fresh_folder(out, force)
    (out / "dataset.toml").write_text(manifest.to_toml(), encoding="utf-8")
    if postcode_source is not None:
        _copy_postcodes(*postcode_source, out / "postcodes.csv")
        tell(f"postcodes: copied from {postcode_source[0].name}")
    within = float(spec.get("within_m") or max(manifest.bands_m))
    built = build_catchment_areas(
        boundary_files,
        centres=[(p.lat, p.lon) for p in manifest.projects],
        within_m=within,
        imd=optional["imd"],
        population=optional["population"],
        lsoa_lookup=optional["lsoa_lookup"],
        local_authorities=list(spec.get("local_authorities") or []) or None,
    )
    write_table(built.areas, out / "areas.geojson")
    tell(f"areas: {len(built.areas)} within {within / 1000:g} km of the projects")
    for report in built.reports:
        tell(f"  {report.message()}")
    for table in TABLE_NAMES:
        columns = [c for c in TABLES[table].column_names if c != "precision"]
        write_table(pd.DataFrame(columns=columns), out / f"{table}.csv")

    provenance = Provenance(collected_by=f"cwb build {recipe.name}")
    for kind, path, options in imports:
        done = import_into(kind, path, out, provenance=provenance, **options)
        tell(done.summary())
    for path, mapping, sheet in spends:
        tell(_add_spend(out, path, mapping, sheet))

    ds = read_dataset(out)  # raises when the built dataset is not valid
    tell(
        f"{out}: {len(ds.assets)} assets, {len(ds.opportunities)} opportunities, "
        f"{0 if ds.spend is None else len(ds.spend)} spend rows, {len(ds.areas)} areas"
    )
    want_map, want_report = bool(spec.get("map", True)), bool(spec.get("report", True))
    pipe = Pipeline(ds, map_href="map.html" if want_map else None)
    if want_map:
        result.written.append(pipe.write_map(out / "map.html"))
    if want_report:
        result.written.append(pipe.write_report(out / "report.html"))
    for path in result.written:
        tell(f"wrote {path}")
    return result


def _import_step(base: Path, entry: object, n: int) -> tuple[str, Path, dict[str, Any]]:
    """``(kind, path, import_into options)`` of one ``[[build.import]]``."""
    where = f"[[build.import]] #{n}"
    if not isinstance(entry, dict):
        raise UsageError(f"recipe: {where} must be a table", argument="recipe")
    kind = str(entry.get("kind", ""))
    if kind not in IMPORT_KINDS:
        raise UsageError(
            f"recipe: {where} kind {kind!r} is not one of {', '.join(IMPORT_KINDS)}",
            argument="recipe",
        )
    path = _source(base, entry.get("path"), f"{where} path")
    known = IMPORT_KEYS | {"kind", "path", "extension_schemas"}
    if kind == "ocds":
        known |= OCDS_FILTER_KEYS
    if kind == "nhs_workforce":
        known |= WORKFORCE_KEYS
    unknown = sorted(set(entry) - known)
    if unknown:
        raise UsageError(
            f"recipe: {where} ({kind}): unknown key(s) {', '.join(unknown)}", argument="recipe"
        )
    options: dict[str, Any] = {k: entry[k] for k in IMPORT_KEYS if k in entry}
    options.setdefault("on_duplicate", "fill")
    options.setdefault("drop_unlocated", True)
    if kind == "nhs_workforce":
        options["workforce_options"] = {k: entry[k] for k in WORKFORCE_KEYS if k in entry}
    if kind == "ocds":
        options["ocds_filter"] = OcdsFilter(**{k: entry[k] for k in OCDS_FILTER_KEYS if k in entry})
        if entry.get("extension_schemas"):
            options["ocds_extensions"] = _source(
                base, entry["extension_schemas"], f"{where} extension_schemas"
            )
    return kind, path, options


def _spend_step(base: Path, entry: object, n: int) -> tuple[Path, str | None, str | None]:
    where = f"[[build.spend]] #{n}"
    if not isinstance(entry, dict):
        raise UsageError(f"recipe: {where} must be a table", argument="recipe")
    unknown = sorted(set(entry) - {"path", "mapping", "sheet"})
    if unknown:
        raise UsageError(f"recipe: {where}: unknown key(s) {', '.join(unknown)}")
    mapping = entry.get("mapping")
    if isinstance(mapping, str) and mapping.endswith(".toml"):
        mapping = str(_source(base, mapping, f"{where} mapping"))
    return _source(base, entry.get("path"), f"{where} path"), mapping, entry.get("sheet")


def _add_spend(out: Path, path: Path, mapping: str | None, sheet: str | None) -> str:
    """Append a raw spend file to the dataset's spend table; a line saying what was added."""
    ds = read_dataset(out)
    lookup = (
        PostcodeLookup.from_frame(ds.postcodes)
        if ds.postcodes is not None and len(ds.postcodes)
        else None
    )
    table = read_spend_file(path, mapping, postcodes=lookup, sheet=sheet)
    columns = [c for c in TABLES["spend"].column_names if c in table.columns]
    added = pd.DataFrame(table[columns])
    existing = ds.spend
    if existing is not None and len(existing):
        keep = [c for c in existing.columns if c != "geometry"]
        added = pd.concat([pd.DataFrame(existing[keep]), added], ignore_index=True)
    write_table(added, out / ds.manifest.files["spend"].path)
    return f"spend: {len(table)} row(s) read from {path.name} (mapping {mapping or 'none'})"
