"""The result of a spend analysis: :class:`SpendAnalysis` and its JSON form.

:func:`cwb.spend.analysis.analyse_spend` fills it; the geography and
re-localisation modules read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb.reproducible import output_date
from cwb.spend.load import INCLUDED, SpendSettings


@dataclass
class SpendAnalysis:
    """Everything :func:`cwb.spend.analysis.analyse_spend` found.

    Tables are DataFrames; ``buyer`` is :data:`ALL_BUYERS` on the rows that
    cover every buyer together.

    Attributes
    ----------
    transactions
        Every row read (GeoDataFrame), with ``status``, ``amount_gbp``,
        ``location`` (local/regional/elsewhere/unlocated), ``band`` (innermost
        geography holding the supplier) and ``in_<geography>`` columns.
    reconciliation
        Rows read = included + each exclusion reason, in transactions and £.
    summary
        Headline figures per buyer: totals, local/regional/elsewhere/unlocated,
        SME, social-enterprise and most-deprived-area shares, leakage, LM3.
    geographies
        Per buyer and geography: spend inside, outside, unknown; share inside.
    sector_schemes
        Rows read and £ whose sector came from ``[spend] sector_map``, a CPV
        code, a SIC code, a known category text, or was kept as given
        (:func:`cwb.spend.sectors.sector_scheme_table`).
    located_by
        Rows read and £ by how they were located: postcode, coordinates, or
        through the supplier register by company number, name or fuzzy name;
        plus ambiguous and unlocated rows (:mod:`cwb.spend.register`).
    register_review
        Suppliers matched by fuzzy name or left ambiguous, with the register
        entries concerned, to check by hand.
    by_area
        Included spend of all buyers by the dataset area its suppliers are in,
        wherever they were located (postcode, coordinates or the supplier
        register): the areas with ``spend_gbp``, ``suppliers``, ``transactions``
        and ``share`` (:func:`cwb.spend.geo.supplier_spend_by_area`).
    """

    dataset: str
    settings: SpendSettings
    geography_names: list[str]
    local: str
    regional: str | None
    transactions: gpd.GeoDataFrame
    reconciliation: pd.DataFrame
    summary: pd.DataFrame
    geographies: pd.DataFrame
    bands: pd.DataFrame
    by_sector: pd.DataFrame
    by_org_type: pd.DataFrame
    by_sme: pd.DataFrame
    by_year: pd.DataFrame
    before_after: pd.DataFrame
    top_suppliers: pd.DataFrame
    leakage: pd.DataFrame
    relocalisable: pd.DataFrame
    multiplier: pd.DataFrame
    sector_schemes: pd.DataFrame = field(default_factory=pd.DataFrame)
    located_by: pd.DataFrame = field(default_factory=pd.DataFrame)
    register_review: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_area: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    @property
    def included(self) -> gpd.GeoDataFrame:
        """The included transactions only."""
        return self.transactions[self.transactions["status"] == INCLUDED]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by name (not the transactions)."""
        return {name: getattr(self, name) for name in _TABLES}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: settings used, notes and every table as a list of records."""
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "generated": output_date(),
            "currency": "GBP",
            "local_geography": self.local,
            "regional_geography": self.regional,
            "geography_names": self.geography_names,
            "settings": {
                "fx": self.settings.fx,
                "default_local_respend": self.settings.default_local_respend,
                "deprived": f"{self.settings.deprived_indicator} <= {self.settings.deprived_max:g}",
                "before_after": self.settings.before_after,
                "year_start_month": self.settings.year_start_month,
                "duplicate_key": [
                    "buyer",
                    "supplier",
                    "amount",
                    "currency",
                    "date",
                    *self.settings.duplicate_key,
                ],
                "social_types": list(self.settings.social_types),
                "supplier_register": self.settings.supplier_register,
                "register_assets": self.settings.register_assets,
                "register_fuzzy_threshold": self.settings.register_fuzzy_threshold,
            },
            "notes": list(self.notes),
        }
        for name, table in self.tables().items():
            out[name] = _records(table)
        return out


_TABLES = (
    "reconciliation",
    "summary",
    "geographies",
    "bands",
    "by_sector",
    "by_org_type",
    "by_sme",
    "by_year",
    "before_after",
    "top_suppliers",
    "leakage",
    "relocalisable",
    "multiplier",
    "sector_schemes",
    "located_by",
    "register_review",
)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    frame = pd.DataFrame(table).drop(columns="geometry", errors="ignore")
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
