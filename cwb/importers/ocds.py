"""OCDS release and record packages (Contracts Finder …) → opportunities, suppliers and spend.

Releases are compiled per ``ocid`` by ``ocdskit.combine.merge`` (which uses
``ocdsmerge``, the reference implementation) with the merge rules of the OCDS 1.1
core schema and of the packages' extensions whose release-schema patches are given
locally (``extension_schemas``; see :mod:`cwb.importers.ocds_schema`), so nothing
is downloaded. Listed extensions without a local patch are merged with ocdsmerge's
default rules and named, once, in the log and the result's notes. Record packages
give their ``compiledRelease`` (or have their releases compiled the same way).

A filter (:class:`cwb.importers.ocds_filter.OcdsFilter`) keeps the notices asked
for; text is repaired (HTML entities, escape debris, mojibake) and counted. Then:

- each tender, or each of its lots, → a ``contract`` opportunity of ``project``:
  title, CPV codes (items', the lot's and ``tender.classification``) → ``sector``
  (the sector most of its CPV codes fall in, by the one sector table
  ``cwb/resources/sectors.csv``, :mod:`cwb.dataset.sectors`) and ``skills`` (the
  vocabulary codes that deliver that sector; ``skills_basis`` says how; the CPV
  descriptions stay in ``cpv_labels``), value, buyer,
  start/end, deadline and ``status`` (``awarded`` when the process has an award or
  contract or its tender is over; with ``open_only`` such a process gives no
  opportunity, only suppliers and spend);
- each supplier of an active award → a ``financial`` asset (``business``; a
  voluntary or community organisation (``vco``) → ``social_enterprise``) whose
  ``sector`` and ``skills`` are those of the notice it won;
- each award × supplier → a ``spend`` row (buyer, supplier, amount). A framework
  agreement, dynamic purchasing system, or award to several suppliers without
  their own shares gives no spend row: its value is a ceiling on call-offs, not
  money spent (noted, with the ceilings' total).

The notes say what became of every release read; the counts add up to ``read``.
"""

from __future__ import annotations

import logging
import re
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cwb.dataset.sectors import cpv_sector, sector_skills, sector_term
from cwb.errors import DatasetError, MissingDependencyError, Problem, UsageError, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    clean_str,
    iso_date,
    located_table,
    postcode_in_text,
    read_json,
    to_float,
)
from cwb.importers.ocds_filter import OcdsFilter, TextCleaner, is_awarded, tender_of
from cwb.importers.ocds_schema import merge_schema
from cwb.importers.registers import stable_id

if TYPE_CHECKING:
    import geopandas as gpd

    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)


def notice_sector(codes: list[str]) -> str | None:
    """The sector of a notice: the one most of its CPV codes fall in (ties: the first named)."""
    found = [s for s in map(cpv_sector, codes) if s]
    if not found:
        return None
    counts = Counter(found)
    return max(found, key=lambda s: (counts[s], -found.index(s)))


def sector_terms(sector: str | None) -> tuple[str | None, str]:
    """``(skills cell, basis)`` of a contract of ``sector``, from the sector table.

    The skills are the vocabulary codes that deliver the sector; a sector the
    vocabulary has no skill for asks for ``sector NAME`` (its suppliers hold the
    same term), so that only organisations of that sector match it (never everyone).
    """
    if not sector:
        return None, "no CPV code with a known sector: no particular skills asked"
    codes = sector_skills(sector)
    if codes:
        return ";".join(codes), f"sector {sector} → " + ", ".join(codes)
    return sector_term(sector), (
        f"sector {sector} names no skill in the vocabulary: only organisations "
        "of the same sector match"
    )


def _json_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json")
        if not files:
            raise UsageError(f"{path} holds no .json files")
        return files
    return [path]


def _spreadsheet_package(path: Path) -> dict[str, Any]:
    """An OCDS spreadsheet (flattened with path headers) → a release package via flattentool."""
    try:
        import flattentool  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise MissingDependencyError.for_extra("ocds", "reading OCDS spreadsheets") from exc

    fmt = {".xlsx": "xlsx", ".csv": "csv"}.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path.name}: OCDS input must be .json, .xlsx or a folder of .json files")
    with tempfile.TemporaryDirectory(prefix="cwb-ocds-") as tmp:
        source = path
        if fmt == "csv":
            source = Path(tmp) / "in"
            source.mkdir()
            (source / "releases.csv").write_bytes(path.read_bytes())
        out = Path(tmp) / "releases.json"
        flattentool.unflatten(
            str(source),
            output_name=str(out),
            input_format=fmt,
            root_list_path="releases",
            id_name="id",
        )
        return read_json(out)


def compiled_releases(
    path: Path,
    result: ImportResult,
    *,
    extension_schemas: str | Path | None = None,
    cleaner: TextCleaner | None = None,
) -> list[dict[str, Any]]:
    """Every compiled release in a file or folder of release/record packages (or releases).

    ``extension_schemas`` is a folder or file of extension release-schema patches
    (see :func:`cwb.importers.ocds_schema.merge_schema`). ``cleaner`` trims stray
    spaces from keys (counted). Releases of one ``ocid`` are compiled into one; how
    many were folded in, and how many repeated a release id, is noted in ``result``;
    ocdsmerge's warnings are caught and summarised there too.
    """
    try:
        from ocdskit.combine import merge  # noqa: PLC0415 - optional dependency
        from ocdskit.util import (  # noqa: PLC0415 - optional dependency
            is_record_package,
            is_release,
            is_release_package,
        )
    except ImportError as exc:
        raise MissingDependencyError.for_extra("ocds", "importing OCDS") from exc

    to_merge: list[Any] = []
    compiled: list[dict[str, Any]] = []
    extensions: list[str] = []
    for file in _json_files(path):
        data = read_json(file) if file.suffix.lower() == ".json" else _spreadsheet_package(file)
        if cleaner is not None:
            data = cleaner.strip_keys(data)
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("extensions"), list):
                extensions.extend(str(e) for e in item["extensions"] if e)
            if not isinstance(item, dict):
                result.skip("not an OCDS object", file=file.name)
            elif is_record_package(item):
                for n, record in enumerate(item.get("records") or [], start=1):
                    if isinstance(record.get("compiledRelease"), dict):
                        compiled.append(record["compiledRelease"])
                    elif all(
                        isinstance(r, dict) and "tag" in r for r in record.get("releases") or [None]
                    ):
                        to_merge.extend(record["releases"])
                    else:
                        result.skip(
                            "record has neither a compiledRelease nor full releases "
                            "(linked releases "
                            "cannot be compiled offline)",
                            row=n,
                            file=file.name,
                            value=record.get("ocid"),
                        )
            elif is_release_package(item):
                to_merge.append(item)
            elif is_release(item):
                to_merge.append(item)
            else:
                raise DatasetError(
                    [
                        Problem(
                            file=str(file),
                            reason="is not an OCDS release or record package "
                            "(no 'releases' or 'records')",
                            code="parse",
                        )
                    ]
                )
    releases = sum(len(i.get("releases") or []) if "releases" in i else 1 for i in to_merge)
    result.read = releases + len(compiled)
    _note_repeats(to_merge, result)
    if to_merge:
        schema = _merge_schema(extensions, extension_schemas, result)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                compiled.extend(merge(to_merge, schema=schema, ignore_version=True))
            _note_warnings(caught, result)
        except Exception as exc:  # noqa: BLE001 - ocdskit raises its own errors for bad packages
            raise DatasetError(
                [
                    Problem(
                        file=str(path),
                        reason=f"releases could not be compiled: {exc}",
                        code="parse",
                    )
                ]
            ) from None
    return compiled


def _note_repeats(to_merge: list[Any], result: ImportResult) -> None:
    """Note releases folded into their process's compiled release and repeated release ids."""
    ids: Counter[tuple[str, str]] = Counter()
    ocids: Counter[str] = Counter()
    for item in to_merge:
        for release in item.get("releases") or [] if "releases" in item else [item]:
            if isinstance(release, dict):
                ocids[str(release.get("ocid"))] += 1
                ids[(str(release.get("ocid")), str(release.get("id")))] += 1
    folded = sum(n - 1 for n in ocids.values() if n > 1)
    repeated = sum(n - 1 for n in ids.values() if n > 1)
    if folded:
        result.notes.append(
            f"{folded} release(s) share an ocid with another and were compiled into their "
            f"process's release ({sum(1 for n in ocids.values() if n > 1)} ocid(s)); "
            f"{repeated} of them repeat a release id already read"
        )


def _note_warnings(caught: list[warnings.WarningMessage], result: ImportResult) -> None:
    """Warnings of ocdsmerge (one per field and release) → one note per kind, logged once."""
    kinds: Counter[str] = Counter()
    for warning in caught:
        text = str(warning.message)
        kind = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", text)[:160]
        kinds[f"{warning.category.__name__}: {kind}"] += 1
    for kind, n in kinds.most_common():
        log.info("ocdsmerge %s (%d times)", kind, n)
        result.notes.append(f"compiling releases: {n} × {kind}")


def _merge_schema(
    extensions: list[str], local: str | Path | None, result: ImportResult
) -> dict[str, Any]:
    """The patched release schema; says once which listed extensions keep default rules."""
    built = merge_schema(extensions, local)
    for problem in built.problems:
        log.warning("OCDS extension schema not used: %s", problem)
        result.notes.append(f"extension schema not used: {problem}")
    if built.applied:
        log.info("OCDS merge rules from local extension schemas: %s", ", ".join(built.applied))
    if built.missing:
        names = ", ".join(built.missing)
        log.warning(
            "%d OCDS extension(s) listed by the packages have no local release-schema patch; "
            "their fields were merged with default rules: %s",
            len(built.missing),
            names,
        )
        result.notes.append(
            f"{len(built.missing)} listed OCDS extension(s) have no local schema "
            f"(extension_schemas); their fields were merged with default rules: {names}"
        )
    return built.schema


def _amount(value: object) -> tuple[float | None, str | None]:
    if not isinstance(value, dict):
        return None, None
    return to_float(value.get("amount")), clean_str(value.get("currency"))


def _classifications(
    items: list[dict[str, Any]], *extra: object, cleaner: TextCleaner | None = None
) -> list[tuple[str, str]]:
    """CPV ``(code, label)`` pairs of the items, then of ``extra`` (tender/lot classification)."""
    out: list[tuple[str, str]] = []
    found: list[object] = list(extra)
    for item in items:
        found += [item.get("classification"), *(item.get("additionalClassifications") or [])]
    for cls in found:
        if isinstance(cls, dict) and (clean_str(cls.get("scheme")) or "CPV").upper().startswith(
            "CPV"
        ):
            code = clean_str(cls.get("id"))
            label = (
                cleaner.clean(cls.get("description"))
                if cleaner
                else clean_str(cls.get("description"))
            )
            if code and all(code != c for c, _ in out):
                out.append((code, label or ""))
    return out


def release_cpv(release: dict[str, Any], cleaner: TextCleaner | None = None) -> list[str]:
    """Every CPV code of a release: items, ``tender.classification`` and lots'."""
    tender = tender_of(release)
    lots = [lot.get("classification") for lot in tender.get("lots") or [] if isinstance(lot, dict)]
    items = [i for i in tender.get("items") or [] if isinstance(i, dict)]
    return [c for c, _ in _classifications(items, tender.get("classification"), *lots)]


def _opportunity(
    release: dict[str, Any],
    project: str,
    lot: dict[str, Any] | None,
    buyer: str | None,
    buyer_pc: str | None,
    cleaner: TextCleaner,
    status: str,
) -> dict[str, Any]:
    tender = release.get("tender") or {}
    ocid = release.get("ocid")
    all_items = [i for i in tender.get("items") or [] if isinstance(i, dict)]
    items = [
        i for i in all_items if lot is None or str(i.get("relatedLot")) == str(lot.get("id"))
    ] or all_items
    cpv = _classifications(
        items, (lot or {}).get("classification"), tender.get("classification"), cleaner=cleaner
    )
    value, currency = _amount((lot or {}).get("value") or tender.get("value"))
    period = (lot or {}).get("contractPeriod") or tender.get("contractPeriod") or {}
    title = cleaner.clean(tender.get("title"), 200) or ocid
    if lot is not None:
        title = f"{title} – {cleaner.clean(lot.get('title'), 120) or 'lot ' + str(lot.get('id'))}"
    sector = notice_sector([c for c, _ in cpv])
    skills, basis = sector_terms(sector)
    return {
        "id": f"ocds:{ocid}" + (f"/lot/{lot.get('id')}" if lot is not None else ""),
        "project": project,
        "type": "contract",
        "title": title,
        "skills": skills,
        "sector": sector,
        "skills_basis": basis,
        "cpv_labels": ";".join(label for _, label in cpv if label) or None,
        "value": value if currency in (None, "GBP") else None,
        "starts": iso_date(period.get("startDate")),
        "ends": iso_date(period.get("endDate")),
        "description": cleaner.clean(
            (lot or {}).get("description") or tender.get("description"), 600
        ),
        "buyer": buyer,
        "buyer_postcode": buyer_pc,
        "cpv": ";".join(c for c, _ in cpv) or None,
        "deadline": iso_date((tender.get("tenderPeriod") or {}).get("endDate")),
        "status": status,
        # an awarded notice is kept only as an example of the contracts such buyers let
        "illustrative": status == "awarded",
        "ocid": ocid,
        "currency": currency or "GBP",
        "suitable_for_sme": (tender.get("xClassifications") or {}).get("isSuitableForSme"),
    }


def _party_postcode(party: dict[str, Any]) -> str | None:
    address = party.get("address") or {}
    return postcode_in_text(address.get("postalCode")) or postcode_in_text(
        address.get("streetAddress")
    )


def _supplier(party: dict[str, Any], ref: dict[str, Any], cleaner: TextCleaner) -> dict[str, Any]:
    ident = party.get("identifier") or {}
    scheme, number = clean_str(ident.get("scheme")), clean_str(ident.get("id"))
    name = cleaner.clean(party.get("name") or ref.get("name")) or "unnamed supplier"
    sid = f"{scheme}-{number}" if scheme and number else stable_id("ocds-supplier", name)
    return {
        "id": sid,
        "name": name,
        "kind": "financial",
        "category": "social_enterprise" if party.get("vco") is True else "business",
        "postcode": _party_postcode(party),
        "registered_number": number if scheme in ("GB-COH", "GB-CHC") else None,
        "sme": party.get("sme"),
    }


_FRAMEWORK_WORDS = re.compile(r"\bframework\b|\bDPS\b|dynamic purchasing", re.IGNORECASE)


def is_framework(release: dict[str, Any], award: dict[str, Any] | None = None) -> bool:
    """True for a framework agreement or dynamic purchasing system.

    Read from ``tender.techniques`` (``hasFrameworkAgreement``,
    ``hasDynamicPurchasingSystem``), else the words "framework", "DPS" or
    "dynamic purchasing" in the tender's or award's title or procurement method.
    """
    tender = tender_of(release)
    techniques = tender.get("techniques") or {}
    if isinstance(techniques, dict) and (
        techniques.get("hasFrameworkAgreement") is True
        or techniques.get("hasDynamicPurchasingSystem") is True
    ):
        return True
    texts = [
        tender.get("title"),
        tender.get("procurementMethodDetails"),
        (award or {}).get("title"),
        release.get("title"),
    ]
    return any(_FRAMEWORK_WORDS.search(str(t)) for t in texts if t)


@dataclass
class _Tally:
    """What became of each compiled release (each counted once)."""

    counts: Counter[str] = field(default_factory=Counter)

    def line(self, read: int, compiled: int) -> str:
        parts = [f"{n} {what}" for what, n in self.counts.most_common()]
        folded = read - compiled
        if folded:
            parts.append(f"{folded} compiled into another release of their process")
        return f"releases: {read} read = " + " + ".join(parts or ["0"])


def import_ocds(
    path: str | Path,
    *,
    project: str,
    provenance: Provenance | None = None,
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
    extension_schemas: str | Path | None = None,
    where: OcdsFilter | None = None,
) -> ImportResult:
    """Import OCDS data: tenders/lots as opportunities, award suppliers as assets and spend rows.

    Parameters
    ----------
    path
        A release or record package (JSON), a JSON list of releases, a folder of such
        files, or an OCDS spreadsheet (``.xlsx``, flattened with path headers).
    project
        The project id (from ``dataset.toml``) the contract opportunities belong to.
    provenance
        Defaults: source ``OCDS (FILE)``; the package's licence URL when it has one.
    postcodes
        A :class:`cwb.dataset.postcodes.PostcodeLookup` to locate suppliers by their postcode.
    areas
        Area polygons (unused unless rows carry area codes).
    extension_schemas
        A folder of the listed extensions' release-schema patches
        (``NAME/release-schema.json`` or ``NAME.json``), or one patch file: their merge
        rules are used when releases are compiled. Extensions without one are named in
        the notes and merged with default rules.
    where
        Which notices to keep (buyer, region, postcode area, CPV, dates, open
        tenders only); see :class:`cwb.importers.ocds_filter.OcdsFilter`.

    Returns
    -------
    ImportResult
        ``tables["opportunities"]``, ``tables["assets"]`` (suppliers) and
        ``tables["spend"]``; ``notes`` say what became of every release read (the
        counts add up to ``read``) and how many texts were repaired.
    """
    path = require_path(path)
    if not project:
        raise UsageError("OCDS contracts need a project id", argument="project")
    where = where or OcdsFilter()
    cleaner = TextCleaner()
    result = ImportResult(importer="ocds", source_file=str(path))
    releases = compiled_releases(path, result, extension_schemas=extension_schemas, cleaner=cleaner)
    licence = _package_licence(path)
    provenance = (provenance or Provenance()).with_defaults(
        source=f"OCDS ({path.name})", licence=licence
    )
    opportunities: list[dict[str, Any]] = []
    suppliers: dict[str, dict[str, Any]] = {}
    spend: list[dict[str, Any]] = []
    tally = _Tally()
    frameworks: list[float] = []
    awards_out: Counter[str] = Counter()
    for n, release in enumerate(releases, start=1):
        ocid = release.get("ocid")
        parties = {str(p.get("id")): p for p in release.get("parties") or [] if isinstance(p, dict)}
        buyer_ref = release.get("buyer") or {}
        buyer_party = parties.get(str(buyer_ref.get("id")), {})
        buyer = cleaner.clean(buyer_ref.get("name") or buyer_party.get("name"))
        buyer_pc = _party_postcode(buyer_party)
        tender = release.get("tender")
        awards = [a for a in release.get("awards") or [] if isinstance(a, dict)]
        if not isinstance(tender, dict) and not awards:
            result.skip("release has neither a tender nor awards", row=n, value=ocid)
            tally.counts["skipped (neither a tender nor awards)"] += 1
            continue
        out = where.reason_out(release, buyer_party, release_cpv(release))
        if out is not None:
            tally.counts[f"left out ({out})"] += 1
            continue
        awarded = is_awarded(release)
        sector = None
        if isinstance(tender, dict) and not (awarded and where.open_only):
            status = "awarded" if awarded else clean_str(tender.get("status")) or "open"
            lots: list[dict[str, Any] | None] = [
                lot for lot in tender.get("lots") or [] if isinstance(lot, dict)
            ]
            for lot in lots or [None]:
                opportunities.append(
                    _opportunity(release, project, lot, buyer, buyer_pc, cleaner, status)
                )
            sector = opportunities[-1]["sector"]
            tally.counts[
                "awarded notices (opportunities marked awarded)"
                if awarded
                else "open notices (opportunities)"
            ] += 1
        elif awarded:
            sector = notice_sector(release_cpv(release))
            tally.counts["awarded or closed processes (spend and suppliers only)"] += 1
        else:
            tally.counts["awards without a tender (spend and suppliers only)"] += 1
        framework = is_framework(release)
        for award in awards:
            award_status = clean_str(award.get("status"))
            if award_status in ("cancelled", "unsuccessful", "pending"):
                awards_out[f"award status {award_status}"] += 1
                continue
            refs = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
            if not refs:
                awards_out["award names no supplier"] += 1
                continue
            amount, currency = _amount(award.get("value"))
            for ref in refs:
                supplier = _supplier(parties.get(str(ref.get("id")), {}), ref, cleaner)
                # a supplier works in the sector of the notice it won (its first, if several)
                supplier["sector"] = sector
                supplier["skills"] = sector_terms(sector)[0]
                suppliers.setdefault(supplier["id"], supplier)
            # Contracts Finder gives each supplier's own share as x_awardValue when it knows it
            own = [
                to_float(
                    (parties.get(str(r.get("id")), {}).get("x_awardValue") or {}).get("amount")
                )
                for r in refs
            ]
            if (
                framework
                or is_framework(release, award)
                or (len(refs) > 1 and any(v is None for v in own))
            ):
                # a framework's (or a panel's) award value is a ceiling on call-offs, not spend
                frameworks.append(amount or 0.0)
                continue
            if amount is None:
                awards_out["award has no value (its suppliers are imported)"] += 1
                continue
            for ref, own_amount in zip(refs, own, strict=True):
                supplier = suppliers[
                    _supplier(parties.get(str(ref.get("id")), {}), ref, cleaner)["id"]
                ]
                share = own_amount if len(refs) > 1 else amount
                spend.append(
                    {
                        "id": f"ocds:{ocid}/award/{award.get('id')}/"
                        f"{ref.get('id') or supplier['id']}",
                        "buyer": buyer or "unknown buyer",
                        "supplier_name": supplier["name"],
                        "supplier_id": supplier["registered_number"] or supplier["id"],
                        "amount": share,
                        "sector": sector,
                        "currency": currency or "GBP",
                        "date": iso_date(award.get("date")),
                        "sme": supplier["sme"] if isinstance(supplier["sme"], bool) else None,
                        "org_type": "social_enterprise"
                        if supplier["category"] == "social_enterprise"
                        else None,
                        "description": "; ".join(
                            x for x in (cleaner.clean(award.get("title"), 200),) if x
                        )
                        or None,
                        "postcode": supplier["postcode"],
                        "ocid": ocid,
                    }
                )
    result.notes.insert(0, tally.line(result.read, len(releases)))
    if where.describe():
        result.notes.insert(1, f"filter: {where.describe()}")
    result.notes.append(f"text repaired: {cleaner.summary()}")
    if awards_out:
        result.notes.append(
            "awards without spend rows: " + ", ".join(f"{n} × {r}" for r, n in awards_out.items())
        )
    if frameworks:
        result.notes.append(
            f"{len(frameworks)} framework award(s) (frameworks, DPS, or several suppliers "
            f"without their shares; ceilings £{sum(frameworks):,.0f} in all): a ceiling on "
            "call-offs is not spend, so no spend rows; their suppliers are imported"
        )
    for table, rows in (
        ("opportunities", opportunities),
        ("assets", list(suppliers.values())),
        ("spend", spend),
    ):
        result.tables[table] = located_table(
            table,
            rows,
            postcodes=postcodes,
            areas=areas,
            provenance=provenance if table != "spend" else None,
            result=result,
        )
    log.info(
        "ocds %s: %d releases, %d opportunities, %d suppliers, %d spend rows",
        path.name,
        len(releases),
        len(opportunities),
        len(suppliers),
        len(spend),
    )
    return result


def _package_licence(path: Path) -> str:
    try:
        first = _json_files(path)[0]
        data = read_json(first) if first.suffix.lower() == ".json" else {}
    except (DatasetError, UsageError):
        return ""
    return str(data.get("license") or "") if isinstance(data, dict) else ""
