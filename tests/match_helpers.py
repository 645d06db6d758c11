"""Hand-made datasets for the matching tests: positions in metres on the British National Grid.

The project sits at ``ORIGIN`` (BNG); assets and opportunities are placed by an
offset in metres from it, so that distances are known exactly. Areas are
squares around the origin with a chosen IMD decile.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from cwb.dataset.manifest import manifest_from_dict
from cwb.dataset.model import Dataset
from cwb.dataset.schema import AREAS, ASSETS, OPPORTUNITIES
from cwb.matching.core import DEFAULT_WEIGHTS, MatchSettings, load_eligibility, load_pathways
from cwb.matching.engine import Engine

ORIGIN = (400_000.0, 290_000.0)  # BNG metres, in the West Midlands
BNG = "EPSG:27700"


def _to_wgs84(points: list[Point | None]) -> gpd.GeoSeries:
    return gpd.GeoSeries(points, crs=BNG).to_crs("EPSG:4326")


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    points = []
    records = []
    for row in rows:
        row = dict(row)
        at = row.pop("at", (0.0, 0.0))
        points.append(None if at is None else Point(ORIGIN[0] + at[0], ORIGIN[1] + at[1]))
        records.append(row)
    frame = pd.DataFrame(records).reindex(columns=[c for c in columns if c not in ("lat", "lon")])
    for col in ("count", "quantity"):
        if col in frame:
            frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    for col in ("capacity", "value"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col]).astype(float)
    frame["precision"] = ["none" if p is None else "exact" for p in points]
    return gpd.GeoDataFrame(frame, geometry=_to_wgs84(points).to_numpy(), crs="EPSG:4326")


def make_areas(
    areas: list[tuple[str, tuple[float, float, float, float], float | None]],
) -> gpd.GeoDataFrame:
    """Areas from (code, (minx, miny, maxx, maxy) offsets in metres, imd_decile)."""
    rows, geoms = [], []
    for code, (x0, y0, x1, y1), decile in areas:
        rows.append({"code": code, "name": f"Area {code}", "imd_decile": decile})
        geoms.append(box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1))
    frame = pd.DataFrame(rows).reindex(columns=[c.name for c in AREAS.columns])
    return gpd.GeoDataFrame(
        frame,
        geometry=gpd.GeoSeries(geoms, crs=BNG).to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )


def make_dataset(
    assets: list[dict[str, Any]],
    opportunities: list[dict[str, Any]],
    areas: gpd.GeoDataFrame | None = None,
    *,
    matching: dict[str, Any] | None = None,
    min_count: int = 1,
) -> Dataset:
    """A dataset with one project ``p`` at the origin."""
    lon, lat = _to_wgs84([Point(*ORIGIN)]).iloc[0].coords[0]
    raw = {
        "dataset": {"name": "test", "metric_crs": BNG},
        "projects": [{"id": "p", "name": "The Hospital", "lat": lat, "lon": lon}],
        "privacy": {"min_count": min_count, "allow_small_groups": min_count < 2},
    }
    if matching:
        raw["matching"] = matching
    manifest = manifest_from_dict(raw)
    if areas is None:
        areas = make_areas([("W1", (-50_000, -50_000, 50_000, 50_000), 5.0)])
    opps = [{"project": "p", **o} for o in opportunities]
    return Dataset(
        manifest=manifest,
        assets=_frame(assets, [c.name for c in ASSETS.columns]),
        opportunities=_frame(opps, [c.name for c in OPPORTUNITIES.columns]),
        areas=areas,
    )


def expected_score(
    components: dict[str, float | None], weights: dict[str, float] | None = None
) -> float:
    """The documented weighted mean over the components that apply (None: does not apply)."""
    weights = weights or DEFAULT_WEIGHTS
    num = sum(weights[k] * v for k, v in components.items() if v is not None)
    den = sum(weights[k] for k, v in components.items() if v is not None)
    return round(num / den, 6)


def decay(metres: float, decay_m: float = 3000.0) -> float:
    """The documented distance score."""
    return math.exp(-metres / decay_m)


# -- naive references: one pair at a time, by the documented rules ------------------------------


def naive_pairs(engine: Engine, s: MatchSettings) -> list[dict[str, Any]]:
    """Every plausible asset–opportunity pair (no min_score, no top_k), scored one at a time.

    Each record has the indices ``o`` and ``a``, the ids, ``score``, ``skill``,
    ``distance`` (rounded metres) and ``cover`` (the codes the asset holds or
    stands in for).
    """
    vocab = engine.vocab
    rules = {(r.opportunity_type, r.asset_category): r.supply for r in load_eligibility()}
    paths = load_pathways()
    af, of = engine.assets.frame, engine.opps.frame
    out = []
    for o in range(len(of)):
        if not of["located"].iat[o]:
            continue
        otype, req = of["type"].iat[o], engine.opps.codes[o]
        pathway = paths.get(of["pathway"].iat[o])
        quantity = of["quantity"].iat[o]
        lot = of["value"].iat[o] / (1.0 if math.isnan(quantity) else max(quantity, 1.0))
        for a in range(len(af)):
            cat = af["category"].iat[a]
            if (otype, cat) not in rules or not af["located"].iat[a]:
                continue
            d = round(
                math.hypot(
                    engine.assets.x[a] - engine.opps.x[o], engine.assets.y[a] - engine.opps.y[o]
                ),
                1,
            )
            if d > s.max_distance_m:
                continue
            held = set(engine.assets.codes[a])
            qualifies = pathway is not None and (
                not pathway.requires or bool(held & set(pathway.requires))
            )
            credits = []
            for code in req:
                best = 1.0 if code in held else 0.0
                if qualifies and code in pathway.grants:
                    best = max(best, pathway.credit)
                if any(code in vocab.related(h) for h in held):
                    best = max(best, s.related_credit)
                credits.append(best)
            skill = sum(credits) / len(credits) if req else 1.0
            if req and skill == 0:
                continue
            parts = {"skills": skill, "distance": math.exp(-d / s.decay_m)}
            decile = af["imd_decile"].iat[a]
            parts["deprivation"] = (
                0.5 if math.isnan(decile) else min(1.0, max(0.0, (10 - decile) / 9))
            )
            if pathway is not None:
                holds_all = bool(pathway.grants) and set(pathway.grants) <= held
                parts["pathway"] = 1.0 if qualifies or holds_all else 0.0
            if rules[(otype, cat)] == "lots":
                cap = af["capacity"].iat[a]
                if math.isnan(cap) or math.isnan(lot):
                    parts["capacity"] = 0.5
                else:
                    parts["capacity"] = min(1.0, cap / lot) if lot > 0 else 1.0
            w = s.weights
            score = float(
                np.round(sum(w[k] * v for k, v in parts.items()) / sum(w[k] for k in parts), 6)
            )
            cover = held | {r for h in held for r in vocab.related(h)}
            out.append(
                {
                    "o": o,
                    "a": a,
                    "opportunity_id": of["opportunity_id"].iat[o],
                    "asset_id": af["id"].iat[a],
                    "score": score,
                    "skill": skill,
                    "distance": d,
                    "cover": cover,
                }
            )
    return out


def naive_matches(engine: Engine, s: MatchSettings) -> list[tuple[str, int, str, float]]:
    """The kept matches (opportunity id, rank, asset id, score) of :func:`naive_pairs`."""
    by_opp: dict[int, list[tuple[float, float, str]]] = {}
    for p in naive_pairs(engine, s):
        if p["score"] >= s.min_score:
            by_opp.setdefault(p["o"], []).append((-p["score"], p["distance"], p["asset_id"]))
    out = []
    for o, scored in by_opp.items():
        scored.sort()
        keep = scored if not s.top_k else scored[: s.top_k]
        opp_id = engine.opps.frame["opportunity_id"].iat[o]
        out += [(opp_id, i + 1, aid, -neg) for i, (neg, _, aid) in enumerate(keep)]
    return sorted(out)
