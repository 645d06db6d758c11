"""NHS workforce statistics (FTE by staff group and trust) → the hospital's job opportunities.

NHS Digital's *HCHS staff by staff group and organisation* gives, per month, trust
and staff group, the full-time equivalent (FTE) staff. A hospital's yearly job
openings are estimated from it as ``posts = round(FTE × turnover)``: the FTE of the
latest month in the file for the organisation asked, times a stated yearly
turnover fraction (default :data:`DEFAULT_TURNOVER`, an assumption the recipe or
caller states, not a rate measured for the trust). Each staff group becomes one
``job`` opportunity whose ``skills`` are the vocabulary codes of
``cwb/resources/nhs_staff_groups.csv``; a staff group that table does not know
(``Unknown``) is skipped and counted.
"""

from __future__ import annotations

import calendar
import csv
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cwb.errors import UsageError, require_path
from cwb.importers.common import ImportResult, Provenance, located_table

if TYPE_CHECKING:
    import geopandas as gpd

    from cwb.dataset.postcodes import PostcodeLookup

#: Yearly turnover assumed when none is given: about one post in ten opens each year.
DEFAULT_TURNOVER = 0.10
_COLUMNS = ("Month", "Organisation code", "Organisation name", "Staff group", "FTE")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}


def staff_groups() -> dict[str, dict[str, str]]:
    """The bundled table of NHS staff groups → ``title``, ``skills`` (vocabulary codes)."""
    text = resources.files("cwb").joinpath("resources", "nhs_staff_groups.csv").read_text("utf-8")
    return {row["staff_group"]: row for row in csv.DictReader(text.splitlines())}


def _month_key(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-([A-Za-z]{3})", value.strip())
    if not match:
        return (0, 0)
    return int(match.group(1)), _MONTHS.get(match.group(2).upper(), 0)


def import_nhs_workforce(
    path: str | Path,
    *,
    project: str,
    organisation: str | None = None,
    turnover: float = DEFAULT_TURNOVER,
    provenance: Provenance | None = None,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Estimated yearly job openings of ``organisation`` (an ODS code such as ``RXK``).

    Every row read is accounted for: rows of other organisations or earlier months
    are skipped with that reason, and so are staff groups without a mapping.
    """
    path = require_path(path)
    if not project:
        raise UsageError("workforce jobs need a project id", argument="project")
    if not 0 < turnover <= 1:
        raise UsageError(f"turnover must be a fraction in (0, 1], got {turnover}")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise UsageError(f"{path.name}: not an NHS staff-group table (no {', '.join(missing)})")
    result = ImportResult(importer="nhs_workforce", source_file=str(path))
    result.read = len(frame)
    groups = staff_groups()
    codes = frame["Organisation code"].str.strip()
    wanted = codes.str.upper() == organisation.upper() if organisation else codes.notna()
    latest = max((_month_key(m) for m in frame.loc[wanted, "Month"]), default=(0, 0))
    provenance = (provenance or Provenance()).with_defaults(
        source=f"NHS Digital HCHS staff by staff group ({path.name})",
        licence="OGL-UK-3.0",
    )
    if not provenance.collected_on and latest[1]:
        day = calendar.monthrange(*latest)[1]
        provenance = replace(provenance, collected_on=f"{latest[0]}-{latest[1]:02d}-{day:02d}")
    rows = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        month, code, name, group, fte = (str(v) for v in row[:5])
        if not wanted.iloc[i - 2]:
            result.skip(f"another organisation than {organisation}", row=i, value=code)
        elif _month_key(month) != latest:
            result.skip("an earlier month (the latest month is used)", row=i, value=month)
        elif group not in groups:
            result.skip("staff group without skills (nhs_staff_groups.csv)", row=i, value=group)
        else:
            fte_value = float(fte)
            posts = round(fte_value * turnover)
            if posts < 1:
                result.skip("fewer than one post a year at this turnover", row=i, value=group)
                continue
            spec = groups[group]
            slug = re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_")
            rows.append(
                {
                    "id": f"nhs:{code}:{slug}",
                    "project": project,
                    "type": "job",
                    "title": f"{spec['title'][:1].upper()}{spec['title'][1:]} ({name})",
                    "skills": spec["skills"],
                    "sector": "health and care",
                    "quantity": posts,
                    "description": (
                        f"estimated yearly openings: {turnover:.0%} turnover × {fte_value:,.1f} "
                        f"FTE {group} ({month}); an estimate, not advertised posts"
                    ),
                    "status": "estimated",
                    "fte": fte_value,
                    "buyer": name,
                }
            )
    result.tables["opportunities"] = located_table(
        "opportunities",
        rows,
        postcodes=postcodes,
        areas=areas,
        provenance=provenance,
        result=result,
    )
    result.notes.append(
        f"jobs: {len(rows)} staff groups of {organisation or 'every organisation'} "
        f"({latest[0]}-{latest[1]:02d}), posts = {turnover:.0%} of FTE a year (assumed turnover)"
    )
    return result
