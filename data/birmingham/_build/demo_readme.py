# ruff: noqa: E501  (the Markdown template keeps its table rows on one line)
"""Write ``data/README.md`` for the demo (maintainers only; see make_birmingham.py).

The column tables and vocabularies are generated from :mod:`cwb.dataset.schema`, so the
README cannot drift from the code; the counts come from the rows just built.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import demo_content as C
import geopandas as gpd
import pandas as pd

from cwb.dataset.schema import ASSET_CATEGORIES, OPPORTUNITY_TYPES, ORG_TYPES, PRECISIONS, TABLES, TableSpec

INTRO = """\
# Data

`data/birmingham/` is the dataset that `cwb demo` runs on. It is a cwb dataset folder
(see the main README for the format): a `dataset.toml` manifest and one file per table.

The capital project is **Midland Metropolitan University Hospital (MMUH)**, Grove Lane,
Smethwick (B66 2QT), the acute hospital of Sandwell and West Birmingham NHS Trust, which
opened on 6 October 2024 with 736 beds. The areas are the {n_wards} wards around it, in Sandwell
and Birmingham, where the USE-IT! project worked.

**The dataset mixes real public facts with invented, illustrative rows.** Nobody in it is a
real person, and no firm, group or transaction in it is real, unless the tables below say so.
Use it to learn and test cwb, never as evidence about these neighbourhoods.

## What is real

| what | where in the dataset | source | licence |
|---|---|---|---|
| Ward boundaries ({n_wards} wards, Dec 2022) | `areas.geojson` geometry, `code`, `name`, `local_authority` | ONS Wards (December 2022) UK BSC, as simplified by the geographr R package, then simplified again to 20 m in EPSG:27700 and rounded to 6 decimal places | OGL v3. Contains OS data © Crown copyright and database right |
| Population and deprivation | `areas.geojson` `population`, `imd_decile`, `imd_rank`, `share_most_deprived_10pc`, `lsoa_count` | English Indices of Deprivation 2019 (MHCLG, File 1 ranks and deciles, File 6 mid-2015 population denominators), joined to wards with the ONS LSOA (2011) to Ward (2019) lookup | OGL v3 (MHCLG, ONS) |
| Postcode centroids | `postcodes.csv` rows in B, WS, WV and DY postcode areas | ONS-derived West Midlands postcode file of the BSol.mapR package (Birmingham and Solihull ICS) | OGL v3 |
| Library locations | assets of category `library` (name, lat/lon, postcode) | Libraries Taskforce core dataset 2016, via LibrariesHacked | OGL |
| GP practices | assets of category `health_facility` named "… (GP practice)" (name, ODS code, postcode) | NHS Digital ODS epraccur, December 2019 | OGL v3 |
| Public bodies | the anchor institutions (NHS trust, councils, universities, Sandwell College, WMCA) and their public postcodes | public addresses | – |
| Parks and green spaces | assets of category `green_space` | real public places; points hand-placed from public maps (about ±150 m), areas approximate | – |
| The hospital | `dataset.toml` `[[projects]]` | public facts: name, address, opening date, 736 beds. The point (52.4951, −1.9447) is the centroid of the B66 2QE and B66 2QF postcodes on Grove Lane beside the site; B66 2QT is the postal address | – |
| Commuting flows (Census 2021) | `flows.csv` rows of kind `commuting`: the {n_commuting} local-authority flows of at least 100 people with an end in the West Midlands metropolitan county, placed at the local authorities' centroids | ONS Census 2021 origin–destination (ODWP01EW, place of work), via GustavoWMSilva/MapGeospatialMobilityData | OGL v3 |
| Pay values | `opportunities.csv` `value` of jobs | midpoints of NHS Agenda for Change 2024/25 pay bands and the 2024/25 doctors' scales | – |

How the area indicators are derived: every LSOA (2011) of a ward (from the ONS lookup)
contributes its IMD 2019 rank and decile weighted by its mid-2015 population;
`imd_decile` is the population-weighted mean decile (1 dp), `imd_rank` the
population-weighted mean rank (1 = most deprived of 32,844 LSOAs in England),
`population` the sum of the LSOAs' populations, and `share_most_deprived_10pc` the share
of the ward's LSOAs in decile 1.

Caveat: the ward polygons are strongly generalised. At this resolution the hospital's point
falls a few tens of metres inside the Soho & Jewellery Quarter polygon (Birmingham), although
the site is in Soho and Victoria ward (Sandwell).

Postcodes outside the West Midlands (used only by out-of-region suppliers in `spend.csv`)
are not in the source file: they are real postcodes of well-known central addresses with
hand-entered, approximate (about ±500 m) centroids: {outside}.

## What is illustrative

- **Residents' skills** (`kind = human`): invented counts of residents per ward with each set of
  skills, in the spirit of USE-IT!'s community research (overseas-qualified nurses, doctors,
  pharmacists and midwives cluster in Smethwick, Soho, Handsworth and Lozells). Some groups
  are smaller than the privacy threshold (`min_count = 5`) on purpose. A few `individual`
  rows carry invented contact details (obviously fake names, `example.org` e-mail, phone
  numbers from Ofcom's drama ranges 07700 900xxx and 0121 496 0xxx) so that the privacy rules
  can be tested: cwb must never publish them.
- **Enterprises, groups and buildings**: names are invented (built from local place names);
  the postcodes are real but chosen at random inside the ward, so they are not these
  organisations' addresses. Registered numbers starting `DM` are not real registrations.
  Real public bodies keep their real names and postcodes.
- **Opportunities**: post counts, lots, values of contracts, training places, volunteering roles
  and spaces are illustrative; pay values follow the real 2024/25 scales.
- **Spend**: {n_spend:,} invented transactions, April 2019 – March 2025, by four real anchor institutions
  to invented suppliers. The share going to suppliers in the wards rises over the six years,
  as it did in Preston (share of GBP spend with suppliers whose postcode lies in the 14 wards: {shares}).
  It contains deliberate messy cases: credit notes (negative amounts), suppliers without a
  postcode, two duplicate-looking invoices with distinct ids, supplier names in capitals, and
  a few invoices in EUR.
- **Links**: invented relationships between assets.
- **Patients**: the two `flows.csv` rows of kind `patients` (57 % of the trust's admissions from
  Sandwell, 43 % from Birmingham) are shares quoted in cwb's issue 15 to illustrate flows given as
  shares, not an NHS statistic; no total is given, so they stay shares (unit `share`).
- **Derived flows**: spend, matched and allocated residents and consortium flows are not in
  `flows.csv`; `cwb flows` and `cwb demo` derive them from `spend.csv` and the matching.
- **Community use of places** (CO-CITY): the use status, owner, hours of use, floor or site area,
  condition, access and cost of {n_places} physical assets near the hospital; the {n_needs} needs of
  local groups in `needs.csv`; the {n_pacts} pacts of collaboration in `pacts.csv` (statuses as of
  30 November 2026). All invented: no real building or plot is under-used, owned or promised as
  shown, and no real group has asked for these spaces.
- **Provenance**: rows carry `source`, `collected_by`, `collected_on`, `licence`, `last_verified`;
  {stale} of the {n_assets} assets were last verified before 2022, so that a stale-records
  listing has something to find. Illustrative rows are released under CC0-1.0.

`cwb validate data/birmingham` reports no errors and {unlocated} warnings, all intended: the
spend rows without a postcode (suppliers whose postcode was not recorded, and invoices in EUR
from suppliers abroad) cannot be located.

## Contents

{contents}

{commons}

## Regenerating

`data/birmingham/_build/make_birmingham.py` rebuilds every file (seeded, deterministic). It is
for maintainers only and needs the shared real-data folder `../shared/realdata` beside the
repository; cwb itself only reads the committed files.
"""


COMMONS = """\
## Community use of places (CO-CITY)

Turin's CO-CITY turned under-used public places into neighbourhood hubs through *pacts of
collaboration* between the city and residents' groups (61 by early 2023, most of them for
land; of about 1,600 city-owned buildings 6.5 % were unused or under-used). cwb records the
same picture in three places, and decides what the issue left open as follows.

- **Places** are physical assets with the optional columns `use_status` (`in_use`,
  `under_used`, `vacant`, `derelict`), `owner_type` (`public`, `community`, `private`,
  `mixed`, `unknown`; `mixed` because brownfield registers have it) and `owner`,
  `hours_used_per_week` (0–168), `floor_area_m2` or `site_area_ha`, `condition`,
  `available_from`/`available_until` (in order), `accessibility` (`step_free`, `partial`,
  `none`, `unknown`), `spaces` (the kinds of space offered), `free_sessions` and
  `cost_per_session` (£). Land from a register also carries `planning_status` and
  `permission_type`.
- **Slots.** A place's week is 21 slots: seven days × morning, afternoon, evening
  (`mon_morning` … `sun_evening`); one session stands for 4 hours. Free slots are the
  `free_sessions` cell when filled in; otherwise every slot of a `vacant` or `derelict`
  place; for an `under_used` place all but `ceil(hours_used_per_week / 4)` sessions, the
  weekday daytimes being taken first; none for a place `in_use`. Signed and active pacts
  take their `hours_per_week` the same way.
- **What a place offers** is its `spaces` cell, else its category's default, and the use
  statuses in which a category can host groups at all (a derelict building cannot, derelict
  land can) are data: `cwb/resources/commons_spaces.csv`.
- **Needs** (`needs.csv`): a group (an asset id), a `space_type` (`hall`, `kitchen`,
  `workshop`, `growing_land`, `office`, `storage`), `sessions_per_week`, `min_area_m2`,
  `days` and `times` that suit (empty = any), `max_distance_m`, `budget_per_session`,
  `step_free`, `needed_from`/`needed_until`.
- **Matching** (`cwb commons DATASET`) scores each need against the places within its
  distance: size fits, distance, step-free access, free sessions at the asked times, cost
  against budget, and ownership (public first, then community, mixed, unknown, private);
  weights and limits in `[commons]` of `dataset.toml`. A pair is eligible only if the place
  offers the space, is big enough, in reach, affordable, step-free when asked, available in
  the dates and free often enough. **Allocation** books whole needs at one place, best pairs
  first, in the earliest suitable free slots: a slot is never booked twice, and several groups
  share one building at different times. Needs left unplaced and places left unused are
  listed with their reasons.
- **Pacts** (`pacts.csv`): a place (a physical asset), `partners` (asset ids), `status`
  (`proposed` → `negotiating` → `signed` → `active` → `ended`), `proposed_on`, `signed_on`,
  `starts`, `ends` (in that order), `activities`, `responsibilities`, `insured_by`,
  `hours_per_week`. Validation checks that the place and partners exist, that the dates are in
  order, and that a pact signed or later has `signed_on`, active or later `starts`, ended
  `ends`.
- **Registers.** `cwb import brownfield` reads a brownfield land register (the 2017 standard
  and its variants): each site is `land`, taken to be `vacant` and to offer `growing_land` for
  meanwhile use until someone records otherwise; the publishing council is not assumed to own
  it. `cwb import acv` reads an Assets of Community Value list (digital-land's fields); the
  moratorium end is six months after the notification to sell.
"""


def _local_shares(spend: list[dict[str, object]], ward_postcodes: set[str]) -> str:
    """Return the yearly share of GBP spend with suppliers in the wards, as text."""
    total: Counter[str] = Counter()
    local: Counter[str] = Counter()
    for row in spend:
        if row["currency"] != "GBP":
            continue
        total[str(row["period"])] += float(str(row["amount"]))
        if row["postcode"] in ward_postcodes:
            local[str(row["period"])] += float(str(row["amount"]))
    return ", ".join(f"{p} {local[p] / total[p]:.0%}" for p in sorted(total))


def _column_table(spec: TableSpec) -> str:
    lines = [
        f"### {spec.name}",
        "",
        spec.description,
        "",
        "| column | type | required | meaning |",
        "|---|---|---|---|",
    ]
    for col in spec.columns:
        meaning = col.description
        if col.choices:
            meaning += " One of: " + ", ".join(f"`{c}`" for c in col.choices) + "."
        if col.non_negative:
            meaning += " Never negative."
        if col.private:
            meaning += " **Private.**"
        lines.append(f"| `{col.name}` | {col.type} | {'yes' if col.required else ''} | {meaning} |")
    return "\n".join(lines)


def _vocabulary(assets: list[dict[str, object]]) -> str:
    counts = Counter((str(a["kind"]), str(a["category"])) for a in assets)
    lines = ["| kind | category | rows in the demo |", "|---|---|---|"]
    for kind, categories in ASSET_CATEGORIES.items():
        for category in categories:
            lines.append(f"| {kind} | `{category}` | {counts.get((kind, category), 0)} |")
    return "\n".join(lines)


def write_readme(
    path: Path,
    areas: gpd.GeoDataFrame,
    assets: list[dict[str, object]],
    opportunities: list[dict[str, object]],
    spend: list[dict[str, object]],
    *,
    n_links: int,
    n_postcodes: int,
    ward_postcodes: set[str],
    flows: pd.DataFrame,
    needs: list[dict[str, object]],
    pacts: list[dict[str, object]],
) -> None:
    """Write the data README with the schema tables and the demo's counts."""
    kinds = Counter(str(a["kind"]) for a in assets)
    types = Counter(str(o["type"]) for o in opportunities)
    buyers = Counter(str(s["buyer"]) for s in spend)
    wards = "\n".join(
        f"| {r.code} | {r.name} | {r.local_authority} | {r.population:,} | {r.imd_decile} | "
        f"{r.imd_rank:,} | {r.share_most_deprived_10pc:.0%} |"
        for r in areas.itertuples()
    )
    contents = [
        "### Files",
        "",
        "| file | rows | what |",
        "|---|---|---|",
        "| `dataset.toml` | – | name, the project `mmuh`, catchment bands 1, 2, 3 and 5 km, privacy threshold 5, files |",
        f"| `areas.geojson` | {len(areas)} | ward polygons with IMD 2019 indicators |",
        f"| `assets.csv` | {len(assets)} | "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + " |",
        f"| `opportunities.csv` | {len(opportunities)} | "
        + ", ".join(f"{types[t]} {t}" for t in OPPORTUNITY_TYPES)
        + " |",
        f"| `spend.csv` | {len(spend):,} | "
        + "; ".join(f"{b}: {n}" for b, n in buyers.most_common())
        + " |",
        f"| `links.csv` | {n_links} | relationships between assets: partner, member_of, funds, "
        "uses_space |",
        f"| `postcodes.csv` | {n_postcodes} | the centroid of every postcode the other files use, "
        "and nothing else |",
        f"| `flows.csv` | {len(flows)} | "
        + "; ".join(f"{n} {k}" for k, n in flows["kind"].value_counts().sort_index().items())
        + " flows between places (see below) |",
        f"| `needs.csv` | {len(needs)} | what local groups need: "
        + ", ".join(f"{n} {t}" for t, n in sorted(Counter(str(x["space_type"]) for x in needs).items()))
        + " |",
        f"| `pacts.csv` | {len(pacts)} | pacts of collaboration: "
        + ", ".join(f"{n} {t}" for t, n in Counter(str(x["status"]) for x in pacts).items())
        + " |",
        "",
        "### The wards",
        "",
        "| code | name | local authority | population (2015) | IMD decile | IMD rank | LSOAs in decile 1 |",
        "|---|---|---|---|---|---|---|",
        wards,
        "",
        "### Asset kinds and categories",
        "",
        "Every asset has a `kind` and a `category` of that kind:",
        "",
        _vocabulary(assets),
        "",
        "### Opportunity types",
        "",
        ", ".join(f"`{t}`" for t in OPPORTUNITY_TYPES)
        + ". Jobs carry a `pay_band` and a post count in `quantity`; contracts a `value` in £; training,"
        " volunteering and spaces a `quantity` of places or rooms. `pathway` names a recognised route in: "
        + ", ".join(
            f"`{p}`" for p in sorted({str(o["pathway"]) for o in opportunities if o.get("pathway")})
        )
        + ".",
        "",
        "Spend `org_type` is one of "
        + ", ".join(f"`{t}`" for t in ORG_TYPES)
        + "; `precision` (filled in by cwb) one of "
        + ", ".join(f"`{p}`" for p in PRECISIONS)
        + ".",
        "",
        "## Columns",
        "",
        "Every file may also hold extra columns; they are kept. Columns marked private are never written "
        "to a map, export or report.",
        "",
        "\n\n".join(
            _column_table(TABLES[name])
            for name in ("assets", "opportunities", "areas", "spend", "links", "postcodes", "flows")
            for name in (
                "assets",
                "opportunities",
                "areas",
                "spend",
                "links",
                "postcodes",
                "needs",
                "pacts",
            )
        ),
        "",
        "The demo's `areas.geojson` adds two indicator columns: `share_most_deprived_10pc` (share of the "
        "ward's LSOAs in the most deprived 10% in England) and `lsoa_count` (number of LSOAs).",
    ]
    outside = "; ".join(f"{p}, {place}" for p, _, _, place in C.OUTSIDE_POSTCODES)
    stale = sum(1 for a in assets if str(a.get("last_verified", "")) < "2022-01-01")
    unlocated = sum(1 for s in spend if not s["postcode"])
    text = INTRO.format(
        n_wards=len(areas),
        n_spend=len(spend),
        n_commuting=int((flows["kind"] == "commuting").sum()),
        outside=outside,
        contents="\n".join(contents),
        stale=stale,
        n_assets=len(assets),
        unlocated=unlocated,
        shares=_local_shares(spend, ward_postcodes),
        n_places=sum(1 for a in assets if a.get("use_status")),
        n_needs=len(needs),
        n_pacts=len(pacts),
        commons=COMMONS,
    )
    path.write_text(text, encoding="utf-8")
