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
from cwb.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, TABLES, split_list

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "parquet", "gpkg")
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Project sites: id, name, kind, lat, lon, local authority. Positions are real places in the
#: West Midlands; the projects themselves are synthetic.
PROJECT_SITES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("smethwick", "Smethwick hospital (synthetic)", "hospital", 52.4950, -1.9450, "Sandwell"),
    (
        "perry_barr",
        "Perry Barr housing scheme (synthetic)",
        "housing",
        52.5245,
        -1.9030,
        "Birmingham",
    ),
    ("curzon", "Curzon Street station (synthetic)", "transport", 52.4822, -1.8864, "Birmingham"),
    (
        "west_bromwich",
        "West Bromwich college campus (synthetic)",
        "education",
        52.5187,
        -1.9945,
        "Sandwell",
    ),
    ("dudley", "Dudley health campus (synthetic)", "health", 52.5120, -2.0810, "Dudley"),
)
#: Further projects are placed at random inside this lon/lat box.
_EXTRA_SITE_BOX = (-2.15, 52.42, -1.75, 52.60)

KIND_WEIGHTS: dict[str, float] = {
    "physical": 0.15,
    "financial": 0.45,
    "community": 0.15,
    "human": 0.25,
}
CATEGORY_WEIGHTS: dict[str, float] = {
    "building": 0.20,
    "community_centre": 0.08,
    "library": 0.03,
    "green_space": 0.15,
    "land": 0.08,
    "vacant_building": 0.10,
    "place_of_worship": 0.10,
    "sports_facility": 0.06,
    "health_facility": 0.06,
    "education_facility": 0.06,
    "shop": 0.08,
    "business": 0.82,
    "social_enterprise": 0.08,
    "cooperative": 0.03,
    "anchor_institution": 0.005,
    "funder": 0.015,
    "investment": 0.05,
    "voluntary_group": 0.35,
    "faith_group": 0.20,
    "tenants_association": 0.10,
    "charity": 0.20,
    "network": 0.05,
    "service": 0.10,
    "skills_group": 0.85,
    "individual": 0.15,
}
OPPORTUNITY_WEIGHTS: dict[str, float] = {
    "job": 0.45,
    "contract": 0.25,
    "training": 0.15,
    "volunteering": 0.10,
    "space": 0.05,
}
#: Median and log-spread of ``capacity`` per kind (£ for financial, m² for physical, people else).
_CAPACITY: dict[str, tuple[float, float]] = {
    "business": (60_000, 1.3),
    "social_enterprise": (40_000, 1.0),
    "cooperative": (50_000, 1.0),
    "anchor_institution": (50_000_000, 0.8),
    "funder": (250_000, 1.0),
    "investment": (500_000, 1.0),
    "physical": (400, 1.0),
    "green_space": (8_000, 1.2),
    "land": (5_000, 1.2),
    "community": (25, 0.8),
}
_SUFFIX: dict[str, str] = {
    "business": "Ltd",
    "social_enterprise": "CIC",
    "cooperative": "Co-operative",
    "anchor_institution": "Trust",
    "funder": "Fund",
    "investment": "Investment Partners",
    "voluntary_group": "Volunteers",
    "faith_group": "Faith Group",
    "tenants_association": "Tenants' Association",
    "charity": "Charity",
    "network": "Network",
    "service": "Support Service",
}
_PLACES = (
    "Smethwick",
    "Soho",
    "Ladywood",
    "Winson Green",
    "Handsworth",
    "Lozells",
    "Aston",
    "Perry Barr",
    "Digbeth",
    "Nechells",
    "West Bromwich",
    "Oldbury",
    "Dudley",
    "Tipton",
    "Edgbaston",
    "Rotton Park",
    "Cape Hill",
    "Bearwood",
)
#: Job pay bands and annual pay (£), roughly NHS Agenda for Change 2024/25.
_PAY_BANDS = (
    ("Band 2", 23_615),
    ("Band 3", 24_071),
    ("Band 4", 26_530),
    ("Band 5", 29_970),
    ("Band 6", 37_338),
    ("Band 7", 46_148),
    ("Band 8a", 53_755),
)
_ANCHORS = (
    "Synthetic Hospitals NHS Trust",
    "Synthetic City Council",
    "Synthetic University",
    "Synthetic Housing Group",
    "Synthetic College",
)
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


def _vocabulary_from_rows(
    rows: list[dict[str, str]], column: str, source: str
) -> SkillVocabulary | None:
    """Group the skills of ``column`` (a label or a ``;`` list) by the row's sector."""
    if not rows:
        return None
    keys = {k.lower(): k for k in rows[0] if k}
    col = keys.get(column) or keys.get("skill") or keys.get("name")
    group = next(
        (keys[k] for k in ("sector", "group", "family", "domain", "category") if k in keys), None
    )
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
    base = (
        np.ones(len(keys), dtype=int)
        if at_least_one and total >= len(keys)
        else np.zeros(len(keys), dtype=int)
    )
    rest = total - int(base.sum())
    exact = w / w.sum() * rest
    counts = np.floor(exact).astype(int)
    short = rest - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return dict(zip(keys, (base + counts).tolist(), strict=True))


def _lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int
) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * np.asarray(sigma))


def _date_strings(first: str, last: str) -> np.ndarray:
    return pd.date_range(first, last, freq="D").strftime("%Y-%m-%d").to_numpy(dtype=object)


def _numbered(prefix: str, n: int, start: int = 1) -> np.ndarray:
    width = max(len(str(n + start - 1)), 1)
    return (prefix + pd.Series(np.arange(start, start + n)).astype(str).str.zfill(width)).to_numpy(
        dtype=object
    )


def _join_strings(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of object arrays and constant strings."""
    out: Any = ""
    for part in parts:
        out = out + part  # object arrays add element-wise
    return np.asarray(out, dtype=object)


def _pick_skills(
    rng: np.random.Generator, vocab: SkillVocabulary, sector_idx: np.ndarray, max_k: int
) -> np.ndarray:
    """A ``;``-list of 1..max_k distinct skills per row, from the row's sector pool."""
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
            pid, name, kind, la = (
                f"site{i + 1}",
                f"Synthetic project {i + 1}",
                "regeneration",
                "West Midlands",
            )
        projects.append(
            Project(
                id=pid,
                name=name,
                lat=round(lat, 5),
                lon=round(lon, 5),
                kind=kind,
                description="Synthetic capital project generated by cwb synth.",
            )
        )
        authority.append(la)
    xs, ys = to_bng.transform([p.lon for p in projects], [p.lat for p in projects])
    centres = np.column_stack([xs, ys])
    pad = 6_000.0
    bbox = (
        centres[:, 0].min() - pad,
        centres[:, 1].min() - pad,
        centres[:, 0].max() + pad,
        centres[:, 1].max() + pad,
    )
    sub = centres[:, None, :] + rng.normal(0.0, 1_500.0, (n_projects, 6, 2))
    return _Geography(projects, authority, centres, bbox, sub)


def _sample_points(
    rng: np.random.Generator, geo: _Geography, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Points (metres) from the cluster mixture, and each one's project (-1 = background)."""
    n_proj = len(geo.projects)
    weights = 1.0 / (1.0 + 0.4 * np.arange(n_proj))
    cluster = rng.choice(n_proj, size=n, p=weights / weights.sum())
    mode = rng.random(n)
    xy = np.empty((n, 2))
    # 45% around a high street (tight), 45% around the project (wide), 10% background
    street = mode < 0.45
    s_idx = rng.integers(0, geo.sub_centres.shape[1], n)
    xy[street] = geo.sub_centres[cluster[street], s_idx[street]] + rng.normal(
        0, 350.0, (street.sum(), 2)
    )
    wide = (mode >= 0.45) & (mode < 0.9)
    xy[wide] = geo.centres[cluster[wide]] + rng.normal(0, 1_800.0, (wide.sum(), 2))
    back = mode >= 0.9
    x0, y0, x1, y1 = geo.bbox
    xy[back] = np.column_stack([rng.uniform(x0, x1, back.sum()), rng.uniform(y0, y1, back.sum())])
    cluster[back] = -1
    xy[:, 0] = np.clip(xy[:, 0], x0 + 1, x1 - 1)
    xy[:, 1] = np.clip(xy[:, 1], y0 + 1, y1 - 1)
    return xy, cluster


def _areas(rng: np.random.Generator, geo: _Geography) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Voronoi areas over the bounding box (more deprived near the projects), and their seeds."""
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
    frame = pd.DataFrame(
        {
            "code": _numbered("SYN", n_areas),
            "name": _join_strings(
                np.array(_PLACES, dtype=object)[np.arange(n_areas) % len(_PLACES)],
                " ",
                pd.Series(np.arange(1, n_areas + 1)).astype(str).to_numpy(dtype=object),
            ),
            "imd_decile": (imd_rank - 1) * 10 // 32_844 + 1,
            "imd_rank": imd_rank,
            "population": np.round(rng.normal(1_650, 250, n_areas)).clip(800).astype(int),
            "local_authority": np.array(geo.authority, dtype=object)[nearest],
        }
    )
    areas = gpd.GeoDataFrame(frame, geometry=polygons, crs=BNG).to_crs(WGS84)
    return areas, seeds


def _ring_points(
    rng: np.random.Generator, geo: _Geography, n: int, inner: float, outer: float
) -> np.ndarray:
    """``n`` points between ``inner`` and ``outer`` metres outside the bounding box."""
    x0, y0, x1, y1 = geo.bbox
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xy = np.column_stack(
            [rng.uniform(x0 - outer, x1 + outer, 4 * n), rng.uniform(y0 - outer, y1 + outer, 4 * n)]
        )
        dx = np.maximum(np.maximum(x0 - xy[:, 0], xy[:, 0] - x1), 0)
        dy = np.maximum(np.maximum(y0 - xy[:, 1], xy[:, 1] - y1), 0)
        found.append(xy[np.hypot(dx, dy) >= inner])
    return np.concatenate(found)[:n]


def _postcode_codes(prefix: str, n: int) -> np.ndarray:
    """``n`` distinct postcodes ``PREFIX<district> <sector><unit>`` (4,000 per district)."""
    i = np.arange(n)
    district = (1 + (i // 4_000) % 99).astype(str).astype(object)
    sector = ((i // 400) % 10).astype(str).astype(object)
    unit = i % 400
    return _join_strings(
        prefix,
        district,
        " ",
        sector,
        _POSTCODE_LETTERS[unit // 20].astype(object),
        _POSTCODE_LETTERS[unit % 20].astype(object),
    )


def _postcodes(
    rng: np.random.Generator, geo: _Geography, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic postcodes, their centroids (metres) and whether each is local.

    ``n`` lie inside the areas (``B``, districts in spatial order) and ``n // 10`` in a
    ring 3–20 km outside them (``WS``, for regional suppliers).
    """
    xy, _ = _sample_points(rng, geo, n)
    xy = xy[np.lexsort((xy[:, 0], np.floor(xy[:, 1] / 2_500.0)))]
    n_ring = max(20, n // 10)
    ring = _ring_points(rng, geo, n_ring, 3_000.0, 20_000.0)
    codes = np.concatenate([_postcode_codes("B", n), _postcode_codes("WS", n_ring)])
    local = np.concatenate([np.ones(n, dtype=bool), np.zeros(n_ring, dtype=bool)])
    return codes, np.concatenate([xy, ring]), local


# --------------------------------------------------------------------------- tables


@dataclass
class _Context:
    rng: np.random.Generator
    geo: _Geography
    vocab: SkillVocabulary
    seeds: np.ndarray
    area_codes: np.ndarray
    postcodes: np.ndarray
    postcode_xy: np.ndarray
    postcode_local: np.ndarray
    to_wgs: Transformer
    seed: int

    def lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self.to_wgs.transform(xy[:, 0], xy[:, 1])
        return np.round(lon, 6), np.round(lat, 6)

    def nearest_postcode(self, xy: np.ndarray) -> np.ndarray:
        local = self.postcode_local
        return self.postcodes[local][cKDTree(self.postcode_xy[local]).query(xy)[1]]


def _title(words: np.ndarray) -> np.ndarray:
    """Capitalise the first letter of each string (keeps 'IT' as it is)."""
    s = pd.Series(words, dtype=object)
    return (s.str[:1].str.upper() + s.str[1:]).to_numpy(dtype=object)


def _assets(ctx: _Context, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng, vocab = ctx.rng, ctx.vocab
    weights = {}
    for kind, cats in ASSET_CATEGORIES.items():
        cat_w = np.array([CATEGORY_WEIGHTS.get(c, 0.05) for c in cats])
        for c, w in zip(cats, cat_w / cat_w.sum(), strict=True):
            weights[c] = KIND_WEIGHTS.get(kind, 0.1) * w
    counts = _apportion(n, weights, at_least_one=True)
    cat_names = np.array(list(counts), dtype=object)
    cat_code = rng.permutation(np.repeat(np.arange(len(cat_names)), list(counts.values())))
    category = cat_names[cat_code]
    kind_of = {c: k for k, cats in ASSET_CATEGORIES.items() for c in cats}
    kind = np.array([kind_of[c] for c in cat_names], dtype=object)[cat_code]
    is_human = kind == "human"
    is_fin, is_comm, is_phys = kind == "financial", kind == "community", kind == "physical"

    xy, _cluster = _sample_points(rng, ctx.geo, n)
    u = rng.random(n)
    method = np.where(
        is_human,
        np.where(category == "individual", 1, np.where(u < 0.7, 2, 1)),
        np.where(u < 0.8, 0, 1),
    )  # 0 exact, 1 postcode, 2 area code
    lon, lat = ctx.lonlat(xy)
    exact = method == 0
    lon, lat = np.where(exact, lon, np.nan), np.where(exact, lat, np.nan)
    postcode = np.full(n, None, dtype=object)
    by_pc = method == 1
    postcode[by_pc] = ctx.nearest_postcode(xy[by_pc])
    area_code = np.full(n, None, dtype=object)
    by_area = method == 2
    area_code[by_area] = ctx.area_codes[cKDTree(ctx.seeds).query(xy[by_area])[1]]

    sectors = np.array(vocab.sectors, dtype=object)
    sector_idx = rng.integers(0, len(sectors), n)
    sector = np.where(is_phys, None, sectors[sector_idx])
    skills = np.full(n, None, dtype=object)
    with_skills = is_human | is_fin | (is_comm & (rng.random(n) < 0.3))
    skills[with_skills] = _pick_skills(rng, vocab, sector_idx[with_skills], 4)

    number = pd.Series(np.arange(1, n + 1)).astype(str).to_numpy(dtype=object)
    ids = _numbered("A", n)
    place = np.array(_PLACES, dtype=object)[rng.integers(0, len(_PLACES), n)]
    suffix = np.array([_SUFFIX.get(c, "") for c in cat_names], dtype=object)[cat_code]
    label = _title(pd.Series(category, dtype=object).str.replace("_", " ").to_numpy(dtype=object))
    first_skill = (
        pd.Series(skills, dtype=object).str.split(";").str[0].fillna("").to_numpy(dtype=object)
    )
    name = np.empty(n, dtype=object)
    human_no = number[is_human]
    name[is_human] = np.where(
        category[is_human] == "individual",
        _join_strings("Resident with ", first_skill[is_human], " skills #", human_no),
        _join_strings("Residents skilled in ", first_skill[is_human], " #", human_no),
    )
    name[is_phys] = _join_strings(place[is_phys], " ", label[is_phys], " #", number[is_phys])
    org = is_fin | is_comm
    name[org] = _join_strings(
        place[org], " ", _title(sector[org]), " ", suffix[org], " #", number[org]
    )

    median = np.array(
        [_CAPACITY.get(c, _CAPACITY.get(kind_of[c], (0.0, 0.0)))[0] for c in cat_names]
    )[cat_code]
    sigma = np.array(
        [_CAPACITY.get(c, _CAPACITY.get(kind_of[c], (0.0, 0.0)))[1] for c in cat_names]
    )[cat_code]
    capacity = _lognormal(rng, median, sigma, n)
    capacity = np.where(is_fin, np.round(capacity, -2), np.round(capacity))
    capacity = np.where(is_human, np.nan, capacity)
    count = np.where(
        category == "individual", 1, np.maximum(1, np.round(_lognormal(rng, 10.0, 0.9, n)))
    )
    count = pd.array(np.where(is_human, count, 0).astype("int64"), dtype="Int64")
    count[~is_human] = pd.NA

    company = np.isin(category, ["business", "social_enterprise", "cooperative"]) & (
        rng.random(n) < 0.8
    )
    charity = (category == "charity") & (rng.random(n) < 0.6)
    registered = np.full(n, None, dtype=object)
    registered[company] = (
        pd.Series(rng.integers(1_000_000, 16_000_000, company.sum()))
        .astype(str)
        .str.zfill(8)
        .to_numpy(dtype=object)
    )
    registered[charity] = (
        pd.Series(rng.integers(1_000_000, 1_200_000, charity.sum()))
        .astype(str)
        .to_numpy(dtype=object)
    )
    contact = np.full(n, None, dtype=object)
    has_contact = (is_fin | is_comm) & (rng.random(n) < 0.3)
    contact[has_contact] = _join_strings("contact", number[has_contact], "@example.org")
    collected = _date_strings("2018-01-01", "2024-12-31")

    frame = pd.DataFrame(
        {
            "id": ids,
            "name": name,
            "kind": kind,
            "category": category,
            "lat": lat,
            "lon": lon,
            "postcode": postcode,
            "area_code": area_code,
            "skills": skills,
            "sector": sector,
            "capacity": capacity,
            "count": count,
            "registered_number": registered,
            "source": f"cwb synth (seed {ctx.seed})",
            "collected_by": "synthetic",
            "collected_on": collected[rng.integers(0, len(collected), n)],
            "licence": "CC0-1.0",
            "contact_email": contact,
        }
    )
    return frame, xy


def _opportunities(ctx: _Context, m: int) -> pd.DataFrame:
    rng, vocab, projects = ctx.rng, ctx.vocab, ctx.geo.projects
    counts = _apportion(
        m, {t: OPPORTUNITY_WEIGHTS.get(t, 0.05) for t in OPPORTUNITY_TYPES}, at_least_one=True
    )
    type_names = np.array(list(counts), dtype=object)
    otype = type_names[
        rng.permutation(np.repeat(np.arange(len(type_names)), list(counts.values())))
    ]
    w = 1.0 / (1.0 + 0.4 * np.arange(len(projects)))
    proj = rng.choice(len(projects), size=m, p=w / w.sum())
    sectors = np.array(vocab.sectors, dtype=object)
    sector_idx = rng.integers(0, len(sectors), m)
    sector = sectors[sector_idx]
    skills = _pick_skills(rng, vocab, sector_idx, 3)
    first_skill = _title(
        pd.Series(skills, dtype=object).str.split(";").str[0].to_numpy(dtype=object)
    )
    number = pd.Series(np.arange(1, m + 1)).astype(str).to_numpy(dtype=object)
    band = rng.integers(0, len(_PAY_BANDS), m)
    band_name = np.array([b for b, _ in _PAY_BANDS], dtype=object)[band]
    band_pay = np.array([p for _, p in _PAY_BANDS], dtype=float)[band]
    is_job, is_contract = otype == "job", otype == "contract"
    title = np.select(
        [is_job, is_contract, otype == "training", otype == "volunteering"],
        [
            _join_strings(first_skill, " (", band_name, ") #", number),
            _join_strings(_title(sector), " services lot #", number),
            _join_strings(first_skill, " training course #", number),
            _join_strings(_title(sector), " volunteering #", number),
        ],
        _join_strings("Community space #", number),
    )
    quantity = np.select(
        [is_job, is_contract, otype == "training", otype == "volunteering"],
        [
            rng.geometric(0.12, m),
            np.ones(m, dtype=int),
            rng.integers(8, 26, m),
            rng.integers(5, 41, m),
        ],
        rng.integers(1, 5, m),
    )
    value = np.where(
        is_job,
        band_pay,
        np.where(is_contract, np.round(_lognormal(rng, 300_000, 1.2, m), -3), np.nan),
    )
    dates = _date_strings("2024-01-01", "2031-12-31")
    start = rng.integers(0, 3 * 365, m)
    pathway = np.where(
        is_job & (rng.random(m) < 0.15),
        "apprenticeship",
        np.where(otype == "training", "pre_employment_programme", None),
    )
    lon = np.array([p.lon for p in projects])[proj]
    lat = np.array([p.lat for p in projects])[proj]
    return pd.DataFrame(
        {
            "id": _numbered("O", m),
            "project": np.array([p.id for p in projects], dtype=object)[proj],
            "type": otype,
            "title": title,
            "skills": skills,
            "sector": sector,
            "quantity": pd.array(quantity.astype("int64"), dtype="Int64"),
            "value": value,
            "pay_band": np.where(is_job, band_name, None),
            "starts": dates[start],
            "ends": np.where(is_contract, dates[start + 3 * 365], None),
            "pathway": pathway,
            "lat": lat,
            "lon": lon,
            "source": f"cwb synth (seed {ctx.seed})",
        }
    )


def _spend(ctx: _Context, k: int, assets: pd.DataFrame, asset_xy: np.ndarray) -> pd.DataFrame:
    rng = ctx.rng
    n_suppliers = max(20, k // 25)
    enterprise = np.flatnonzero(
        assets["category"].isin(["business", "social_enterprise", "cooperative"]).to_numpy()
    )
    n_local = min(len(enterprise), int(n_suppliers * 0.35))
    local_rows = (
        rng.choice(enterprise, size=n_local, replace=False) if n_local else np.array([], dtype=int)
    )
    n_other = n_suppliers - n_local
    sectors = np.array(ctx.vocab.sectors, dtype=object)
    other_no = pd.Series(np.arange(1, n_other + 1)).astype(str).to_numpy(dtype=object)
    local_cat = assets["category"].to_numpy(dtype=object)[local_rows]
    sup_name = np.concatenate(
        [
            assets["name"].to_numpy(dtype=object)[local_rows],
            _join_strings("Regional Supplier ", other_no, " Ltd"),
        ]
    )
    sup_id = np.concatenate(
        [
            assets["registered_number"].to_numpy(dtype=object)[local_rows],
            pd.Series(rng.integers(1_000_000, 16_000_000, n_other))
            .astype(str)
            .str.zfill(8)
            .to_numpy(dtype=object),
        ]
    )
    sup_sector = np.concatenate(
        [
            assets["sector"].to_numpy(dtype=object)[local_rows],
            sectors[rng.integers(0, len(sectors), n_other)],
        ]
    )
    regional = ctx.postcodes[~ctx.postcode_local]
    sup_postcode = np.concatenate(
        [
            ctx.nearest_postcode(asset_xy[local_rows]) if n_local else np.array([], dtype=object),
            regional[rng.integers(0, len(regional), n_other)],
        ]
    )
    other_type = np.array(
        ["private", "private", "private", "public", "charity", "unknown"], dtype=object
    )
    sup_org = np.concatenate(
        [
            np.select(
                [local_cat == "social_enterprise", local_cat == "cooperative"],
                ["social_enterprise", "cooperative"],
                "private",
            ).astype(object),
            other_type[rng.integers(0, len(other_type), n_other)],
        ]
    )
    sup_sme = np.concatenate([rng.random(n_local) < 0.9, rng.random(n_other) < 0.4])
    sizes = np.array(["micro", "small", "medium"], dtype=object)
    sup_size = np.where(sup_sme, sizes[rng.integers(0, 3, n_suppliers)], "large")

    popularity = 1.0 / np.arange(1, n_suppliers + 1) ** 0.9
    sup = rng.choice(n_suppliers, size=k, p=rng.permutation(popularity / popularity.sum()))
    amount = np.round(_lognormal(rng, 900.0, 1.8, k), 2)
    amount = np.where(rng.random(k) < 0.01, -np.round(amount / 4, 2), amount)  # credit notes
    buyers = np.array(_ANCHORS[: max(3, min(len(_ANCHORS), len(ctx.geo.projects)))], dtype=object)
    dates = _date_strings("2023-04-01", "2024-03-31")
    return pd.DataFrame(
        {
            "id": _numbered("T", k),
            "buyer": buyers[rng.integers(0, len(buyers), k)],
            "supplier_name": sup_name[sup],
            "supplier_id": sup_id[sup],
            "amount": amount,
            "currency": "GBP",
            "date": dates[rng.integers(0, len(dates), k)],
            "sector": sup_sector[sup],
            "sme": sup_sme[sup],
            "size_band": sup_size[sup],
            "org_type": sup_org[sup],
            "postcode": sup_postcode[sup],
        }
    )


def _links(ctx: _Context, n_links: int, assets: pd.DataFrame, asset_xy: np.ndarray) -> pd.DataFrame:
    rng = ctx.rng
    pool = np.flatnonzero((assets["kind"] != "human").to_numpy())
    columns = ["source", "target", "relation", "since"]
    if len(pool) < 2 or n_links <= 0:
        return pd.DataFrame(columns=columns)
    # neighbours in a coarse spatial order, so that links stay local
    cell = np.floor(asset_xy[pool] / 2_000.0)
    pool = pool[np.lexsort((cell[:, 0], cell[:, 1]))]
    draw = int(n_links * 1.1) + 10
    a = rng.integers(0, len(pool), draw)
    b = (a + rng.integers(1, min(40, len(pool) - 1) + 1, draw)) % len(pool)
    ids = assets["id"].to_numpy(dtype=object)
    dates = _date_strings("2010-01-01", "2024-12-31")
    frame = pd.DataFrame(
        {
            "source": ids[pool[a]],
            "target": ids[pool[b]],
            "relation": np.array(_RELATIONS, dtype=object)[rng.integers(0, len(_RELATIONS), draw)],
            "since": dates[rng.integers(0, len(dates), draw)],
        }
    )
    frame = frame[frame["source"] != frame["target"]].drop_duplicates(["source", "target"])
    return frame.head(n_links).reset_index(drop=True)


@dataclass
class SynthTables:
    """A synthetic dataset in memory: the manifest and every table (lat/lon, not geometry)."""

    manifest: Manifest
    tables: dict[str, pd.DataFrame]
    vocabulary_source: str

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(t) for name, t in self.tables.items()}


def synth_tables(
    *,
    assets: int,
    opportunities: int,
    spend: int | None = None,
    projects: int = 3,
    links: int | None = None,
    seed: int = 0,
    vocabulary: SkillVocabulary | None = None,
) -> SynthTables:
    """Generate a synthetic dataset in memory (see :func:`synth_dataset`)."""
    if assets < 1 or opportunities < 1:
        raise UsageError(
            f"--assets and --opportunities must be at least 1 (got {assets} and {opportunities})"
        )
    if projects < 1:
        raise UsageError(f"--projects must be at least 1 (got {projects})")
    if spend is not None and spend < 0 or links is not None and links < 0:
        raise UsageError("--spend and --links cannot be negative")
    spend = max(1_000, assets // 10) if spend is None else spend
    links = assets // 20 if links is None else links
    rng = np.random.default_rng(seed)
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    to_wgs = Transformer.from_crs(BNG, WGS84, always_xy=True)
    vocab = vocabulary or load_skill_vocabulary()
    geo = _geography(rng, projects, to_bng)
    areas, seeds = _areas(rng, geo)
    n_pc = int(np.clip(assets // 20, 200, 100_000))
    pc_codes, pc_xy, pc_local = _postcodes(rng, geo, n_pc)
    ctx = _Context(
        rng,
        geo,
        vocab,
        seeds,
        areas["code"].to_numpy(dtype=object),
        pc_codes,
        pc_xy,
        pc_local,
        to_wgs,
        seed,
    )
    asset_frame, asset_xy = _assets(ctx, assets)
    pc_lon, pc_lat = ctx.lonlat(pc_xy)
    tables: dict[str, pd.DataFrame] = {
        "assets": asset_frame,
        "opportunities": _opportunities(ctx, opportunities),
        "areas": areas,
        "spend": _spend(ctx, spend, asset_frame, asset_xy),
        "links": _links(ctx, links, asset_frame, asset_xy),
        "postcodes": pd.DataFrame({"postcode": pc_codes, "lat": pc_lat, "lon": pc_lon}),
    }
    manifest = Manifest(
        name=f"Synthetic West Midlands dataset ({assets:,} assets, seed {seed})",
        description="Generated by `cwb synth`: invented assets, opportunities, areas, spend and "
        "postcodes "
        "clustered around synthetic capital projects. Not real data.",
        metric_crs=BNG,
        projects=geo.projects,
        files={},
        settings={
            "synth": {
                "assets": assets,
                "opportunities": opportunities,
                "spend": spend,
                "links": links,
                "projects": projects,
                "seed": seed,
                "skills_from": vocab.source,
            }
        },
    )
    return SynthTables(manifest, tables, vocab.source)


# --------------------------------------------------------------------------- writing


def _file_names(fmt: str) -> dict[str, str]:
    if fmt == "csv":
        ext = {t: "csv" for t in ("assets", "opportunities", "spend", "links", "postcodes")} | {
            "areas": "geojson"
        }
    elif fmt == "parquet":
        ext = {
            t: "parquet"
            for t in ("assets", "opportunities", "spend", "links", "postcodes", "areas")
        }
    else:
        ext = {t: "gpkg" for t in ("assets", "opportunities", "spend", "areas")}
        ext |= {"links": "csv", "postcodes": "csv"}
    return {table: f"{table}.{e}" for table, e in ext.items()}


def _point_frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points from lat/lon (None where they are empty); the lat/lon columns are dropped."""
    if "lat" not in frame.columns:
        geometry = np.full(len(frame), None, dtype=object)
    else:
        lat, lon = frame["lat"].to_numpy(dtype=float), frame["lon"].to_numpy(dtype=float)
        geometry = shapely.points(np.column_stack([lon, lat]))
        geometry[np.isnan(lat) | np.isnan(lon)] = None
    rest = frame.drop(columns=["lat", "lon"], errors="ignore")
    return gpd.GeoDataFrame(rest, geometry=gpd.GeoSeries(geometry, index=frame.index), crs=WGS84)


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if isinstance(frame, gpd.GeoDataFrame):
            if suffix == ".parquet":
                frame.to_parquet(tmp, index=False, write_covering_bbox=True)
            else:
                options = (
                    {"driver": "GPKG", "layer": path.stem}
                    if suffix == ".gpkg"
                    else {"driver": "GeoJSON"}
                )
                frame.to_file(tmp, engine="pyogrio", **options)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            import pyarrow as pa
            import pyarrow.csv as pacsv

            pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), tmp)


def write_synth(synth: SynthTables, folder: Path, *, fmt: str = "csv") -> list[Path]:
    """Write generated tables and ``dataset.toml`` into ``folder``; return the files written."""
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    names = _file_names(fmt)
    written = []
    for table, frame in synth.tables.items():
        path = folder / names[table]
        if fmt != "csv" and TABLES[table].located and not isinstance(frame, gpd.GeoDataFrame):
            frame = _point_frame(frame)
        _write_table(frame, path)
        written.append(path)
        log.info("wrote %s (%d rows)", path, len(frame))
    synth.manifest.files = {table: FileEntry(path=name) for table, name in names.items()}
    written.append(write_text_atomic(folder / MANIFEST_NAME, synth.manifest.to_toml()))
    return written


def synth_dataset(
    folder: str | Path,
    *,
    assets: int,
    opportunities: int,
    spend: int | None = None,
    projects: int = 3,
    links: int | None = None,
    seed: int = 0,
    fmt: str = "csv",
    overwrite: bool = False,
) -> SynthResult:
    """Write a valid synthetic dataset folder of any size.

    Parameters
    ----------
    folder
        Folder to write (created; must be empty or absent unless ``overwrite``).
    assets, opportunities
        Rows of the assets and opportunities tables.
    spend
        Spend transactions; ``max(1000, assets // 10)`` when None.
    projects
        Capital projects (the first five are West Midlands sites, more are placed at random).
    links
        Asset-to-asset links; ``assets // 20`` when None.
    seed
        Random seed: the same arguments and seed give the same files.
    fmt
        ``csv`` (areas as GeoJSON), ``parquet`` or ``gpkg``.
    overwrite
        Replace a dataset already in ``folder``.

    Returns
    -------
    SynthResult
        The folder, the rows per table, the files written and the time taken.
    """
    start = time.perf_counter()
    folder = Path(folder)
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise UsageError(
            f"{folder} is not empty; choose another folder or pass --force to overwrite"
        )
    synth = synth_tables(
        assets=assets,
        opportunities=opportunities,
        spend=spend,
        projects=projects,
        links=links,
        seed=seed,
    )
    folder.mkdir(parents=True, exist_ok=True)
    if overwrite:
        for table in ("assets", "opportunities", "spend", "links", "postcodes", "areas"):
            for old in folder.glob(f"{table}.*"):
                old.unlink()
    files = write_synth(synth, folder, fmt=fmt)
    seconds = time.perf_counter() - start
    log.info("synthetic dataset in %s: %s in %.1f s", folder, synth.counts, seconds)
    return SynthResult(
        folder=folder,
        counts=synth.counts,
        files=files,
        seconds=seconds,
        vocabulary_source=synth.vocabulary_source,
        bytes_written=sum(p.stat().st_size for p in files),
        settings=synth.manifest.section("synth"),
    )
