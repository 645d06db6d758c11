"""Open Referral (HSDS 3, and the Open Referral UK profile) → community assets with their services.

Input is either a folder of CSV tables (``organizations.csv``, ``services.csv``,
``locations.csv``, ``service_at_location.csv``, ``addresses.csv``; the singular
names of older HSDS versions are accepted too) or a JSON file as an HSDS API
returns it (a full organisation or service, or a paginated ``contents`` list).

Each organisation becomes one ``community`` asset (``charity`` when it carries a
charity number or says it is a charity, else ``voluntary_group``); the names of its
active services become the asset's ``skills`` (its capabilities) and the services
themselves are counted in ``services``. Activity words in its name, description
and services (the ``activity`` rows of ``cwb/resources/sectors.csv``) give its
``sector`` and ``activities``; matching gives an organisation whose skills are all
unknown to the vocabulary the skills of that sector. It is placed at the first of its locations
that has valid coordinates, else at the first address postcode. The
organisation's e-mail goes to the private ``contact_email`` column.

A CSV whose rows do not have as many fields as its header (an unescaped quote,
for example) is an error naming the file and the row; nothing is guessed.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cwb.dataset.sectors import find_activities
from cwb.errors import DatasetError, Problem, UsageError, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    clean_str,
    iso_date,
    located_table,
    read_json,
    to_float,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

#: CSV table → accepted file stems (HSDS 3 plural first, then older singular ones).
_TABLE_FILES: dict[str, tuple[str, ...]] = {
    "organizations": ("organizations", "organization"),
    "services": ("services", "service"),
    "locations": ("locations", "location"),
    "service_at_location": ("service_at_location", "service_at_locations"),
    "addresses": ("addresses", "address"),
    "organization_identifiers": ("organization_identifiers",),
}


def read_strict_csv(path: Path) -> tuple[list[dict[str, str]], list[Problem]]:
    """Rows of a CSV as dicts, and a problem for each row whose field count is not the header's."""
    problems: list[Problem] = []
    rows: list[dict[str, str]] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            return [], [Problem(file=str(path), reason="file is empty", code="empty_file")]
        header = [h.strip() for h in header]
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append(
                    Problem(
                        file=str(path),
                        row=line,
                        code="malformed_csv",
                        reason=f"has {len(values)} fields where the header has {len(header)}",
                        hint="a field probably holds an unescaped quote or comma; "
                        "quote the field and double "
                        "any quote inside it",
                    )
                )
                continue
            rows.append(dict(zip(header, values, strict=True)))
    return rows, problems


def _row_id(row: dict[str, Any], table: str) -> str | None:
    return clean_str(row.get("id")) or clean_str(row.get(f"{table}_id"))


def _from_csv_folder(folder: Path) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for table, stems in _TABLE_FILES.items():
        path = next((folder / f"{s}.csv" for s in stems if (folder / f"{s}.csv").exists()), None)
        if path is None:
            tables[table] = []
            continue
        rows, found = read_strict_csv(path)
        tables[table] = rows
        problems += found
    if not tables["organizations"] and not problems:
        raise UsageError(f"{folder} has no organizations.csv: not an Open Referral CSV folder")
    return tables, problems


def _from_json(data: Any) -> dict[str, list[dict[str, Any]]]:
    """Flatten HSDS API JSON (full/list organisation or service responses) into tables."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    items = data.get("contents") if isinstance(data, dict) and "contents" in data else data
    items = items if isinstance(items, list) else [items]

    def add_location(loc: dict[str, Any], org_id: str | None, service_id: str | None) -> None:
        if not isinstance(loc, dict):
            return
        tables["locations"].append({**loc, "organization_id": loc.get("organization_id") or org_id})
        for address in loc.get("addresses") or []:
            tables["addresses"].append({**address, "location_id": loc.get("id")})
        if service_id:
            tables["service_at_location"].append(
                {"service_id": service_id, "location_id": loc.get("id")}
            )

    def add_service(svc: dict[str, Any], org_id: str | None) -> None:
        org = svc.get("organization")
        if isinstance(org, dict):
            add_org(org, with_services=False)
            org_id = org.get("id")
        tables["services"].append({**svc, "organization_id": svc.get("organization_id") or org_id})
        for sal in svc.get("service_at_locations") or []:
            add_location(sal.get("location") or {}, org_id, svc.get("id"))

    def add_org(org: dict[str, Any], with_services: bool = True) -> None:
        if any(o.get("id") == org.get("id") for o in tables["organizations"]):
            return
        tables["organizations"].append(org)
        for ident in org.get("organization_identifiers") or []:
            tables["organization_identifiers"].append({**ident, "organization_id": org.get("id")})
        for loc in org.get("locations") or []:
            add_location(loc, org.get("id"), None)
        if with_services:
            for svc in org.get("services") or []:
                add_service(svc, org.get("id"))

    for item in items:
        if not isinstance(item, dict):
            continue
        if "organization" in item or "service_at_locations" in item or "organization_id" in item:
            add_service(item, None)
        else:
            add_org(item)
    return tables


def _category(org: dict[str, Any], identifiers: list[dict[str, Any]]) -> str:
    legal = (clean_str(org.get("legal_status")) or "").lower()
    charity_ids = [
        i
        for i in identifiers
        if "charity" in (clean_str(i.get("identifier_type")) or "").lower()
        or (clean_str(i.get("identifier_scheme")) or "").upper() == "GB-CHC"
    ]
    return "charity" if "charit" in legal or charity_ids else "voluntary_group"


def import_openreferral(
    path: str | Path,
    *,
    provenance: Provenance | None = None,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Import an Open Referral (HSDS) CSV folder or JSON file as community assets.

    Parameters
    ----------
    path
        A folder of HSDS CSV tables, or an HSDS JSON file.
    provenance
        Defaults: source ``Open Referral (NAME)``.
    postcodes
        A :class:`cwb.dataset.postcodes.PostcodeLookup` for locations that only have an address.
    areas
        Area polygons (unused unless rows carry area codes).

    Returns
    -------
    ImportResult
        ``tables["assets"]``: one row per organisation, with ``skills`` (service names),
        ``services`` (how many) and ``website`` columns.

    Raises
    ------
    DatasetError
        When a CSV is malformed; every bad row is listed with its file and row number.
    """
    path = require_path(path)
    if path.is_dir():
        tables, problems = _from_csv_folder(path)
        if problems:
            raise DatasetError(
                problems, summary=f"{path}: {len(problems)} malformed CSV row(s); nothing imported"
            )
    else:
        tables = _from_json(read_json(path))
    result = ImportResult(importer="openreferral", source_file=str(path))
    provenance = (provenance or Provenance()).with_defaults(source=f"Open Referral ({path.name})")
    locations = {_row_id(r, "location"): r for r in tables.get("locations", [])}
    postcode_of: dict[str, str] = {}
    for address in tables.get("addresses", []):
        loc_id, pc = clean_str(address.get("location_id")), clean_str(address.get("postal_code"))
        if loc_id and pc:
            postcode_of.setdefault(loc_id, pc)
    services_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for svc in tables.get("services", []):
        services_of[clean_str(svc.get("organization_id")) or ""].append(svc)
    locs_of_service: dict[str, list[str]] = defaultdict(list)
    for sal in tables.get("service_at_location", []):
        locs_of_service[clean_str(sal.get("service_id")) or ""].append(
            clean_str(sal.get("location_id")) or ""
        )
    identifiers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ident in tables.get("organization_identifiers", []):
        identifiers[clean_str(ident.get("organization_id")) or ""].append(ident)
    records: list[dict[str, Any]] = []
    inactive = 0
    for n, org in enumerate(tables.get("organizations", []), start=2):
        result.read += 1
        oid, name = _row_id(org, "organization"), clean_str(org.get("name"))
        if not oid:
            result.skip("organisation has no id", row=n)
            continue
        if not name:
            result.skip("organisation has no name", row=n, value=oid)
            continue
        services = services_of.get(oid, [])
        active = [
            s for s in services if (clean_str(s.get("status")) or "active").lower() == "active"
        ]
        inactive += len(services) - len(active)
        loc_ids = [
            _row_id(r, "location")
            for r in tables.get("locations", [])
            if clean_str(r.get("organization_id")) == oid
        ]
        loc_ids += [
            lid for s in services for lid in locs_of_service.get(_row_id(s, "service") or "", [])
        ]
        lat = lon = postcode = None
        for lid in loc_ids:
            loc = locations.get(lid) or {}
            la, lo = to_float(loc.get("latitude")), to_float(loc.get("longitude"))
            if (
                la is not None
                and lo is not None
                and abs(la) <= 90
                and abs(lo) <= 180
                and lat is None
            ):
                lat, lon = la, lo
            postcode = postcode or postcode_of.get(lid or "")
        if (
            lat is None
            and loc_ids
            and any(to_float((locations.get(i) or {}).get("latitude")) for i in loc_ids)
        ):
            result.notes.append(
                f"organisation {oid}: its location's latitude/longitude are out of range "
                "(placeholders?); located by address postcode where possible"
            )
        idents = identifiers.get(oid, [])
        charity_number = next(
            (
                clean_str(i.get("identifier"))
                for i in idents
                if "charity" in (clean_str(i.get("identifier_type")) or "").lower()
            ),
            None,
        )
        # what it does, in the sector table's activity words (services, descriptions)
        acts = find_activities(
            name,
            org.get("description"),
            *(t for s in active for t in (s.get("name"), s.get("description"))),
        )
        records.append(
            {
                "id": f"hsds:{oid}",
                "name": name,
                "kind": "community",
                "category": _category(org, idents),
                "lat": lat,
                "lon": lon,
                "postcode": postcode,
                "skills": ";".join(
                    dict.fromkeys(name for s in active if (name := clean_str(s.get("name"))))
                )
                or None,
                "registered_number": charity_number,
                "sector": acts.sectors[0] if acts.sectors else None,
                "activities": ";".join(acts.words) or None,
                "description": clean_str(org.get("description")),
                "last_verified": iso_date(
                    next((s.get("assured_date") for s in active if s.get("assured_date")), None)
                ),
                "contact_email": clean_str(org.get("email")),
                "services": len(active),
                "website": clean_str(org.get("website") or org.get("url")),
            }
        )
    if inactive:
        result.notes.append(
            f"{inactive} inactive service(s) were left out of the organisations' skills"
        )
    orphans = sum(
        len(v)
        for k, v in services_of.items()
        if k not in {_row_id(o, "organization") for o in tables.get("organizations", [])}
    )
    if orphans:
        result.notes.append(
            f"{orphans} service(s) name an organisation that is not in the data; not imported"
        )
    result.tables["assets"] = located_table(
        "assets", records, postcodes=postcodes, areas=areas, provenance=provenance, result=result
    )
    return result
