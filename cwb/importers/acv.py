"""Assets of Community Value lists (the digital-land field set and councils' own headings).

A council lists a building or piece of land as an Asset of Community Value when a
community group nominates it and the council agrees; an owner who wants to sell must
then notify the council, which starts a moratorium (six weeks for a group to say it
wants to bid, six months in all). Each entry becomes a physical asset (``building``
unless told otherwise) with the nominating group, decision and dates as extra
columns, and ``moratorium_ends`` computed from the notification to sell. Every entry
is kept, whatever the decision; ids are ``acv:<organisation>:<reference>``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from cwb.dataset.parsing import exact_floats
from cwb.dataset.schema import CATEGORY_KIND
from cwb.errors import UsageError, require_path
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
    dates,
    one_line,
    read_register,
    wkt_shapes,
)
from cwb.importers.registers import stable_id

log = logging.getLogger(__name__)

#: digital-land's asset-of-community-value fields, and the headings councils use for them.
HEADER_VARIANTS: dict[str, str] = {
    "reference": "reference",
    "acvreference": "reference",
    "listreference": "reference",
    "ref": "reference",
    "name": "name",
    "assetname": "name",
    "propertyname": "name",
    "addresstext": "address-text",
    "address": "address-text",
    "propertyaddress": "address-text",
    "nominatinggroup": "nominating-group",
    "nominatedby": "nominating-group",
    "nominator": "nominating-group",
    "nominatingorganisation": "nominating-group",
    "nominationdate": "nomination-date",
    "datenominated": "nomination-date",
    "datereceived": "nomination-date",
    "decision": "decision",
    "outcome": "decision",
    "status": "decision",
    "decisiondate": "decision-date",
    "datelisted": "decision-date",
    "listeddate": "decision-date",
    "notificationtoselldate": "notification-to-sell-date",
    "disposalnotificationdate": "notification-to-sell-date",
    "protectedperiodstartdate": "protected-period-start-date",
    "moratoriumstart": "protected-period-start-date",
    "expirydate": "expiry-date",
    "listingexpires": "expiry-date",
    "interestedgroup": "interested-group",
    "organisation": "organisation",
    "point": "point",
    "geometry": "geometry",
    "lat": "lat",
    "latitude": "lat",
    "lon": "lon",
    "lng": "lon",
    "longitude": "lon",
    "description": "description",
    "notes": "notes",
    "startdate": "start-date",
    "enddate": "end-date",
}

_DATES: dict[str, str] = {
    "nomination_date": "nomination-date",
    "decision_date": "decision-date",
    "notification_to_sell_date": "notification-to-sell-date",
    "protected_period_start": "protected-period-start-date",
    "expiry_date": "expiry-date",
    "start_date": "start-date",
    "end_date": "end-date",
}
_TEXT: dict[str, str] = {
    "nominating_group": "nominating-group",
    "interested_group": "interested-group",
    "organisation": "organisation",
    "register_notes": "notes",
}


def decision_word(text: str) -> str | None:
    """A council's decision in one of cwb's words: listed, not_listed, removed, pending."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    for needles, word in (
        (("not ", "unsuccess", "reject", "refus", "declin", "invalid"), "not_listed"),
        (("remov", "delist", "expired", "lapsed"), "removed"),
        (("pending", "consider", "nominat", "received"), "pending"),
        (("list", "success", "accept", "approv"), "listed"),
    ):
        if any(n in lowered for n in needles):
            return word
    return None


def import_acv(
    path: str | Path,
    *,
    category: str | None = None,
    provenance: Provenance | None = None,
    postcodes: Any = None,
    areas: Any = None,
) -> ImportResult:
    """Import an Assets of Community Value list as physical assets, one per entry.

    Parameters
    ----------
    path
        The list as CSV (digital-land's hyphenated fields, or a council's headings).
    category
        Category of every entry (a physical one; default ``building``).
    provenance
        Source, collector, date and licence (defaults: the file, OGL v3).
    postcodes, areas
        To locate entries without a point by the postcode in their address.

    Returns
    -------
    ImportResult
        ``tables["assets"]``; every entry kept; each quirk met is a note with its count.

    Raises
    ------
    UsageError
        When ``category`` is not a physical category.
    """
    category = category or "building"
    if CATEGORY_KIND.get(category) != "physical":
        raise UsageError(
            f"an Asset of Community Value must be of a physical category; got {category!r}"
        )
    quirks = Quirks()
    frame, rows = read_register(require_path(path), HEADER_VARIANTS, quirks)
    refs = clean_reference(frame.get("reference", column(frame, "reference")), quirks)
    address = one_line(column(frame, "address-text"), quirks)
    names = column(frame, "name")
    names = names.where(names != "", address.str.split(",").str[0])
    quirks["no name: named by the first line of the address"] += int(
        (column(frame, "name") == "").sum()
    )
    org = column(frame, "organisation").str.rsplit(":", n=1).str[-1]
    org = org.where(org != "", Path(path).stem)
    hashed = pd.Series(
        [stable_id("acv", o, n, a) for o, n, a in zip(org, names, address, strict=True)],
        index=frame.index,
    )
    ids = ("acv:" + org + ":" + refs).where(refs != "", hashed)
    quirks["no reference: id made from the name and address"] += int((refs == "").sum())
    repeat = ids.groupby(ids).cumcount()
    quirks["reference repeated: later rows get ~2, ~3 …"] += int((repeat > 0).sum())
    out = pd.DataFrame(index=frame.index)
    out["id"] = ids.where(repeat == 0, ids + "~" + (repeat + 1).astype(str))
    out["name"] = names
    out["kind"], out["category"] = "physical", category
    out["postcode"] = address.map(postcode_in_text)
    out["lat"], out["lon"] = _points(frame, quirks)
    out["description"] = address.where(address != "")
    decision = column(frame, "decision")
    out["decision"] = decision.map(decision_word)
    quirks["decision not understood, left empty"] += int(
        ((decision != "") & out["decision"].isna()).sum()
    )
    for target, field in _DATES.items():
        out[target] = dates(column(frame, field), field, quirks)
    for target, field in _TEXT.items():
        values = column(frame, field)
        out[target] = values.where(values != "")
    notified = pd.to_datetime(out["notification_to_sell_date"], errors="coerce")
    out["moratorium_ends"] = (notified + pd.DateOffset(months=6)).dt.strftime("%Y-%m-%d")
    out["acv_reference"] = refs.where(refs != "")
    out["register_row"] = rows
    result = ImportResult(importer="acv", source_file=str(path))
    result.read = len(out)
    provenance = (provenance or Provenance()).with_defaults(
        source=f"assets of community value: {Path(path).name}", licence="OGL-UK-3.0"
    )
    result.tables["assets"] = located_table(
        "assets",
        out.reset_index(drop=True),
        postcodes=postcodes,
        areas=areas,
        provenance=provenance,
        result=result,
    )
    result.notes += [f"list quirk: {line}" for line in Quirks(+quirks).lines()]
    log.info("acv %s: %d entries", path, len(out))
    return result


def _points(frame: pd.DataFrame, quirks: Quirks) -> tuple[np.ndarray, np.ndarray]:
    lat = exact_floats(column(frame, "lat")).to_numpy(dtype=float, copy=True)
    lon = exact_floats(column(frame, "lon")).to_numpy(dtype=float, copy=True)
    for field in ("point", "geometry"):
        if field not in frame:
            continue
        shapes = wkt_shapes(column(frame, field))
        has = ~shapely.is_missing(shapes) & np.isnan(lat)
        if has.any():
            centres = shapely.point_on_surface(shapes[has])
            lon[has], lat[has] = shapely.get_x(centres), shapely.get_y(centres)
            quirks[f"located from the WKT {field} column"] += int(has.sum())
    return lat, lon
