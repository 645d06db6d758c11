"""Offline postcode geocoding from a lookup table (postcode, lat, lon).

The lookup is any table with a postcode and WGS84 coordinates, for example a
subset of the ONS Postcode Directory. Postcodes are normalised (upper case, one
space before the inward code) on both sides before they are joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cwb.dataset.parsing import exact_floats
from cwb.errors import UsageError

#: A full UK postcode: outward code (area, district) and inward code (sector, unit).
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Normalise postcodes: upper case, no stray characters, one space before the last three.

    ``" b66 2qt"``, ``"B662QT"`` and ``"b66  2QT"`` all become ``"B66 2QT"``.
    Missing values stay missing. Vectorised.
    """
    text = values.astype("str").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    spaced = text.str[:-3] + " " + text.str[-3:]
    return spaced.where(text.str.len() >= 5, text).where(values.notna() & (text != ""))


def is_valid_postcode(values: pd.Series) -> pd.Series:
    """Whether each normalised postcode has the shape of a UK postcode."""
    return values.fillna("").str.match(POSTCODE_PATTERN.pattern)


@dataclass
class PostcodeLookup:
    """An in-memory postcode → (lat, lon) table, indexed by normalised postcode."""

    table: pd.DataFrame  # index: postcode (normalised); columns: lat, lon

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, postcode: str = "postcode", lat: str = "lat", lon: str = "lon"
    ) -> PostcodeLookup:
        """Build a lookup from a DataFrame, naming its postcode/lat/lon columns."""
        missing = [c for c in (postcode, lat, lon) if c not in frame.columns]
        if missing:
            raise UsageError(
                f"postcode lookup needs columns {postcode!r}, {lat!r}, {lon!r}; missing {missing}; "
                f"it has {list(frame.columns)}"
            )
        table = pd.DataFrame(
            {
                "postcode": normalise_postcodes(frame[postcode]),
                "lat": exact_floats(frame[lat]),
                "lon": exact_floats(frame[lon]),
            }
        ).dropna()
        table = table.drop_duplicates("postcode").set_index("postcode")
        return cls(table)

    @classmethod
    def from_csv(
        cls, path: str | Path, *, postcode: str = "postcode", lat: str = "lat", lon: str = "lon"
    ) -> PostcodeLookup:
        """Read a lookup CSV (UTF-8, with or without BOM)."""
        path = Path(path)
        if not path.exists():
            raise UsageError(f"postcode lookup {path} does not exist")
        frame = pd.read_csv(
            path, usecols=[postcode, lat, lon], dtype={postcode: "str"}, encoding="utf-8-sig"
        )
        return cls.from_frame(frame, postcode=postcode, lat=lat, lon=lon)

    def __len__(self) -> int:
        return len(self.table)

    def locate(self, postcodes: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Look up postcodes; return (lat, lon, found) arrays aligned with the input.

        Rows not found get NaN coordinates and ``found == False``.
        """
        normal = normalise_postcodes(postcodes)
        joined = self.table.reindex(normal.to_numpy())
        lat = joined["lat"].to_numpy(dtype="float64")
        lon = joined["lon"].to_numpy(dtype="float64")
        return lat, lon, ~np.isnan(lat)


#: What the spend functions accept as postcodes: a lookup, a frame with postcode/lat/lon
#: columns, or the path of such a CSV.
PostcodeSource: TypeAlias = PostcodeLookup | pd.DataFrame | str | Path


#: Header spellings of a lookup file's columns (case-insensitive), as in the ONS Postcode
#: Directory.
LOOKUP_HEADERS: dict[str, tuple[str, ...]] = {
    "postcode": ("postcode", "pcds", "pcd"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "long", "lng", "longitude"),
}


def as_postcode_lookup(postcodes: PostcodeSource | None) -> PostcodeLookup | None:
    """A :class:`PostcodeLookup` from a lookup, a DataFrame or a CSV path (None stays None).

    A CSV's columns are found by their usual spellings (:data:`LOOKUP_HEADERS`,
    case-insensitive), so an ONS Postcode Directory extract reads as it is.

    Raises
    ------
    UsageError
        When the file is missing or lacks a postcode, lat or lon column.
    """
    if postcodes is None or isinstance(postcodes, PostcodeLookup):
        return postcodes
    if isinstance(postcodes, pd.DataFrame):
        return PostcodeLookup.from_frame(postcodes)
    path = Path(postcodes)
    if not path.exists():
        raise UsageError(f"postcode lookup {path} does not exist")
    head = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    lower = {c.casefold(): c for c in head}
    names = {}
    for role, options in LOOKUP_HEADERS.items():
        hit = next((lower[o] for o in options if o in lower), None)
        if hit is None:
            raise UsageError(
                f"postcode lookup {path} has no {role} column (looked for {', '.join(options)})"
            )
        names[role] = hit
    return PostcodeLookup.from_csv(path, **names)


def nearest_postcodes(
    postcode: str, lookup: PostcodeLookup, *, limit: int = 3, max_edits: int = 1
) -> list[str]:
    """Postcodes of ``lookup`` at most ``max_edits`` typing slips from ``postcode``, nearest first.

    Postcodes of the same length are compared (a slip replaces a character; one
    swapped pair counts as two). Ties keep the lookup's order.
    """
    normal = normalise_postcodes(pd.Series([postcode])).iloc[0]
    if not isinstance(normal, str) or not len(lookup):
        return []
    choices = _choices_of(lookup)
    hits = process.extract(
        normal,
        choices,
        scorer=Levenshtein.distance,
        score_cutoff=max_edits,
        limit=limit + 1,
    )
    return [h[0] for h in sorted(hits, key=lambda h: (h[1], h[0])) if h[0] != normal][:limit]


_CHOICES: dict[int, list[str]] = {}


def _choices_of(lookup: PostcodeLookup) -> list[str]:
    key = id(lookup.table)
    if key not in _CHOICES:
        _CHOICES.clear()
        _CHOICES[key] = lookup.table.index.astype(str).tolist()
    return _CHOICES[key]
