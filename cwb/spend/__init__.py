"""The spend stage: Preston-model analysis of anchor institutions' procurement spend.

Runs on a dataset's ``spend`` table (or a raw spend file read through a column
mapping): what share stays local, with SMEs and social enterprises, by sector,
and which leaking spend local enterprises could take.

- ``load``: spend settings, cleaning, and messy files through column mappings.
- ``sectors``: CPV, SIC and expense categories to cwb sectors.
- ``geo``: the local geographies and where each supplier is relative to them.
- ``register``: a supplier register locating rows that give only a name or number.
- ``relocal``: leaking sectors matched to local enterprises of the catalogue.
- ``multiplier``: an LM3-style local multiplier estimate.
- ``result``: :class:`SpendAnalysis`, what an analysis found, and its JSON form.
- ``analysis``: the analysis itself, :func:`analyse_spend`, and its outputs.
"""

from cwb.spend.analysis import analyse_spend, run_spend, write_spend
from cwb.spend.load import SpendSettings, read_spend_file, spend_settings
from cwb.spend.multiplier import local_multiplier
from cwb.spend.relocal import relocalisable_opportunities
from cwb.spend.result import SpendAnalysis
from cwb.spend.sectors import classify_sectors, sector_vocabulary

__all__ = [
    "SpendAnalysis",
    "SpendSettings",
    "analyse_spend",
    "classify_sectors",
    "local_multiplier",
    "read_spend_file",
    "relocalisable_opportunities",
    "run_spend",
    "sector_vocabulary",
    "spend_settings",
    "write_spend",
]
