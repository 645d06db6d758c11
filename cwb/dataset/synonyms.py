"""Everyday words for categories: "mosque" → ``place_of_worship``, "gym" → ``sports_facility``.

cwb bundles a table of words (``cwb/resources/category_synonyms.csv``: word, kind,
category); a dataset may extend or override it with its own ``synonyms.csv`` (same
columns) next to ``dataset.toml``. Validation uses it to suggest the category a
volunteer meant when they typed "Church" or "Sports Club".
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from cwb.dataset.schema import ASSET_CATEGORIES
from cwb.errors import ProblemLog

#: The dataset's own synonyms file, next to ``dataset.toml``.
SYNONYMS_FILE = "synonyms.csv"

#: word → [(kind, category), …], the dataset's own words first.
Synonyms = dict[str, list[tuple[str, str]]]


def _normal(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").replace("&", "and").split())


def _rows(text: str, file: str, log: ProblemLog | None) -> list[tuple[str, str, str]]:
    out = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        word = _normal(row.get("word") or "")
        kind = _normal(row.get("kind") or "")
        category = _normal(row.get("category") or "")
        if word and category in ASSET_CATEGORIES.get(kind, ()):
            out.append((word, kind, category))
        elif log is not None:
            log.warn(
                file,
                f"synonym {word!r} → {kind}/{category} is not a category of that kind; ignored",
                row=number,
                code="bad_synonym",
            )
    return out


def load_synonyms(folder: Path | None = None, log: ProblemLog | None = None) -> Synonyms:
    """The bundled synonyms, extended by ``folder/synonyms.csv`` when it exists."""
    bundled = (resources.files("cwb") / "resources" / "category_synonyms.csv").read_text("utf-8")
    rows = _rows(bundled, "category_synonyms.csv", None)
    own = folder / SYNONYMS_FILE if folder is not None else None
    if own is not None and own.exists():
        rows = _rows(own.read_text(encoding="utf-8-sig"), SYNONYMS_FILE, log) + rows
    table: Synonyms = {}
    for word, kind, category in rows:
        if (kind, category) not in table.setdefault(word, []):
            table[word].append((kind, category))
    return table


def suggest_category(text: str, kind: str, synonyms: Synonyms) -> tuple[str, str] | None:
    """The (kind, category) a typed category most likely means, preferring ``kind``'s.

    The whole text is tried first, then its word pairs, then its single words:
    "St Mary's Church" finds "church"; "Sports Club" finds "sports_club".
    """
    words = _normal(text).split("_")
    candidates = ["_".join(words)]
    candidates += ["_".join(words[i : i + 2]) for i in range(len(words) - 1)]
    candidates += words
    hits = [pair for c in candidates for pair in synonyms.get(c, [])]
    if not hits:
        return None
    return next((h for h in hits if h[0] == kind), hits[0])
