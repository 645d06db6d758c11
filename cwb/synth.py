"""Synthetic datasets of any size, for tests and the benchmark (``cwb synth``).

A synthetic dataset is a valid dataset folder: ``dataset.toml``, assets,
opportunities, areas, spend, links and a postcode lookup. Assets cluster
around several capital-project sites in the West Midlands (a Gaussian cluster
per project with a few tight "high street" sub-clusters, plus a thin
background), generated in British National Grid metres and stored as WGS84.
All four asset kinds and every category appear in fixed proportions; skills
come from the same vocabulary as the Birmingham demo. Some rows are located
by coordinates, some by a (synthetic) postcode, some human assets by area code,
as real catalogues are.

Everything is vectorised numpy/pandas (a million assets take seconds) and
deterministic for a seed. Nothing here is real except the rough positions of
the project sites: names, postcodes, areas and figures are invented.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from cwb._atomic import atomic_path, write_text_atomic
from cwb.errors import UsageError
from cwb.manifest import MANIFEST_NAME, FileEntry, Manifest, Project
from cwb.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, split_list

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "parquet", "gpkg")
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Project sites: id, name, kind, lat, lon, local authority. Positions are real places in the
#: West Midlands; the projects themselves are synthetic.
PROJECT_SITES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("smethwick", "Smethwick hospital (synthetic)", "hospital", 52.4950, -1.9450, "Sandwell"),
    ("perry_barr", "Perry Barr housing scheme (synthetic)", "housing", 52.5245, -1.9030, "Birmingham"),
    ("curzon", "Curzon Street station (synthetic)", "transport", 52.4822, -1.8864, "Birmingham"),
    ("west_bromwich", "West Bromwich college campus (synthetic)", "education", 52.5187, -1.9945, "Sandwell"),
    ("dudley", "Dudley health campus (synthetic)", "health", 52.5120, -2.0810, "Dudley"),
)
#: Further projects are placed at random inside this lon/lat box.
_EXTRA_SITE_BOX = (-2.15, 52.42, -1.75, 52.60)

KIND_WEIGHTS: dict[str, float] = {"physical": 0.15, "financial": 0.45, "community": 0.15, "human": 0.25}
CATEGORY_WEIGHTS: dict[str, float] = {
    "building": 0.20, "community_centre": 0.08, "library": 0.03, "green_space": 0.15, "land": 0.08,
    "vacant_building": 0.10, "place_of_worship": 0.10, "sports_facility": 0.06,
    "health_facility": 0.06, "education_facility": 0.06, "shop": 0.08,
    "business": 0.82, "social_enterprise": 0.08, "cooperative": 0.03, "anchor_institution": 0.005,
    "funder": 0.015, "investment": 0.05,
    "voluntary_group": 0.35, "faith_group": 0.20, "tenants_association": 0.10, "charity": 0.20,
    "network": 0.05, "service": 0.10,
    "skills_group": 0.85, "individual": 0.15,
}
OPPORTUNITY_WEIGHTS: dict[str, float] = {
    "job": 0.45, "contract": 0.25, "training": 0.15, "volunteering": 0.10, "space": 0.05,
}
#: Median and log-spread of ``capacity`` per kind (£ for financial, m² for physical, people else).
_CAPACITY: dict[str, tuple[float, float]] = {
    "business": (60_000, 1.3), "social_enterprise": (40_000, 1.0), "cooperative": (50_000, 1.0),
    "anchor_institution": (50_000_000, 0.8), "funder": (250_000, 1.0), "investment": (500_000, 1.0),
    "physical": (400, 1.0), "green_space": (8_000, 1.2), "land": (5_000, 1.2), "community": (25, 0.8),
}
_SUFFIX: dict[str, str] = {
    "business": "Ltd", "social_enterprise": "CIC", "cooperative": "Co-operative",
    "anchor_institution": "Trust", "funder": "Fund", "investment": "Investment Partners",
    "voluntary_group": "Volunteers", "faith_group": "Faith Group", "tenants_association": "Tenants' Association",
    "charity": "Charity", "network": "Network", "service": "Support Service",
}
_PLACES = ("Smethwick", "Soho", "Ladywood", "Winson Green", "Handsworth", "Lozells", "Aston",
           "Perry Barr", "Digbeth", "Nechells", "West Bromwich", "Oldbury", "Dudley", "Tipton",
           "Edgbaston", "Rotton Park", "Cape Hill", "Bearwood")
#: Job pay bands and annual pay (£), roughly NHS Agenda for Change 2024/25.
_PAY_BANDS = (("Band 2", 23_615), ("Band 3", 24_071), ("Band 4", 26_530), ("Band 5", 29_970),
              ("Band 6", 37_338), ("Band 7", 46_148), ("Band 8a", 53_755))
_ANCHORS = ("Synthetic Hospitals NHS Trust", "Synthetic City Council", "Synthetic University",
            "Synthetic Housing Group", "Synthetic College")
_RELATIONS = ("partner", "member_of", "funds", "uses", "supplies")
_POSTCODE_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
#: Minimal skill vocabulary by sector, used only when neither the skills resource nor the demo
#: dataset is available.
_FALLBACK_SKILLS: dict[str, tuple[str, ...]] = {
    "health": ("registered nurse", "midwifery", "pharmacy", "medicine", "healthcare support"),
    "catering": ("cooking", "food hygiene"),
    "cleaning": ("cleaning", "infection control"),
    "construction": ("construction", "electrical installation", "plumbing"),
    "security": ("security",),
    "transport": ("driving", "logistics"),
    "facilities management": ("facilities management", "maintenance"),
    "IT": ("IT support", "software development"),
}


@dataclass(frozen=True)
class SkillVocabulary:
    """Skills grouped by sector; ``source`` says where they were read from."""

    by_sector: dict[str, tuple[str, ...]]
    source: str

    @property
    def sectors(self) -> list[str]:
        """Sector names."""
        return list(self.by_sector)

    @property
    def labels(self) -> list[str]:
        """Every skill label."""
        return sorted({s for skills in self.by_sector.values() for s in skills})


@dataclass
class SynthResult:
    """What :func:`synth_dataset` wrote."""

    folder: Path
    counts: dict[str, int]
    files: list[Path]
    seconds: float
    vocabulary_source: str
    bytes_written: int = 0
    settings: dict[str, Any] = field(default_factory=dict)


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def load_skill_vocabulary() -> SkillVocabulary:
    """The skill vocabulary shared with the demo, grouped by sector.

    Read from ``cwb/resources/skills.csv`` (a ``label`` column and, if present,
    a ``sector``/``group``/``family`` column) when it exists; else from the skills
    and sectors of ``data/birmingham/assets.csv`` and ``opportunities.csv``; else
    a minimal built-in list.
    """
    resource = Path(__file__).resolve().parent / "resources" / "skills.csv"
    if resource.exists():
        vocab = _vocabulary_from_rows(_read_csv_rows(resource), "label", resource.name)
        if vocab is not None:
            return vocab
    demo = _repo_root() / "data" / "birmingham"
    rows: list[dict[str, str]] = []
    for name in ("assets.csv", "opportunities.csv"):
        if (demo / name).exists():
            rows += _read_csv_rows(demo / name)
    vocab = _vocabulary_from_rows(rows, "skills", "data/birmingham")
    return vocab or SkillVocabulary(dict(_FALLBACK_SKILLS), "built-in")


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("could not read skills from %s: %s", path, exc)
        return []


def _vocabulary_from_rows(rows: list[dict[str, str]], column: str, source: str) -> SkillVocabulary | None:
    """Group the skills of ``column`` (a label or a ``;`` list) by the row's sector."""
    if not rows:
        return None
    keys = {k.lower(): k for k in rows[0] if k}
    col = keys.get(column) or keys.get("skill") or keys.get("name")
    group = next((keys[k] for k in ("sector", "group", "family", "domain", "category") if k in keys), None)
    if col is None:
        return None
    by_sector: dict[str, set[str]] = {}
    for row in rows:
        sector = (row.get(group) or "").strip() if group else ""
        for skill in split_list(row.get(col)):
            by_sector.setdefault(sector or "general", set()).add(skill)
    if not by_sector:
        return None
    return SkillVocabulary({k: tuple(sorted(v)) for k, v in sorted(by_sector.items())}, source)


# --------------------------------------------------------------------------- sampling helpers


def _apportion(total: int, weights: dict[str, float], *, at_least_one: bool) -> dict[str, int]:
    """Split ``total`` by weight (largest remainder), giving each key one row first when it fits."""
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    base = np.ones(len(keys), dtype=int) if at_least_one and total >= len(keys) else np.zeros(len(keys), dtype=int)
    rest = total - int(base.sum())
    exact = w / w.sum() * rest
    counts = np.floor(exact).astype(int)
    short = rest - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return dict(zip(keys, (base + counts).tolist(), strict=True))


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * np.asarray(sigma))


def _date_strings(first: str, last: str) -> np.ndarray:
    return pd.date_range(first, last, freq="D").strftime("%Y-%m-%d").to_numpy(dtype=object)


def _numbered(prefix: str, n: int, start: int = 1) -> np.ndarray:
    width = max(len(str(n + start - 1)), 1)
    return (prefix + pd.Series(np.arange(start, start + n)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _join_strings(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of object arrays and constant strings."""
    out: np.ndarray | str = ""
    for part in parts:
        out = np.char.add(out, part) if False else out + part  # object arrays add element-wise
    return np.asarray(out, dtype=object)


def _pick_skills(rng: np.random.Generator, vocab: SkillVocabulary, sector_idx: np.ndarray,
                 max_k: int) -> np.ndarray:
    """A ``;``-list of 1..max_k distinct skills per row, from the row's sector (popular ones first)."""
    out = np.empty(len(sector_idx), dtype=object)
    for s, sector in enumerate(vocab.sectors):
        rows = np.flatnonzero(sector_idx == s)
        if rows.size == 0:
            continue
        pool = np.array(vocab.by_sector[sector], dtype=object)
        p = len(pool)
        popularity = 1.0 / np.arange(1, p + 1) ** 0.8
        popularity = rng.permutation(popularity)
        first = rng.choice(p, size=rows.size, p=popularity / popularity.sum())
        k_max = min(max_k, p)
        k = rng.integers(1, k_max + 1, rows.size)
        step = rng.integers(1, max(1, (p - 1) // max(1, k_max - 1)) + 1, rows.size)
        text = pool[first]
        for j in range(1, k_max):
            nxt = pool[(first + j * step) % p]
            text = np.where(k > j, text + ";" + nxt, text)
        out[rows] = text
    return out


# --------------------------------------------------------------------------- geography


@dataclass
class _Geography:
    projects: list[Project]
    authority: list[str]
    centres: np.ndarray  # (P, 2) metres
    bbox: tuple[float, float, float, float]
    sub_centres: np.ndarray  # (P, S, 2)


def _geography(rng: np.random.Generator, n_projects: int, to_bng: Transformer) -> _Geography:
    projects, authority = [], []
    for i in range(n_projects):
        if i < len(PROJECT_SITES):
            pid, name, kind, lat, lon, la = PROJECT_SITES[i]
        else:
            x0, y0, x1, y1 = _EXTRA_SITE_BOX
            lon, lat = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            pid, name, kind, la = f"site{i + 1}", f"Synthetic project {i + 1}", "regeneration", "West Midlands"
        projects.append(Project(id=pid, name=name, lat=round(lat, 5), lon=round(lon, 5), kind=kind,
                                description="Synthetic capital project generated by cwb synth."))
        authority.append(la)
    xs, ys = to_bng.transform([p.lon for p in projects], [p.lat for p in projects])
    centres = np.column_stack([xs, ys])
    pad = 6_000.0
    bbox = (centres[:, 0].min() - pad, centres[:, 1].min() - pad,
            centres[:, 0].max() + pad, centres[:, 1].max() + pad)
    sub = centres[:, None, :] + rng.normal(0.0, 1_500.0, (n_projects, 6, 2))
    return _Geography(projects, authority, centres, bbox, sub)


def _sample_points(rng: np.random.Generator, geo: _Geography, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (metres) from the cluster mixture, and the project each belongs to (-1 = background)."""
    n_proj = len(geo.projects)
    weights = 1.0 / (1.0 + 0.4 * np.arange(n_proj))
    cluster = rng.choice(n_proj, size=n, p=weights / weights.sum())
    mode = rng.random(n)
    xy = np.empty((n, 2))
    # 45% around a high street (tight), 45% around the project (wide), 10% background
    street = mode < 0.45
    s_idx = rng.integers(0, geo.sub_centres.shape[1], n)
    xy[street] = geo.sub_centres[cluster[street], s_idx[street]] + rng.normal(0, 350.0, (street.sum(), 2))
    wide = (mode >= 0.45) & (mode < 0.9)
    xy[wide] = geo.centres[cluster[wide]] + rng.normal(0, 1_800.0, (wide.sum(), 2))
    back = mode >= 0.9
    x0, y0, x1, y1 = geo.bbox
    xy[back] = np.column_stack([rng.uniform(x0, x1, back.sum()), rng.uniform(y0, y1, back.sum())])
    cluster[back] = -1
    xy[:, 0] = np.clip(xy[:, 0], x0 + 1, x1 - 1)
    xy[:, 1] = np.clip(xy[:, 1], y0 + 1, y1 - 1)
    return xy, cluster


def _areas(rng: np.random.Generator, geo: _Geography, to_wgs: Transformer) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Voronoi areas over the bounding box, more deprived near the projects; and their seed points."""
    x0, y0, x1, y1 = geo.bbox
    n_areas = int(np.clip((x1 - x0) * (y1 - y0) / 1.5e6, 20, 2_000))
    seeds = np.column_stack([rng.uniform(x0, x1, n_areas), rng.uniform(y0, y1, n_areas)])
    box = shapely.box(x0, y0, x1, y1)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    # order the cells like the seeds: the cell of a seed is the one that contains it
    tree = shapely.STRtree(cells)
    seed_idx, cell_idx = tree.query(shapely.points(seeds), predicate="intersects")
    order = np.full(n_areas, -1)
    order[seed_idx[::-1]] = cell_idx[::-1]
    polygons = cells[order]
    centroids = shapely.get_coordinates(shapely.centroid(polygons))
    dist_km = cKDTree(geo.centres).query(centroids)[0] / 1000.0
    score = -dist_km + rng.normal(0.0, 1.2, n_areas)
    position = np.empty(n_areas, dtype=int)
    position[np.argsort(-score, kind="stable")] = np.arange(n_areas)
    imd_rank = np.floor((position + rng.random(n_areas)) / n_areas * 32_844).astype(int) + 1
    nearest = cKDTree(geo.centres).query(centroids)[1]
    lon, lat = to_wgs.transform(*shapely.get_coordinates(polygons).T)
    del lon, lat  # transform the polygons with geopandas below (keeps rings intact)
    frame = pd.DataFrame({
        "code": _numbered("SYN", n_areas),
        "name": _join_strings(np.array(_PLACES, dtype=object)[np.arange(n_areas) % len(_PLACES)], " ",
                              pd.Series(np.arange(1, n_areas + 1)).astype(str).to_numpy(dtype=object)),
        "imd_decile": (imd_rank - 1) * 10 // 32_844 + 1,
        "imd_rank": imd_rank,
        "population": np.round(rng.normal(1_650, 250, n_areas)).clip(800).astype(int),
        "local_authority": np.array(geo.authority, dtype=object)[nearest],
    })
    areas = gpd.GeoDataFrame(frame, geometry=polygons, crs=BNG).to_crs(WGS84)
    return areas, seeds


def _postcodes(rng: np.random.Generator, geo: _Geography, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic postcodes (B-prefixed, spatially coherent districts) and their centroids."""
    xy, _ = _sample_points(rng, geo, n)
    xy = xy[np.lexsort((xy[:, 0], np.floor(xy[:, 1] / 2_500.0)))]
    i = np.arange(n)
    district = 1 + (i // 4_000) % 99
    sector = (i // 400) % 10
    unit = i % 400
    codes = _join_strings("B", district.astype(str).astype(object), " ", sector.astype(str).astype(object),
                          _POSTCODE_LETTERS[unit // 20].astype(object), _POSTCODE_LETTERS[unit % 20].astype(object))
    codes, first = np.unique(codes, return_index=True)
    return codes, xy[first]
