"""The dataset manifest, ``dataset.toml``.

A manifest names the dataset, declares one or more capital projects, the files
that hold each table (with their CRS or layer where needed) and the settings of
each stage (catchment bands, matching weights, privacy threshold, spend
geographies). Sections that a stage owns are kept as plain dicts in
:attr:`Manifest.settings` and read by that stage.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from cwb import settings
from cwb.dataset import _manifest_schema as schema
from cwb.dataset._manifest_schema import MANIFEST_NAME
from cwb.errors import ProblemLog

#: Default distance bands (metres) around each project (see :mod:`cwb.settings`).
DEFAULT_BANDS_M: tuple[float, ...] = settings.BANDS_M
#: A located row farther than this outside the extent of the areas is an error.
DEFAULT_MAX_OUTSIDE_M: float = settings.MAX_OUTSIDE_M
#: Human-asset groups smaller than this are suppressed in every output.
DEFAULT_MIN_COUNT: int = settings.MIN_COUNT


@dataclass(frozen=True, slots=True)
class Project:
    """A capital project (a hospital, a stadium, a housing scheme)."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str = ""
    postcode: str = ""
    opened: str = ""
    investment: float | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """Where a table lives: a path (relative to the dataset folder) and read options."""

    path: str
    crs: str | None = None
    layer: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """How big a table file may be before cwb refuses to read it (``[limits]``)."""

    max_file_mb: float = settings.MAX_FILE_MB
    max_columns: int = settings.MAX_COLUMNS
    max_xlsx_unzipped_mb: float = settings.MAX_XLSX_UNZIPPED_MB


@dataclass
class Manifest:
    """A parsed ``dataset.toml``."""

    name: str
    projects: list[Project]
    files: dict[str, FileEntry]
    description: str = ""
    metric_crs: str | None = None
    bands_m: tuple[float, ...] = DEFAULT_BANDS_M
    max_outside_m: float = DEFAULT_MAX_OUTSIDE_M
    min_count: int = DEFAULT_MIN_COUNT
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    allow_outside: bool = False
    allow_small_groups: bool = False
    limits: ReadLimits = field(default_factory=ReadLimits)

    def section(self, name: str) -> dict[str, Any]:
        """A settings section such as ``matching`` or ``spend`` ({} when absent)."""
        return dict(self.settings.get(name, {}))

    def project(self, project_id: str) -> Project | None:
        """The project with this id, or None."""
        return next((p for p in self.projects if p.id == project_id), None)

    def to_toml(self) -> str:
        """Serialise back to TOML (comments are not kept)."""
        return _to_toml(self)


DEFAULT_FILES: dict[str, str] = {
    "assets": "assets.csv",
    "opportunities": "opportunities.csv",
    "areas": "areas.geojson",
    "spend": "spend.csv",
    "links": "links.csv",
    "postcodes": "postcodes.csv",
    "flows": "flows.csv",
    "needs": "needs.csv",
    "pacts": "pacts.csv",
}

#: Tables every dataset has; the others (spend, links, postcodes) are optional.
REQUIRED_TABLES: tuple[str, ...] = ("assets", "opportunities", "areas")

#: The keys of a [[projects]] entry that map to Project fields, in the order they are written.
_PROJECT_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "lat",
    "lon",
    "kind",
    "postcode",
    "opened",
    "investment",
    "description",
)


def read_manifest(folder: Path, log: ProblemLog) -> Manifest:
    """Parse and check ``folder/dataset.toml``, recording problems in ``log``.

    Every section and key is checked against the schema
    (:mod:`cwb.dataset._manifest_schema`); missing or malformed parts are recorded
    as problems naming the key and value, and a usable (possibly partial)
    manifest is always returned so that validation can go on. Table paths that
    lead outside ``folder`` are refused unless ``[dataset] allow_outside = true``.
    """
    path = folder / MANIFEST_NAME
    raw: dict[str, Any] = {}
    if not path.exists():
        log.add(
            MANIFEST_NAME,
            "file is missing; every dataset folder needs a dataset.toml",
            code="missing_file",
            hint="run `cwb init DIR` to create one",
        )
    elif not path.is_file():
        log.add(MANIFEST_NAME, "is a folder, not a file", code="not_a_file")
    else:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            log.add(MANIFEST_NAME, "file is not UTF-8", code="encoding", hint="save it as UTF-8")
        except tomllib.TOMLDecodeError as exc:
            log.add(MANIFEST_NAME, f"is not valid TOML: {exc}", code="parse")
        except OSError as exc:
            log.add(MANIFEST_NAME, f"cannot be read: {exc.strerror or exc}", code="unreadable")
        else:
            if not raw:
                log.add(
                    MANIFEST_NAME,
                    "is empty; it needs [dataset], [[projects]] and [files]",
                    code="empty_file",
                    hint="run `cwb init DIR` to see a complete one",
                )
    manifest = manifest_from_dict(raw, log)
    for table, entry in list(manifest.files.items()):
        if not leads_outside(folder, entry.path):
            continue
        if manifest.allow_outside:
            log.warn(
                MANIFEST_NAME,
                f"[files] {table} is read from outside the dataset folder (allow_outside = true)",
                column=f"files.{table}",
                value=entry.path,
                code="outside_folder",
            )
        else:
            log.add(
                MANIFEST_NAME,
                f"[files] {table} leads outside the dataset folder; cwb neither reads nor "
                "writes there",
                column=f"files.{table}",
                value=entry.path,
                code="outside_folder",
                hint="move the table into the folder, or set allow_outside = true under "
                "[dataset] if you trust this manifest",
            )
            del manifest.files[table]
    return manifest


def leads_outside(folder: Path, path: str | Path) -> bool:
    """True when a table path (relative to ``folder``, symlinks followed) is not inside it.

    The one rule for reading and writing tables: :func:`read_manifest` refuses to
    read such a table and the importer's transaction refuses to write it, unless
    the manifest says ``allow_outside = true`` under ``[dataset]``.
    """
    root = Path(folder).resolve()
    return not (Path(folder) / path).resolve().is_relative_to(root)


def manifest_from_dict(raw: dict[str, Any], log: ProblemLog | None = None) -> Manifest:
    """Build a :class:`Manifest` from parsed TOML, checking it against the schema."""
    log = log or ProblemLog()
    schema.check_sections(raw, log)
    meta = _section(schema.DatasetSection, raw, "dataset", log)
    projects = _projects(raw, log)
    files = _files(raw, log)
    catchment = _section(schema.CatchmentSection, raw, "catchment", log)
    privacy = _section(schema.PrivacySection, raw, "privacy", log)
    limits = _section(schema.LimitsSection, raw, "limits", log)
    for name in ("matching", "commons", "flows"):
        model = schema.SECTIONS[name]
        if name in raw and model is not None:
            schema.check_model(model, raw[name], name, log)
    if privacy.min_count < 2 and not privacy.allow_small_groups:
        log.add(
            MANIFEST_NAME,
            f"min_count = {privacy.min_count} would show groups of single residents",
            column="privacy.min_count",
            value=str(privacy.min_count),
            code="small_groups",
            hint="use 2 or more, or write allow_small_groups = true under [privacy] if "
            "you have consent to publish single residents",
        )
    elif privacy.min_count < 2:
        log.warn(
            MANIFEST_NAME,
            f"min_count = {privacy.min_count}: groups of single residents are shown "
            "(allow_small_groups = true)",
            column="privacy.min_count",
            value=str(privacy.min_count),
            code="small_groups",
        )
    known = set(schema.SECTIONS) - {"spend", "matching", "commons", "flows", "synth"}
    return Manifest(
        name=meta.name,
        description=meta.description,
        metric_crs=meta.metric_crs,
        projects=projects,
        files=files,
        bands_m=tuple(float(b) for b in catchment.bands_m),
        max_outside_m=float(catchment.max_outside_m),
        min_count=int(privacy.min_count),
        allow_outside=meta.allow_outside,
        allow_small_groups=privacy.allow_small_groups,
        limits=ReadLimits(
            max_file_mb=limits.max_file_mb,
            max_columns=limits.max_columns,
            max_xlsx_unzipped_mb=limits.max_xlsx_unzipped_mb,
        ),
        settings={k: v for k, v in raw.items() if k not in known and isinstance(v, dict)},
    )


_M = TypeVar("_M", bound=BaseModel)


def _section(model: type[_M], raw: dict[str, Any], name: str, log: ProblemLog) -> _M:
    checked = schema.check_model(model, raw[name], name, log) if name in raw else None
    return checked if isinstance(checked, model) else model()


def _projects(raw: dict[str, Any], log: ProblemLog) -> list[Project]:
    projects: list[Project] = []
    entries = raw.get("projects", [])
    seen: set[str] = set()
    for i, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        where = f"projects.{i}"
        checked = schema.check_model(schema.ProjectSection, entry, where, log)
        if not isinstance(checked, schema.ProjectSection):
            continue
        if checked.id in seen:
            log.add(
                MANIFEST_NAME,
                f"project id {checked.id!r} is declared twice",
                column=f"{where}.id",
                value=checked.id,
                code="duplicate_id",
            )
            continue
        seen.add(checked.id)
        projects.append(
            Project(
                id=checked.id,
                name=checked.name if checked.name is not None else checked.id,
                lat=checked.lat,
                lon=checked.lon,
                kind=checked.kind,
                postcode=checked.postcode,
                opened=checked.opened,
                investment=checked.investment,
                description=checked.description,
                extra=dict(checked.model_extra or {}),
            )
        )
    if raw and not projects:
        log.add(
            MANIFEST_NAME,
            "declares no capital project; add a [[projects]] table with id, name, lat, lon",
            code="no_project",
        )
    return projects


def _files(raw: dict[str, Any], log: ProblemLog) -> dict[str, FileEntry]:
    files: dict[str, FileEntry] = {}
    declared = raw.get("files", {}) if raw else {}
    if not isinstance(declared, dict):
        schema.not_a_table(log, "files", declared)
        declared = {}
    for table in declared:
        if table not in DEFAULT_FILES:
            log.add(
                MANIFEST_NAME,
                f"[files] names an unknown table {table!r}"
                + schema.did_you_mean(table, list(DEFAULT_FILES)),
                column=f"files.{table}",
                value=str(declared[table]),
                code="unknown_table",
                hint="known tables: " + ", ".join(DEFAULT_FILES),
            )
    for table, default in DEFAULT_FILES.items():
        if table not in declared and table not in REQUIRED_TABLES:
            continue  # optional tables are read only when the manifest names them
        entry = declared.get(table, default)
        if isinstance(entry, str) and entry.strip():
            if not _bad_path(table, entry, log):
                files[table] = FileEntry(path=entry.strip())
            continue
        if not isinstance(entry, dict):
            log.add(
                MANIFEST_NAME,
                f"[files] {table} must be a path in quotes or a table with a path",
                column=f"files.{table}",
                value=repr(entry),
                code="invalid",
                hint=f'e.g. {table} = "{default}"',
            )
            continue
        checked = schema.check_model(schema.FileSection, entry, f"files.{table}", log)
        if isinstance(checked, schema.FileSection):
            if _bad_path(table, checked.path, log):
                continue
            files[table] = FileEntry(
                path=checked.path,
                crs=checked.crs,
                layer=checked.layer,
                sheet=checked.sheet,
                columns=dict(checked.columns),
            )
    return files


def _bad_path(table: str, path: str, log: ProblemLog) -> bool:
    """Report a table path holding a control character (NUL included): no file has one."""
    if not re.search(r"[\x00-\x1f\x7f]", path):
        return False
    log.add(
        MANIFEST_NAME,
        f"[files] {table} is not a file path: it holds a control character",
        column=f"files.{table}",
        value=ascii(path),
        code="invalid",
        hint="write the file's name as it appears in the folder",
    )
    return True


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(str(key))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _to_toml(m: Manifest) -> str:
    lines = ["[dataset]", f"name = {_toml_value(m.name)}"]
    if m.description:
        lines.append(f"description = {_toml_value(m.description)}")
    if m.metric_crs:
        lines.append(f"metric_crs = {_toml_value(m.metric_crs)}")
    if m.allow_outside:
        lines.append("allow_outside = true")
    for p in m.projects:
        lines += ["", "[[projects]]"]
        for key in _PROJECT_KEYS:
            value = getattr(p, key)
            if value not in ("", None):
                lines.append(f"{key} = {_toml_value(value)}")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in p.extra.items()]
    lines += [
        "",
        "[catchment]",
        f"bands_m = {_toml_value(list(m.bands_m))}",
        f"max_outside_m = {_toml_value(m.max_outside_m)}",
        "",
        "[privacy]",
        f"min_count = {m.min_count}",
    ]
    if m.allow_small_groups:
        lines.append("allow_small_groups = true")
    if m.limits != ReadLimits():
        lines += ["", "[limits]"] + [
            f"{key} = {_toml_value(getattr(m.limits, key))}"
            for key in ("max_file_mb", "max_columns", "max_xlsx_unzipped_mb")
        ]
    lines += ["", "[files]"]
    for table, entry in m.files.items():
        opts: dict[str, object] = {"path": entry.path}
        for key in ("crs", "layer", "sheet"):
            if getattr(entry, key):
                opts[key] = getattr(entry, key)
        if entry.columns:
            opts["columns"] = entry.columns
        lines.append(f"{table} = {_toml_value(opts if len(opts) > 1 else entry.path)}")
    for section, values in m.settings.items():
        lines += ["", f"[{section}]"] + [
            f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()
        ]
    return "\n".join(lines) + "\n"
