"""Same input, same bytes: the pieces that make cwb's outputs reproducible.

- Dates written into outputs come from ``SOURCE_DATE_EPOCH`` (the reproducible-builds
  convention: seconds since 1970, UTC) when it is set, else today's date; they are
  dates, not times, so two runs on one day agree even without it.
- folium/branca give every map element a random id; :func:`stable_ids` renames them
  from their place in the map, so the same map renders to the same HTML.
- matplotlib salts SVG clip-path ids randomly; :data:`SVG_HASHSALT` fixes the salt.
- GDAL stamps GeoPackages with the current time; :func:`gdal_fixed_date` sets
  ``OGR_CURRENT_DATE`` while a file is written.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyogrio

from cwb.errors import UsageError

SVG_HASHSALT = "cwb"
"""matplotlib rcParams that make SVG output repeatable."""


def source_datetime() -> _dt.datetime | None:
    """The UTC time in ``SOURCE_DATE_EPOCH``, or None when it is not set.

    Raises
    ------
    UsageError
        When it is set but is not a whole number of seconds.
    """
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    try:
        return _dt.datetime.fromtimestamp(int(text), tz=_dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"SOURCE_DATE_EPOCH={text!r} is not a whole number of seconds since 1970"
        ) from None


def output_date() -> str:
    """The date (ISO ``YYYY-MM-DD``) to write into outputs: SOURCE_DATE_EPOCH's, else today's."""
    moment = source_datetime()
    return (moment.date() if moment else _dt.datetime.now(_dt.UTC).date()).isoformat()


def stable_ids(root: Any) -> Any:
    """Give every element of a branca/folium tree an id derived from its place in it.

    Ids depend only on the element's class and its path from ``root``, so building
    the same map twice renders the same HTML. Call before rendering; returns ``root``.
    """
    seen: set[int] = set()

    def visit(element: Any, path: str) -> None:
        if id(element) in seen:
            return
        seen.add(id(element))
        if hasattr(element, "_id"):
            key = f"{path}/{type(element).__name__}".encode()
            element._id = hashlib.blake2b(key, digest_size=16).hexdigest()
        children = getattr(element, "_children", {}) or {}
        for index, child in enumerate(list(children.values())):
            visit(child, f"{path}/{index}")

    visit(root, "")
    return root


@contextmanager
def gdal_fixed_date() -> Iterator[None]:
    """While writing, GDAL stamps files with SOURCE_DATE_EPOCH's time (else 1970-01-01)."""
    moment = source_datetime() or _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
