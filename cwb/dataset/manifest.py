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
from typing import Any

from cwb import settings
from cwb.errors import ProblemLog

MANIFEST_NAME = "dataset.toml"

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
    """Parse ``folder/dataset.toml``, recording problems in ``log``.

    Missing or malformed parts are recorded as problems; a usable (possibly
    partial) manifest is always returned so that validation can go on.
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
    else:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            log.add(MANIFEST_NAME, "file is not UTF-8", code="encoding", hint="save it as UTF-8")
        except tomllib.TOMLDecodeError as exc:
            log.add(MANIFEST_NAME, f"is not valid TOML: {exc}", code="parse")
    return manifest_from_dict(raw, log)


def manifest_from_dict(raw: dict[str, Any], log: ProblemLog | None = None) -> Manifest:
    """Build a :class:`Manifest` from parsed TOML."""
    log = log or ProblemLog()
    meta = raw.get("dataset", {})
    projects: list[Project] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("projects", []), start=1):
        where = f"[[projects]] #{i}"
        pid = str(entry.get("id", "")).strip()
        if not pid:
            log.add(MANIFEST_NAME, f"{where} has no id", column="id", code="empty_id")
            continue
        if pid in seen:
            log.add(
                MANIFEST_NAME,
                f"{where}: project id {pid!r} is declared twice",
                column="id",
                code="duplicate_id",
            )
            continue
        try:
            lat, lon = float(entry["lat"]), float(entry["lon"])
        except (KeyError, TypeError, ValueError):
            log.add(
                MANIFEST_NAME,
                f"{where} ({pid}) needs numeric lat and lon",
                column="lat",
                code="not_a_number",
            )
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            log.add(
                MANIFEST_NAME,
                f"{where} ({pid}): lat/lon out of range",
                column="lat",
                value=f"{lat}, {lon}",
                code="out_of_range",
            )
            continue
        seen.add(pid)
        investment = entry.get("investment")
        projects.append(
            Project(
                id=pid,
                name=str(entry.get("name", pid)),
                lat=lat,
                lon=lon,
                kind=str(entry.get("kind", "")),
                postcode=str(entry.get("postcode", "")),
                opened=str(entry.get("opened", "")),
                investment=float(investment) if investment is not None else None,
                description=str(entry.get("description", "")),
                extra={k: v for k, v in entry.items() if k not in _PROJECT_KEYS},
            )
        )
    if raw and not projects:
        log.add(
            MANIFEST_NAME,
            "declares no capital project; add a [[projects]] table with id, name, lat, lon",
            code="no_project",
        )

    files: dict[str, FileEntry] = {}
    declared = raw.get("files", {}) if raw else {}
    for table, default in DEFAULT_FILES.items():
        if table not in declared and table not in REQUIRED_TABLES:
            continue  # optional tables are read only when the manifest names them
        entry = declared.get(table, default)
        if isinstance(entry, str):
            files[table] = FileEntry(path=entry)
        elif isinstance(entry, dict) and "path" in entry:
            files[table] = FileEntry(
                path=str(entry["path"]),
                crs=entry.get("crs"),
                layer=entry.get("layer"),
                sheet=entry.get("sheet"),
                columns=dict(entry.get("columns", {})),
            )
        else:
            log.add(
                MANIFEST_NAME,
                f"[files] {table} must be a path or a table with a path",
                code="invalid",
            )
    for table in declared:
        if table not in DEFAULT_FILES:
            log.add(
                MANIFEST_NAME,
                f"[files] names an unknown table {table!r}",
                code="unknown_table",
                hint="known tables: " + ", ".join(DEFAULT_FILES),
            )

    catchment = raw.get("catchment", {})
    privacy = raw.get("privacy", {})
    known = {"dataset", "projects", "files", "catchment", "privacy"}
    return Manifest(
        name=str(meta.get("name", "unnamed dataset")),
        description=str(meta.get("description", "")),
        metric_crs=meta.get("metric_crs"),
        projects=projects,
        files=files,
        bands_m=tuple(float(b) for b in catchment.get("bands_m", DEFAULT_BANDS_M)),
        max_outside_m=float(catchment.get("max_outside_m", DEFAULT_MAX_OUTSIDE_M)),
        min_count=int(privacy.get("min_count", DEFAULT_MIN_COUNT)),
        settings={k: v for k, v in raw.items() if k not in known and isinstance(v, dict)},
    )


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
        "",
        "[files]",
    ]
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
