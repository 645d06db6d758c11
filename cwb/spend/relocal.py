"""Re-localisable spend: leaking sectors matched to local enterprises of the catalogue.

Part of the Preston-model analysis (:mod:`cwb.spend.analysis`). For each buyer and
sector whose spend leaks out of the local geography,
:func:`relocalisable_table` lists the enterprises of the catalogue inside the
local geography that work in that sector (by their sector or a skill), with
their known capacity; :func:`relocalisable_opportunities` turns those rows into
contract opportunities the matching and the graph can use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.schema import OPPORTUNITIES
from cwb.errors import UsageError
from cwb.spend.geo import Geography, as_list
from cwb.spend.load import ALL_BUYERS, SpendSettings
from cwb.text import normalise_text

if TYPE_CHECKING:
    from cwb.dataset.manifest import Project
    from cwb.spend.result import SpendAnalysis

__all__ = ["relocalisable_opportunities", "relocalisable_table"]


#: Enterprise names listed per re-localisable row before "(+n more)".
_NAMES_SHOWN = 10


class _FirmTerms:
    """Firms by the words they work in: their normalised sector and each of their skills.

    Positional (row ``i`` of the firms table). :meth:`firms` lists the firms
    working in a term in the order they first name it: by sector first, then
    by a skill, each in table order.
    """

    def __init__(self, firms: pd.DataFrame) -> None:
        # each distinct value is normalised once; the rows keep codes into the distinct values
        sector = firms["sector"].fillna("").astype(str)
        sector_of, sectors = pd.factorize(sector.to_numpy(dtype=object), use_na_sentinel=False)
        self.sector_terms = np.array([normalise_text(v) for v in sectors], dtype=object)
        self.sector_of = sector_of
        skills = firms["skills"].fillna("").astype(str)
        self.skills_of, cells = pd.factorize(skills.to_numpy(dtype=object), use_na_sentinel=False)
        self.cell_terms = [{normalise_text(v) for v in str(c).split(";")} for c in cells]

    def firms(self, term: str) -> np.ndarray:
        """Positions of the firms working in ``term`` (none for the empty term)."""
        if term == "":
            return np.zeros(0, dtype=np.int64)
        by_sector = (self.sector_terms == term)[self.sector_of]
        cells = np.array([term in terms for terms in self.cell_terms], dtype=bool)
        by_skill = cells[self.skills_of] & ~by_sector
        return np.concatenate([np.flatnonzero(by_sector), np.flatnonzero(by_skill)])


def relocalisable_table(
    ds: Dataset, analysis: SpendAnalysis, geos: list[Geography]
) -> pd.DataFrame:
    """Per buyer and leaking sector: the local enterprises of the catalogue working in it."""
    columns = [
        "buyer",
        "sector",
        "catalogue_sector",
        "leakage_gbp",
        "enterprises",
        "enterprise_ids",
        "enterprise_names",
        "capacity_gbp",
        "capacity_known",
        "addressable_gbp",
    ]
    settings = analysis.settings
    leak = analysis.leakage[
        (analysis.leakage["buyer"] != ALL_BUYERS)
        & (analysis.leakage["leakage_gbp"] > settings.min_leakage)
    ]
    assets = ds.assets
    wanted_firms = (assets["kind"] == "financial") & assets["category"].isin(
        settings.enterprise_categories
    )
    # only the columns used: a copy of every column of a million assets costs seconds
    used = ["id", "name", "sector", "skills", "capacity", "postcode", "area_code"]
    firms = assets.loc[wanted_firms, [c for c in used if c in assets] + [assets.geometry.name]]
    if len(firms):
        geo = next(g for g in geos if g.name == analysis.local)
        firms = firms[geo.membership(_complete_assets(firms)).fillna(False).astype(bool)]
    terms = _FirmTerms(firms)
    capacity = pd.to_numeric(firms["capacity"], errors="coerce")
    ids = firms["id"].astype(str).to_numpy(dtype=object)
    firm_names = firms["name"].astype(str).to_numpy(dtype=object)
    mapped = {str(k).casefold(): str(v) for k, v in settings.sector_map.items()}
    rows = []
    for _, row in leak.iterrows():
        wanted = mapped.get(str(row["sector"]).casefold(), str(row["sector"]))
        chosen = terms.firms(normalise_text(wanted))
        caps = capacity.iloc[chosen]
        known = int(caps.notna().sum())
        total_cap = round(float(caps.sum()), 2) if known else float("nan")
        if not len(chosen):
            addressable = 0.0
        else:
            addressable = (
                round(min(float(row["leakage_gbp"]), total_cap), 2) if known else float("nan")
            )
        shown = ";".join(firm_names[chosen[:_NAMES_SHOWN]])
        if len(chosen) > _NAMES_SHOWN:
            shown += f" (+{len(chosen) - _NAMES_SHOWN} more)"
        rows.append(
            {
                "buyer": row["buyer"],
                "sector": row["sector"],
                "catalogue_sector": wanted,
                "leakage_gbp": row["leakage_gbp"],
                "enterprises": len(chosen),
                "enterprise_ids": ";".join(ids[chosen]),
                "enterprise_names": shown,
                "capacity_gbp": total_cap,
                "capacity_known": known,
                "addressable_gbp": addressable,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _complete_assets(firms: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = firms.copy()
    for column in ("postcode", "area_code"):
        if column not in frame:
            frame[column] = pd.NA
    return frame


def relocalisable_opportunities(
    ds: Dataset, analysis: SpendAnalysis, *, include_without_enterprises: bool = False
) -> gpd.GeoDataFrame:
    """Re-localisable spend as contract opportunities, shaped like ``ds.opportunities``.

    One row per buyer and leaking sector (with at least one local enterprise
    working in it, unless ``include_without_enterprises``): type ``contract``,
    id ``SPEND-<n>``, ``sector``, ``value`` = the leaked £ a year of analysed
    spend, ``project`` = the buyer's project (``[spend] buyer_projects`` or a
    project whose ``buyer``/``anchor`` entry names it) else the first project,
    located at that project. The graph and the matching can append these rows.
    """
    table = analysis.relocalisable
    if not include_without_enterprises:
        table = table[table["enterprises"] > 0]
    projects = ds.manifest.projects
    if not projects:
        raise UsageError("the dataset declares no project to attach re-localisable spend to")
    rows, points = [], []
    for n, (_, row) in enumerate(table.iterrows(), start=1):
        project = _buyer_project(ds, analysis.settings, str(row["buyer"]))
        rows.append(
            {
                "id": f"SPEND-{n:03d}",
                "project": project.id,
                "type": "contract",
                "title": f"{row['sector']} spend of {row['buyer']} now leaving {analysis.local}",
                "skills": row["catalogue_sector"],
                "sector": row["sector"],
                "quantity": pd.NA,
                "value": float(row["leakage_gbp"]),
                "description": (
                    f"Re-localisable spend: £{row['leakage_gbp']:,.0f} of {row['buyer']}'s "
                    f"{row['sector']} spend goes to suppliers outside {analysis.local}; "
                    f"{int(row['enterprises'])} local enterprise(s) work in this sector"
                    + (
                        f" (known capacity £{row['capacity_gbp']:,.0f})"
                        if row["capacity_known"]
                        else ""
                    )
                    + "."
                ),
                "source": "cwb spend analysis",
                "precision": "project",
                "buyer": row["buyer"],
                "local_enterprises": row["enterprise_ids"],
                "addressable_gbp": row["addressable_gbp"],
            }
        )
        points.append((project.lon, project.lat))
    columns = [c for c in OPPORTUNITIES.column_names if c not in ("lat", "lon")]
    frame = pd.DataFrame(rows).reindex(
        columns=columns + ["buyer", "local_enterprises", "addressable_gbp"]
    )
    geometry = gpd.points_from_xy([p[0] for p in points], [p[1] for p in points])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def _buyer_project(ds: Dataset, settings: SpendSettings, buyer: str) -> Project:
    wanted = settings.buyer_projects.get(buyer)
    for project in ds.manifest.projects:
        if project.id == wanted:
            return project
    for project in ds.manifest.projects:
        named = [
            str(v).casefold()
            for key in ("buyer", "anchor", "anchors")
            for v in as_list(project.extra.get(key, []))
        ]
        if buyer.casefold() in named:
            return project
    return ds.manifest.projects[0]
