"""Locating postcodes: a dataset's lookup from a national file, typo suggestions, postcodes.io.

- :func:`extract_districts` keeps the rows of a national lookup (the ONS Postcode
  Directory or any file with postcode/lat/lon columns) for the districts named,
  and :func:`install_lookup` writes them as the dataset's ``postcodes.csv``.
- :func:`cwb.dataset.postcodes.nearest_postcodes` proposes the postcodes of a
  lookup a typing slip away from an unknown one (``BG6 1ZY`` → ``B66 1ZY``).
- :func:`geocode_online` (opt-in) asks postcodes.io's bulk API for the postcodes
  of a dataset that its lookup does not know, never those of human assets, and
  caches the answers into the dataset's lookup so later runs are offline.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cwb import settings
from cwb._atomic import write_text_atomic
from cwb.dataset.io import write_table
from cwb.dataset.manifest import MANIFEST_NAME, read_manifest
from cwb.dataset.postcodes import (
    as_postcode_lookup,
    is_valid_postcode,
    normalise_postcodes,
)
from cwb.dataset.raw import read_raw_table
from cwb.errors import ProblemLog, UsageError

#: The file ``cwb init --postcodes`` and ``cwb geocode --online`` write the lookup to.
LOOKUP_FILE = "postcodes.csv"
#: Located tables whose postcodes ``cwb geocode`` looks up (human assets never).
GEOCODED_TABLES: tuple[str, ...] = ("assets", "opportunities", "spend", "needs", "pacts")


def parse_districts(text: str | Iterable[str]) -> list[str]:
    """``"b66, B67 "`` → ``["B66", "B67"]``: postcode districts (or areas like ``B``)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = [re.sub(r"\s+", " ", i.strip().upper()) for i in items if i.strip()]
    bad = [d for d in out if not re.fullmatch(r"[A-Z]{1,2}([0-9][A-Z0-9]?( [0-9])?)?", d)]
    if bad or not out:
        raise UsageError(
            f"districts must be postcode districts such as B66 or areas such as B; "
            f"got {bad or text!r}",
            argument="districts",
        )
    return out


def extract_districts(source: str | Path, districts: Iterable[str]) -> pd.DataFrame:
    """The rows of a national lookup file in ``districts``: postcode, lat, lon (sorted).

    A district ``B66`` keeps ``B66 …`` (not ``B6 …``); an area ``B`` keeps every
    ``B`` district; a sector ``B66 1`` keeps ``B66 1..``.

    Raises
    ------
    UsageError
        When the file lacks the columns, or no row falls in the districts.
    """
    wanted = parse_districts(list(districts))
    lookup = as_postcode_lookup(Path(source))
    assert lookup is not None
    codes = lookup.table.index.to_series().astype(str)
    outward = codes.str.split(" ").str[0]
    area = outward.str.extract(r"^([A-Z]{1,2})", expand=False)
    keep = pd.Series(False, index=codes.index)
    for item in wanted:
        if " " in item:
            keep |= codes.str.startswith(item)
        elif item.isalpha():
            keep |= area == item
        else:
            keep |= outward == item
    if not keep.any():
        raise UsageError(
            f"{Path(source).name} has no postcode in {', '.join(wanted)}", argument="districts"
        )
    table = lookup.table[keep.to_numpy()]
    return pd.DataFrame(
        {
            "postcode": table.index.astype(str).to_numpy(),
            "lat": table["lat"].to_numpy(),
            "lon": table["lon"].to_numpy(),
        }
    ).sort_values("postcode", ignore_index=True)


def install_lookup(folder: Path, rows: pd.DataFrame) -> Path:
    """Merge ``rows`` (postcode, lat, lon) into the dataset's ``postcodes.csv`` and name it.

    Rows already in the file are kept; new postcodes are added. The manifest's
    ``[files] postcodes`` line is written when it is absent.

    Raises
    ------
    UsageError
        When the manifest names another postcode file (one with mapped columns or
        another format): cwb does not write into a user's own file.
    """
    path = _lookup_path(folder)
    if path.exists():
        old = pd.read_csv(path, dtype={"postcode": "str"}, encoding="utf-8-sig")
        rows = pd.concat([old[["postcode", "lat", "lon"]], rows], ignore_index=True)
    rows = rows.assign(postcode=normalise_postcodes(rows["postcode"])).dropna()
    rows = rows.drop_duplicates("postcode", keep="first").sort_values("postcode")
    write_table(rows[["postcode", "lat", "lon"]], path)
    _name_lookup_in_manifest(folder, path.name)
    return path


def _lookup_path(folder: Path) -> Path:
    manifest = read_manifest(folder, ProblemLog())
    entry = manifest.files.get("postcodes")
    if entry is None:
        return folder / LOOKUP_FILE
    if entry.columns or not entry.path.lower().endswith(".csv"):
        raise UsageError(
            f"{MANIFEST_NAME} names {entry.path} as the postcode lookup; cwb adds postcodes "
            f"only to a plain postcode,lat,lon CSV. Name {LOOKUP_FILE} instead, or add the "
            "rows to your file yourself"
        )
    path = Path(entry.path)
    return path if path.is_absolute() else folder / path


def _name_lookup_in_manifest(folder: Path, name: str) -> None:
    manifest_path = folder / MANIFEST_NAME
    text = manifest_path.read_text(encoding="utf-8")
    if re.search(r"(?m)^\s*postcodes\s*=", text):
        return
    line = f'postcodes = "{name}"   # postcode, lat, lon: locates rows that have a postcode only'
    commented = re.compile(r'(?m)^#\s*postcodes\s*=\s*"[^"]*".*$')
    if commented.search(text):
        text = commented.sub(lambda _m: line, text, count=1)
    elif re.search(r"(?m)^\[files\]\s*$", text):
        text = re.sub(r"(?m)^\[files\]\s*$", lambda _m: "[files]\n" + line, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n[files]\n" + line + "\n"
    write_text_atomic(manifest_path, text)


# --------------------------------------------------------------------------- postcodes.io


@dataclass
class GeocodeResult:
    """What :func:`geocode_online` did."""

    asked: list[str] = field(default_factory=list)
    found: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["postcode", "lat", "lon"])
    )
    not_found: list[str] = field(default_factory=list)
    skipped_human: int = 0
    lookup: Path | None = None


def postcodes_to_geocode(folder: Path) -> tuple[list[str], int]:
    """Well-formed postcodes the dataset's lookup lacks; and how many human assets' were left out.

    Postcodes of human assets (residents) are never sent anywhere.
    """
    log = ProblemLog()
    manifest = read_manifest(folder, log)
    lookup_entry = manifest.files.get("postcodes")
    known: set[str] = set()
    if lookup_entry is not None:
        raw = read_raw_table(folder, lookup_entry, log)
        if raw is not None and "postcode" in raw.cells:
            known = set(normalise_postcodes(raw.cells["postcode"]).dropna())
    wanted: set[str] = set()
    human = 0
    for name in GEOCODED_TABLES:
        entry = manifest.files.get(name)
        raw = read_raw_table(folder, entry, log) if entry is not None else None
        if raw is None or "postcode" not in raw.cells:
            continue
        codes = normalise_postcodes(raw.cells["postcode"].where(raw.cells["postcode"] != ""))
        if name == "assets" and "kind" in raw.cells:
            is_human = raw.cells["kind"].str.strip().str.lower() == "human"
            human += int((is_human & codes.notna()).sum())
            codes = codes[~is_human]
        codes = codes.dropna()
        wanted |= set(codes[is_valid_postcode(codes)])
    return sorted(wanted - known), human


def geocode_online(
    folder: str | Path, *, base_url: str = settings.POSTCODES_IO_URL, timeout: float = 30.0
) -> GeocodeResult:
    """Look the dataset's unlocated postcodes up on postcodes.io; cache them into its lookup.

    Sends only postcodes (no names, no other column), 100 per request
    (``POST {base_url}/postcodes``), and never those of human assets.

    Raises
    ------
    UsageError
        When the service cannot be reached or answers with an error.
    """
    folder = Path(folder)
    wanted, human = postcodes_to_geocode(folder)
    result = GeocodeResult(asked=wanted, skipped_human=human)
    rows: list[dict[str, object]] = []
    for start in range(0, len(wanted), settings.POSTCODES_IO_BATCH):
        batch = wanted[start : start + settings.POSTCODES_IO_BATCH]
        for item in _post_batch(base_url, batch, timeout):
            found = item.get("result") if isinstance(item, dict) else None
            query = str(item.get("query", "")) if isinstance(item, dict) else ""
            if isinstance(found, dict) and found.get("latitude") is not None:
                rows.append(
                    {
                        "postcode": found.get("postcode") or query,
                        "lat": float(found["latitude"]),
                        "lon": float(found["longitude"]),
                    }
                )
            elif query:
                result.not_found.append(query)
    result.found = pd.DataFrame(rows, columns=["postcode", "lat", "lon"])
    if len(result.found):
        result.lookup = install_lookup(folder, result.found)
    return result


def _post_batch(base_url: str, batch: list[str], timeout: float) -> list[object]:
    url = base_url.rstrip("/") + "/postcodes"
    body = json.dumps({"postcodes": batch}).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "cwb"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise UsageError(f"could not look postcodes up at {url}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("status") != 200:
        raise UsageError(f"{url} answered with an error: {str(payload)[:200]}")
    answers = payload.get("result")
    return answers if isinstance(answers, list) else []
