"""CO-CITY-style figures: public places and their use, pacts by status, hours gained.

Turin reported its commons programme in a handful of numbers: how many public places
there are and what share is unused or under-used, how many pacts of collaboration are
signed, for land or for buildings, how many groups take part. :func:`commons_figures`
computes the same for a dataset (and, given a matching result, the hours of community
use that the proposed bookings would add); :func:`pacts_over_time` gives the yearly
series the report charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cwb.commons.matching import CommonsResult, match_places
from cwb.dataset.io import read_dataset, write_table
from cwb.dataset.model import Dataset
from cwb.dataset.schema import PACT_STATUSES, SESSION_HOURS, USE_STATUSES, split_list

#: Physical categories counted as land (the rest are buildings).
LAND_CATEGORIES: frozenset[str] = frozenset({"land", "green_space"})
#: Pact statuses whose hours count as community use gained.
_GAINING: tuple[str, ...] = ("signed", "active")


@dataclass
class CommonsFigures:
    """The headline figures of community use of places."""

    places_recorded: int = 0
    public_places: int = 0
    public_underused: int = 0
    by_use_status: dict[str, int] = field(default_factory=dict)
    pacts_by_status: dict[str, int] = field(default_factory=dict)
    pacts_land: int = 0
    pacts_buildings: int = 0
    groups_in_pacts: int = 0
    pact_hours_per_week: float = 0.0
    proposed_bookings: int = 0
    proposed_hours_per_week: float = 0.0
    groups_placed: int = 0
    groups_partly_placed: int = 0
    groups_unplaced: int = 0
    places_unused: int = 0

    @property
    def public_underused_share(self) -> float | None:
        """Share of public places that are under-used, vacant or derelict (None if none)."""
        return self.public_underused / self.public_places if self.public_places else None

    def rows(self) -> list[tuple[str, str]]:
        """(figure, value) pairs for a table."""
        share = self.public_underused_share
        rows = [
            ("places with a recorded use", f"{self.places_recorded:,}"),
            ("public places", f"{self.public_places:,}"),
            (
                "public places under-used, vacant or derelict",
                f"{self.public_underused:,}" + (f" ({share:.0%})" if share is not None else ""),
            ),
            ("pacts of collaboration", f"{sum(self.pacts_by_status.values()):,}"),
            *((f"pacts {status}", f"{n:,}") for status, n in self.pacts_by_status.items() if n),
            ("pacts for land / for buildings", f"{self.pacts_land} / {self.pacts_buildings}"),
            ("groups in pacts", f"{self.groups_in_pacts:,}"),
            (
                "hours a week of community use in signed and active pacts",
                f"{self.pact_hours_per_week:,.0f}",
            ),
        ]
        if self.proposed_bookings:
            rows += [
                ("groups placed by matching", f"{self.groups_placed:,}"),
                ("groups given some of the sessions they asked", f"{self.groups_partly_placed:,}"),
                ("sessions a week proposed", f"{self.proposed_bookings:,}"),
                ("hours a week of community use proposed", f"{self.proposed_hours_per_week:,.0f}"),
                ("groups no place fits", f"{self.groups_unplaced:,}"),
                ("places left unused", f"{self.places_unused:,}"),
            ]
        return rows


def _pacts(ds: Dataset) -> pd.DataFrame:
    if ds.pacts is None:
        return pd.DataFrame(columns=["id", "asset", "partners", "status", "hours_per_week"])
    return ds.pacts


def commons_figures(ds: Dataset, result: CommonsResult | None = None) -> CommonsFigures:
    """The CO-CITY figures of a dataset, and of a matching result when given."""
    assets = ds.assets
    places = assets[(assets["kind"] == "physical") & assets["use_status"].notna()]
    public = places[places["owner_type"] == "public"]
    pacts = _pacts(ds)
    categories = assets.set_index("id")["category"]
    categories = categories[~categories.index.duplicated()]
    pact_categories = pacts["asset"].map(categories)
    partners = {p for cell in pacts["partners"] for p in split_list(cell)}
    group_kinds = assets.set_index("id")["kind"]
    group_kinds = group_kinds[~group_kinds.index.duplicated()]
    gaining = pacts["status"].isin(_GAINING)
    figures = CommonsFigures(
        places_recorded=len(places),
        public_places=len(public),
        public_underused=int(public["use_status"].isin(USE_STATUSES[1:]).sum()),
        by_use_status={s: int((places["use_status"] == s).sum()) for s in USE_STATUSES},
        pacts_by_status={s: int((pacts["status"] == s).sum()) for s in PACT_STATUSES},
        pacts_land=int(pact_categories.isin(LAND_CATEGORIES).sum()),
        pacts_buildings=int(
            (pact_categories.notna() & ~pact_categories.isin(LAND_CATEGORIES)).sum()
        ),
        groups_in_pacts=sum(
            1 for p in partners if group_kinds.get(p) in ("community", "financial")
        ),
        pact_hours_per_week=float(pacts.loc[gaining, "hours_per_week"].fillna(0).sum()),
    )
    if result is not None:
        figures.proposed_bookings = len(result.bookings)
        figures.proposed_hours_per_week = len(result.bookings) * SESSION_HOURS
        short = result.unplaced
        figures.groups_partly_placed = int((short["booked"] > 0).sum())
        booked_groups = int(result.bookings["need"].nunique())
        figures.groups_placed = booked_groups - figures.groups_partly_placed
        figures.groups_unplaced = int((short["booked"] == 0).sum())
        figures.places_unused = len(result.unused)
    return figures


def pacts_over_time(ds: Dataset) -> pd.DataFrame:
    """Pacts per year: proposed, signed, started and ended that year, and in force at its end.

    Returns
    -------
    DataFrame
        Indexed by year (from the first pact date to the last), columns ``proposed``,
        ``signed``, ``started``, ``ended``, ``in_force`` (signed by the year's end and not
        yet ended).
    """
    pacts = _pacts(ds)
    dates = {
        column: pd.to_datetime(pacts.get(column), errors="coerce")
        for column in ("proposed_on", "signed_on", "starts", "ends")
    }
    years = pd.concat(list(dates.values())).dropna().dt.year
    if years.empty:
        return pd.DataFrame(columns=["proposed", "signed", "started", "ended", "in_force"])
    index = range(int(years.min()), int(years.max()) + 1)
    out = pd.DataFrame(index=pd.Index(index, name="year"))
    for column, label in (
        ("proposed_on", "proposed"),
        ("signed_on", "signed"),
        ("starts", "started"),
        ("ends", "ended"),
    ):
        out[label] = dates[column].dt.year.value_counts().reindex(index, fill_value=0).astype(int)
    signed_year = dates["signed_on"].dt.year
    ended_year = dates["ends"].dt.year
    out["in_force"] = [int(((signed_year <= y) & ~(ended_year <= y)).sum()) for y in index]
    return out


def write_commons(result: CommonsResult, folder: str | Path) -> list[Path]:
    """Write the matching's tables as CSV into ``folder`` (atomically); return the paths.

    Files: ``commons_matches.csv`` (scored pairs with reasons), ``commons_bookings.csv``
    (one row per booked slot), ``commons_unplaced.csv`` and ``commons_unused.csv`` (the
    gaps, with reasons).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "commons_matches.csv": result.matches,
        "commons_bookings.csv": result.bookings,
        "commons_unplaced.csv": result.unplaced,
        "commons_unused.csv": result.unused,
    }
    return [write_table(frame, folder / name) for name, frame in tables.items()]


def run_commons(
    path: str | Path, *, out: str | Path | None = None
) -> tuple[CommonsResult, CommonsFigures]:
    """Read a dataset, match its groups' needs to places, and write the tables to ``out``.

    Raises
    ------
    DatasetError
        When the dataset has errors.
    UsageError
        When ``[commons]`` has unknown settings.
    """
    ds = read_dataset(path)
    result = match_places(ds)
    if out is not None:
        write_commons(result, out)
    return result, commons_figures(ds, result)
