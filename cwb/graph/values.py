"""Attribute values of the graph: every value a plain ``str``, ``int``, ``float`` or ``bool``.

:func:`plain` converts one value; :func:`plain_values` a whole column at once (equal
texts shared by every node holding them); :func:`clean_attributes` a dict of them
(missing numbers left out, missing texts ``""``); :func:`shared_floats` a float column
with equal numbers shared; :func:`located_points` and
:func:`point_attributes` the ``located``/``lon``/``lat`` of geometries;
:class:`SharedKeyDicts` makes the attribute dicts of a million nodes that share their keys.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cwb.dataset.schema import is_private_column

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

LIST_SEPARATOR = "; "
#: The attributes :func:`cwb.graph.metrics.graph_metrics` sets on nodes, in the order it sets them.
METRIC_ATTRIBUTES: tuple[str, ...] = ("degree", "betweenness", "component", "community", "reach")

Scalar = str | int | float | bool


def plain(value: Any) -> Scalar | None:
    """``value`` as a plain Python ``str``/``int``/``float``/``bool``; None when missing.

    Lists and tuples become ``"; "``-joined strings, numpy scalars become Python
    scalars, dates become ISO strings, NaN and ``pd.NA`` become None.
    """
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return None if value != value else value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, list | tuple | set | np.ndarray):
        items = [str(plain(v)) for v in value if plain(v) not in (None, "")]
        return LIST_SEPARATOR.join(items)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


#: :func:`cwb.dataset.schema.is_private_column`, each name asked once (edges ask it per key)
_private = functools.lru_cache(maxsize=1024)(is_private_column)


def clean_attributes(attrs: dict[str, Any], text: Iterable[str] = ()) -> dict[str, Scalar]:
    """Return plain attributes: missing numbers dropped, missing texts (in ``text``) as ""."""
    out: dict[str, Scalar] = {}
    for key, value in attrs.items():
        if _private(key):
            continue
        v = plain(value)
        if v is None:
            if key in text:
                out[key] = ""
            continue
        out[key] = v
    return out


def point_attributes(geom: BaseGeometry | None) -> dict[str, Scalar]:
    """``located`` and, when located, ``lon``/``lat`` (a representative point of a non-point)."""
    if geom is None or getattr(geom, "is_empty", True):
        return {"located": False}
    if geom.geom_type != "Point":
        geom = geom.representative_point()
    return {"located": True, "lon": float(geom.x), "lat": float(geom.y)}


def located_points(geometry: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each geometry is present, and its lon/lat (representative points of non-points).

    The values of :func:`point_attributes`, for a whole column at once.
    """
    arr = np.asarray(geometry.values, dtype=object)
    xs, ys = np.full(len(arr), np.nan), np.full(len(arr), np.nan)
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, bool)
    if present.any():
        located = arr[present]
        other = shapely.get_type_id(located) != 0
        if other.any():
            located[other] = shapely.point_on_surface(located[other])
        xs[present], ys[present] = shapely.get_x(located), shapely.get_y(located)
    return present, xs, ys


def shared_texts(values: Iterable[str]) -> list[str]:
    """``values`` as a list in which equal texts are one shared object."""
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) for v in values]


def shared_floats(values: np.ndarray) -> list[float]:
    """``values.tolist()`` (a float64 array) in which equal numbers are one shared object.

    Equal means the same bits: ``0.0`` and ``-0.0`` stay apart, as do NaNs of
    different payloads, so every value is exactly the one given. A million nodes
    placed on a few thousand points (postcode centroids) then hold a few thousand
    floats rather than a million.
    """
    values = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if len(values) < 2:
        return values.tolist()
    codes, bits = pd.factorize(values.view(np.int64))  # by bits: integers, never missing
    distinct = np.empty(len(bits), dtype=object)
    distinct[:] = bits.view(np.float64).tolist()
    return distinct[codes].tolist()


def plain_values(series: pd.Series, rows: np.ndarray | None = None) -> list[Scalar | None]:
    """:func:`plain` of every value of ``series`` (None when missing), vectorised for text.

    Text and float columns (nearly all of a table) skip the value-by-value
    conversion: their values are already plain once missing ones are None.
    Equal texts are one shared object. ``rows`` (a boolean mask) keeps only those
    rows, chosen after the conversion so that no column is copied first.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        # one str object per distinct value, shared by every row holding it: a million
        # nodes would otherwise hold a million copies of "physical", "business" …
        codes, uniques = pd.factorize(series)
        lookup: list[Scalar | None] = [*uniques.tolist(), None]  # code -1 (missing) → None
        return [lookup[c] for c in (codes if rows is None else codes[rows]).tolist()]
    if dtype == np.float64:
        values = series.to_numpy() if rows is None else series.to_numpy()[rows]
        return [None if v != v else v for v in shared_floats(values)]
    return [plain(v) for v in (series if rows is None else series[rows]).tolist()]


class SharedKeyDicts:
    """Makes attribute dicts that share one table of keys: plain ``dict`` objects, smaller.

    CPython keeps the ``__dict__`` of the instances of one class as a *split* dict:
    the keys (and their hashes) are stored once, in the class, and each dict holds
    only its values. Such a dict is an ordinary ``dict`` (same type, equality,
    order, pickling, JSON); only its size differs: 296 bytes rather than 832 for
    an asset node's 21–29 attributes, whichever of ``keys`` it holds and in
    whatever order, and it is not resized when more of ``keys`` are added later
    (the metrics). A dict given a key outside ``keys``, or more than CPython
    shares (30), turns into an ordinary combined dict, as large as before: the
    values never change, only the memory.

    Parameters
    ----------
    keys
        Every key the dicts may hold, in the order they usually get them.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        # a class of its own: its instances' dicts share the table of exactly these keys
        self._cls: type = type("_SharedKeys", (), {})
        first = self._cls().__dict__
        for key in keys:  # the first instance fills the shared table, in this order
            first[key] = None

    def __call__(self, items: Iterable[tuple[str, Any]] = ()) -> dict[str, Any]:
        """A new dict of ``items`` (key, value pairs, inserted in their order)."""
        attrs: dict[str, Any] = self._cls().__dict__
        attrs.update(items)  # pairs, never a dict: merging a dict would make it combined
        return attrs
