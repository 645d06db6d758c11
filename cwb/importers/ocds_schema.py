"""Merge rules for OCDS releases, offline: the core schema's structure plus extension patches.

ocdsmerge decides how releases of one contracting process are compiled from a
release schema: ``omitWhenMerged`` fields are dropped, ``wholeListMerge`` arrays
are replaced by the latest release's, arrays of objects with an ``id`` are merged
object by object, and other arrays of objects are appended to. An extension listed
in a package (``extensions``) may add fields with their own rules in its
``release-schema.json`` patch; without that patch ocdsmerge applies the default
rules to those fields.

Neither ocdskit nor ocdsmerge ships the core schema, and cwb does not download
anything, so cwb carries the structure of the OCDS 1.1 release schema that decides
merge rules (``cwb/resources/ocds_release_core.json``) and patches into it the
extension patches found in a local folder or file:

- a folder holding ``NAME/release-schema.json`` or ``NAME.json`` per extension,
  where NAME is the extension's repository or registry name as it appears in its
  URL (``ocds_lots_extension``; ``lots`` works too), or
- one release-schema patch file, always applied.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cwb.errors import MissingDependencyError, UsageError
from cwb.importers.common import read_json

log = logging.getLogger(__name__)

#: URL path parts that name a version or a hosting detail, not an extension.
_NOT_A_NAME = re.compile(
    r"^(v?\d+(\.\d+)*[\w.-]*|master|main|latest|raw|blob|-|en|es|fr|extensions)$"
)


@lru_cache(maxsize=1)
def _core_text() -> str:
    return (resources.files("cwb") / "resources" / "ocds_release_core.json").read_text("utf-8")


def core_schema() -> dict[str, Any]:
    """A fresh copy of cwb's OCDS 1.1 core release schema (its merge-relevant structure)."""
    return json.loads(_core_text())


def short_name(name: str) -> str:
    """``ocds_lots_extension``, ``lots.json``, ``ocds-lots-extension`` → ``lots``."""
    name = re.sub(r"\.json$", "", name.strip().lower()).replace("-", "_")
    return re.sub(r"_extension$", "", re.sub(r"^ocds_", "", name))


def extension_name(url: str) -> str:
    """The short name of an extension from its URL.

    ``https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.4/extension.json``
    → ``lots``; ``https://extensions.open-contracting.org/en/extensions/lots/v1.1.4/`` → ``lots``.
    """
    parts = [p for p in urlsplit(str(url)).path.split("/") if p]
    if parts and parts[-1].endswith(".json"):
        parts = parts[:-1]
    names = [p for p in parts if not _NOT_A_NAME.match(p.lower())]
    return short_name(names[-1]) if names else short_name(str(url))


def local_patches(path: str | Path) -> dict[str, Path]:
    """Short extension name → its release-schema patch file, from a folder or one file."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"OCDS extension schemas: {path} does not exist")
    if path.is_file():
        return {short_name(path.name): path}
    found: dict[str, Path] = {}
    for entry in sorted(path.iterdir()):
        if entry.is_dir() and (entry / "release-schema.json").is_file():
            found[short_name(entry.name)] = entry / "release-schema.json"
        elif entry.is_file() and entry.suffix.lower() == ".json":
            found[short_name(entry.name)] = entry
    return found


@dataclass
class MergeSchema:
    """The release schema given to ocdsmerge and what went into it.

    Attributes
    ----------
    schema
        The core schema with the applied patches.
    applied
        Short names of the extensions whose local patch was applied.
    missing
        URLs of listed extensions with no usable local patch (merged with default rules).
    problems
        Local patches that could not be used, with the reason.
    """

    schema: dict[str, Any]
    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _rules_resolve(schema: dict[str, Any]) -> str | None:
    """None when ocdsmerge can derive merge rules from ``schema``, else the reason it cannot."""
    try:
        from ocdsmerge.rules import get_merge_rules  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise MissingDependencyError.for_extra("ocds", "compiling OCDS releases") from exc

    try:
        get_merge_rules(copy.deepcopy(schema))
    except Exception as exc:  # noqa: BLE001 - jsonref and ocdsmerge raise several kinds
        return f"{type(exc).__name__}: {exc}"
    return None


def merge_schema(extensions: Iterable[str], local: str | Path | None = None) -> MergeSchema:
    """The release schema for ocdsmerge: the core plus the local patches of ``extensions``.

    Parameters
    ----------
    extensions
        Extension URLs listed by the packages (``extensions``), in order.
    local
        A folder of extension release-schema patches, or one patch file (always
        applied); see the module notes.
    """
    try:
        import json_merge_patch  # noqa: PLC0415 - optional dependency
        from ocdsextensionregistry.util import remove_nulls  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise MissingDependencyError.for_extra("ocds", "compiling OCDS releases") from exc

    out = MergeSchema(schema=core_schema())
    patches = local_patches(local) if local is not None else {}
    wanted = [(extension_name(u), u) for u in dict.fromkeys(str(u) for u in extensions)]
    if local is not None and Path(local).is_file():
        name = short_name(Path(local).name)
        if all(name != n for n, _ in wanted):
            wanted.append((name, str(local)))
    for name, url in wanted:
        file = patches.get(name)
        if file is None or name in out.applied:
            if file is None:
                out.missing.append(url)
            continue
        patch = read_json(file)
        if not isinstance(patch, dict):
            out.problems.append(f"{file}: not a JSON object")
            out.missing.append(url)
            continue
        remove_nulls(patch)  # a patch may not remove fields (as in ocdsextensionregistry)
        trial = json_merge_patch.merge(copy.deepcopy(out.schema), patch)
        reason = _rules_resolve(trial)
        if reason:
            out.problems.append(f"{file}: merge rules cannot be read from it ({reason})")
            out.missing.append(url)
            continue
        out.schema = trial
        out.applied.append(name)
    return out
