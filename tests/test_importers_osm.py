"""OSM importer: tag table, polygons with footprints, skips with reasons, GeoPackage input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from cwb.dataset.schema import CATEGORY_KIND
from cwb.errors import DatasetError
from cwb.importers.osm import _osm_id, classify, import_osm, load_tag_table

DATA = Path(__file__).resolve().parent / "data" / "importers"
OSM = DATA / "osm_smethwick.geojson"


@pytest.fixture(scope="module")
def result():
    return import_osm(OSM)


def test_counts_and_skip_reasons(result):
    assets = result.tables["assets"]
    assert result.read == 10
    assert len(assets) == 8
    assert len(result.skipped) == 2
    reasons = {p.reason: p.value for p in result.skipped}
    assert "node/1002" in reasons["no tag in the tag table"]
    assert "node/1003" in reasons["no name tag"]
    assert result.read == len(assets) + len(result.skipped)


def test_tags_give_kind_and_category(result):
    by_id = result.tables["assets"].set_index("id")
    assert by_id.loc["osm:node/1001", ["kind", "category"]].tolist() == ["physical", "library"]
    # a lifecycle tag wins over building=yes
    assert by_id.loc["osm:way/2002", "category"] == "vacant_building"
    assert by_id.loc["osm:node/1005", "category"] == "vacant_building"  # shop=vacant, not shop
    assert by_id.loc["osm:way/2003", ["category", "sector"]].tolist() == ["shop", "convenience"]
    assert by_id.loc["osm:way/2004", "category"] == "place_of_worship"
    assert by_id.loc["osm:node/1004", "last_verified"] == "2021-03-01"
    assert by_id.loc["osm:node/1001", "postcode"] == "B66 1AB"


def test_polygons_keep_footprint_and_get_a_point_inside(result):
    assets = result.tables["assets"].set_index("id")
    church = assets.loc["osm:way/2004"]
    footprint = shapely.from_wkt(church["footprint"])
    assert church.geometry.geom_type == "Point"
    assert footprint.contains(church.geometry)
    # the U-shaped church's centroid lies in its courtyard: a centroid would be wrong
    assert not footprint.contains(footprint.centroid)
    park = assets.loc["osm:relation/3001"]
    assert shapely.from_wkt(park["footprint"]).geom_type == "MultiPolygon"
    assert park["footprint_m2"] > 50_000  # two squares of 0.003° and 0.001°: ~ 70,000 m²
    assert pd.isna(assets.loc["osm:node/1001", "footprint"])
    assert set(result.tables["assets"]["precision"]) == {"exact"}
    assert result.tables["assets"].crs.to_epsg() == 4326


def test_provenance_defaults(result):
    assets = result.tables["assets"]
    assert set(assets["licence"]) == {"ODbL-1.0"}
    assert assets["source"].str.startswith("OpenStreetMap").all()


def test_keep_unnamed():
    kept = import_osm(OSM, keep_unnamed=True)
    assert len(kept.tables["assets"]) == 9
    assert "osm:node/1003" in set(kept.tables["assets"]["id"])


def test_tag_table_is_consistent_with_the_schema():
    rules = load_tag_table()
    assert rules
    for rule in rules:
        assert CATEGORY_KIND[rule.category] == rule.kind
    assert classify({"amenity": "bench"}, rules) is None
    assert classify({"amenity": "library", "building": "yes"}, rules).category == "library"
    assert classify({"building": "yes", "disused:shop": "yes"}, rules).category == "vacant_building"


def test_bad_tag_table_is_an_error(tmp_path):
    bad = tmp_path / "tags.csv"
    bad.write_text(
        "key,value,kind,category,description\namenity,library,financial,library,wrong kind\n"
    )
    with pytest.raises(DatasetError) as info:
        load_tag_table(str(bad))
    assert info.value.problems[0].row == 2


def test_geopackage_with_layers_and_other_tags(tmp_path):
    gpkg = tmp_path / "extract.gpkg"
    points = gpd.GeoDataFrame(
        {
            "osm_id": ["501"],
            "name": ["Bearwood Library"],
            "other_tags": ['"amenity"=>"library","wheelchair"=>"yes"'],
        },
        geometry=[Point(-1.9700, 52.4800)],
        crs="EPSG:4326",
    )
    polys = gpd.GeoDataFrame(
        {
            "osm_id": [None],
            "osm_way_id": ["601"],
            "name": ["Lightwoods Allotments"],
            "landuse": ["allotments"],
            "other_tags": [None],
        },
        geometry=[Polygon([(-1.97, 52.47), (-1.968, 52.47), (-1.968, 52.472), (-1.97, 52.472)])],
        crs="EPSG:4326",
    )
    points.to_file(gpkg, layer="points")
    polys.to_file(gpkg, layer="multipolygons")
    result = import_osm(gpkg)
    by_id = result.tables["assets"].set_index("id")
    assert by_id.loc["osm:node/501", "category"] == "library"
    assert by_id.loc["osm:way/601", "category"] == "green_space"
    assert by_id.loc["osm:way/601", "footprint"].startswith("POLYGON")


def test_unreadable_file_is_a_data_error(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(DatasetError):
        import_osm(broken)


def test_polygon_ids_are_ways_unless_the_file_says_relation():
    # Geofabrik-style: a bare osm_id on a polygon is a way
    assert _osm_id({"osm_id": "42"}, "Polygon") == "way/42"
    # a stated type wins over the shape (QuickOSM, Overpass exports)
    assert _osm_id({"osm_id": "42", "osm_type": "way"}, "MultiPolygon") == "way/42"
    assert _osm_id({"osm_id": "7", "osm_type": "relation"}, "Polygon") == "relation/7"
    # GDAL's multipolygons layer: osm_id (with an empty osm_way_id) is a relation
    assert _osm_id({"osm_id": "7", "osm_way_id": None}, "MultiPolygon") == "relation/7"
    assert _osm_id({"osm_id": None, "osm_way_id": "8"}, "MultiPolygon") == "way/8"
    assert _osm_id({"osm_id": "9"}, "Point") == "node/9"
