"""Match the neighbourhood's assets to a capital project's opportunities, with reasons.

Output contract
---------------
:func:`match` returns a :class:`MatchResult`. Its ``matches`` table has one row
per plausible asset–opportunity pair kept (score at least ``min_score``, at most
``top_k`` per opportunity), with the columns of :data:`MATCH_COLUMNS`:

``asset_id, asset_name, asset_kind, asset_category, opportunity_id,
opportunity_title, opportunity_type, project, rank, score, skills_covered,
skills_via_pathway, skills_partial, skills_missing, distance_m, area_code,
imd_decile, pathway, count, capacity, value, reasons, skill_score,
distance_score, deprivation_score, pathway_score, capacity_score``

* ``score`` and the ``*_score`` components are in [0, 1] (rounded to 6
  decimals); a component that does not apply to the pair (capacity for a job,
  pathway for an opportunity that declares none) is empty and left out of the
  weighted mean.
* ``skills_*`` are ``;``-joined skill labels; ``reasons`` is a sentence list
  joined with `` · ``.
* ``distance_m`` is measured in the dataset's metric CRS (rounded to 0.1 m)
  from the asset to the opportunity (its own location, else its project's).
* ``rank`` is 1 for the best asset of each opportunity; ties are broken by the
  smaller distance, then the asset id.

Privacy: human assets appear only as groups. A ``skills_group`` row keeps its
own id; ``individual`` rows are first aggregated per area and skill set into
groups with ids ``group:<area_code>:<hash>`` (``MatchResult.members`` maps a
group id to its row ids, in memory only; it is never written). Groups standing
for fewer than ``ds.min_count`` residents are not matched at all; the number of
residents left out is ``MatchResult.suppressed_residents``. Contact columns
never enter the result.

Scoring: each key of ``[matching]`` in ``dataset.toml`` (``weights``, ``decay_m``,
``max_distance_m``, ``min_score``, ``top_k``, ``related_credit``, ``vocabulary`` …)
overrides a field of :class:`MatchSettings`, whose defaults are written once in
:mod:`cwb.settings` (``MATCH_WEIGHTS``, ``DECAY_M`` …).

* skills: mean over the opportunity's required skills of the best credit the
  asset has for it: 1 when it holds the skill, the pathway's credit when it
  qualifies for the opportunity's pathway and the pathway grants the skill,
  ``related_credit`` when it holds a related skill. 1 when nothing is required.
  A pair is plausible only when this is above 0 (or nothing is required), the
  asset's kind and category may serve the opportunity's type
  (``resources/eligibility.csv``) and it is within ``max_distance_m``.
* distance: ``exp(-d / decay_m)``.
* deprivation: ``(10 - imd_decile) / 9`` of the area the asset lies in (its
  ``area_code``, else the area polygon containing it); 0.5 when unknown.
* pathway (only when the opportunity names a pathway of
  ``resources/pathways.csv``): 1 when the asset qualifies for it or already
  holds every skill it grants, else 0.
* capacity (contracts, and training delivered by a provider): ``min(1,
  capacity / value)``; 0.5 when either is unknown.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from cwb import settings
from cwb.errors import UsageError

if TYPE_CHECKING:
    from cwb.dataset.model import Dataset
    from cwb.matching.engine import Engine
    from cwb.matching.skills import Vocabulary

log = logging.getLogger(__name__)

#: Score components, in the order of ``[matching] weights``.
COMPONENTS: tuple[str, ...] = ("skills", "distance", "deprivation", "pathway", "capacity")
#: Default component weights (normalised over the components that apply to a pair).
DEFAULT_WEIGHTS: dict[str, float] = dict(settings.MATCH_WEIGHTS)

#: Columns of :attr:`MatchResult.matches`, in order.
MATCH_COLUMNS: list[str] = [
    "asset_id",
    "asset_name",
    "asset_kind",
    "asset_category",
    "opportunity_id",
    "opportunity_title",
    "opportunity_type",
    "project",
    "rank",
    "score",
    "skills_covered",
    "skills_via_pathway",
    "skills_partial",
    "skills_missing",
    "distance_m",
    "area_code",
    "imd_decile",
    "pathway",
    "count",
    "capacity",
    "value",
    "reasons",
    "skill_score",
    "distance_score",
    "deprivation_score",
    "pathway_score",
    "capacity_score",
]
#: Columns of :attr:`MatchResult.assets` (the asset side as matched: public fields only).
ASSET_COLUMNS: list[str] = [
    "asset_id",
    "name",
    "kind",
    "category",
    "sector",
    "skills",
    "skill_codes",
    "capacity",
    "count",
    "members",
    "area_code",
    "area_name",
    "imd_decile",
    "located",
    "geometry",
]
#: Columns of :attr:`MatchResult.opportunities`.
OPPORTUNITY_COLUMNS: list[str] = [
    "opportunity_id",
    "project",
    "type",
    "title",
    "skills",
    "skill_codes",
    "sector",
    "quantity",
    "value",
    "pathway",
    "located",
    "geometry",
]
#: Columns of :attr:`MatchResult.unlocated`.
UNLOCATED_COLUMNS: list[str] = ["table", "id", "kind", "category", "reason"]

#: Separator of the reasons of one match.
REASON_SEPARATOR = " · "


@dataclass(frozen=True)
class MatchSettings:
    """Settings of matching, allocation and consortia (``[matching]`` in ``dataset.toml``).

    Attributes
    ----------
    weights
        Weight of each component in :data:`COMPONENTS`.
    decay_m
        Distance decay: the distance score is ``exp(-d / decay_m)``.
    max_distance_m
        Pairs farther apart than this are not plausible.
    min_score
        Pairs scoring below this are not kept.
    top_k
        Matches kept per opportunity (``None`` or 0: all).
    related_credit
        Credit for holding a related skill instead of the required one.
    fuzzy_threshold
        rapidfuzz score (0–100) at which an unknown term matches a known one.
    contracts_per_supplier
        Contracts one enterprise may be allocated.
    max_consortium_size
        Largest consortium proposed (2–4).
    consortia_per_contract
        Consortia proposed per contract.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    decay_m: float = settings.DECAY_M
    max_distance_m: float = settings.MAX_DISTANCE_M
    min_score: float = settings.MIN_SCORE
    top_k: int | None = settings.TOP_K
    related_credit: float = settings.RELATED_CREDIT
    fuzzy_threshold: float = settings.SKILL_FUZZY_THRESHOLD
    contracts_per_supplier: int = settings.CONTRACTS_PER_SUPPLIER
    max_consortium_size: int = settings.MAX_CONSORTIUM_SIZE
    consortia_per_contract: int = settings.CONSORTIA_PER_CONTRACT

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise UsageError(
                f"[matching] weights: unknown component(s) {sorted(unknown)}; "
                f"known: {', '.join(COMPONENTS)}"
            )
        full = {c: float(self.weights.get(c, DEFAULT_WEIGHTS[c])) for c in COMPONENTS}
        if any(w < 0 or math.isnan(w) for w in full.values()) or sum(full.values()) <= 0:
            raise UsageError(f"[matching] weights must be non-negative and not all 0, got {full}")
        object.__setattr__(self, "weights", full)
        if self.decay_m <= 0:
            raise UsageError(f"[matching] decay_m must be positive, got {self.decay_m}")
        if self.max_distance_m <= 0:
            raise UsageError(
                f"[matching] max_distance_m must be positive, got {self.max_distance_m}"
            )
        if not 0 <= self.min_score <= 1:
            raise UsageError(f"min_score must be between 0 and 1, got {self.min_score}")
        if self.top_k is not None and self.top_k < 0:
            raise UsageError(f"top_k must be 0 or more, got {self.top_k}")
        if self.top_k == 0:
            object.__setattr__(self, "top_k", None)
        if not 0 <= self.related_credit <= 1:
            raise UsageError(
                f"[matching] related_credit must be between 0 and 1, got {self.related_credit}"
            )
        if not 2 <= self.max_consortium_size <= 6:
            raise UsageError(
                f"[matching] max_consortium_size must be 2–6, got {self.max_consortium_size}"
            )

    @classmethod
    def from_manifest(cls, section: dict[str, Any], **overrides: Any) -> MatchSettings:
        """Settings from a ``[matching]`` section, then keyword overrides (None means: keep)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in section.items() if k in known}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except TypeError as exc:  # pragma: no cover - defensive
            raise UsageError(f"[matching]: {exc}") from None

    @classmethod
    def for_dataset(cls, ds: Dataset, **overrides: Any) -> MatchSettings:
        """The settings of ``ds`` (its ``[matching]`` section) with keyword overrides."""
        return cls.from_manifest(ds.manifest.section("matching"), **overrides)

    def with_(self, **changes: Any) -> MatchSettings:
        """A copy with some settings changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Pathway:
    """A recognised route into an opportunity (``resources/pathways.csv``).

    An asset *qualifies* when it holds any of ``requires`` (everyone does when
    it is empty); it then earns ``credit`` for each skill in ``grants``.
    """

    id: str
    label: str
    requires: tuple[str, ...]
    grants: tuple[str, ...]
    credit: float
    description: str = ""


@dataclass(frozen=True)
class EligibilityRule:
    """Which asset kind and category can serve which opportunity type, in what role."""

    opportunity_type: str
    asset_kind: str
    asset_category: str
    role: str
    supply: str  # "count": residents/rooms (count, default 1); "lots": contracts per supplier


@functools.cache
def _read_resource_rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a bundled CSV, read once per process (callers must not change them)."""
    text = resources.files("cwb").joinpath("resources", name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def load_pathways(extra: Path | None = None) -> dict[str, Pathway]:
    """The bundled pathways (``resources/pathways.csv``) plus an optional file like it."""
    from cwb.dataset.schema import split_list

    rows = list(_read_resource_rows("pathways.csv"))
    if extra is not None:
        with Path(extra).open(encoding="utf-8-sig", newline="") as handle:
            rows += list(csv.DictReader(handle))
    out: dict[str, Pathway] = {}
    for row in rows:
        pid = row["pathway"].strip()
        out[pid] = Pathway(
            pid,
            row.get("label", pid).strip(),
            tuple(split_list(row.get("requires"))),
            tuple(split_list(row.get("grants"))),
            float(row.get("credit") or 0.5),
            (row.get("description") or "").strip(),
        )
    return out


def load_eligibility() -> list[EligibilityRule]:
    """The eligibility rules (``resources/eligibility.csv``)."""
    return [
        EligibilityRule(
            r["opportunity_type"].strip(),
            r["asset_kind"].strip(),
            r["asset_category"].strip(),
            r["role"].strip(),
            r["supply"].strip(),
        )
        for r in _read_resource_rows("eligibility.csv")
    ]


@dataclass
class MatchResult:
    """What :func:`match` found (see the module notes for every column).

    Attributes
    ----------
    matches
        One row per kept pair, columns :data:`MATCH_COLUMNS`, sorted by project,
        opportunity and rank.
    assets
        The asset side as matched (GeoDataFrame, EPSG:4326, columns
        :data:`ASSET_COLUMNS`): non-human assets and human *groups* only, no
        private field. Groups' ``skills`` are the vocabulary labels.
    opportunities
        Opportunities with their resolved skill codes and the location used
        (columns :data:`OPPORTUNITY_COLUMNS`).
    unknown_skills
        Terms the vocabulary did not know (table, term, count, rows, suggestion).
    unlocated
        Assets and opportunities that could not be placed and were not matched.
    suppressed_residents
        Residents in human groups smaller than ``min_count`` (not matched).
    members
        Group id → ids of the ``individual`` rows it aggregates (in memory only).
    settings
        The settings used.
    allocation, consortia, gaps
        Filled in by :func:`match_dataset` (``None`` after :func:`match`).
    """

    matches: pd.DataFrame
    assets: gpd.GeoDataFrame
    opportunities: gpd.GeoDataFrame
    unknown_skills: pd.DataFrame
    unlocated: pd.DataFrame
    suppressed_residents: int
    settings: MatchSettings
    members: dict[str, list[str]] = field(default_factory=dict, repr=False)
    allocation: Any = None  # an Allocation once match_dataset has run
    consortia: pd.DataFrame | None = None
    gaps: Any = None  # a Gaps once match_dataset has run
    _engine: Engine | None = field(default=None, repr=False)

    def summary(self) -> pd.DataFrame:
        """Per project and opportunity type: opportunities, matched, matches, mean best score."""
        return match_summary(self)


def match_summary(result: MatchResult) -> pd.DataFrame:
    """A small table: per project and type, how many opportunities found matches."""
    opps = pd.DataFrame(result.opportunities.drop(columns="geometry"))
    m = result.matches
    best = (
        m[m["rank"] == 1].set_index("opportunity_id")["score"] if len(m) else pd.Series(dtype=float)
    )
    n = m.groupby("opportunity_id").size() if len(m) else pd.Series(dtype=int)
    frame = pd.DataFrame(
        {
            "project": opps["project"].to_numpy(),
            "type": opps["type"].to_numpy(),
            "matched": opps["opportunity_id"].map(n).fillna(0).gt(0).to_numpy(),
            "matches": opps["opportunity_id"].map(n).fillna(0).astype("int64").to_numpy(),
            "best": opps["opportunity_id"].map(best).to_numpy(dtype=float),
        }
    )
    if frame.empty:
        return pd.DataFrame(
            columns=["project", "type", "opportunities", "matched", "matches", "mean_best_score"]
        )
    out = (
        frame.groupby(["project", "type"], sort=True)
        .agg(
            opportunities=("matched", "size"),
            matched=("matched", "sum"),
            matches=("matches", "sum"),
            mean_best_score=("best", "mean"),
        )
        .reset_index()
    )
    out["mean_best_score"] = out["mean_best_score"].round(3)
    return out


def match(
    ds: Dataset,
    *,
    settings: MatchSettings | None = None,
    vocabulary: Vocabulary | None = None,
    project: str | None = None,
) -> MatchResult:
    """Score every plausible asset–opportunity pair of ``ds`` and keep the best.

    Parameters
    ----------
    ds
        The dataset.
    settings
        Matching settings; default: the dataset's ``[matching]`` section.
    vocabulary
        Skills vocabulary; default: the bundled one plus the dataset's own file.
    project
        Only the opportunities of this project id.

    Returns
    -------
    MatchResult
        See the module notes for the columns.

    Raises
    ------
    UsageError
        ``project`` is not a project of the dataset, or a setting is invalid.
    """
    from cwb.matching.engine import Engine

    settings = settings or MatchSettings.for_dataset(ds)
    if project is not None and ds.manifest.project(project) is None:
        known = ", ".join(p.id for p in ds.manifest.projects) or "none"
        raise UsageError(
            f"{project!r} is not a project of the dataset (projects: {known})", argument="project"
        )
    engine = Engine.build(ds, settings, vocabulary=vocabulary, project=project)
    return engine.result()


def match_dataset(
    ds: Dataset,
    *,
    settings: MatchSettings | None = None,
    project: str | None = None,
) -> MatchResult:
    """Match, allocate, propose consortia and find the gaps of ``ds`` in one call.

    The returned :class:`MatchResult` has ``allocation`` (an
    :class:`cwb.matching.allocation.Allocation`), ``consortia`` (a DataFrame) and
    ``gaps`` (a :class:`cwb.matching.gaps.Gaps`) filled in.
    """
    return complete_matching(match(ds, settings=settings, project=project))


def complete_matching(result: MatchResult) -> MatchResult:
    """Fill in the allocation, consortia and gaps of a :func:`match` result.

    Parameters
    ----------
    result
        What :func:`match` returned; it is completed in place.

    Returns
    -------
    MatchResult
        ``result``, with ``allocation``, ``consortia`` and ``gaps`` set.
    """
    from cwb.matching.allocation import allocate
    from cwb.matching.consortia import propose_consortia
    from cwb.matching.gaps import find_gaps

    result.allocation = allocate(result)
    result.consortia = propose_consortia(result)
    result.gaps = find_gaps(result, result.allocation)
    return result


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a result table as UTF-8 CSV, atomically (geometry columns are left out)."""
    from cwb._atomic import atomic_open
    from cwb.dataset.schema import is_private_column

    frame = pd.DataFrame(frame).drop(
        columns=[c for c in frame.columns if c == "geometry" or is_private_column(c)]
    )
    with atomic_open(path) as handle:
        frame.to_csv(handle, index=False)
    return Path(path)


def run_match(
    path: str | Path,
    *,
    output: str | Path | None = None,
    top_k: int | None = None,
    min_score: float | None = None,
    project: str | None = None,
) -> MatchResult:
    """Read the dataset at ``path``, match it and write the matches (``cwb match``).

    Settings come from the dataset's ``[matching]`` section; ``top_k`` and
    ``min_score`` override it when given. With ``output``, the matches table is
    written there as CSV.
    """
    from cwb.dataset.io import read_dataset

    ds = read_dataset(path)
    settings = MatchSettings.for_dataset(ds, top_k=top_k, min_score=min_score)
    result = match(ds, settings=settings, project=project)
    if output is not None:
        write_csv(result.matches, output)
    return result
