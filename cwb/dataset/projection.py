"""Coordinate transformers, made once per pair of CRS and thread.

Making a ``pyproj.Transformer`` costs about 0.1 s (PROJ builds and checks the
pipeline each time), more than transforming a hundred thousand points. Matching and
the catalogue run once per project in a national run, so each made two per project:
:func:`transformer` keeps them. Transformers are not shared between threads.
"""

from __future__ import annotations

import threading

from pyproj import CRS, Transformer

_MADE: dict[tuple[int, str, str], Transformer] = {}
_LOCK = threading.Lock()


def transformer(source: object, target: object) -> Transformer:
    """``Transformer.from_crs(source, target, always_xy=True)``, kept for reuse.

    ``source`` and ``target``: anything ``pyproj.CRS.from_user_input`` takes. The same
    transformer ``GeoSeries.to_crs`` makes, so the coordinates are the same.
    """
    source_crs, target_crs = CRS.from_user_input(source), CRS.from_user_input(target)
    key = (threading.get_ident(), source_crs.to_wkt(), target_crs.to_wkt())
    with _LOCK:
        made = _MADE.get(key)
    if made is None:
        made = Transformer.from_crs(source_crs, target_crs, always_xy=True)
        with _LOCK:
            _MADE[key] = made
    return made
