"""Synthetic datasets of any size, for tests and the benchmark (``cwb synth``).

A synthetic dataset is a valid dataset folder: ``dataset.toml``, assets,
opportunities, areas, spend, links and a postcode lookup. Assets cluster
around several capital-project sites in the West Midlands (a Gaussian cluster
per project with a few tight "high street" sub-clusters, plus a thin
background), generated in British National Grid metres and stored as WGS84;
see :mod:`cwb.synth.geography`.
All four asset kinds and every category appear in fixed proportions; skills
come from the same vocabulary as the Birmingham demo. Some rows are located
by coordinates, some by a (synthetic) postcode, some human assets by area code,
as real catalogues are.

Everything is vectorised numpy/pandas (a million assets take seconds) and
deterministic for a seed. Nothing here is real except the rough positions of
the project sites: names, postcodes, areas and figures are invented.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from cwb._atomic import atomic_path, write_text_atomic
from cwb.dataset.manifest import MANIFEST_NAME, FileEntry, Manifest, Project
from cwb.dataset.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, TABLES
from cwb.errors import UsageError
from cwb.safe_output import neutralise_frame
from cwb.synth import sampling as sample
from cwb.synth.geography import (
    BNG,
    PLACES,
    WGS84,
    Geography,
    make_geography,
    sample_points,
    synthetic_postcodes,
    voronoi_areas,
)
from cwb.synth.sampling import SkillVocabulary, load_skill_vocabulary

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "parquet", "gpkg")

# fmt: off
#: Share of each asset kind, and of each category within its kind.
KIND_WEIGHTS: dict[str, float] = {
    "physical": 0.15, "financial": 0.45, "community": 0.15, "human": 0.25,
}
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
#: Median and log-spread of ``capacity`` (£ for financial, m² for physical, people otherwise).
_CAPACITY: dict[str, tuple[float, float]] = {
    "business": (60_000, 1.3), "social_enterprise": (40_000, 1.0), "cooperative": (50_000, 1.0),
    "anchor_institution": (50_000_000, 0.8), "funder": (250_000, 1.0), "investment": (500_000, 1.0),
    "physical": (400, 1.0), "green_space": (8_000, 1.2), "land": (5_000, 1.2),
    "community": (25, 0.8),
}
_SUFFIX: dict[str, str] = {
    "business": "Ltd", "social_enterprise": "CIC", "cooperative": "Co-operative",
    "anchor_institution": "Trust", "funder": "Fund", "investment": "Investment Partners",
    "voluntary_group": "Volunteers", "faith_group": "Faith Group",
    "tenants_association": "Tenants' Association", "charity": "Charity", "network": "Network",
    "service": "Support Service",
}
_ENTERPRISES = ("business", "social_enterprise", "cooperative")
#: Job pay bands and annual pay (£), roughly NHS Agenda for Change 2024/25.
_PAY_BANDS = (("Band 2", 23_615), ("Band 3", 24_071), ("Band 4", 26_530), ("Band 5", 29_970),
              ("Band 6", 37_338), ("Band 7", 46_148), ("Band 8a", 53_755))
_BAND_SHARES = (0.2, 0.2, 0.15, 0.2, 0.12, 0.08, 0.05)  # more posts in the lower bands
_ANCHORS = ("Synthetic Hospitals NHS Trust", "Synthetic City Council", "Synthetic University",
            "Synthetic Housing Group", "Synthetic College")
_RELATIONS = ("partner", "member_of", "funds", "uses", "supplies")
# fmt: on
_NULL = pa.scalar(None, pa.string())


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


# --------------------------------------------------------------------------- tables


@dataclass
class _Context:
    rng: np.random.Generator
    geo: Geography
    vocab: SkillVocabulary
    seeds: np.ndarray
    area_codes: np.ndarray
    postcodes: np.ndarray
    postcode_xy: np.ndarray
    postcode_local: np.ndarray
    to_wgs: Transformer
    seed: int

    @classmethod
    def with_areas(
        cls,
        rng: np.random.Generator,
        geo: Geography,
        vocab: SkillVocabulary,
        n_postcodes: int,
        seed: int,
    ) -> tuple[_Context, gpd.GeoDataFrame]:
        """The areas (Voronoi cells) and postcodes of ``geo``, and the context that holds them."""
        areas, seeds = voronoi_areas(rng, geo)
        pc_codes, pc_xy, pc_local = synthetic_postcodes(rng, geo, n_postcodes)
        ctx = cls(
            rng,
            geo,
            vocab,
            seeds,
            areas["code"].to_numpy(dtype=object),
            pc_codes,
            pc_xy,
            pc_local,
            Transformer.from_crs(BNG, WGS84, always_xy=True),
            seed,
        )
        return ctx, areas

    def postcode_table(self) -> pd.DataFrame:
        """The synthetic postcodes as a lookup table (postcode, lat, lon)."""
        lon, lat = self.lonlat(self.postcode_xy)
        return pd.DataFrame({"postcode": self.postcodes, "lat": lat, "lon": lon})

    def lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self.to_wgs.transform(xy[:, 0], xy[:, 1])
        return np.round(lon, 6), np.round(lat, 6)

    def nearest_postcode(self, xy: np.ndarray) -> np.ndarray:
        """Index into :attr:`postcodes` of the nearest local postcode of each point."""
        local = np.flatnonzero(self.postcode_local)
        return local[cKDTree(self.postcode_xy[local]).query(xy)[1]]


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame from Arrow and numpy columns (integers with nulls stay nullable)."""
    table = pa.table(
        {
            k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v)
            for k, v in columns.items()
        }
    )
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _assets(ctx: _Context, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng, vocab = ctx.rng, ctx.vocab
    weights = {}
    for kind, cats in ASSET_CATEGORIES.items():
        cat_w = np.array([CATEGORY_WEIGHTS.get(c, 0.05) for c in cats])
        for c, w in zip(cats, cat_w / cat_w.sum(), strict=True):
            weights[c] = KIND_WEIGHTS.get(kind, 0.1) * w
    counts = sample.apportion(n, weights, at_least_one=True)
    cat_names = list(counts)
    code = sample.shuffled_codes(rng, counts)
    kind_of = {c: k for k, cats in ASSET_CATEGORIES.items() for c in cats}
    kind_names = list(ASSET_CATEGORIES)
    kind_code = np.array([kind_names.index(kind_of[c]) for c in cat_names])[code]
    is_kind = {k: kind_code == i for i, k in enumerate(kind_names)}
    is_human, is_fin, is_comm, is_phys = (
        is_kind[k] for k in ("human", "financial", "community", "physical")
    )
    individual = code == cat_names.index("individual")

    # where: 0 exact lat/lon, 1 postcode, 2 area code (residents' groups are known by area)
    xy = sample_points(rng, ctx.geo, n)
    u = rng.random(n)
    method = np.where(is_human, np.where(individual | (u >= 0.7), 1, 2), np.where(u < 0.8, 0, 1))
    lon, lat = ctx.lonlat(xy)
    exact = method == 0
    postcode_idx = np.zeros(n, dtype=int)
    postcode_idx[method == 1] = ctx.nearest_postcode(xy[method == 1])
    area_idx = np.zeros(n, dtype=int)
    area_idx[method == 2] = cKDTree(ctx.seeds).query(xy[method == 2])[1]

    sector_idx = sample.trades(rng, vocab, n)
    spaces = is_phys & (sample.SPACE_GROUP in vocab.by_sector)  # buildings list what they offer
    with_skills = is_human | is_fin | ((is_comm | spaces) & (rng.random(n) < 0.5))
    skill_group = sample.with_group(vocab, sample.SPACE_GROUP, spaces, sector_idx)
    skills, first_skill = sample.pick_skills(rng, vocab, skill_group, 4)
    skills = sample.add_cross_cutting(rng, vocab, skills, is_human)
    number = sample.digits(np.arange(1, n + 1))
    place = sample.take(PLACES, rng.integers(0, len(PLACES), n))
    label = sample.take(sample.title_case(c.replace("_", " ") for c in cat_names), code)
    suffix = sample.take([_SUFFIX.get(c, "") for c in cat_names], code)
    sector_title = sample.take(sample.title_case(vocab.sectors), sector_idx)
    name = sample.join(place, " ", sector_title, " ", suffix, " #", number)
    name = pc.if_else(pa.array(is_comm), sample.join(place, " ", suffix, " #", number), name)
    name = pc.if_else(pa.array(is_phys), sample.join(place, " ", label, " #", number), name)
    group_name = sample.join("Residents skilled in ", first_skill, " #", number)
    name = pc.if_else(pa.array(is_human), group_name, name)
    one_name = sample.join("Resident: ", first_skill, " #", number)
    name = pc.if_else(pa.array(individual), one_name, name)

    capacity_of = [_CAPACITY.get(c, _CAPACITY.get(kind_of[c], (0.0, 0.0))) for c in cat_names]
    capacity = sample.lognormal(
        rng,
        np.array([m for m, _ in capacity_of])[code],
        np.array([s for _, s in capacity_of])[code],
        n,
    )
    capacity = np.where(is_fin, np.round(capacity, -2), np.round(capacity))
    capacity[is_human] = np.nan
    count = np.maximum(1, np.round(sample.lognormal(rng, 10.0, 0.9, n))).astype(np.int64)
    count[individual] = 1
    enterprise = np.isin(code, [cat_names.index(c) for c in _ENTERPRISES if c in cat_names])
    company = enterprise & (rng.random(n) < 0.8)
    charity = (code == cat_names.index("charity")) & (rng.random(n) < 0.6)
    registered = pc.if_else(
        pa.array(charity),
        sample.digits(rng.integers(1_000_000, 1_200_000, n)),
        sample.digits(rng.integers(1_000_000, 16_000_000, n), 8),
    )
    has_contact = (is_fin | is_comm) & (rng.random(n) < 0.3)
    frame = _frame(
        {
            "id": sample.numbered("A", n),
            "name": name,
            "kind": sample.take(kind_names, kind_code),
            "category": sample.take(cat_names, code),
            "lat": np.where(exact, lat, np.nan),
            "lon": np.where(exact, lon, np.nan),
            "postcode": sample.take(ctx.postcodes, postcode_idx, method == 1),
            "area_code": sample.take(ctx.area_codes, area_idx, method == 2),
            "skills": pc.if_else(pa.array(with_skills), skills, _NULL),
            "sector": sample.take(vocab.sectors, sector_idx, ~is_phys),
            "capacity": capacity,
            "count": pa.array(count, mask=~is_human),
            "registered_number": pc.if_else(pa.array(company | charity), registered, _NULL),
            "source": sample.repeat(f"cwb synth (seed {ctx.seed})", n),
            "collected_by": sample.repeat("synthetic", n),
            "collected_on": sample.dates(rng, "2018-01-01", "2024-12-31", n),
            "licence": sample.repeat("CC0-1.0", n),
            "contact_email": pc.if_else(
                pa.array(has_contact), sample.join("contact", number, "@example.org"), _NULL
            ),
        }
    )
    return frame, xy


def _opportunities(ctx: _Context, m: int) -> pd.DataFrame:
    rng, vocab, projects = ctx.rng, ctx.vocab, ctx.geo.projects
    weights = {t: OPPORTUNITY_WEIGHTS.get(t, 0.05) for t in OPPORTUNITY_TYPES}
    counts = sample.apportion(m, weights, at_least_one=True)
    type_names = list(counts)
    code = sample.shuffled_codes(rng, counts)
    is_type = {t: code == i for i, t in enumerate(type_names)}
    none = np.zeros(m, dtype=bool)
    is_job, is_contract = is_type.get("job", none), is_type.get("contract", none)
    is_training, is_volunteering = is_type.get("training", none), is_type.get("volunteering", none)
    w = 1.0 / (1.0 + 0.4 * np.arange(len(projects)))
    proj = rng.choice(len(projects), size=m, p=w / w.sum())
    is_space = is_type.get("space", none)
    sector_idx = sample.trades(rng, vocab, m)
    skill_group = sample.with_group(vocab, sample.SPACE_GROUP, is_space, sector_idx)
    skills, first_skill = sample.pick_skills(rng, vocab, skill_group, 3)
    first_skill = sample.join(
        pc.utf8_upper(pc.utf8_slice_codeunits(first_skill, 0, 1)),
        pc.utf8_slice_codeunits(first_skill, 1),
    )
    sector_title = sample.take(sample.title_case(vocab.sectors), sector_idx)
    number = sample.digits(np.arange(1, m + 1))
    band = rng.choice(len(_PAY_BANDS), size=m, p=_BAND_SHARES)
    band_name = sample.take([b for b, _ in _PAY_BANDS], band)
    title = sample.join("Community space #", number)
    for mask, text in (
        (is_volunteering, sample.join(sector_title, " volunteering #", number)),
        (is_training, sample.join(first_skill, " training course #", number)),
        (is_contract, sample.join(sector_title, " services lot #", number)),
        (is_job, sample.join(first_skill, " (", band_name, ") #", number)),
    ):
        title = pc.if_else(pa.array(mask), text, title)
    quantity = np.select(
        [is_job, is_contract, is_training, is_volunteering],
        [
            rng.geometric(0.12, m),
            np.ones(m, dtype=int),
            rng.integers(8, 26, m),
            rng.integers(5, 41, m),
        ],
        rng.integers(1, 5, m),
    )
    pay = np.array([p for _, p in _PAY_BANDS], dtype=float)[band]
    contract_value = np.round(sample.lognormal(rng, 300_000, 1.2, m), -3)
    value = np.where(is_job, pay, np.where(is_contract, contract_value, np.nan))
    offset = rng.integers(0, 3 * 365, m)
    starts, ends = sample.iso_dates("2024-01-01", offset), sample.iso_dates("2027-01-01", offset)
    pathways = ["apprenticeship", "sector_based_work_academy"]  # both known to matching
    pathway = np.where(is_training, 1, 0)
    null = _NULL
    return _frame(
        {
            "id": sample.numbered("O", m),
            "project": sample.take([p.id for p in projects], proj),
            "type": sample.take(type_names, code),
            "title": title,
            "skills": skills,
            "sector": sample.take(vocab.sectors, sector_idx, ~is_space),
            "quantity": quantity.astype(np.int64),
            "value": value,
            "pay_band": pc.if_else(pa.array(is_job), band_name, null),
            "starts": starts,
            "ends": pc.if_else(pa.array(is_contract), ends, null),
            "pathway": sample.take(
                pathways, pathway, is_training | (is_job & (rng.random(m) < 0.15))
            ),
            "lat": np.array([p.lat for p in projects])[proj],
            "lon": np.array([p.lon for p in projects])[proj],
            "source": sample.repeat(f"cwb synth (seed {ctx.seed})", m),
        }
    )


def _spend(ctx: _Context, k: int, assets: pd.DataFrame, asset_xy: np.ndarray) -> pd.DataFrame:
    """Transactions of anchor buyers with suppliers: catalogue enterprises and regional firms."""
    rng = ctx.rng
    n_suppliers = max(20, k // 25)
    enterprise = np.flatnonzero(assets["category"].isin(list(_ENTERPRISES)).to_numpy())
    n_local = min(len(enterprise), int(n_suppliers * 0.35))
    local = rng.choice(enterprise, size=n_local, replace=False)
    n_other = n_suppliers - n_local
    regional = np.flatnonzero(~ctx.postcode_local)

    def column(name: str) -> np.ndarray:
        return pc.take(pa.array(assets[name]), pa.array(local)).to_numpy(zero_copy_only=False)

    other_no = sample.digits(np.arange(1, n_other + 1)).to_numpy(zero_copy_only=False)
    other_name = "Regional Supplier " + other_no.astype(object) + " Ltd"
    sup_name = np.concatenate([column("name"), other_name])
    other_id = sample.digits(rng.integers(1_000_000, 16_000_000, n_other), 8)
    other_id = other_id.to_numpy(zero_copy_only=False)
    sup_id = np.concatenate([column("registered_number"), other_id])
    sectors = np.array(ctx.vocab.sectors, dtype=object)
    sup_sector = np.concatenate([column("sector"), sectors[sample.trades(rng, ctx.vocab, n_other)]])
    sup_postcode = ctx.postcodes[
        np.concatenate(
            [
                ctx.nearest_postcode(asset_xy[local]),
                regional[rng.integers(0, len(regional), n_other)],
            ]
        )
    ]
    local_cat = column("category")
    other_type = np.array(
        ["private", "private", "private", "public", "charity", "unknown"], dtype=object
    )
    own_type = np.isin(local_cat, ["social_enterprise", "cooperative"])
    sup_org = np.concatenate(
        [
            np.where(own_type, local_cat, "private"),
            other_type[rng.integers(0, len(other_type), n_other)],
        ]
    )
    sup_sme = np.concatenate([rng.random(n_local) < 0.9, rng.random(n_other) < 0.4])
    sup_size = np.where(
        sup_sme,
        np.array(["micro", "small", "medium"], dtype=object)[rng.integers(0, 3, n_suppliers)],
        "large",
    )
    popularity = 1.0 / np.arange(1, n_suppliers + 1) ** 0.9
    sup = rng.choice(n_suppliers, size=k, p=rng.permutation(popularity / popularity.sum()))
    amount = np.round(sample.lognormal(rng, 900.0, 1.8, k), 2)
    amount = np.where(rng.random(k) < 0.01, -np.round(amount / 4, 2), amount)  # credit notes
    buyers = _ANCHORS[: max(3, min(len(_ANCHORS), len(ctx.geo.projects)))]
    return _frame(
        {
            "id": sample.numbered("T", k),
            "buyer": sample.take(buyers, rng.integers(0, len(buyers), k)),
            "supplier_name": pa.array(sup_name[sup], pa.string()),
            "supplier_id": pa.array(sup_id[sup], pa.string()),
            "amount": amount,
            "currency": sample.repeat("GBP", k),
            "date": sample.dates(rng, "2023-04-01", "2024-03-31", k),
            "sector": pa.array(sup_sector[sup], pa.string()),
            "sme": sup_sme[sup],
            "size_band": pa.array(sup_size[sup], pa.string()),
            "org_type": pa.array(sup_org[sup], pa.string()),
            "postcode": pa.array(sup_postcode[sup], pa.string()),
        }
    )


def _links(ctx: _Context, n_links: int, assets: pd.DataFrame, asset_xy: np.ndarray) -> pd.DataFrame:
    """Partnerships and memberships between nearby non-human assets."""
    rng = ctx.rng
    pool = np.flatnonzero((assets["kind"] != "human").to_numpy())
    if len(pool) < 2 or n_links <= 0:
        return pd.DataFrame(columns=["source", "target", "relation", "since"])
    cell = np.floor(asset_xy[pool] / 2_000.0)  # a coarse spatial order keeps links local
    pool = pool[np.lexsort((cell[:, 0], cell[:, 1]))]
    draw = int(n_links * 1.1) + 10
    a = rng.integers(0, len(pool), draw)
    b = (a + rng.integers(1, min(40, len(pool) - 1) + 1, draw)) % len(pool)
    ids = pa.array(assets["id"])
    frame = _frame(
        {
            "source": pc.take(ids, pa.array(pool[a])),
            "target": pc.take(ids, pa.array(pool[b])),
            "relation": sample.take(_RELATIONS, rng.integers(0, len(_RELATIONS), draw)),
            "since": sample.dates(rng, "2010-01-01", "2024-12-31", draw),
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
    sites: list[Project] | None = None,
    id_prefix: str = "",
) -> SynthTables:
    """Generate a synthetic dataset in memory (see :func:`synth_dataset`).

    ``sites`` places the data around these projects (national extents: one cluster per
    site, ``projects`` is then their number); ``id_prefix`` starts every row id, so that
    chunks generated with different seeds can be stored together.
    """
    if assets < 1 or opportunities < 1:
        raise UsageError(
            f"assets and opportunities must be at least 1 (got {assets} and {opportunities})"
        )
    if projects < 1:
        raise UsageError(f"must be at least 1 (got {projects})", argument="projects")
    if (spend is not None and spend < 0) or (links is not None and links < 0):
        raise UsageError("spend and links cannot be negative")
    spend = max(1_000, assets // 10) if spend is None else spend
    links = assets // 20 if links is None else links
    rng = np.random.default_rng(seed)
    vocab = vocabulary or load_skill_vocabulary()
    geo = make_geography(rng, projects, sites)
    n_postcodes = int(np.clip(assets // 20, 200, 100_000))
    ctx, areas = _Context.with_areas(rng, geo, vocab, n_postcodes, seed)
    asset_frame, asset_xy = _assets(ctx, assets)
    tables: dict[str, pd.DataFrame] = {
        "assets": asset_frame,
        "opportunities": _opportunities(ctx, opportunities),
        "areas": areas,
        "spend": _spend(ctx, spend, asset_frame, asset_xy),
        "links": _links(ctx, links, asset_frame, asset_xy),
        "postcodes": ctx.postcode_table(),
    }
    if id_prefix:
        for table, columns in (("assets", ["id"]), ("opportunities", ["id"]), ("spend", ["id"]),
                               ("links", ["source", "target"])):  # fmt: skip
            for column in columns:
                tables[table][column] = id_prefix + tables[table][column].astype(str)
    manifest = Manifest(
        name=f"Synthetic {'national' if sites else 'West Midlands'} dataset "
        f"({assets:,} assets, seed {seed})",
        description="Generated by `cwb synth`: invented assets, opportunities, areas, spend and "
        "postcodes clustered around synthetic capital projects. Not real data.",
        metric_crs=BNG,
        projects=geo.projects,
        files={},
        settings={
            "synth": {
                "assets": assets,
                "opportunities": opportunities,
                "spend": spend,
                "links": links,
                "projects": len(geo.projects),
                "seed": seed,
                "skills_from": vocab.source,
            }
        },
    )
    return SynthTables(manifest, tables, vocab.source)


# --------------------------------------------------------------------------- writing


def _file_names(fmt: str) -> dict[str, str]:
    tables = ("assets", "opportunities", "areas", "spend", "links", "postcodes")
    if fmt == "csv":  # areas are polygons: GeoJSON
        ext = {t: "geojson" if t == "areas" else "csv" for t in tables}
    elif fmt == "parquet":
        ext = {t: "parquet" for t in tables}
    else:  # links and the postcode lookup have no geometry: CSV beside the GeoPackages
        ext = {t: "csv" if t in ("links", "postcodes") else "gpkg" for t in tables}
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
                driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
                frame.to_file(tmp, engine="pyogrio", driver=driver, layer=path.stem)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            safe = neutralise_frame(frame)
            pacsv.write_csv(pa.Table.from_pandas(safe, preserve_index=False), tmp)


def write_synth(synth: SynthTables, folder: Path, *, fmt: str = "csv") -> list[Path]:
    """Write generated tables and ``dataset.toml`` into ``folder``; return the files written."""
    if fmt not in FORMATS:
        raise UsageError(f"{fmt!r} is not one of {', '.join(FORMATS)}", argument="format")
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
        raise UsageError(f"{fmt!r} is not one of {', '.join(FORMATS)}", argument="format")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise UsageError(
            f"{folder} is not empty; pick another folder or overwrite it", argument="overwrite"
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
