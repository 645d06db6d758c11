"""Brownfield land registers (the MHCLG 2017 data standard and the variants councils publish).

Every English council publishes a register of previously developed land suitable
for housing: one site per row, 28 columns. Each site becomes a physical asset of
category ``land`` with its hectares (``site_area_ha``), ownership (``owner_type``:
public, private, mixed or unknown), planning status and permission, dwellings and
register dates kept as extra columns. Ids are ``bfl:<organisation>:<SiteReference>``,
so importing a newer register again updates the same rows.

Nothing in a register is fatal and no site is dropped: header spellings, coordinate
systems and order, date layouts, padded references, multi-line addresses, mixed-case
values and negative dwelling counts (a net loss of homes) are handled and counted in
the result's notes.

Decisions (see data/README.md, "Community use of places"): a register site is taken to
be ``vacant`` land that could offer ``growing_land`` for meanwhile community use, until
someone records otherwise; the organisation publishing the register is not assumed to
own the site (``owner`` stays empty).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from cwb.errors import DatasetError, Problem, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    located_table,
    postcode_in_text,
)
from cwb.importers.places import (
    Quirks,
    clean_reference,
    column,
    coordinates,
    dates,
    header_key,
    numbers,
    one_line,
    read_register,
    wkt_shapes,
)
from cwb.importers.registers import stable_id

log = logging.getLogger(__name__)

#: The standard's 28 field names (brownfieldlandregister2017.json).
STANDARD_FIELDS: tuple[str, ...] = (
    "OrganisationURI",
    "OrganisationLabel",
    "SiteReference",
    "PreviouslyPartOf",
    "SiteNameAddress",
    "SiteplanURL",
    "CoordinateReferenceSystem",
    "GeoX",
    "GeoY",
    "Hectares",
    "OwnershipStatus",
    "Deliverable",
    "PlanningStatus",
    "PermissionType",
    "PermissionDate",
    "PlanningHistory",
    "ProposedForPIP",
    "MinNetDwellings",
    "DevelopmentDescription",
    "NonHousingDevelopment",
    "Part2",
    "NetDwellingsRangeFrom",
    "NetDwellingsRangeTo",
    "HazardousSubstances",
    "SiteInformation",
    "Notes",
    "FirstAddedDate",
    "LastUpdatedDate",
)

#: Spellings councils use (reduced by :func:`~cwb.importers.places.header_key`) → standard name.
HEADER_VARIANTS: dict[str, str] = {
    **{header_key(f): f for f in STANDARD_FIELDS},
    "organisationurl": "OrganisationURI",
    "organistionuri": "OrganisationURI",
    "organisation": "OrganisationURI",
    "organisationname": "OrganisationLabel",
    "reference": "SiteReference",
    "siteref": "SiteReference",
    "siteid": "SiteReference",
    "peviouslypartof": "PreviouslyPartOf",
    "previouslypartofsite": "PreviouslyPartOf",
    "sitenameandaddress": "SiteNameAddress",
    "siteaddress": "SiteNameAddress",
    "sitename": "SiteNameAddress",
    "name": "SiteNameAddress",
    "address": "SiteNameAddress",
    "siteplan": "SiteplanURL",
    "coordinaterefsystem": "CoordinateReferenceSystem",
    "coordinatesystem": "CoordinateReferenceSystem",
    "crs": "CoordinateReferenceSystem",
    "easting": "GeoX",
    "x": "GeoX",
    "northing": "GeoY",
    "y": "GeoY",
    "sitearea": "Hectares",
    "siteareahectares": "Hectares",
    "areaha": "Hectares",
    "ownership": "OwnershipStatus",
    "planningpermissionstatus": "PlanningStatus",
    "planningpermissiontype": "PermissionType",
    "planningpermissiondate": "PermissionDate",
    "mindwellings": "MinNetDwellings",
    "minimumnetdwellings": "MinNetDwellings",
    "netdwellings": "MinNetDwellings",
    "firstadded": "FirstAddedDate",
    "dateadded": "FirstAddedDate",
    "lastupdated": "LastUpdatedDate",
    "updateddate": "LastUpdatedDate",
}

#: OwnershipStatus (lower case) → owner_type.
OWNERSHIP: dict[str, str] = {
    "owned by a public authority": "public",
    "not owned by a public authority": "private",
    "mixed ownership": "mixed",
    "unknown ownership": "unknown",
}
PLANNING: dict[str, str] = {
    "permissioned": "permissioned",
    "not permissioned": "not_permissioned",
    "pending decision": "pending_decision",
}

#: Extra asset columns kept from the register (asset column → standard field).
_KEPT: dict[str, str] = {
    "site_reference": "SiteReference",
    "organisation": "OrganisationLabel",
    "organisation_uri": "OrganisationURI",
    "site_plan_url": "SiteplanURL",
    "planning_history": "PlanningHistory",
    "development_description": "DevelopmentDescription",
    "non_housing_development": "NonHousingDevelopment",
    "site_information": "SiteInformation",
    "register_notes": "Notes",
    "register_crs": "CoordinateReferenceSystem",
}
_YES: dict[str, str] = {
    "deliverable": "Deliverable",
    "proposed_for_pip": "ProposedForPIP",
    "part2": "Part2",
    "hazardous_substances": "HazardousSubstances",
}
_DWELLINGS: dict[str, str] = {
    "min_net_dwellings": "MinNetDwellings",
    "net_dwellings_from": "NetDwellingsRangeFrom",
    "net_dwellings_to": "NetDwellingsRangeTo",
}
_DATES: dict[str, str] = {
    "permission_date": "PermissionDate",
    "first_added": "FirstAddedDate",
    "last_updated": "LastUpdatedDate",
}


def _vocabulary(
    values: pd.Series, mapping: dict[str, str], name: str, quirks: Quirks, default: str | None
) -> pd.Series:
    """Map register words to cwb's, counting mixed case and unknown words."""
    lowered = values.str.lower().str.replace(r"\s+", " ", regex=True)
    quirks[f"{name} not in the standard's lower case"] += int(
        ((values != lowered) & (values != "")).sum()
    )
    mapped = lowered.map(mapping)
    unknown = (lowered != "") & mapped.isna()
    quirks[f"{name} not a value of the standard, read as {default or 'empty'}"] += int(
        unknown.sum()
    )
    return mapped.where(mapped.notna(), default if default else None)


def _yes(values: pd.Series) -> pd.Series:
    lowered = values.str.lower()
    return lowered.map({"yes": "yes", "y": "yes", "true": "yes", "no": "no", "": None})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _organisation(frame: pd.DataFrame) -> pd.Series:
    uri = column(frame, "OrganisationURI").str.rstrip("/").str.rsplit("/", n=1).str[-1]
    label = column(frame, "OrganisationLabel").map(_slug)
    org = uri.where(uri != "", label)
    return org.where(org != "", "register")


def _ids(frame: pd.DataFrame, refs: pd.Series, quirks: Quirks) -> pd.Series:
    """``bfl:<organisation>:<reference>``; unique within the file (repeats get ``~2`` …)."""
    org = _organisation(frame)
    address = column(frame, "SiteNameAddress")
    no_ref = refs == ""
    quirks["no SiteReference: id made from the address and coordinates"] += int(no_ref.sum())
    hashed = [
        stable_id("bfl", o, a, x, y)
        for o, a, x, y in zip(
            org, address, column(frame, "GeoX"), column(frame, "GeoY"), strict=True
        )
    ]
    ids = ("bfl:" + org + ":" + refs).where(~no_ref, pd.Series(hashed, index=frame.index))
    repeat = ids.groupby(ids).cumcount()
    quirks["SiteReference repeated in the file: later rows get ~2, ~3 …"] += int((repeat > 0).sum())
    return ids.where(repeat == 0, ids + "~" + (repeat + 1).astype(str))


def read_brownfield_register(
    path: str | Path, *, near: tuple[float, float] | None = None
) -> tuple[pd.DataFrame, Quirks]:
    """Read a brownfield land register into asset records (one per site, none dropped).

    Parameters
    ----------
    path
        The register CSV, in the 2017 standard or a council's variant of it.
    near
        (lon, lat) near the sites, to settle the order of OSGB36 GeoX/GeoY when the values
        alone cannot.

    Returns
    -------
    records, quirks
        A frame in asset columns with ``lat``/``lon`` (and the register's extra columns),
        and the count of every deviation from the standard met while reading.
    """
    quirks = Quirks()
    frame, rows = read_register(require_path(path), HEADER_VARIANTS, quirks)
    missing = [f for f in STANDARD_FIELDS if f not in frame]
    if len(STANDARD_FIELDS) - len(missing) < 3:
        raise DatasetError(
            [
                Problem(
                    file=Path(path).name,
                    reason="does not look like a brownfield land register: it has "
                    f"{len(STANDARD_FIELDS) - len(missing)} of the standard's columns",
                    value=", ".join(map(str, frame.columns))[:200],
                    code="not_a_register",
                )
            ],
            summary=f"{path}: not a brownfield land register (expected columns such as "
            "SiteReference, SiteNameAddress, GeoX, GeoY, Hectares)",
        )
    for field in missing:
        quirks[f"column {field} missing (left empty)"] += 1
    refs = clean_reference(frame.get("SiteReference", column(frame, "SiteReference")), quirks)
    frame = frame.assign(SiteReference=refs)
    address = one_line(column(frame, "SiteNameAddress"), quirks)
    out = pd.DataFrame(index=frame.index)
    out["id"] = _ids(frame, refs, quirks)
    out["name"] = address.where(address != "", "Brownfield site " + refs)
    quirks["no SiteNameAddress: named by its reference"] += int((address == "").sum())
    out["kind"] = "physical"
    out["category"] = "land"
    lat, lon = _locate(frame, quirks, near)
    out["lat"], out["lon"] = lat, lon
    out["postcode"] = address.map(postcode_in_text)
    out["site_area_ha"] = numbers(column(frame, "Hectares"), "Hectares", quirks)
    out["owner_type"] = _vocabulary(
        column(frame, "OwnershipStatus"), OWNERSHIP, "OwnershipStatus", quirks, "unknown"
    )
    out["planning_status"] = _vocabulary(
        column(frame, "PlanningStatus"), PLANNING, "PlanningStatus", quirks, None
    )
    given = column(frame, "PermissionType")
    permission = given.str.lower()
    quirks["PermissionType not in the standard's lower case"] += int((given != permission).sum())
    out["permission_type"] = permission.where(permission != "")
    out["use_status"] = "vacant"
    out["spaces"] = "growing_land"
    out["description"] = (
        "Brownfield land register site " + refs + " (" + column(frame, "OrganisationLabel") + ")"
    )
    for target, field in _DATES.items():
        out[target] = dates(column(frame, field), field, quirks)
    out["last_verified"] = out["last_updated"]
    for target, field in _DWELLINGS.items():
        out[target] = numbers(column(frame, field), field, quirks)
    negative = out["min_net_dwellings"] < 0
    quirks["MinNetDwellings negative (a net loss of homes), kept"] += int(negative.sum())
    for target, field in _YES.items():
        out[target] = _yes(column(frame, field))
    parts = column(frame, "PreviouslyPartOf")
    several = parts.str.contains(r"[,;|/\s]", regex=True) & (parts != "")
    quirks["PreviouslyPartOf lists several references, kept ';'-separated"] += int(several.sum())
    out["previously_part_of"] = parts.str.replace(r"\s*[,;|/\s]\s*", ";", regex=True).where(
        parts != ""
    )
    for target, field in _KEPT.items():
        values = column(frame, field)
        out[target] = values.where(values != "")
    out["register_row"] = rows
    return out.reset_index(drop=True), Quirks({k: v for k, v in quirks.items() if v})


def _locate(
    frame: pd.DataFrame, quirks: Quirks, near: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = coordinates(
        column(frame, "GeoX"),
        column(frame, "GeoY"),
        column(frame, "CoordinateReferenceSystem"),
        quirks,
        near=near,
    )
    if "point" in frame:  # digital-land's own layout: a WKT point
        points = wkt_shapes(column(frame, "point"))
        has = ~shapely.is_missing(points) & np.isnan(lat)
        lon[has], lat[has] = shapely.get_x(points[has]), shapely.get_y(points[has])
        quirks["located from the WKT point column"] += int(has.sum())
    return lat, lon


def import_brownfield(
    path: str | Path,
    *,
    provenance: Provenance | None = None,
    postcodes: Any = None,
    areas: Any = None,
) -> ImportResult:
    """Import a brownfield land register as ``land`` assets, one per site.

    Parameters
    ----------
    path
        The register CSV.
    provenance
        Source, collector, date and licence (defaults: the register and organisation,
        OGL v3).
    postcodes
        A :class:`~cwb.dataset.postcodes.PostcodeLookup` to locate sites without
        coordinates by a postcode in their address.
    areas
        The dataset's areas; their centre settles the order of OSGB36 GeoX/GeoY.

    Returns
    -------
    ImportResult
        ``tables["assets"]`` with every site; each quirk met is a note with its count.
    """
    near = None
    if areas is not None and len(areas):
        centre = areas.to_crs("EPSG:4326").union_all().centroid
        near = (centre.x, centre.y)
    records, quirks = read_brownfield_register(path, near=near)
    result = ImportResult(importer="brownfield", source_file=str(path))
    result.read = len(records)
    organisations = sorted(set(records["organisation"].dropna()))
    provenance = (provenance or Provenance()).with_defaults(
        source="brownfield land register: " + (", ".join(organisations) or Path(path).name),
        licence="OGL-UK-3.0",
    )
    result.tables["assets"] = located_table(
        "assets", records, postcodes=postcodes, areas=areas, provenance=provenance, result=result
    )
    result.notes += [f"register quirk: {line}" for line in quirks.lines()]
    negative = records.loc[records["min_net_dwellings"] < 0, "site_reference"]
    if len(negative):
        result.notes.append(
            "sites with a net loss of dwellings (kept): " + ", ".join(negative.astype(str))
        )
    log.info("brownfield %s: %d sites, quirks %s", path, len(records), dict(quirks))
    return result
