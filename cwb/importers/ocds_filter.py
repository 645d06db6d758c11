r"""Aiming an OCDS import: filters on compiled releases, regions, and cleaning their text.

A national Contracts Finder package holds every notice of the country. An
:class:`OcdsFilter` keeps the ones a researcher wants: by buyer (name), buyer
region or postcode area, delivery region, CPV prefix, date and status. Each
release a filter leaves out is counted with the first reason that applied.

Regions are Contracts Finder's names (the ITL1 regions: ``West Midlands``,
``London``, ``Scotland`` …). A buyer's region is its address's ``region`` when
given, else the region of its postcode area (``B66 2QT`` → ``B`` → ``West
Midlands``; the table is ``cwb/resources/postcode_area_regions.csv``). A
delivery region is read from the items' ``deliveryAddresses`` /
``deliveryAddress`` / ``deliveryLocation`` and the tender's
``deliveryAddresses``. ``region`` matches the delivery region when a notice
gives one, else the buyer's region; a notice for "any region" or the whole UK
is not a notice of one region.

:class:`TextCleaner` repairs text before it reaches a table: HTML entities
(``&amp;`` → ``&``, repeatedly for ``&amp;amp;``), literal escape debris left by
exporters (``\r\n`` written out, or ``rn`` left where ``\r\n`` lost its
backslashes between sentences) and mojibake (``Ã©`` → ``é``, by ftfy), counting
each kind of repair.
"""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from cwb.errors import MissingDependencyError, UsageError
from cwb.importers.common import clean_str, iso_date, postcode_in_text

#: Notices for the whole country, not for one region.
NATIONAL_REGIONS = frozenset(
    {"any region", "uk", "united kingdom", "great britain", "england", "national", "nationwide"}
)


def _norm_region(text: object) -> str:
    return re.sub(r"[^a-z]+", " ", str(text or "").casefold().replace("&", " and ")).strip()


@lru_cache(maxsize=1)
def postcode_area_regions() -> dict[str, str]:
    """Postcode area (``B``, ``WS``) → region, from the bundled table."""
    path = resources.files("cwb") / "resources" / "postcode_area_regions.csv"
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return {row["area"]: row["region"] for row in csv.DictReader(lines)}


def postcode_area(postcode: object) -> str | None:
    """The letters of a postcode's area (``"B66 2QT"`` → ``"B"``), or None."""
    match = re.match(r"\s*([A-Za-z]{1,2})\d", str(postcode or ""))
    return match.group(1).upper() if match else None


def postcode_region(postcode: object) -> str | None:
    """The region of a postcode's area, or None when the area is unknown."""
    area = postcode_area(postcode)
    return postcode_area_regions().get(area) if area else None


def tender_of(release: dict[str, Any]) -> dict[str, Any]:
    """The release's tender, or an empty dict."""
    tender = release.get("tender")
    return tender if isinstance(tender, dict) else {}


def _address_region(address: object) -> str | None:
    if not isinstance(address, dict):
        return None
    return clean_str(address.get("region"))


def delivery_regions(tender: dict[str, Any]) -> list[str]:
    """Every delivery region a tender names (items' and the tender's delivery addresses)."""
    found: list[str] = []
    addresses: list[object] = list(tender.get("deliveryAddresses") or [])
    for item in tender.get("items") or []:
        if not isinstance(item, dict):
            continue
        addresses += list(item.get("deliveryAddresses") or [])
        addresses.append(item.get("deliveryAddress"))
        location = item.get("deliveryLocation")
        if isinstance(location, dict):
            addresses.append(location.get("address") or location)
        for loc in item.get("deliveryLocations") or []:
            if isinstance(loc, dict):
                addresses.append(loc.get("address") or loc)
    for address in addresses:
        region = _address_region(address)
        if region and region not in found:
            found.append(region)
    return found


def buyer_region(buyer_party: dict[str, Any]) -> str | None:
    """The buyer's region: its address's ``region``, else its postcode area's."""
    address = buyer_party.get("address") or {}
    given = _address_region(address)
    if given:
        return given
    postcode = postcode_in_text(address.get("postalCode")) or postcode_in_text(
        address.get("streetAddress")
    )
    return postcode_region(postcode)


def is_awarded(release: dict[str, Any]) -> bool:
    """True when the process has an award or contract, or its tender is over."""
    if any(
        isinstance(a, dict) and clean_str(a.get("status")) not in ("cancelled", "unsuccessful")
        for a in release.get("awards") or []
    ):
        return True
    if any(isinstance(c, dict) for c in release.get("contracts") or []):
        return True
    return clean_str(tender_of(release).get("status")) in (
        "complete",
        "cancelled",
        "unsuccessful",
        "withdrawn",
    )


def _date_arg(value: str | date | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    text = iso_date(str(value))
    if text is None:
        raise UsageError(f"{name} must be a date (YYYY-MM-DD); got {value!r}", argument=name)
    return text[:10]


@dataclass
class OcdsFilter:
    """Which compiled releases an OCDS import keeps (every field optional; all must hold).

    Attributes
    ----------
    buyers
        Words one of which the buyer's name contains (case-insensitive).
    region
        The delivery region when the notice gives one, else the buyer's region.
    buyer_region, delivery_region
        The buyer's region only; the delivery region only.
    postcode_areas
        The buyer's postcode area or district (``B``, ``WS``, ``B66``).
    cpv
        CPV code prefixes (``45`` construction, ``8531``); any of the notice's codes may match.
    since, until
        The notice's date (tender period start, else the release date) within these dates.
    open_only
        Keep only open tenders: a process with an award or contract, or whose tender
        is complete, cancelled or unsuccessful, gives spend and suppliers but no
        opportunity.
    """

    buyers: list[str] = field(default_factory=list)
    region: str | None = None
    buyer_region: str | None = None
    delivery_region: str | None = None
    postcode_areas: list[str] = field(default_factory=list)
    cpv: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    open_only: bool = False

    def __post_init__(self) -> None:
        self.since = _date_arg(self.since, "since")
        self.until = _date_arg(self.until, "until")
        self.cpv = [re.sub(r"\D", "", c) for c in self.cpv if re.sub(r"\D", "", c)]
        self.postcode_areas = [p.strip().upper().replace(" ", "") for p in self.postcode_areas]
        self.buyers = [b.strip().casefold() for b in self.buyers if b.strip()]
        for name in ("region", "buyer_region", "delivery_region"):
            value = getattr(self, name)
            if value is not None and not _norm_region(value):
                raise UsageError(f"{name} is empty", argument=name)

    def describe(self) -> str:
        """The filter as a short text (empty when it keeps everything)."""
        parts = [
            f"buyer ~ {' or '.join(self.buyers)}" if self.buyers else "",
            f"region {self.region}" if self.region else "",
            f"buyer region {self.buyer_region}" if self.buyer_region else "",
            f"delivery region {self.delivery_region}" if self.delivery_region else "",
            f"buyer postcode {'/'.join(self.postcode_areas)}" if self.postcode_areas else "",
            f"CPV {'/'.join(self.cpv)}*" if self.cpv else "",
            f"from {self.since}" if self.since else "",
            f"until {self.until}" if self.until else "",
            "open tenders only" if self.open_only else "",
        ]
        return ", ".join(p for p in parts if p)

    def reason_out(
        self, release: dict[str, Any], buyer_party: dict[str, Any], cpv: list[str]
    ) -> str | None:
        """Why the filter leaves ``release`` out, or None when it keeps it.

        ``cpv`` are the notice's CPV codes (read by the importer).
        """
        tender = tender_of(release)
        buyer_name = clean_str((release.get("buyer") or {}).get("name") or buyer_party.get("name"))
        if self.buyers and not any(b in (buyer_name or "").casefold() for b in self.buyers):
            return "buyer not among the buyers asked for"
        b_region = buyer_region(buyer_party)
        d_regions = delivery_regions(tender)
        if self.region:
            regions = d_regions or ([b_region] if b_region else [])
            if not _region_in(self.region, regions):
                return f"not a notice of {self.region} (delivery, else buyer region)"
        if self.buyer_region and not _region_in(self.buyer_region, [b_region] if b_region else []):
            return f"buyer not in {self.buyer_region}"
        if self.delivery_region and not _region_in(self.delivery_region, d_regions):
            return f"not delivered in {self.delivery_region}"
        if self.postcode_areas:
            address = buyer_party.get("address") or {}
            postcode = postcode_in_text(address.get("postalCode")) or postcode_in_text(
                address.get("streetAddress")
            )
            if not _postcode_in(postcode, self.postcode_areas):
                return "buyer's postcode not in the postcode areas asked for"
        if self.cpv and not any(c.startswith(p) for c in cpv for p in self.cpv):
            return "no CPV code with the prefixes asked for"
        when = notice_date(release)
        if (self.since and (when is None or when < self.since)) or (
            self.until and (when is None or when > self.until)
        ):
            return "dated outside the dates asked for"
        return None


def notice_date(release: dict[str, Any]) -> str | None:
    """The notice's date: its tender period's start, else the release date (YYYY-MM-DD)."""
    tender = tender_of(release)
    when = iso_date((tender.get("tenderPeriod") or {}).get("startDate")) or iso_date(
        release.get("date")
    )
    return when[:10] if when else None


def _region_in(wanted: str, regions: list[str]) -> bool:
    want = _norm_region(wanted)
    return any(_norm_region(r) == want and _norm_region(r) not in NATIONAL_REGIONS for r in regions)


def _postcode_in(postcode: str | None, wanted: list[str]) -> bool:
    if not postcode:
        return False
    compact = postcode.upper().replace(" ", "")
    outward = compact[:-3] if len(compact) > 4 else compact
    area = postcode_area(compact)
    return any(w == area or w == outward for w in wanted)


#: ``\r\n``, ``\n``, ``\t`` written out literally (two characters each).
_LITERAL_ESCAPES = re.compile(r"(?:\\r)?\\n|\\r|\\t")
#: ``rn`` left where ``\r\n`` lost its backslashes: after a sentence's end (or ``rnrn``),
#: before a capital; ``return Home`` stays.
_LOST_ESCAPES = re.compile(r"(?<=[.:;!?)])(?:rn)+(?=\s*[A-Z0-9•\-])|(?:rn){2,}(?=[A-Z0-9•\-])")


@dataclass
class TextCleaner:
    """Repairs text from OCDS releases and counts the repairs by kind.

    ``repairs`` counts the texts repaired per kind (``html_entities``,
    ``escape_debris``, ``mojibake``); ``keys`` counts JSON keys with stray spaces.
    """

    repairs: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        try:
            import ftfy  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise MissingDependencyError.for_extra("ocds", "repairing OCDS text") from exc
        self._ftfy = ftfy

    def clean(self, value: object, limit: int | None = None) -> str | None:
        """``value`` as clean, single-spaced text (cut to ``limit`` characters), or None."""
        text = clean_str(value)
        if text is None:
            return None
        fixed = self._ftfy.fix_encoding(text)
        if fixed != text:
            self.repairs["mojibake"] += 1
            text = fixed
        unescaped = text
        for _ in range(3):  # &amp;amp;lt; → <
            once = html.unescape(unescaped)
            if once == unescaped:
                break
            unescaped = once
        if unescaped != text:
            self.repairs["html_entities"] += 1
            text = unescaped
        debris = _LOST_ESCAPES.sub(" ", _LITERAL_ESCAPES.sub(" ", text))
        if debris != text:
            self.repairs["escape_debris"] += 1
            text = debris
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return None
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "…"
        return text

    def strip_keys(self, data: Any) -> Any:
        """``data`` with stray spaces trimmed from every object key (counted as ``keys``)."""
        if isinstance(data, list):
            return [self.strip_keys(v) for v in data]
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = key.strip() if isinstance(key, str) else key
            if name != key:
                self.repairs["keys"] += 1
                if name in data:  # the clean key wins over its spaced twin
                    continue
            out[name] = self.strip_keys(value)
        return out

    def summary(self) -> str:
        """``html_entities 12, mojibake 3 …`` or ``none``."""
        labels = {
            "html_entities": "HTML entities",
            "escape_debris": "escape debris",
            "mojibake": "mojibake",
            "keys": "keys with spaces",
        }
        parts = [f"{labels.get(k, k)} {n}" for k, n in sorted(self.repairs.items()) if n]
        return ", ".join(parts) or "none"
