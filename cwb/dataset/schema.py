"""The cwb data model, defined once.

Asset kinds and their category vocabularies, opportunity types and the column
specification of every table live here. Validation, ``cwb init`` templates, the
CLI help and ``data/README.md`` all read from these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["str", "int", "float", "date", "bool", "list"]

#: The four kinds of asset (USE-IT!'s own words) and the categories allowed in each.
ASSET_CATEGORIES: dict[str, tuple[str, ...]] = {
    "physical": (
        "building",
        "community_centre",
        "library",
        "green_space",
        "land",
        "vacant_building",
        "place_of_worship",
        "sports_facility",
        "health_facility",
        "education_facility",
        "shop",
    ),
    "financial": (
        "business",
        "social_enterprise",
        "cooperative",
        "anchor_institution",
        "funder",
        "investment",
    ),
    "community": (
        "voluntary_group",
        "faith_group",
        "tenants_association",
        "charity",
        "network",
        "service",
    ),
    "human": (
        "skills_group",
        "individual",
    ),
}

ASSET_KINDS: tuple[str, ...] = tuple(ASSET_CATEGORIES)
ALL_CATEGORIES: tuple[str, ...] = tuple(c for cats in ASSET_CATEGORIES.values() for c in cats)
CATEGORY_KIND: dict[str, str] = {c: k for k, cats in ASSET_CATEGORIES.items() for c in cats}

#: What a capital project offers.
OPPORTUNITY_TYPES: tuple[str, ...] = ("job", "contract", "training", "volunteering", "space")

#: Organisation types in spend tables.
ORG_TYPES: tuple[str, ...] = (
    "social_enterprise",
    "cooperative",
    "charity",
    "public",
    "private",
    "unknown",
)

#: How a row was located.
PRECISIONS: tuple[str, ...] = ("exact", "postcode", "area", "project", "none")

#: Community use of places (CO-CITY): how much a place is used, who owns it, what it offers.
USE_STATUSES: tuple[str, ...] = ("in_use", "under_used", "vacant", "derelict")
OWNER_TYPES: tuple[str, ...] = ("public", "community", "private", "mixed", "unknown")
CONDITIONS: tuple[str, ...] = ("good", "fair", "poor", "unsafe")
ACCESSIBILITY: tuple[str, ...] = ("step_free", "partial", "none", "unknown")
PLANNING_STATUSES: tuple[str, ...] = ("permissioned", "not_permissioned", "pending_decision")
#: Kinds of space a place offers and a group needs.
SPACE_TYPES: tuple[str, ...] = ("hall", "kitchen", "workshop", "growing_land", "office", "storage")
#: A week of sessions: the slots a place is booked in (``mon_morning`` … ``sun_evening``).
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSIONS: tuple[str, ...] = ("morning", "afternoon", "evening")
SLOTS: tuple[str, ...] = tuple(f"{d}_{s}" for d in DAYS for s in SESSIONS)
#: Hours one session stands for (hours used per week → sessions taken).
SESSION_HOURS = 4.0
#: The lifecycle of a pact of collaboration, in order.
PACT_STATUSES: tuple[str, ...] = ("proposed", "negotiating", "signed", "active", "ended")


@dataclass(frozen=True, slots=True)
class Column:
    """The specification of one column of a dataset table."""

    name: str
    type: ColumnType
    description: str
    required: bool = False
    private: bool = False
    choices: tuple[str, ...] | None = None
    non_negative: bool = False
    example: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A dataset table: its default file stem, its columns and how it is located."""

    name: str
    description: str
    columns: tuple[Column, ...]
    located: bool = True
    required: bool = True
    id_column: str | None = "id"

    @property
    def column_names(self) -> list[str]:
        """Every column this spec knows, in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present in the file."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        """The spec of ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)


_LOCATION = (
    Column(
        "lat", "float", "Latitude in WGS84 decimal degrees (or give a postcode).", example="52.4951"
    ),
    Column("lon", "float", "Longitude in WGS84 decimal degrees.", example="-1.9449"),
    Column(
        "postcode", "str", "UK postcode; located offline when lat/lon are empty.", example="B66 2QT"
    ),
    Column(
        "area_code",
        "str",
        "Code of an area in areas (e.g. a ward code); "
        "located at its centre when nothing better is given.",
        example="E05011101",
    ),
    Column("precision", "str", "How the row was located; filled in by cwb.", choices=PRECISIONS),
    Column(
        "map",
        "bool",
        "no: keep this row's location off every map and export (it is still counted), "
        "e.g. a refuge whose address must not be published; empty means yes.",
        example="no",
    ),
)

_PROVENANCE = (
    Column(
        "source",
        "str",
        "Where the row came from (survey, register, OSM …).",
        example="USE-IT! asset mapping 2018",
    ),
    Column("collected_by", "str", "Who recorded it.", example="Smethwick community researchers"),
    Column("collected_on", "date", "When it was recorded (YYYY-MM-DD).", example="2018-06-12"),
    Column("licence", "str", "Licence of the source.", example="OGL-UK-3.0"),
    Column(
        "last_verified", "date", "When the row was last checked to be true.", example="2024-11-01"
    ),
)

_PLACE_USE = (
    Column(
        "use_status",
        "str",
        "Physical assets: how much the place is used.",
        choices=USE_STATUSES,
    ),
    Column(
        "owner_type",
        "str",
        "Physical assets: who owns the place.",
        choices=OWNER_TYPES,
    ),
    Column("owner", "str", "Physical assets: the owner's name."),
    Column(
        "hours_used_per_week",
        "float",
        "Physical assets: hours a week the place is in use now (0-168).",
        non_negative=True,
    ),
    Column("floor_area_m2", "float", "Physical assets: usable floor area (m²).", non_negative=True),
    Column("site_area_ha", "float", "Physical assets: site area (hectares).", non_negative=True),
    Column("condition", "str", "Physical assets: state of repair.", choices=CONDITIONS),
    Column("available_from", "date", "Physical assets: free for community use from (date)."),
    Column("available_until", "date", "Physical assets: free for community use until (date)."),
    Column(
        "accessibility",
        "str",
        "Physical assets: step-free access.",
        choices=ACCESSIBILITY,
    ),
    Column(
        "spaces",
        "list",
        "Physical assets: ';'-separated kinds of space offered (" + ", ".join(SPACE_TYPES) + ").",
    ),
    Column(
        "free_sessions",
        "list",
        "Physical assets: ';'-separated free slots (mon_morning … sun_evening); "
        "when empty, derived from use_status and hours_used_per_week.",
    ),
    Column(
        "cost_per_session",
        "float",
        "Physical assets: what a group pays per session (£; 0 = free).",
        non_negative=True,
    ),
    Column(
        "planning_status",
        "str",
        "Land: planning status (brownfield register).",
        choices=PLANNING_STATUSES,
    ),
    Column("permission_type", "str", "Land: type of planning permission (brownfield register)."),
)

ASSETS = TableSpec(
    name="assets",
    description="The neighbourhood's catalogue of physical, financial, community and human assets.",
    columns=(
        Column("id", "str", "Unique, stable identifier.", required=True, example="A0001"),
        Column(
            "name",
            "str",
            "Name of the asset (for a skills group, a description of the group).",
            required=True,
            example="Soho Road Community Kitchen",
        ),
        Column(
            "kind",
            "str",
            "physical, financial, community or human.",
            required=True,
            choices=ASSET_KINDS,
        ),
        Column(
            "category",
            "str",
            "A category of the kind (see the vocabulary).",
            required=True,
            choices=ALL_CATEGORIES,
        ),
        *_LOCATION,
        Column(
            "skills",
            "list",
            "';'-separated skills or capabilities.",
            example="catering;food hygiene",
        ),
        Column("sector", "str", "Sector of an enterprise or group.", example="catering"),
        Column(
            "capacity",
            "float",
            "Headcount, largest contract value (£) or floor area (m²) the asset can take.",
            non_negative=True,
            example="250000",
        ),
        Column(
            "count",
            "int",
            "How many residents a human asset stands for.",
            non_negative=True,
            example="12",
        ),
        Column(
            "registered_number", "str", "Companies House or charity number.", example="09876543"
        ),
        Column("description", "str", "Free text.", example=""),
        *_PLACE_USE,
        *_PROVENANCE,
        Column(
            "contact_name",
            "str",
            "Private: never written to maps, exports or reports.",
            private=True,
        ),
        Column("contact_email", "str", "Private.", private=True),
        Column("contact_phone", "str", "Private.", private=True),
    ),
)

OPPORTUNITIES = TableSpec(
    name="opportunities",
    description=(
        "What the capital project(s) offer: jobs, contracts, training, volunteering and spaces."
    ),
    columns=(
        Column("id", "str", "Unique, stable identifier.", required=True, example="O001"),
        Column(
            "project",
            "str",
            "Id of a project declared in dataset.toml.",
            required=True,
            example="mmuh",
        ),
        Column(
            "type",
            "str",
            "job, contract, training, volunteering or space.",
            required=True,
            choices=OPPORTUNITY_TYPES,
        ),
        Column(
            "title",
            "str",
            "Title of the post, lot, course or space.",
            required=True,
            example="Registered nurse (band 5)",
        ),
        Column("skills", "list", "';'-separated skills required.", example="registered nurse"),
        Column("sector", "str", "Sector of a contract.", example="catering"),
        Column(
            "quantity", "int", "Posts, places or rooms on offer.", non_negative=True, example="120"
        ),
        Column(
            "value",
            "float",
            "Value in £ (a contract's value, a post's annual pay).",
            non_negative=True,
            example="1500000",
        ),
        Column(
            "pay_band",
            "str",
            "Pay band of a job (e.g. NHS Agenda for Change band).",
            example="Band 5",
        ),
        Column("starts", "date", "Start date (YYYY-MM-DD).", example="2024-10-01"),
        Column("ends", "date", "End date (YYYY-MM-DD).", example="2027-09-30"),
        Column(
            "pathway",
            "str",
            "A recognised route into the opportunity (e.g. overseas_nurse_registration).",
            example="overseas_nurse_registration",
        ),
        Column("description", "str", "Free text.", example=""),
        *_LOCATION,
        *_PROVENANCE,
    ),
)

AREAS = TableSpec(
    name="areas",
    description=(
        "Neighbourhood polygons (wards, LSOAs) with indicators such as imd_decile. "
        "Any extra numeric column is an indicator."
    ),
    columns=(
        Column(
            "code", "str", "Area code (e.g. ONS ward code).", required=True, example="E05001225"
        ),
        Column("name", "str", "Area name.", required=True, example="Soho"),
        Column(
            "imd_decile",
            "float",
            "Indicator: IMD 2019 decile (1 = most deprived 10% in England).",
            example="1",
        ),
        Column(
            "imd_rank",
            "float",
            "Indicator: population-weighted mean IMD 2019 rank.",
            example="2345",
        ),
        Column("population", "int", "Residents.", non_negative=True, example="28000"),
        Column("local_authority", "str", "Local authority name.", example="Sandwell"),
    ),
    id_column="code",
)

SPEND = TableSpec(
    name="spend",
    description="Anchor institutions' procurement transactions.",
    required=False,
    columns=(
        Column("id", "str", "Transaction id (unique).", required=True, example="T000001"),
        Column(
            "buyer",
            "str",
            "The anchor institution that paid.",
            required=True,
            example="Sandwell and West Birmingham NHS Trust",
        ),
        Column(
            "supplier_name",
            "str",
            "Supplier name.",
            required=True,
            example="Smethwick Laundry Co-op",
        ),
        Column(
            "supplier_id",
            "str",
            "Companies House or charity number where known.",
            example="IP031234",
        ),
        Column(
            "amount",
            "float",
            "Amount in the currency (negative for credit notes).",
            required=True,
            example="1234.50",
        ),
        Column("currency", "str", "ISO 4217 currency; GBP when empty.", example="GBP"),
        Column("date", "date", "Transaction date (YYYY-MM-DD).", example="2023-04-17"),
        Column(
            "period",
            "str",
            "Financial period when no date is given (e.g. 2023-24).",
            example="2023-24",
        ),
        Column("sector", "str", "Sector (SIC, Proclass, CPV or free text).", example="catering"),
        Column("sme", "bool", "Supplier is a small or medium enterprise.", example="true"),
        Column(
            "size_band", "str", "Supplier size band (micro, small, medium, large).", example="small"
        ),
        Column(
            "org_type",
            "str",
            "Supplier organisation type.",
            choices=ORG_TYPES,
            example="social_enterprise",
        ),
        Column("description", "str", "Free text.", example=""),
        *_LOCATION,
    ),
)

LINKS = TableSpec(
    name="links",
    description=(
        "Relationships researchers recorded between assets (partnerships, memberships, funding)."
    ),
    required=False,
    located=False,
    id_column=None,
    columns=(
        Column("source", "str", "Id of the first asset.", required=True, example="A0001"),
        Column("target", "str", "Id of the second asset.", required=True, example="A0002"),
        Column(
            "relation",
            "str",
            "Kind of relationship (partner, member_of, funds, uses …).",
            required=True,
            example="partner",
        ),
        Column("description", "str", "Free text.", example=""),
        Column("since", "date", "Date the relationship began.", example="2019-01-01"),
    ),
)

POSTCODES = TableSpec(
    name="postcodes",
    description=(
        "Postcode lookup for offline geocoding (postcode, lat, lon), "
        "e.g. a subset of the ONS Postcode Directory."
    ),
    required=False,
    located=False,
    id_column="postcode",
    columns=(
        Column("postcode", "str", "UK postcode.", required=True, example="B66 2QT"),
        Column("lat", "float", "Latitude (WGS84).", required=True, example="52.4951"),
        Column("lon", "float", "Longitude (WGS84).", required=True, example="-1.9449"),
    ),
)

#: Units a flow's magnitude may be in (``share``: a fraction 0–1 of a total).
FLOW_UNITS: tuple[str, ...] = ("people", "patients", "gbp", "share", "count")

#: Which total a ``share`` is a part of: the origin's outflow or the destination's inflow.
SHARE_SIDES: tuple[str, ...] = ("origin", "destination")

#: Flow kinds cwb writes itself; any other word is allowed (your own kinds).
FLOW_KINDS: tuple[str, ...] = (
    "commuting",
    "patients",
    "spend",
    "matched_residents",
    "allocated_residents",
    "consortium",
)

FLOWS = TableSpec(
    name="flows",
    description=(
        "Flows between places (commuters, patients, spend, matched residents): "
        "origin and destination as area codes, asset, opportunity or project ids, "
        "or any code with its coordinates."
    ),
    required=False,
    located=False,
    id_column=None,
    columns=(
        Column(
            "origin",
            "str",
            "Where the flow starts: an area code, an asset, opportunity or project id, "
            "or any code whose coordinates are in origin_lat/origin_lon.",
            required=True,
            example="E08000028",
        ),
        Column(
            "destination",
            "str",
            "Where the flow ends (as origin). The same as origin: an internal flow.",
            required=True,
            example="E08000025",
        ),
        Column(
            "magnitude",
            "float",
            "How much flows: people, patients, £ or a share (see unit).",
            required=True,
            non_negative=True,
            example="22812",
        ),
        Column(
            "unit",
            "str",
            "Unit of the magnitude; people when empty.",
            choices=FLOW_UNITS,
            example="people",
        ),
        Column(
            "kind",
            "str",
            "What flows: commuting, patients, spend, matched_residents, "
            "allocated_residents, consortium or your own word.",
            required=True,
            example="commuting",
        ),
        Column("period", "str", "When (a year, a financial year, a date).", example="2021"),
        Column("tag", "str", "A free tag to filter by (a spend sector, a skill).", example=""),
        Column(
            "share",
            "float",
            "The flow's share (0–1) of its destination's inflow or its origin's outflow.",
            non_negative=True,
            example="0.57",
        ),
        Column(
            "share_of",
            "str",
            "Which total share is part of; destination when empty.",
            choices=SHARE_SIDES,
            example="destination",
        ),
        Column("origin_name", "str", "Name of the origin.", example="Sandwell"),
        Column("destination_name", "str", "Name of the destination.", example="Birmingham"),
        Column(
            "origin_lat", "float", "Latitude of the origin when its code is not in the dataset."
        ),
        Column("origin_lon", "float", "Longitude of the origin."),
        Column("destination_lat", "float", "Latitude of the destination."),
        Column("destination_lon", "float", "Longitude of the destination."),
        Column("source", "str", "Where the row came from.", example="ONS Census 2021 ODWP01EW"),
        Column("licence", "str", "Licence of the source.", example="OGL-UK-3.0"),
    ),
)

NEEDS = TableSpec(
    name="needs",
    description=(
        "What community groups need: a kind of space, how big, how often, when, "
        "within what distance and budget."
    ),
    required=False,
    located=False,
    columns=(
        Column("id", "str", "Unique, stable identifier.", required=True, example="N001"),
        Column(
            "group",
            "str",
            "Id of the community or financial asset that needs the space.",
            required=True,
            example="A0101",
        ),
        Column(
            "space_type",
            "str",
            "Kind of space needed.",
            required=True,
            choices=SPACE_TYPES,
            example="hall",
        ),
        Column(
            "sessions_per_week",
            "int",
            "How many sessions (morning, afternoon or evening) a week.",
            non_negative=True,
            example="2",
        ),
        Column("min_area_m2", "float", "Least floor or site area (m²).", non_negative=True),
        Column(
            "days", "list", "';'-separated days that suit (mon … sun); empty = any.", example="sat"
        ),
        Column(
            "times",
            "list",
            "';'-separated sessions that suit (morning, afternoon, evening); empty = any.",
            example="evening",
        ),
        Column(
            "max_distance_m",
            "float",
            "Farthest the place may be from the group (metres).",
            non_negative=True,
            example="2000",
        ),
        Column(
            "budget_per_session",
            "float",
            "Most the group can pay per session (£).",
            non_negative=True,
            example="20",
        ),
        Column("step_free", "bool", "Needs step-free access.", example="yes"),
        Column("needed_from", "date", "Needed from (date)."),
        Column("needed_until", "date", "Needed until (date)."),
        Column("description", "str", "Free text.", example=""),
        *_PROVENANCE,
    ),
)

PACTS = TableSpec(
    name="pacts",
    description=(
        "Pacts of collaboration: agreements between a place's owner and community partners "
        "to look after and use the place (Turin's CO-CITY)."
    ),
    required=False,
    located=False,
    columns=(
        Column("id", "str", "Unique, stable identifier.", required=True, example="P001"),
        Column("asset", "str", "Id of the physical asset (the place).", required=True),
        Column(
            "partners",
            "list",
            "';'-separated ids of the partner assets (groups, enterprises, the owner).",
            required=True,
        ),
        Column(
            "status",
            "str",
            "proposed → negotiating → signed → active → ended.",
            required=True,
            choices=PACT_STATUSES,
        ),
        Column("title", "str", "Short name of the pact.", example="Grove Lane community garden"),
        Column("proposed_on", "date", "When the pact was proposed."),
        Column("signed_on", "date", "When it was signed (needed from signed on)."),
        Column("starts", "date", "When community use starts (needed from active on)."),
        Column("ends", "date", "When it ends or ended (needed when ended)."),
        Column("activities", "list", "';'-separated activities.", example="growing;cooking"),
        Column("responsibilities", "str", "Who looks after what (free text)."),
        Column("insured_by", "str", "Who insures the place and its users.", example="council"),
        Column(
            "hours_per_week",
            "float",
            "Hours a week of community use the pact brings.",
            non_negative=True,
            example="12",
        ),
        Column("description", "str", "Free text.", example=""),
        *_PROVENANCE,
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ASSETS, OPPORTUNITIES, AREAS, SPEND, LINKS, POSTCODES, FLOWS, NEEDS, PACTS)
}

#: Columns of any table that must never leave the dataset (maps, exports, reports).
PRIVATE_COLUMNS: frozenset[str] = frozenset(
    c.name for t in TABLES.values() for c in t.columns if c.private
)


def is_private_column(name: str) -> bool:
    """Whether a column holds personal data (declared private, or named ``contact*``)."""
    lowered = name.lower()
    return lowered in PRIVATE_COLUMNS or lowered.startswith(("contact", "email", "phone"))


def split_list(value: object) -> list[str]:
    """Split a ``;``-separated list cell into clean items (empty cells give [])."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [item.strip() for item in str(value).split(";") if item.strip()]
