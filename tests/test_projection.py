"""Transformers are made once per pair of CRS (and thread) and give to_crs's coordinates."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from cwb.dataset.projection import transformer


def test_one_transformer_per_pair_and_thread() -> None:
    first = transformer("EPSG:4326", "EPSG:27700")
    assert transformer(CRS.from_epsg(4326), "EPSG:27700") is first  # the same CRS, spelt apart
    assert transformer("EPSG:27700", "EPSG:4326") is not first
    elsewhere: list[object] = []
    thread = threading.Thread(
        target=lambda: elsewhere.append(transformer("EPSG:4326", "EPSG:27700"))
    )
    thread.start()
    thread.join()
    assert elsewhere[0] is not first


def test_the_coordinates_are_those_of_to_crs() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-5, 1.5, 500), rng.uniform(50, 55.5, 500)
    points = gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326")
    expected = points.to_crs("EPSG:27700")
    x, y = transformer(points.crs, "EPSG:27700").transform(lon, lat)
    assert (np.asarray(x) == shapely.get_x(expected.to_numpy())).all()
    assert (np.asarray(y) == shapely.get_y(expected.to_numpy())).all()
