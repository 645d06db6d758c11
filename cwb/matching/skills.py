"""The skills vocabulary: normalise free-text skills and map them to stable codes.

Skills and capabilities are typed by many people (``"RGN"``, ``"Registered
Nurses"``, ``"staff nurse"``); matching needs one code for each. The vocabulary
is a data file, ``cwb/resources/skills.csv``, with one row per canonical skill:

``code``
    Stable snake_case code (``registered_nurse``).
``label``
    Readable label used in reasons and reports.
``group``
    Broad family (health, catering, cleaning, space …).
``soc2020``
    UK SOC 2020 unit group where the skill is an occupation (``2237``).
``esco``
    ESCO occupation code where useful (``2221.2``).
``synonyms``
    ``;``-separated other ways of writing it.
``related``
    ``;``-separated codes that partly stand in for it (a cook for a chef).

A dataset can extend the vocabulary with its own file of the same columns,
named in ``dataset.toml`` as ``[matching] vocabulary = "skills_extra.csv"``:
rows with a new code add a skill, rows with a known code add synonyms and
related codes to it.

Terms are resolved in order: exact match of the normalised text against codes,
labels and synonyms; the same without a parenthesis, or the parenthesis alone;
without a leading qualifier (``experienced``, ``qualified`` …); a known phrase
covering at least half of the words; then a fuzzy match (rapidfuzz) at or above
the threshold (terms of 6 characters or more). A term ending in "needed" or
"required" names a need, not a skill held: it gives no code and is reported
with method ``need``. Anything else is *unknown*: it keeps a code of its own
(``unknown:<normalised text>``) so that identical unknown terms still match
each other, and :func:`unknown_skills` reports it. Nothing is dropped.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from cwb import settings
from cwb.dataset.schema import split_list
from cwb.errors import DatasetError, Problem
from cwb.privacy import drop_rare_resident_terms

if TYPE_CHECKING:
    from cwb.dataset.model import Dataset

log = logging.getLogger(__name__)

#: Default fuzzy-match threshold (0–100, rapidfuzz ratio) for unknown terms.
DEFAULT_FUZZY_THRESHOLD: float = settings.SKILL_FUZZY_THRESHOLD
#: Prefix of the codes given to terms the vocabulary does not know.
UNKNOWN_PREFIX = "unknown:"
VOCABULARY_COLUMNS = ("code", "label", "group", "soc2020", "esco", "synonyms", "related")

Method = Literal["exact", "contains", "fuzzy", "unknown", "need", "empty"]

#: Words that end a term naming something a group still *needs* ("CSCS card needed"):
#: such a term is not a skill the group holds; it is reported with method "need".
NEED_WORDS = ("needed", "required", "wanted", "sought")
#: Fuzzy matching applies to terms of at least this many characters (short ones are too risky).
FUZZY_MIN_LENGTH = 6

_QUALIFIERS = (
    "experienced",
    "qualified",
    "trained",
    "skilled",
    "certified",
    "professional",
    "licensed",
    "basic",
    "some",
    "good",
    "fluent",
    "level",
)
_PAREN = re.compile(r"\(([^)]*)\)")
_NON_WORD = re.compile(r"[^a-z0-9+ ]+")
_SPACES = re.compile(r"\s+")


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def normalise_term(text: object) -> str:
    """Normalise a skill term: accents, case, punctuation, spacing and plurals.

    Examples
    --------
    >>> normalise_term("  Registered Nurses (RGN) ")
    'registered nurse rgn'
    >>> normalise_term("Children's nurse / Paediatric")
    'children nurse paediatric'
    """
    if text is None:
        return ""
    value = unicodedata.normalize("NFKD", str(text))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    value = value.replace("&", " and ").replace("'", "").replace("\u2019", "")
    value = re.sub(r"[-_/.,;:]", " ", value)
    value = _NON_WORD.sub(" ", value)
    words = _SPACES.sub(" ", value).strip().split(" ")
    return " ".join(_singular(w) for w in words if w)


def is_unknown_code(code: str) -> bool:
    """Whether ``code`` stands for a term the vocabulary did not know."""
    return code.startswith(UNKNOWN_PREFIX)


@dataclass(frozen=True, slots=True)
class Skill:
    """One canonical skill or capability of the vocabulary."""

    code: str
    label: str
    group: str = ""
    soc2020: str = ""
    esco: str = ""
    synonyms: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one free-text term was resolved.

    ``code`` is a vocabulary code, or ``unknown:<normalised>`` when ``method``
    is ``"unknown"``; ``suggestion`` is then the closest known label (below
    the threshold) with its ``score``.
    """

    term: str
    normalised: str
    code: str
    method: Method
    score: float = 100.0
    suggestion: str = ""


@dataclass
class Vocabulary:
    """Canonical skills, their synonyms and a resolver for free-text terms."""

    skills: dict[str, Skill]
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
    _keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _cache: dict[str, Resolution] = field(default_factory=dict, init=False, repr=False)
    _cells: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._build_keys()

    # -- construction -------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        extra: Sequence[str | Path] = (),
        *,
        fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
    ) -> Vocabulary:
        """The bundled vocabulary, extended by the ``extra`` CSV files in order."""
        text = (
            resources.files("cwb").joinpath("resources", "skills.csv").read_text(encoding="utf-8")
        )
        skills: dict[str, Skill] = {}
        _merge_rows(skills, list(csv.DictReader(text.splitlines())), "skills.csv")
        for path in extra:
            path = Path(path)
            if not path.exists():
                raise DatasetError(
                    [
                        Problem(
                            str(path),
                            "vocabulary file named in [matching] vocabulary does not exist",
                            code="missing_file",
                        )
                    ]
                )
            with path.open(encoding="utf-8-sig", newline="") as handle:
                _merge_rows(skills, list(csv.DictReader(handle)), path.name)
        return cls(skills, fuzzy_threshold=fuzzy_threshold)

    @classmethod
    def for_dataset(cls, ds: Dataset, *, fuzzy_threshold: float | None = None) -> Vocabulary:
        """The vocabulary for ``ds``: bundled plus ``[matching] vocabulary`` file(s)."""
        section = ds.manifest.section("matching")
        named = section.get("vocabulary") or []
        if isinstance(named, str):
            named = [named]
        base = ds.path or Path(".")
        threshold = (
            fuzzy_threshold
            if fuzzy_threshold is not None
            else float(section.get("fuzzy_threshold", DEFAULT_FUZZY_THRESHOLD))
        )
        return cls.load([base / n for n in named], fuzzy_threshold=threshold)

    def _build_keys(self) -> None:
        keys: dict[str, str] = {}
        clashes: list[str] = []
        # codes and labels first so that a synonym never hides a label
        for pass_ in ("primary", "synonym"):
            for skill in self.skills.values():
                names = (
                    (skill.code.replace("_", " "), skill.label)
                    if pass_ == "primary"
                    else skill.synonyms
                )
                for name in names:
                    key = normalise_term(name)
                    if not key:
                        continue
                    owner = keys.setdefault(key, skill.code)
                    if owner != skill.code and pass_ == "synonym":
                        clashes.append(f"{name!r} ({skill.code} and {owner})")
        if clashes:
            log.warning(
                "vocabulary: %d synonym(s) name two skills; the first wins: %s",
                len(clashes),
                "; ".join(clashes[:10]),
            )
        self._keys = keys
        self._cache = {}
        self._cells = {}
        self._choices = list(keys)

    # -- lookups ------------------------------------------------------------------------
    def __contains__(self, code: object) -> bool:
        return code in self.skills

    def __len__(self) -> int:
        return len(self.skills)

    def label(self, code: str) -> str:
        """Readable label of a code (the original text for an unknown term)."""
        skill = self.skills.get(code)
        if skill is not None:
            return skill.label
        return code[len(UNKNOWN_PREFIX) :] if is_unknown_code(code) else code

    def related(self, code: str) -> tuple[str, ...]:
        """Codes that partly stand in for ``code`` (both directions of the ``related`` column)."""
        skill = self.skills.get(code)
        return skill.related if skill else ()

    def soc2020(self, code: str) -> str:
        """SOC 2020 unit group of a code ('' when it has none)."""
        skill = self.skills.get(code)
        return skill.soc2020 if skill else ""

    def resolve(self, term: str) -> Resolution:
        """Resolve one free-text term to a code (see the module notes for the order)."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        result = self._resolve(term)
        self._cache[term] = result
        return result

    def _resolve(self, term: str) -> Resolution:
        norm = normalise_term(term)
        if not norm:
            return Resolution(term, norm, "", "empty", 0.0)
        if norm.rsplit(" ", 1)[-1] in NEED_WORDS and " " in norm:
            return Resolution(term, norm, "", "need", 0.0)
        for variant in _variants(term, norm):
            code = self._keys.get(variant)
            if code:
                return Resolution(term, norm, code, "exact")
        contained = self._contained(norm)
        if contained:
            return Resolution(term, norm, contained, "contains", 100.0)
        best = self._fuzzy(norm)
        if best is not None and best[1] >= self.fuzzy_threshold and len(norm) >= FUZZY_MIN_LENGTH:
            return Resolution(term, norm, self._keys[best[0]], "fuzzy", round(best[1], 1))
        suggestion = self.label(self._keys[best[0]]) if best is not None else ""
        score = round(best[1], 1) if best is not None else 0.0
        return Resolution(term, norm, UNKNOWN_PREFIX + norm, "unknown", score, suggestion)

    def _contained(self, norm: str) -> str | None:
        words = norm.split(" ")
        if len(words) < 2:
            return None
        best: tuple[int, str] | None = None
        for size in range(len(words) - 1, 0, -1):
            if size * 2 < len(words):
                break
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                code = self._keys.get(phrase)
                if code and best is None:
                    best = (size, code)
            if best is not None:
                return best[1]
        return None

    def _fuzzy(self, norm: str) -> tuple[str, float] | None:
        found = process.extractOne(norm, self._choices, scorer=_fuzzy_score)
        return (found[0], float(found[1])) if found else None

    def codes(self, cell: object) -> list[str]:
        """Codes of a ``;``-separated skills cell, in order, without repeats."""
        key = cell if isinstance(cell, str) else None
        if key is not None and key in self._cells:
            return list(self._cells[key])
        out: list[str] = []
        for term in split_list(cell):
            code = self.resolve(term).code
            if code and code not in out:
                out.append(code)
        if key is not None:
            self._cells[key] = tuple(out)
        return out

    def resolve_cells(self, cells: Iterable[object]) -> list[list[str]]:
        """:meth:`codes` for each cell (resolving each distinct cell once)."""
        memo: dict[object, list[str]] = {}
        out: list[list[str]] = []
        for cell in cells:
            key = cell if isinstance(cell, str) else None
            if key is None or key not in memo:
                codes = self.codes(cell)
                if key is not None:
                    memo[key] = codes
                out.append(codes)
            else:
                out.append(memo[key])
        return out

    def to_frame(self) -> pd.DataFrame:
        """The vocabulary as a table (the CSV's columns)."""
        rows = [
            {
                "code": s.code,
                "label": s.label,
                "group": s.group,
                "soc2020": s.soc2020,
                "esco": s.esco,
                "synonyms": ";".join(s.synonyms),
                "related": ";".join(s.related),
            }
            for s in self.skills.values()
        ]
        return pd.DataFrame(rows, columns=list(VOCABULARY_COLUMNS))


def _fuzzy_score(a: str, b: str, *, score_cutoff: float | None = None, **_: object) -> float:
    return max(
        fuzz.ratio(a, b, score_cutoff=score_cutoff),
        fuzz.token_sort_ratio(a, b, score_cutoff=score_cutoff),
    )


def _variants(term: str, norm: str) -> list[str]:
    """Normalised forms to try exactly: whole, outside the parentheses, inside, unqualified."""
    out = [norm]
    outside = normalise_term(_PAREN.sub(" ", term))
    if outside:
        out.append(outside)
    out += [normalise_term(inner) for inner in _PAREN.findall(term) if normalise_term(inner)]
    for base in list(out):
        words = base.split(" ")
        while len(words) > 1 and words[0] in _QUALIFIERS:
            words = words[1:]
            if words and words[0].isdigit():
                words = words[1:]
            out.append(" ".join(words))
    return out


def _merge_rows(skills: dict[str, Skill], rows: list[dict[str, str]], source: str) -> None:
    problems: list[Problem] = []
    pending_related: list[tuple[int, str, tuple[str, ...]]] = []
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        if not code or not re.fullmatch(r"[a-z0-9_]+", code):
            problems.append(
                Problem(
                    source,
                    "needs a snake_case code (a-z, 0-9, _)",
                    row=number,
                    column="code",
                    value=code,
                )
            )
            continue
        synonyms = tuple(split_list(row.get("synonyms")))
        related = tuple(split_list(row.get("related")))
        soc = (row.get("soc2020") or "").strip()
        if soc and not re.fullmatch(r"\d{4}", soc):
            problems.append(
                Problem(
                    source,
                    "SOC 2020 unit group must be 4 digits",
                    row=number,
                    column="soc2020",
                    value=soc,
                )
            )
            soc = ""
        old = skills.get(code)
        if old is None:
            label = (row.get("label") or "").strip() or code.replace("_", " ")
            skills[code] = Skill(
                code,
                label,
                (row.get("group") or "").strip(),
                soc,
                (row.get("esco") or "").strip(),
                synonyms,
                related,
            )
        else:
            skills[code] = Skill(
                code,
                (row.get("label") or "").strip() or old.label,
                (row.get("group") or "").strip() or old.group,
                soc or old.soc2020,
                (row.get("esco") or "").strip() or old.esco,
                old.synonyms + tuple(s for s in synonyms if s not in old.synonyms),
                old.related + tuple(r for r in related if r not in old.related),
            )
        pending_related.append((number, code, related))
    for number, _code, related in pending_related:
        for other in related:
            if other not in skills:
                problems.append(
                    Problem(
                        source,
                        f"related code {other!r} is not in the vocabulary",
                        row=number,
                        column="related",
                        value=other,
                    )
                )
    if problems:
        raise DatasetError(
            problems, f"{source}: the skills vocabulary has {len(problems)} error(s)"
        )
    # make 'related' symmetric: a cook stands in for a chef and a chef for a cook
    for code, skill in list(skills.items()):
        for other in skill.related:
            peer = skills[other]
            if code not in peer.related:
                skills[other] = Skill(
                    peer.code,
                    peer.label,
                    peer.group,
                    peer.soc2020,
                    peer.esco,
                    peer.synonyms,
                    peer.related + (code,),
                )


def load_vocabulary(
    extra: Sequence[str | Path] = (), *, fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
) -> Vocabulary:
    """The bundled skills vocabulary extended by ``extra`` files (see :class:`Vocabulary`)."""
    return Vocabulary.load(extra, fuzzy_threshold=fuzzy_threshold)


RESOLUTION_COLUMNS = [
    "table",
    "term",
    "normalised",
    "method",
    "code",
    "label",
    "score",
    "count",
    "rows",
]
UNKNOWN_COLUMNS = ["table", "term", "normalised", "count", "rows", "suggestion", "score"]


def skill_resolutions(ds: Dataset, vocab: Vocabulary | None = None) -> pd.DataFrame:
    """How every distinct skill term of assets and opportunities was resolved.

    One row per (table, term) with the method, code, label, how many rows use
    it (``count``) and their ids (``rows``, ``;``-joined). Human assets are
    included by id only; no other field of theirs is reported.
    """
    return _resolutions(ds, vocab, rows_of_known=True)


def _resolutions(ds: Dataset, vocab: Vocabulary | None, *, rows_of_known: bool) -> pd.DataFrame:
    """:func:`skill_resolutions`; without ``rows_of_known``, ``rows`` is empty for known terms.

    (Joining the ids of every row of a known skill costs seconds on a million
    assets, and :func:`unknown_skills` drops those rows.)
    """
    vocab = vocab or Vocabulary.for_dataset(ds)
    records: dict[tuple[str, str], dict[str, object]] = {}
    for table, frame in (("assets", ds.assets), ("opportunities", ds.opportunities)):
        if frame is None or "skills" not in frame:
            continue
        ids = frame["id"].astype(str)  # converted to objects only for the rows listed
        # each distinct cell is split once; a term's rows are those of the cells naming it
        cell_of, cells = pd.factorize(frame["skills"], use_na_sentinel=False)
        cells = cells.to_numpy(dtype=object)
        order = np.argsort(cell_of, kind="stable")
        bounds = np.searchsorted(cell_of[order], np.arange(len(cells) + 1))
        term_rows: dict[str, list[np.ndarray]] = {}
        for u, cell in enumerate(cells):
            for term in split_list(cell):
                term_rows.setdefault(term, []).append(order[bounds[u] : bounds[u + 1]])
        for term, parts in term_rows.items():
            res = vocab.resolve(term)
            count = sum(len(p) for p in parts)  # the cells' rows do not overlap
            shown = rows_of_known or res.method == "unknown"
            rows = np.sort(np.concatenate(parts), kind="stable") if shown else parts[0][:0]
            records[(table, term)] = {
                "table": table,
                "term": term,
                "normalised": res.normalised,
                "method": res.method,
                "code": res.code,
                "label": res.suggestion if res.method == "unknown" else vocab.label(res.code),
                "score": res.score,
                "count": count,
                "rows": ";".join(ids.take(rows).to_numpy(dtype=object).tolist()),
            }
    out = pd.DataFrame(list(records.values()), columns=RESOLUTION_COLUMNS)
    if len(out):
        out = out.sort_values(
            ["table", "count", "term"], ascending=[True, False, True], ignore_index=True
        )
    return out


def unknown_skills(ds: Dataset, vocab: Vocabulary | None = None) -> pd.DataFrame:
    """Skill terms the vocabulary does not know: table, term, count, rows, closest suggestion.

    Unknown terms are still matched (identical terms match each other); this
    list tells researchers which synonyms to add to the vocabulary.
    """
    res = _resolutions(ds, vocab, rows_of_known=False)
    unknown = res[res["method"] == "unknown"].rename(columns={"label": "suggestion"})
    # a term only a few residents name would single them out: see cwb.privacy
    unknown = drop_rare_resident_terms(unknown, ds.assets, min_count=ds.min_count)
    return unknown[UNKNOWN_COLUMNS].reset_index(drop=True)
