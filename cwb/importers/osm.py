"""OpenStreetMap extracts (GeoJSON or GeoPackage, as Overpass, osmtogeojson or osmium export them).

Each feature's tags are matched against the tag table ``cwb/resources/osm_tags.csv``
(key, value or ``*``, kind, category, description); the first row that matches
decides the asset's kind and category, so lifecycle tags (``disused:*``,
``shop=vacant``) come first. Polygons keep their footprint (as WKT in a
``footprint`` column, with its area in m² in ``footprint_m2``) and are placed at
their representative point, which always lies inside the polygon.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from cwb.dataset.schema import CATEGORY_KIND
from cwb.errors import DatasetError, Problem, require_path
from cwb.importers.common import (
    ImportResult,
    Provenance,
    clean_str,
    iso_date,
    located_table,
)

if TYPE_CHECKING:
    from cwb.dataset.postcodes import PostcodeLookup


log = logging.getLogger(__name__)

#: Columns that are feature metadata, not tags, in the common exporters' output.
_META = {
    "id",
    "@id",
    "osm_id",
    "osm_way_id",
    "osm_type",
    "type",
    "geometry",
    "other_tags",
    "@type",
    "@version",
    "@timestamp",
    "@changeset",
    "@user",
    "@uid",
    "timestamp",
    "version",
}
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class TagRule:
    """One row of the tag table."""

    key: str
    value: str
    kind: str
    category: str
    description: str

    def matches(self, tags: dict[str, str]) -> bool:
        """Whether a feature with ``tags`` falls under this rule."""
        have = tags.get(self.key)
        if have is None or have in ("no", ""):
            return False
        return self.value == "*" or have == self.value


@lru_cache(maxsize=8)
def load_tag_table(path: str | None = None) -> tuple[TagRule, ...]:
    """Read the tag → kind/category table (the bundled one by default).

    Raises
    ------
    DatasetError
        When a row names a category that is not in the schema or a kind that does not own it.
    """
    if path is None:
        text = (resources.files("cwb") / "resources" / "osm_tags.csv").read_text(encoding="utf-8")
        name = "osm_tags.csv"
    else:
        text = Path(path).read_text(encoding="utf-8")
        name = str(path)
    rules: list[TagRule] = []
    problems: list[Problem] = []
    for i, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        rule = TagRule(
            row["key"].strip(),
            row["value"].strip(),
            row["kind"].strip(),
            row["category"].strip(),
            (row.get("description") or "").strip(),
        )
        if CATEGORY_KIND.get(rule.category) != rule.kind:
            problems.append(
                Problem(
                    file=name,
                    row=i,
                    column="category",
                    value=rule.category,
                    reason=f"is not a category of kind {rule.kind!r}",
                )
            )
            continue
        rules.append(rule)
    if problems:
        raise DatasetError(problems, summary=f"{name}: the OSM tag table has errors")
    return tuple(rules)


def classify(tags: dict[str, str], rules: tuple[TagRule, ...]) -> TagRule | None:
    """The first rule of the table that matches ``tags`` (None when none does)."""
    return next((r for r in rules if r.matches(tags)), None)


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _feature_tags(props: dict[str, Any]) -> dict[str, str]:
    tags = {
        k: str(v.date() if isinstance(v, pd.Timestamp) else v)
        for k, v in props.items()
        if k not in _META and not _missing(v) and str(v) != ""
    }
    other = props.get("other_tags")
    if isinstance(other, str):
        tags.update({k: v for k, v in _HSTORE.findall(other)})
    nested = props.get("tags")
    if isinstance(nested, dict):
        tags.update({str(k): str(v) for k, v in nested.items()})
    return tags


def _osm_id(props: dict[str, Any], geom_type: str) -> str | None:
    for key in ("@id", "id"):
        value = clean_str(props.get(key))
        if value and "/" in value:
            return value  # "way/123", as osmtogeojson and Overpass write it
        if value and re.fullmatch(r"[nwr]\d+", value):
            return {"n": "node", "w": "way", "r": "relation"}[value[0]] + "/" + value[1:]
    if clean_str(props.get("osm_way_id")):
        return f"way/{clean_str(props.get('osm_way_id'))}"
    # a stated type (QuickOSM, Overpass CSV: osm_type + osm_id) wins over a guess from the shape
    osm_type = (clean_str(props.get("osm_type") or props.get("type")) or "").lower()
    value = clean_str(props.get("osm_id")) or clean_str(props.get("id"))
    if osm_type in ("node", "way", "relation") and value:
        return f"{osm_type}/{value}"
    if clean_str(props.get("osm_id")):
        # points are nodes. GDAL's OSM driver gives polygons osm_way_id (closed ways) or
        # osm_id (multipolygon relations); files without an osm_way_id column (Geofabrik
        # shapefiles …) number their polygons by way, so a bare polygon id is a way
        relation = "Polygon" in geom_type and "osm_way_id" in props
        kind = "node" if geom_type == "Point" else "relation" if relation else "way"
        return f"{kind}/{clean_str(props.get('osm_id'))}"
    return None


def read_osm_features(path: Path) -> gpd.GeoDataFrame:
    """Every feature of a GeoJSON file or every layer of a GeoPackage, in EPSG:4326."""
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        frames = []
        for layer in layers:
            frame = gpd.read_file(path, layer=layer) if len(layers) > 1 else gpd.read_file(path)
            if len(frame):
                frame["_layer"] = layer
                frames.append(frame)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; report them as a data problem
        raise DatasetError(
            [
                Problem(
                    file=str(path),
                    reason=f"cannot be read as GeoJSON/GeoPackage: {exc}",
                    code="parse",
                )
            ],
            summary=f"{path}: not a readable OSM extract: {exc}",
        ) from None
    if not frames:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
    merged = pd.concat(
        [f.to_crs("EPSG:4326") if f.crs else f.set_crs("EPSG:4326") for f in frames],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def import_osm(
    path: str | Path,
    *,
    provenance: Provenance | None = None,
    tag_table: str | None = None,
    keep_unnamed: bool = False,
    metric_crs: str = "EPSG:27700",
    postcodes: PostcodeLookup | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> ImportResult:
    """Import an OSM extract as assets.

    Parameters
    ----------
    path
        GeoJSON (Overpass/osmtogeojson/osmium export) or GeoPackage (every layer is read).
    provenance
        Defaults: source ``OpenStreetMap (FILE)``, licence ``ODbL-1.0``.
    tag_table
        A CSV like ``cwb/resources/osm_tags.csv``; the bundled table by default.
    keep_unnamed
        Keep features without a ``name`` tag, named after their category and OSM id;
        by default they are skipped (and reported).
    metric_crs
        CRS in which footprint areas are measured.
    postcodes, areas
        Unused for OSM geometry, but rows without geometry fall back on ``addr:postcode``.

    Returns
    -------
    ImportResult
        ``tables["assets"]`` with ``osm_id``, ``osm_tag``, ``footprint`` (WKT) and
        ``footprint_m2`` columns.
    """
    path = require_path(path)
    rules = load_tag_table(tag_table)
    features = read_osm_features(path)
    result = ImportResult(importer="osm", source_file=str(path))
    provenance = (provenance or Provenance()).with_defaults(
        source=f"OpenStreetMap ({path.name})", licence="ODbL-1.0"
    )
    areas_m2 = (
        features.geometry.to_crs(metric_crs).area if len(features) else pd.Series(dtype=float)
    )
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    columns = [c for c in features.columns if c not in ("geometry", "_layer")]
    for i, (props, geom) in enumerate(
        zip(features[columns].to_dict("records"), features.geometry, strict=True)
    ):
        result.read += 1
        geom_type = geom.geom_type if geom is not None else ""
        osm_id = _osm_id(props, geom_type) or f"feature/{i + 1}"
        tags = _feature_tags(props)
        rule = classify(tags, rules)
        if rule is None:
            shown = ", ".join(f"{k}={v}" for k, v in list(tags.items())[:4]) or "no tags"
            result.skip("no tag in the tag table", row=i + 1, value=f"{osm_id}: {shown}")
            continue
        name = clean_str(tags.get("name"))
        if not name:
            if not keep_unnamed:
                result.skip(
                    "no name tag", row=i + 1, value=f"{osm_id} ({rule.key}={tags.get(rule.key)})"
                )
                continue
            name = f"{rule.category.replace('_', ' ')} ({osm_id})"
        rid = f"osm:{osm_id}"
        if rid in seen:
            result.skip("the same OSM object twice in the file", row=i + 1, value=osm_id)
            continue
        seen.add(rid)
        polygon = geom is not None and "Polygon" in geom_type
        point = geom.representative_point() if geom is not None and not geom.is_empty else None
        records.append(
            {
                "id": rid,
                "name": name,
                "kind": rule.kind,
                "category": rule.category,
                "postcode": clean_str(tags.get("addr:postcode")),
                "sector": tags.get(rule.key)
                if rule.kind == "financial" or rule.category == "shop"
                else None,
                "description": clean_str(tags.get("description")),
                "last_verified": iso_date(tags.get("check_date") or tags.get("survey:date")),
                "osm_id": osm_id,
                "osm_tag": f"{rule.key}={tags.get(rule.key)}",
                "footprint": geom.wkt if polygon else None,
                "footprint_m2": round(float(areas_m2.iloc[i]), 1) if polygon else None,
                "geometry": point,
            }
        )
    result.tables["assets"] = located_table(
        "assets", records, postcodes=postcodes, areas=areas, provenance=provenance, result=result
    )
    log.info("osm %s: %d features, %d assets", path.name, result.read, len(records))
    return result
