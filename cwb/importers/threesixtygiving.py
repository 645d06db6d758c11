"""360Giving grants (JSON, or CSV/XLSX through flattentool) → funders, recipients and funding flows.

Each funder and each recipient organisation becomes one asset (its id is the
organisation's org-id, e.g. ``GB-CHC-1136419``, so the same charity imported from
a register or another grant file gets the same id). Each grant becomes one
``links`` row ``funder → recipient`` with relation ``funds``, the amount, currency,
grant id and award date. Recipients are located by their postcode, or else by a
beneficiary-location or recipient ward/LSOA code (``area_code``).

Funders are ``financial/funder``. Recipients are classed by their organisation type:
co-operatives and community benefit societies ``financial/cooperative``,
community interest companies and other companies ``financial/social_enterprise``,
charities (a charity number, or a charity type) ``community/charity``, anything
else ``community/voluntary_group``; ``recipient_category`` overrides this.
A recipient's activity words (in its name, its grants' titles and descriptions;
the ``activity`` rows of ``cwb/resources/sectors.csv``) give its ``sector``,
``skills`` and ``activities``, so it can be matched to contracts of its trade.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cwb.dataset.schema import CATEGORY_KIND
from cwb.dataset.sectors import find_activities
from cwb.errors import DatasetError, MissingDependencyError, Problem, UsageError, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    clean_str,
    iso_date,
    located_table,
    read_json,
    schema_frame,
    to_float,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

#: 360Giving spreadsheet column titles → JSON paths (the standard's own titles, most used ones).
TITLE_PATHS: dict[str, str] = {
    "Identifier": "id",
    "Title": "title",
    "Description": "description",
    "Currency": "currency",
    "Amount Awarded": "amountAwarded",
    "Amount Applied For": "amountAppliedFor",
    "Amount Disbursed": "amountDisbursed",
    "Award Date": "awardDate",
    "Planned Dates:Start Date": "plannedDates/0/startDate",
    "Planned Dates:End Date": "plannedDates/0/endDate",
    "Recipient Org:Identifier": "recipientOrganization/0/id",
    "Recipient Org:Name": "recipientOrganization/0/name",
    "Recipient Org:Charity Number": "recipientOrganization/0/charityNumber",
    "Recipient Org:Company Number": "recipientOrganization/0/companyNumber",
    "Recipient Org:Postal Code": "recipientOrganization/0/postalCode",
    "Recipient Org:Street Address": "recipientOrganization/0/streetAddress",
    "Recipient Org:City": "recipientOrganization/0/addressLocality",
    "Recipient Org:Organisation Type": "recipientOrganization/0/organisationType",
    "Recipient Org:Web Address": "recipientOrganization/0/url",
    "Funding Org:Identifier": "fundingOrganization/0/id",
    "Funding Org:Name": "fundingOrganization/0/name",
    "Funding Org:Postal Code": "fundingOrganization/0/postalCode",
    "Grant Programme:Title": "grantProgramme/0/title",
    "Beneficiary Location:Name": "beneficiaryLocation/0/name",
    "Beneficiary Location:Geographic Code": "beneficiaryLocation/0/geoCode",
    "Beneficiary Location:Geographic Code Type": "beneficiaryLocation/0/geoCodeType",
    "Last Modified": "dateModified",
}

_WARD_TYPES = {"WD", "WARD"}
_LSOA_TYPES = {"LSOA", "LSOA11", "LSOA21"}


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def _add_activities(
    assets: dict[str, dict[str, Any]], texts: dict[str, list[object]], result: ImportResult
) -> None:
    """Each recipient's activity words (name, grant titles and descriptions) → sector, skills.

    The words and their sectors come from the ``activity`` rows of the one sector
    table (:func:`cwb.dataset.sectors.find_activities`); ``activities`` keeps the
    words found, so a match's skills can be traced to them.
    """
    found = 0
    for rid, parts in texts.items():
        acts = find_activities(*parts)
        if acts.words:
            found += 1
            assets[rid].update(
                sector=acts.sectors[0],
                skills=";".join(acts.skills),
                activities=";".join(acts.words),
            )
    result.notes.append(
        f"activities: {found} of the file's {len(texts)} recipient(s) have activity words in "
        "their name or grants (→ sector and skills, by the sector table); the others have none"
    )


def recipient_category(org: dict[str, Any]) -> str:
    """The cwb category of a 360Giving recipient organisation (see the module notes)."""
    kind = (clean_str(org.get("organisationType")) or "").lower()
    if any(
        w in kind
        for w in (
            "co-op",
            "cooperative",
            "industrial and provident",
            "community benefit",
            "society",
        )
    ):
        return "cooperative"
    if "community interest" in kind or "social enterprise" in kind or "company" in kind:
        return "social_enterprise"
    if clean_str(org.get("charityNumber")) or "charit" in kind:
        return "charity"
    if clean_str(org.get("companyNumber")):
        return "social_enterprise"
    return "voluntary_group"


def _spreadsheet_to_json(path: Path) -> dict[str, Any]:
    """A 360Giving CSV or XLSX (title or path headers) → ``{"grants": [...]}`` via flattentool."""
    try:
        import flattentool  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise MissingDependencyError.for_extra(
            "360giving", "reading 360Giving spreadsheets (CSV, XLSX)"
        ) from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        raise UsageError(f"{path.name}: 360Giving input must be .json, .csv or .xlsx")
    frame = frame.rename(
        columns={c: TITLE_PATHS.get(str(c).strip(), str(c).strip()) for c in frame.columns}
    )
    if "id" not in frame.columns:
        raise UsageError(
            f"{path.name}: no Identifier (id) column; columns are {list(frame.columns)}"
        )
    with tempfile.TemporaryDirectory(prefix="cwb-360g-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        frame.to_csv(folder / "grants.csv", index=False)
        out = Path(tmp) / "grants.json"
        flattentool.unflatten(
            str(folder),
            output_name=str(out),
            input_format="csv",
            root_list_path="grants",
            id_name="id",
        )
        return read_json(out)


def read_grants(path: Path) -> list[dict[str, Any]]:
    """The grant objects of a 360Giving file (JSON package, JSON list, CSV or XLSX)."""
    data = read_json(path) if path.suffix.lower() == ".json" else _spreadsheet_to_json(path)
    grants = data.get("grants") if isinstance(data, dict) else data
    if not isinstance(grants, list):
        raise DatasetError(
            [
                Problem(
                    file=str(path),
                    reason="has no 'grants' list: not a 360Giving file",
                    code="parse",
                )
            ],
            summary=f"{path}: not a 360Giving file (no 'grants' list)",
        )
    return grants


def _codes(grant: dict[str, Any]) -> tuple[str | None, str | None]:
    ward = clean_str(grant.get("recipientWardNameGeoCode"))
    lsoa = None
    for loc in grant.get("beneficiaryLocation") or []:
        if not isinstance(loc, dict):
            continue
        code, kind = (
            clean_str(loc.get("geoCode")),
            (clean_str(loc.get("geoCodeType")) or "").upper(),
        )
        if not code:
            continue
        if kind in _WARD_TYPES or code.startswith("E05"):
            ward = ward or code
        elif kind in _LSOA_TYPES or re.match(r"[EW]01", code):
            lsoa = lsoa or code
    return ward, lsoa


def import_360giving(
    path: str | Path,
    *,
    provenance: Provenance | None = None,
    recipient_category_override: str | None = None,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Import a 360Giving file: funders and recipients as assets, grants as ``funds`` links.

    Parameters
    ----------
    path
        360Giving JSON (``{"grants": [...]}``), or a CSV/XLSX spreadsheet with the
        standard's column titles (converted with flattentool).
    provenance
        Defaults: source ``360Giving (FILE)``, licence ``CC-BY-4.0``.
    recipient_category_override
        Give every recipient this category instead of classing it by organisation type.
    postcodes
        A :class:`cwb.dataset.postcodes.PostcodeLookup` for recipients' postcodes.
    areas
        Area polygons (``code``): recipients without a known postcode are placed at
        their ward's or LSOA's representative point.

    Returns
    -------
    ImportResult
        ``tables["assets"]`` and ``tables["links"]`` (``source``, ``target``, ``relation``,
        ``description``, ``since``, ``amount``, ``currency``, ``grant_id``).
    """
    path = require_path(path)
    if recipient_category_override and recipient_category_override not in CATEGORY_KIND:
        raise UsageError(f"unknown category {recipient_category_override!r}")
    grants = read_grants(path)
    result = ImportResult(importer="360giving", source_file=str(path))
    provenance = (provenance or Provenance()).with_defaults(
        source=f"360Giving ({path.name})", licence="CC-BY-4.0"
    )
    assets: dict[str, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []
    no_amount = 0
    seen_grants: set[str] = set()
    modified: list[str] = []
    texts: dict[str, list[object]] = {}
    for i, grant in enumerate(grants, start=1):
        result.read += 1
        if not isinstance(grant, dict):
            result.skip("not a grant object", row=i)
            continue
        gid = clean_str(grant.get("id"))
        funder, recipient = (
            _first(grant.get("fundingOrganization")),
            _first(grant.get("recipientOrganization")),
        )
        if not gid:
            result.skip("grant has no id", row=i)
            continue
        if gid in seen_grants:
            result.skip("the same grant id twice in the file", row=i, value=gid)
            continue
        if not clean_str(recipient.get("name")) and not clean_str(recipient.get("id")):
            result.skip("grant has no recipient organisation", row=i, value=gid)
            continue
        if not clean_str(funder.get("name")) and not clean_str(funder.get("id")):
            result.skip("grant has no funding organisation", row=i, value=gid)
            continue
        seen_grants.add(gid)
        modified.append(iso_date(grant.get("dateModified")) or "")
        fid = clean_str(funder.get("id")) or f"360g-funder:{clean_str(funder.get('name'))}"
        rid = clean_str(recipient.get("id")) or f"360g-recipient:{clean_str(recipient.get('name'))}"
        if fid not in assets:
            assets[fid] = {
                "id": fid,
                "name": clean_str(funder.get("name")) or fid,
                "kind": "financial",
                "category": "funder",
                "postcode": clean_str(funder.get("postalCode")),
                "registered_number": clean_str(
                    funder.get("charityNumber") or funder.get("companyNumber")
                ),
                "org_identifier": clean_str(funder.get("id")),
                "charity_number": clean_str(funder.get("charityNumber")),
                "company_number": clean_str(funder.get("companyNumber")),
            }
        ward, lsoa = _codes(grant)
        if rid not in assets:
            category = recipient_category_override or recipient_category(recipient)
            assets[rid] = {
                "id": rid,
                "name": clean_str(recipient.get("name")) or rid,
                "kind": CATEGORY_KIND[category],
                "category": category,
                "postcode": clean_str(recipient.get("postalCode")),
                "registered_number": clean_str(
                    recipient.get("charityNumber") or recipient.get("companyNumber")
                ),
                "org_identifier": clean_str(recipient.get("id")),
                "charity_number": clean_str(recipient.get("charityNumber")),
                "company_number": clean_str(recipient.get("companyNumber")),
                "description": clean_str(recipient.get("organisationType")),
                "ward_code": ward,
                "lsoa_code": lsoa,
                "area_code": _pick_area(ward, lsoa, areas),
            }
        texts.setdefault(rid, [assets[rid]["name"]]).extend(
            [grant.get("title"), grant.get("description")]
        )
        amount = to_float(grant.get("amountAwarded"))
        no_amount += amount is None
        links.append(
            {
                "source": fid,
                "target": rid,
                "relation": "funds",
                "description": clean_str(grant.get("title")),
                "since": iso_date(grant.get("awardDate")),
                "amount": amount,
                "currency": clean_str(grant.get("currency")) or "GBP",
                "grant_id": gid,
                "programme": clean_str(_first(grant.get("grantProgramme")).get("title")),
            }
        )
    if no_amount:
        result.notes.append(
            f"{no_amount} grant(s) have no numeric amountAwarded; their links have no amount"
        )
    _add_activities(assets, texts, result)
    if not provenance.collected_on:
        latest = max(modified, default="")
        if latest:  # the publication's own date: its grants' latest modification
            provenance = replace(provenance, collected_on=latest)
        else:
            result.notes.append(
                "collected_on is unknown (no dateModified in the grants): left empty; "
                "give --collected-on DATE (the file's publication date)"
            )
    result.tables["assets"] = located_table(
        "assets",
        list(assets.values()),
        postcodes=postcodes,
        areas=areas,
        provenance=provenance,
        result=result,
    )
    result.tables["links"] = schema_frame("links", links)
    log.info("360giving %s: %d grants, %d organisations", path.name, result.read, len(assets))
    return result


def _pick_area(ward: str | None, lsoa: str | None, areas: gpd.GeoDataFrame | None) -> str | None:
    if areas is not None and len(areas):
        codes = set(areas["code"].astype(str))
        for code in (ward, lsoa):
            if code and code in codes:
                return code
    return ward or lsoa
