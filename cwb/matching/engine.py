"""The vectorised engine behind :func:`cwb.matching.core.match`.

Skills are bitsets over the vocabulary's codes (``uint64`` words, one row per
asset or opportunity). Candidate pairs are never the full cross product, and
most are never scored: :mod:`cwb.matching.prune` scores skills once per pair of
distinct skill profiles (found plausible by one sparse product of satisfiers
and requirements), limits each opportunity to the eligible assets within
``max_distance_m`` of it (an STRtree query in the metric CRS) and scores
exactly only the assets whose upper bound reaches the opportunity's k-th best
score. :meth:`Engine.score` then gives the full components of the kept pairs.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely
from scipy import sparse

from cwb.dataset.geography import OUTSIDE_AREAS, assign_area_codes
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.projection import transformer
from cwb.dataset.schema import ALL_CATEGORIES, OPPORTUNITY_TYPES
from cwb.dataset.sectors import sector_skills, sector_term
from cwb.matching.model import (
    ASSET_COLUMNS,
    MATCH_COLUMNS,
    OPPORTUNITY_COLUMNS,
    UNLOCATED_COLUMNS,
    MatchResult,
    MatchSettings,
    Pathway,
    load_eligibility,
    load_pathways,
)
from cwb.matching.prune import ProfilePairs, select_pairs
from cwb.matching.reasons import match_reasons
from cwb.matching.scoring import (
    WORD,
    capacity_fit,
    codes_of,
    combine_score,
    has_code,
    popcount,
    to_bits,
)
from cwb.matching.skills import (
    UNKNOWN_PREFIX,
    Vocabulary,
    is_unknown_code,
    normalise_term,
    unknown_skills,
)

if TYPE_CHECKING:
    from pyproj import CRS

log = logging.getLogger(__name__)


def _metric_xy(geoms: gpd.GeoSeries, crs: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y in the metric CRS (representative point of non-points) and the located mask."""
    located = (geoms.notna() & ~geoms.is_empty).to_numpy()
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if located.any():
        shapes = geoms.to_numpy()[located]
        source = pyproj.CRS.from_user_input(geoms.crs or WGS84)
        target = pyproj.CRS.from_user_input(crs)
        if (shapely.get_type_id(shapes) == 0).all() and not shapely.has_z(shapes).any():
            # plain points: their coordinates through the transformer GeoSeries.to_crs uses
            px, py = shapely.get_x(shapes), shapely.get_y(shapes)
            if not source.is_exact_same(target):
                px, py = transformer(source, target).transform(px, py)
            x[located], y[located] = px, py
            return x, y, located
        g = gpd.GeoSeries(shapes, crs=source).to_crs(target)
        pts = g.to_numpy()
        not_point = shapely.get_type_id(pts) != 0
        if not_point.any():
            pts = pts.copy()
            pts[not_point] = shapely.point_on_surface(pts[not_point])
        x[located], y[located] = shapely.get_x(pts), shapely.get_y(pts)
    return x, y, located


def _area_label(names: dict[object, object], area: str) -> str:
    return "no known area" if area == OUTSIDE_AREAS else str(names.get(area, area))


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values (as objects, missing included) of a column, in order of appearance.

    The same as factorizing ``values.to_numpy(dtype=object)``, without converting every row.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, np.asarray(uniques.to_numpy(dtype=object), dtype=object)


def _id_order(ids: np.ndarray) -> np.ndarray:
    """A stable argsort of string ids (pyarrow's, by UTF-8 bytes: the order of code points)."""
    try:
        return pc.sort_indices(pa.array(ids, type=pa.large_string())).to_numpy().astype(np.int64)
    except (pa.ArrowException, UnicodeEncodeError):  # not UTF-8 text: numpy's sort
        return np.argsort(ids.astype(str), kind="stable")


def _at(values: pd.Series, positions: np.ndarray) -> np.ndarray:
    """``values.to_numpy(dtype=object)[positions]``, converting only the rows taken."""
    return values.take(positions).to_numpy(dtype=object)


def _take(values: pd.Series, positions: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` (one per distinct value) at ``positions``, as a column with ``index``."""
    return pd.Series(values.take(positions).array, index=index)


#: The asset columns the matching uses.
_ASSET_KEEP = (
    "id name kind category sector skills capacity count members area_code geometry".split()
)


# -- the two sides ----------------------------------------------------------------------------
@dataclass
class _Side:
    frame: pd.DataFrame
    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    codes: list[list[str]]
    bits: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.uint64))


def _human_groups(
    human: gpd.GeoDataFrame,
    area_codes: pd.Series,
    areas: gpd.GeoDataFrame,
    vocab: Vocabulary,
    min_count: int,
) -> tuple[gpd.GeoDataFrame, dict[str, list[str]], int]:
    """``skills_group`` rows as they are; ``individual`` rows aggregated per area and skill set."""
    counts = pd.to_numeric(human["count"], errors="coerce").fillna(1).astype("int64")
    human = human.assign(count=counts.to_numpy(), area_code=area_codes.to_numpy())
    groups = human[human["category"] != "individual"].copy()
    groups["members"] = 1
    members: dict[str, list[str]] = {}
    indiv = human[human["category"] == "individual"]
    if len(indiv):
        cell_of, cells = pd.factorize(indiv["skills"].to_numpy(dtype=object), use_na_sentinel=False)
        cell_keys = np.array([";".join(sorted(vocab.codes(c))) for c in cells], dtype=object)
        frame = pd.DataFrame(
            {
                "area_code": indiv["area_code"].to_numpy(),
                "key": cell_keys[cell_of] if len(cell_of) else np.zeros(0, dtype=object),
                "count": indiv["count"].to_numpy(),
                "id": indiv["id"].astype(str).to_numpy(),
            }
        )
        frame = frame.sort_values(["area_code", "key", "id"], kind="stable", ignore_index=True)
        points = (
            areas.set_index("code").geometry.representative_point().to_dict() if len(areas) else {}
        )
        names = areas.set_index("code")["name"].to_dict() if len(areas) else {}
        area = frame["area_code"].to_numpy(dtype=object)
        key = frame["key"].to_numpy(dtype=object)
        ids = frame["id"].to_numpy(dtype=object)
        new = np.ones(len(frame), dtype=bool)
        new[1:] = (area[1:] != area[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(new)
        stops = np.r_[starts[1:], len(frame)]
        totals = np.add.reduceat(frame["count"].to_numpy(dtype=np.int64), starts)
        labels_of: dict[str, list[str]] = {}
        rows = []
        for start, stop, total in zip(
            starts.tolist(), stops.tolist(), totals.tolist(), strict=True
        ):
            a_code, k = area[start], key[start]
            gid = f"group:{a_code}:{hashlib.sha1(k.encode()).hexdigest()[:8]}"
            members[gid] = ids[start:stop].tolist()
            labels = labels_of.get(k)
            if labels is None:
                labels = labels_of[k] = [vocab.label(c) for c in k.split(";") if c]
            rows.append(
                {
                    "id": gid,
                    "kind": "human",
                    "category": "skills_group",
                    "count": int(total),
                    "members": stop - start,
                    "skills": ";".join(labels),
                    "area_code": a_code,
                    "name": f"residents in {_area_label(names, a_code)}: "
                    f"{', '.join(labels) or 'no skills recorded'}",
                    "geometry": points.get(a_code) if a_code != OUTSIDE_AREAS else None,
                }
            )
        agg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=human.crs)
        groups = pd.concat([groups, agg], ignore_index=True)
    small = groups["count"] < min_count
    suppressed = int(groups.loc[small, "count"].sum())
    groups = groups.loc[~small]
    kept = set(groups["id"].to_numpy(dtype=object).tolist())
    kept_members = {g: m for g, m in members.items() if g in kept}
    return gpd.GeoDataFrame(groups, geometry="geometry", crs=human.crs), kept_members, suppressed


class Engine:
    """Prepared arrays for both sides and the scoring of candidate pairs."""

    def __init__(self) -> None:  # use Engine.build
        self.settings: MatchSettings
        self.ds: Dataset
        self.vocab: Vocabulary
        self.pathways: dict[str, Pathway]
        self.metric_crs: CRS
        self.unlocated_rows: list[dict[str, object]]
        self._pairs: ProfilePairs | None = None

    # -- preparation ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        ds: Dataset,
        settings: MatchSettings,
        *,
        vocabulary: Vocabulary | None = None,
        project: str | None = None,
    ) -> Engine:
        """Prepare both sides of ``ds`` for scoring."""
        self = cls()
        self.ds, self.settings = ds, settings
        self.vocab = vocabulary or Vocabulary.for_dataset(
            ds, fuzzy_threshold=settings.fuzzy_threshold
        )
        self.pathways = load_pathways()
        self.metric_crs = ds.metric_crs
        self.unlocated_rows = []
        self._prepare_assets(ds)
        self._prepare_opportunities(ds, project)
        self._prepare_codes()
        self._prepare_rules()
        return self

    def _prepare_assets(self, ds: Dataset) -> None:
        area_codes = assign_area_codes(ds.assets, ds.areas)
        # only the columns used: copying every column of a million assets costs seconds
        used = [c for c in _ASSET_KEEP if c in ds.assets and c != ds.assets.geometry.name]
        assets = ds.assets[[*used, ds.assets.geometry.name]]
        human = (assets["kind"] == "human").to_numpy()
        public = assets.loc[~human].copy()
        public["area_code"] = area_codes[~human].to_numpy()
        public["count"] = pd.to_numeric(public["count"], errors="coerce")
        public["members"] = pd.NA
        groups, self.members, self.suppressed = _human_groups(
            assets.loc[human], area_codes[human], ds.areas, self.vocab, ds.min_count
        )
        keep = _ASSET_KEEP
        frame = pd.concat(
            [public.reindex(columns=keep), groups.reindex(columns=keep)], ignore_index=True
        )
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=assets.crs or WGS84)
        frame["id"] = frame["id"].astype(str)
        x, y, located = _metric_xy(frame.geometry, self.metric_crs)
        for i in np.flatnonzero(~located):
            self.unlocated_rows.append(
                {
                    "table": "assets",
                    "id": frame.at[i, "id"],
                    "kind": frame.at[i, "kind"],
                    "category": frame.at[i, "category"],
                    "reason": "not located",
                }
            )
        names = ds.areas.set_index("code")["name"] if len(ds.areas) else pd.Series(dtype=object)
        deciles = (
            pd.to_numeric(ds.areas.set_index("code")["imd_decile"], errors="coerce")
            if len(ds.areas) and "imd_decile" in ds.areas
            else pd.Series(dtype=float)
        )
        area_of, area_values = pd.factorize(frame["area_code"], use_na_sentinel=False)
        frame["area_name"] = _take(pd.Series(area_values).map(names), area_of, frame.index)
        frame["imd_decile"] = _take(
            pd.Series(area_values).map(deciles).astype(float), area_of, frame.index
        )
        frame["capacity"] = pd.to_numeric(frame["capacity"], errors="coerce").astype(float)
        # codes of each distinct (skills, sector) pair, resolved once, in order of appearance
        skills_of, skills_values = _distinct(frame["skills"])
        sector_of, sector_values = _distinct(frame["sector"])
        pair_of, pairs = pd.factorize(skills_of * (len(sector_values) + 1) + sector_of)
        memo: dict[tuple[object, object], int] = {}
        distinct: list[list[str]] = []
        list_of_pair = np.empty(len(pairs), dtype=np.int64)
        for n, pair in enumerate(pairs.tolist()):
            skills = skills_values[pair // (len(sector_values) + 1)]
            sector = sector_values[pair % (len(sector_values) + 1)]
            key = (
                skills if isinstance(skills, str) else None,
                sector if isinstance(sector, str) else None,
            )
            j = memo.get(key)
            if j is None:
                own = self.vocab.codes(skills)
                for c in self.vocab.codes(sector):
                    if not is_unknown_code(c) and c not in own:
                        own.append(c)
                if all(is_unknown_code(c) for c in own) and isinstance(sector, str):
                    # nothing known of its own: what delivers its sector (sectors.csv)
                    own += [c for c in self._sector_codes(sector) if c not in own]
                j = memo[key] = len(distinct)
                distinct.append(own)
            list_of_pair[n] = j
        index = list_of_pair[pair_of]
        frame["located"] = located
        codes = [distinct[j] for j in index.tolist()]
        self.assets = _Side(frame, frame["id"].to_numpy(dtype=object), x, y, codes)
        self._code_lists, self._code_list_of = distinct, index
        decile = frame["imd_decile"].to_numpy(dtype=float)
        self.deprivation = np.where(np.isnan(decile), 0.5, np.clip((10.0 - decile) / 9.0, 0.0, 1.0))
        self.capacity = frame["capacity"].to_numpy(dtype=float)
        order = _id_order(self.assets.ids)
        self.asset_rank = np.empty(len(order), dtype=np.int64)
        self.asset_rank[order] = np.arange(len(order))

    def _prepare_opportunities(self, ds: Dataset, project: str | None) -> None:
        opps = ds.opportunities
        if project is not None:
            opps = opps[opps["project"].astype(str) == project]
        opps = opps.reset_index(drop=True)
        geoms = opps.geometry.copy()
        projects = ds.projects.set_index("id")
        self.project_names = projects["name"].to_dict()
        missing = (geoms.isna() | geoms.is_empty).to_numpy()
        for i in np.flatnonzero(missing):
            pid = str(opps.at[i, "project"])
            if pid in projects.index:
                geoms.iloc[i] = projects.geometry[pid]
        frame = pd.DataFrame(
            {
                "opportunity_id": opps["id"].astype(str).to_numpy(),
                "project": opps["project"].astype(str).to_numpy(),
                "type": opps["type"].astype(str).to_numpy(),
                "title": opps["title"].to_numpy(),
                "skills": opps["skills"].to_numpy(),
                "sector": opps["sector"].to_numpy(),
                "quantity": pd.to_numeric(opps["quantity"], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                ),
                "value": pd.to_numeric(opps["value"], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                ),
                "pathway": opps["pathway"]
                .astype(object)
                .fillna("")
                .astype(str)
                .str.strip()
                .to_numpy(),
            }
        )
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(geoms.to_numpy(), crs=opps.crs or WGS84)
        )
        x, y, located = _metric_xy(frame.geometry, self.metric_crs)
        frame["located"] = located
        for i in np.flatnonzero(~located):
            self.unlocated_rows.append(
                {
                    "table": "opportunities",
                    "id": frame.at[i, "opportunity_id"],
                    "kind": "",
                    "category": frame.at[i, "type"],
                    "reason": "not located and its project is not declared",
                }
            )
        unknown_paths = sorted({p for p in frame["pathway"] if p and p not in self.pathways})
        if unknown_paths:
            log.warning(
                "opportunities name unknown pathway(s) %s; known: %s",
                unknown_paths,
                ", ".join(self.pathways),
            )
        codes = []
        for skills, sector in zip(
            frame["skills"].to_numpy(dtype=object),
            frame["sector"].to_numpy(dtype=object),
            strict=True,
        ):
            codes.append(self._opportunity_codes(skills, sector))
        self.opps = _Side(frame, frame["opportunity_id"].to_numpy(dtype=object), x, y, codes)

    def _opportunity_codes(self, skills: object, sector: object) -> list[str]:
        """What an opportunity asks: its skills, else its sector's (sectors.csv, the vocabulary).

        A sector that names no known skill asks for ``sector NAME`` (an unknown
        code, which assets of that sector hold too), so that the opportunity is
        matched only to them, never to everyone as if it asked for nothing.
        """
        own = self.vocab.codes(skills)
        if own or not isinstance(sector, str):
            return own
        return self._sector_codes(sector)

    def _sector_codes(self, sector: str) -> list[str]:
        """The codes that deliver a sector (sectors.csv, the vocabulary), else its own term."""
        if not sector.strip():
            return []
        own = [c for c in sector_skills(sector) if c in self.vocab]
        own += [c for c in self.vocab.codes(sector) if not is_unknown_code(c) and c not in own]
        return own or [UNKNOWN_PREFIX + normalise_term(sector_term(sector))]

    def _prepare_codes(self) -> None:
        unknown = sorted(
            {
                c
                for lists in (self._code_lists, self.opps.codes)
                for cs in lists
                for c in cs
                if c not in self.vocab
            }
        )
        self.codes: list[str] = [*self.vocab.skills, *unknown]
        self.code_pos = {c: i for i, c in enumerate(self.codes)}
        self.words = max(1, math.ceil(len(self.codes) / WORD))
        pos = self.code_pos
        # everything derived from an asset's codes is computed once per distinct code list
        held = to_bits([[pos[c] for c in cs] for cs in self._code_lists], self.words)
        of_list = self._code_list_of
        self.assets.bits, self._list_bits = held[of_list], held
        self.opps.bits = to_bits([[pos[c] for c in cs] for cs in self.opps.codes], self.words)
        related = to_bits(
            [[pos[r] for r in self.vocab.related(c) if r in pos] for c in self.codes], self.words
        )
        rel = np.zeros_like(held)
        for c in range(len(self.codes)):
            if related[c].any():
                has = has_code(held, c)
                if has.any():
                    rel[has] |= related[c]
        self.related_bits = rel[of_list]
        # pathways: requirement and grant bitsets, who qualifies, who already holds the grants
        self.path_ids = list(self.pathways)
        self.path_pos = {p: i for i, p in enumerate(self.path_ids)}
        paths = list(self.pathways.values())
        self.path_requires = to_bits(
            [[pos[c] for c in p.requires if c in pos] for p in paths], self.words
        )
        self.path_grants = to_bits(
            [[pos[c] for c in p.grants if c in pos] for p in paths], self.words
        )
        self.path_credit = np.array([p.credit for p in paths], dtype=float)
        qualifies = np.zeros((len(held), len(paths)), dtype=bool)
        holds_grants = np.zeros((len(held), len(paths)), dtype=bool)
        for j, p in enumerate(paths):
            qualifies[:, j] = (not p.requires) or (held & self.path_requires[j]).any(axis=1)
            g = self.path_grants[j]
            holds_grants[:, j] = bool(g.any()) and ((held & g) == g).all(axis=1)
        self.qualifies, self.holds_grants = qualifies[of_list], holds_grants[of_list]
        self.opp_path = np.array(
            [self.path_pos.get(p, -1) for p in self.opps.frame["pathway"]], dtype=np.int64
        )
        self.opp_nreq = popcount(self.opps.bits)

    def _prepare_rules(self) -> None:
        cats = [*ALL_CATEGORIES, "?"]
        self.cat_pos = {c: i for i, c in enumerate(cats)}
        self.type_pos = {t: i for i, t in enumerate(OPPORTUNITY_TYPES)}
        self.eligible = np.zeros((len(cats), len(OPPORTUNITY_TYPES) + 1), dtype=bool)
        self.lots = np.zeros_like(self.eligible)
        for rule in load_eligibility():
            c, t = self.cat_pos.get(rule.asset_category), self.type_pos.get(rule.opportunity_type)
            if c is None or t is None:
                log.warning("eligibility.csv: unknown category or type in %s", rule)
                continue
            self.eligible[c, t] = True
            self.lots[c, t] = rule.supply == "lots"
        unknown_cat = len(cats) - 1
        cat_of, cat_values = pd.factorize(
            self.assets.frame["category"].to_numpy(dtype=object), use_na_sentinel=False
        )
        per_value = [self.cat_pos.get(str(c), unknown_cat) for c in cat_values]
        self.asset_cat = np.array(per_value, dtype=np.int64)[cat_of]
        self.opp_type = np.array(
            [self.type_pos.get(t, len(OPPORTUNITY_TYPES)) for t in self.opps.frame["type"]],
            dtype=np.int64,
        )
        quantity = np.where(
            np.isnan(self.opps.frame["quantity"].to_numpy(dtype=float)),
            1.0,
            np.maximum(self.opps.frame["quantity"].to_numpy(dtype=float), 1.0),
        )
        self.lot_value = self.opps.frame["value"].to_numpy(dtype=float) / quantity

    # -- candidates -------------------------------------------------------------------------
    def _satisfiers(self, assets: np.ndarray | None = None) -> sparse.csr_matrix:
        """Assets (all, or these) × (codes + pathways + 1): the required codes each can satisfy."""
        if assets is None:
            assets = np.arange(len(self.assets.ids))
        n, v, p = len(assets), len(self.codes), len(self.path_ids)
        can = self.assets.bits[assets] | self.related_bits[assets]
        qualifies = self.qualifies[assets]
        rows, cols = [], []
        for c in range(v):
            hit = np.flatnonzero(has_code(can, c))
            rows.append(hit)
            cols.append(np.full(len(hit), c))
        for j in range(p):
            hit = np.flatnonzero(qualifies[:, j])
            rows.append(hit)
            cols.append(np.full(len(hit), v + j))
        rows.append(np.arange(n))
        cols.append(np.full(n, v + p))
        r, k = np.concatenate(rows), np.concatenate(cols)
        return sparse.csr_matrix((np.ones(len(r), dtype=np.int32), (r, k)), shape=(n, v + p + 1))

    def _requirements(self) -> sparse.csc_matrix:
        """(codes + pathways + 1) × opportunities: what each opportunity needs satisfied."""
        m, v, p = len(self.opps.ids), len(self.codes), len(self.path_ids)
        rows, cols = [], []
        for c in range(v):
            hit = np.flatnonzero(has_code(self.opps.bits, c))
            rows.append(np.full(len(hit), c))
            cols.append(hit)
        has_path = np.flatnonzero(self.opp_path >= 0)
        if len(has_path):
            grants = self.path_grants[self.opp_path[has_path]]
            useful = has_path[(grants & self.opps.bits[has_path]).any(axis=1)]
            rows.append(v + self.opp_path[useful])
            cols.append(useful)
        free = np.flatnonzero(self.opp_nreq == 0)
        rows.append(np.full(len(free), v + p))
        cols.append(free)
        r, k = np.concatenate(rows), np.concatenate(cols)
        return sparse.csc_matrix((np.ones(len(r), dtype=np.int32), (r, k)), shape=(v + p + 1, m))

    # -- scoring ----------------------------------------------------------------------------
    def skill_terms(self, a: np.ndarray, o: np.ndarray) -> dict[str, np.ndarray]:
        """Skill and pathway components of pairs (functions of the two skill profiles only)."""
        s = self.settings
        held, req = self.assets.bits[a], self.opps.bits[o]
        nreq = self.opp_nreq[o]
        direct = held & req
        p = self.opp_path[o]
        has_p = p >= 0
        pj = np.where(has_p, p, 0)
        qual = has_p & self.qualifies[a, pj] if len(self.path_ids) else np.zeros(len(a), dtype=bool)
        grants = np.where(
            qual[:, None], self.path_grants[pj] if len(self.path_ids) else 0, np.uint64(0)
        )
        via_p = grants & req & ~held
        via_r = self.related_bits[a] & req & ~held
        n_d, n_p, n_r = popcount(direct), popcount(via_p), popcount(via_r)
        n_both = popcount(via_p & via_r)
        cp = np.where(qual, self.path_credit[pj] if len(self.path_ids) else 0.0, 0.0)
        cr = s.related_credit
        total = np.where(
            cp >= cr, n_d + cp * n_p + cr * (n_r - n_both), n_d + cr * n_r + cp * (n_p - n_both)
        )
        skill = np.where(nreq > 0, total / np.maximum(nreq, 1), 1.0)
        path_score = np.where(
            has_p,
            (qual | (has_p & self.holds_grants[a, pj])).astype(float)
            if len(self.path_ids)
            else 0.0,
            np.nan,
        )
        return {
            "skill": skill,
            "pathway": path_score,
            "has_p": has_p,
            "direct": direct,
            "via_p": via_p,
            "via_r": via_r,
            "qual": qual,
        }

    def score(self, a: np.ndarray, o: np.ndarray, *, detail: bool = True) -> dict[str, np.ndarray]:
        """Components and score of pairs (asset index, opportunity index)."""
        s = self.settings
        terms = self.skill_terms(a, o)
        distance = np.round(
            np.hypot(self.assets.x[a] - self.opps.x[o], self.assets.y[a] - self.opps.y[o]), 1
        )
        dist_score = np.exp(-distance / s.decay_m)
        dep = self.deprivation[a]
        cap_applies = self.lots[self.asset_cat[a], self.opp_type[o]]
        fit = capacity_fit(self.capacity[a], self.lot_value[o])
        cap_score = np.where(cap_applies, fit, np.nan)
        score = combine_score(
            s.weights,
            terms["skill"],
            dist_score,
            dep,
            terms["pathway"],
            terms["has_p"],
            cap_score,
            cap_applies,
        )
        if not detail:
            return {"score": score, "distance_m": distance}
        return {
            "score": score,
            "distance_m": distance,
            "distance": dist_score,
            "deprivation": dep,
            "capacity": cap_score,
            **terms,
        }

    def profile_pairs(self) -> ProfilePairs:
        """Skill components per pair of distinct profiles (built once, for pruning)."""
        if self._pairs is None:
            self._pairs = ProfilePairs.build(self)
        return self._pairs

    def best_pairs(
        self,
        opp_index: np.ndarray | None = None,
        *,
        min_score: float | None = None,
        top_k: int | None | bool = False,
        asset_mask: np.ndarray | None = None,
        by_distance: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Kept pairs (score ≥ min_score, top_k per opportunity), sorted by opportunity and rank.

        Ties are broken by the smaller distance (unless ``by_distance`` is
        False), then the asset id. Returns asset and opportunity indices, the
        full components of :meth:`score` and the ranks.
        """
        s = self.settings
        min_score = s.min_score if min_score is None else min_score
        top_k = s.top_k if top_k is False else top_k
        if opp_index is None:
            opp_index = np.arange(len(self.opps.ids))
        a, o, rank = select_pairs(
            self,
            np.asarray(opp_index, dtype=np.int64),
            min_score=min_score,
            top_k=top_k or None,
            asset_mask=asset_mask,
            by_distance=by_distance,
        )
        return a, o, self.score(a, o), rank

    # -- output -----------------------------------------------------------------------------
    def labels(self, bits: np.ndarray) -> list[str]:
        """``;``-joined labels of each bitset row (decoded once per distinct row)."""
        memo: dict[bytes, str] = {}
        out = []
        for row in bits:
            key = row.tobytes()
            text = memo.get(key)
            if text is None:
                text = memo[key] = ";".join(self.vocab.label(self.codes[c]) for c in codes_of(row))
            out.append(text)
        return out

    def matches_frame(
        self, a: np.ndarray, o: np.ndarray, comp: dict[str, np.ndarray], rank: np.ndarray
    ) -> pd.DataFrame:
        """The matches table (:data:`cwb.matching.core.MATCH_COLUMNS`) of scored pairs."""
        af, of = self.assets.frame, self.opps.frame
        missing_bits = self.opps.bits[o] & ~(comp["direct"] | comp["via_p"] | comp["via_r"])
        frame = pd.DataFrame(
            {
                "asset_id": self.assets.ids[a],
                "asset_name": _at(af["name"], a),
                "asset_kind": _at(af["kind"], a),
                "asset_category": _at(af["category"], a),
                "opportunity_id": self.opps.ids[o],
                "opportunity_title": of["title"].to_numpy(dtype=object)[o],
                "opportunity_type": of["type"].to_numpy(dtype=object)[o],
                "project": of["project"].to_numpy(dtype=object)[o],
                "rank": rank.astype(np.int64),
                "score": comp["score"],
                "skills_covered": self.labels(comp["direct"]),
                "skills_via_pathway": self.labels(comp["via_p"]),
                "skills_partial": self.labels(comp["via_r"] & ~comp["via_p"]),
                "skills_missing": self.labels(missing_bits),
                "distance_m": comp["distance_m"],
                "area_code": _at(af["area_code"], a),
                "imd_decile": af["imd_decile"].to_numpy(dtype=float)[a],
                "pathway": of["pathway"].to_numpy(dtype=object)[o],
                "count": af["count"].to_numpy(dtype=float, na_value=np.nan)[a],
                "capacity": af["capacity"].to_numpy(dtype=float)[a],
                "value": of["value"].to_numpy(dtype=float)[o],
                "skill_score": np.round(comp["skill"], 6),
                "distance_score": np.round(comp["distance"], 6),
                "deprivation_score": np.round(comp["deprivation"], 6),
                "pathway_score": comp["pathway"],
                "capacity_score": np.round(comp["capacity"], 6),
            }
        )
        frame["count"] = frame["count"].astype("Int64")
        frame["reasons"] = match_reasons(self, frame, a, o, comp)
        frame = frame.sort_values(
            ["project", "opportunity_id", "rank"], kind="stable", ignore_index=True
        )
        return frame[MATCH_COLUMNS]

    def assets_frame(self) -> gpd.GeoDataFrame:
        """The asset side as matched (public columns only, ``ASSET_COLUMNS``)."""
        f = self.assets.frame
        out = f.rename(columns={"id": "asset_id"})
        # joined once per distinct code list
        joined = np.array([";".join(cs) for cs in self._code_lists], dtype=object)
        out["skill_codes"] = joined[self._code_list_of] if len(out) else []
        out["count"] = pd.to_numeric(out["count"], errors="coerce").astype("Int64")
        out["members"] = pd.to_numeric(out["members"], errors="coerce").astype("Int64")
        return gpd.GeoDataFrame(out.reindex(columns=ASSET_COLUMNS), geometry="geometry", crs=f.crs)

    def opportunities_frame(self) -> gpd.GeoDataFrame:
        """Opportunities with their skill codes and the location used."""
        f = self.opps.frame.copy()
        f["skill_codes"] = [";".join(cs) for cs in self.opps.codes]
        f["quantity"] = pd.array(f["quantity"].to_numpy(dtype=float), dtype="Float64").astype(
            "Int64"
        )
        return gpd.GeoDataFrame(
            f.reindex(columns=OPPORTUNITY_COLUMNS), geometry="geometry", crs=f.crs
        )

    def result(self) -> MatchResult:
        """Run the matching and assemble the :class:`~cwb.matching.core.MatchResult`."""
        a, o, comp, rank = self.best_pairs()
        matches = self.matches_frame(a, o, comp, rank)
        log.info(
            "matching: %d matches for %d opportunities from %d assets",
            len(matches),
            len(self.opps.ids),
            len(self.assets.ids),
        )
        unlocated = pd.DataFrame(self.unlocated_rows, columns=UNLOCATED_COLUMNS)
        return MatchResult(
            matches=matches,
            assets=self.assets_frame(),
            opportunities=self.opportunities_frame(),
            unknown_skills=unknown_skills(self.ds, self.vocab),
            unlocated=unlocated,
            suppressed_residents=self.suppressed,
            settings=self.settings,
            members=self.members,
            _engine=self,
        )
