"""Local geographies for the spend analysis, and where each supplier is relative to them.

A geography is a set of area polygons (all the dataset's areas, those of one
local authority, listed area codes, or polygons from a file) or a set of
postcode areas/districts. Geographies are nested, innermost first
(neighbourhood → local authority → region); each transaction's supplier is
inside, outside or unknown for each one, and falls in one *location class*:
local, regional, elsewhere or unlocated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from cwb.dataset.model import WGS84
from cwb.errors import UsageError
from cwb.spend.load import ALL_BUYERS, SpendSettings

if TYPE_CHECKING:
    from cwb.spend.analysis import SpendAnalysis

#: Where a transaction's supplier is, relative to the local geography and the region.
LOCATION_CLASSES: tuple[str, ...] = ("local", "regional", "elsewhere", "unlocated")

_POSTCODE_OUTWARD = re.compile(r"^([A-Z]{1,2})([0-9][A-Z0-9]?)")


# --------------------------------------------------------------------------- geographies


@dataclass(frozen=True)
class Geography:
    """A "local" geography: area polygons (with their codes) or postcode areas/districts."""

    name: str
    description: str
    polygons: gpd.GeoDataFrame | None = None  # code, geometry in EPSG:4326
    codes: frozenset[str] = frozenset()
    postcode_prefixes: frozenset[str] = frozenset()  # postcode areas ("B") or districts ("B66")

    def membership(self, table: gpd.GeoDataFrame) -> pd.Series:
        """Whether each row's supplier is inside: True, False or NA when it cannot be told."""
        result = pd.Series(pd.NA, index=table.index, dtype="boolean")
        if self.postcode_prefixes:
            area, district = postcode_parts(table["postcode"])
            known = area.notna()
            inside = area.isin(self.postcode_prefixes) | district.isin(self.postcode_prefixes)
            result[known] = inside[known]
            return result
        geometry = table.geometry
        located = geometry.notna() & ~geometry.is_empty
        if self.polygons is not None and located.any():
            points = gpd.GeoDataFrame(geometry=geometry[located], crs=table.crs or WGS84)
            hits = gpd.sjoin(
                points,
                self.polygons[["geometry"]].to_crs(points.crs),
                how="inner",
                predicate="intersects",
            )
            result[located] = False
            result[hits.index.unique()] = True
        if self.codes and "area_code" in table:
            coded = ~located & table["area_code"].notna()
            result[coded] = table.loc[coded, "area_code"].astype(str).isin(self.codes)
        return result


def postcode_parts(postcodes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Postcode area (``B``) and district (``B66``) of each postcode, NA when not a postcode."""
    text = postcodes.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    parts = text.str.extract(_POSTCODE_OUTWARD)
    area = parts[0].where(text.str.len() >= 5)
    return area, (parts[0] + parts[1]).where(area.notna())


def resolve_geography(
    spec: dict[str, Any], areas: gpd.GeoDataFrame, base_dir: Path | None = None
) -> Geography:
    """Build a :class:`Geography` from a ``[spend] geographies`` entry.

    Accepted forms: ``areas = "all"``; ``local_authority = "Sandwell"`` (or a
    list); ``codes = [...]`` (area codes of ``areas``); ``file = "x.geojson"``
    (polygons, relative to the dataset folder); ``postcode_areas = ["B"]``;
    ``postcode_districts = ["B66"]``.

    Raises
    ------
    UsageError
        When the entry names nothing, or names authorities, codes or a file that do not exist.
    """
    name = str(spec.get("name", "")).strip() or "local"
    if "postcode_areas" in spec or "postcode_districts" in spec:
        prefixes = [
            str(p).strip().upper()
            for p in as_list(spec.get("postcode_areas", []))
            + as_list(spec.get("postcode_districts", []))
        ]
        return Geography(
            name, "postcodes in " + ", ".join(prefixes), postcode_prefixes=frozenset(prefixes)
        )
    if "file" in spec:
        path = Path(str(spec["file"]))
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if not path.exists():
            raise UsageError(f"geography {name!r}: polygon file {path} does not exist")
        polygons = gpd.read_file(path)
        polygons = polygons.set_crs(WGS84) if polygons.crs is None else polygons.to_crs(WGS84)
        return Geography(name, f"polygons from {path.name}", polygons=polygons[["geometry"]])
    if spec.get("areas") == "all":
        chosen, what = areas, f"all {len(areas)} areas of the dataset"
    elif "local_authority" in spec:
        wanted = {str(v).casefold() for v in as_list(spec["local_authority"])}
        if "local_authority" not in areas:
            raise UsageError(f"geography {name!r}: the areas have no local_authority column")
        chosen = areas[areas["local_authority"].fillna("").astype(str).str.casefold().isin(wanted)]
        if chosen.empty:
            known = sorted(areas["local_authority"].dropna().astype(str).unique())
            raise UsageError(
                f"geography {name!r}: no area has local_authority {sorted(wanted)}; "
                f"known: {', '.join(known) or 'none'}"
            )
        what = f"areas of {', '.join(as_list(spec['local_authority']))}"
    elif "codes" in spec:
        codes = [str(c).strip() for c in as_list(spec["codes"])]
        chosen = areas[areas["code"].astype(str).isin(codes)]
        unknown = sorted(set(codes) - set(chosen["code"].astype(str)))
        if unknown:
            raise UsageError(
                f"geography {name!r}: area codes not in the dataset's areas: {', '.join(unknown)}"
            )
        what = f"{len(chosen)} listed areas"
    else:
        raise UsageError(
            f'geography {name!r} needs one of areas="all", local_authority, codes, file, '
            "postcode_areas or postcode_districts"
        )
    return Geography(
        name,
        what,
        polygons=chosen[["code", "geometry"]],
        codes=frozenset(chosen["code"].astype(str)),
    )


def geography_spec_from_text(
    text: str, settings: SpendSettings, areas: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Turn a ``--local`` value into a geography entry.

    In order: the name of a configured geography; ``all``/``neighbourhood``
    (every area); ``KEY=V1,V2`` with KEY one of ``local_authority``, ``codes``,
    ``postcode_areas``, ``postcode_districts``, ``file``; a polygon file path;
    a local authority named in the areas; comma-separated area codes.
    """
    for spec in settings.geographies:
        if str(spec["name"]).casefold() == text.casefold():
            return dict(spec)
    if text.casefold() in ("all", "neighbourhood"):
        return {"name": text, "areas": "all"}
    if "=" in text:
        key, _, value = text.partition("=")
        key = key.strip()
        if key not in ("local_authority", "codes", "postcode_areas", "postcode_districts", "file"):
            raise UsageError(
                f"{text!r}: unknown key {key!r}; use local_authority, codes, "
                "postcode_areas, postcode_districts or file",
                argument="local",
            )
        values = value if key == "file" else [v.strip() for v in value.split(",") if v.strip()]
        return {"name": value if key in ("local_authority", "file") else text, key: values}
    if Path(text).suffix.lower() in (".geojson", ".gpkg", ".shp", ".json") and Path(text).exists():
        return {"name": Path(text).stem, "file": text}
    if "local_authority" in areas:
        authorities = {
            str(a).casefold(): str(a) for a in areas["local_authority"].dropna().unique()
        }
        if text.casefold() in authorities:
            return {
                "name": authorities[text.casefold()],
                "local_authority": authorities[text.casefold()],
            }
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if codes and set(codes) <= set(areas["code"].astype(str)):
        return {"name": text, "codes": codes}
    names = ", ".join(str(g["name"]) for g in settings.geographies)
    raise UsageError(
        f"{text!r} is not a configured geography ({names}), a local authority of the "
        "areas, area codes, a polygon file, or KEY=VALUES",
        argument="local",
    )


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (a scalar becomes a one-item list)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def build_geographies(
    settings: SpendSettings, areas: gpd.GeoDataFrame, base_dir: Path | None
) -> list[Geography]:
    """Build the configured geographies, innermost first, plus ``region`` from postcode areas."""
    specs = list(settings.geographies)
    if settings.region_postcode_areas and not any(s["name"] == "region" for s in specs):
        specs.append({"name": "region", "postcode_areas": list(settings.region_postcode_areas)})
    geos = [resolve_geography(s, areas, base_dir) for s in specs]
    names = [g.name for g in geos]
    if len(set(names)) != len(names):
        raise UsageError(f"spend geographies must have distinct names; got {names}")
    return geos


def locate_classes(
    frame: gpd.GeoDataFrame, geos: list[Geography], local: str, regional: str | None
) -> gpd.GeoDataFrame:
    """Add ``in_<geo>``, ``band`` and ``location`` columns.

    Geographies are nested (innermost first): a supplier outside an outer one
    is outside every inner one too, which settles rows whose postcode is known
    but not in the lookup.
    """
    member = pd.DataFrame({g.name: g.membership(frame) for g in geos}, index=frame.index)
    outside_outer = pd.Series(False, index=frame.index)
    for name in reversed(member.columns):
        member[name] = member[name].mask(member[name].isna() & outside_outer, False)
        outside_outer = outside_outer | (member[name] == False).fillna(False)  # noqa: E712
    band = pd.Series("unlocated", index=frame.index, dtype=object)
    settled = pd.Series(False, index=frame.index)
    for name in member.columns:
        value = member[name]
        band[~settled & (value == True).fillna(False)] = name  # noqa: E712
        settled = settled | value.isna() | (value == True).fillna(False)  # noqa: E712
    located = frame.geometry.notna() & ~frame.geometry.is_empty
    all_false = (member == False).fillna(False).all(axis=1)  # noqa: E712
    band[all_false & (located | frame["postcode"].notna())] = "elsewhere"
    frame = frame.copy()
    for name in member.columns:
        frame[f"in_{name}"] = member[name]
    frame["band"] = band
    is_local = member[local]
    location = pd.Series("unlocated", index=frame.index, dtype=object)
    location[(is_local == True).fillna(False)] = "local"  # noqa: E712
    outside = (is_local == False).fillna(False)  # noqa: E712
    if regional is None:
        location[outside] = "elsewhere"
    else:
        region = member[regional]
        location[outside & (region == True).fillna(False)] = "regional"  # noqa: E712
        location[outside & (region == False).fillna(False)] = "elsewhere"  # noqa: E712
        # outside the local geography, region unknown: outside for leakage, shown as elsewhere
        location[outside & region.isna()] = "elsewhere"
    frame["location"] = location
    return frame


def deprived_membership(
    frame: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, settings: SpendSettings
) -> pd.Series:
    """Whether each supplier is in one of the most deprived areas (indicator <= the maximum)."""
    column = settings.deprived_indicator
    if column not in areas or areas.empty:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    value = pd.to_numeric(areas[column], errors="coerce")
    chosen = areas[value <= settings.deprived_max]
    inside = Geography(
        "deprived",
        "",
        polygons=chosen[["code", "geometry"]],
        codes=frozenset(chosen["code"].astype(str)),
    ).membership(frame)
    return inside.fillna(False)


# --------------------------------------------------------------------------- map layers


def supplier_spend_by_area(
    analysis: SpendAnalysis, areas: gpd.GeoDataFrame, *, buyer: str = ALL_BUYERS
) -> gpd.GeoDataFrame:
    """Sum included spend by the area its suppliers are in (a map layer).

    Returns the areas with ``spend_gbp``, ``suppliers``, ``transactions`` and
    ``share`` (of all included spend of ``buyer``). Areas with no supplier
    get zeros. Spend with suppliers in no area is not shown on the map but is
    in ``analysis.summary``.
    """
    from cwb.privacy import assign_area_codes

    inc = analysis.included
    if buyer != ALL_BUYERS:
        inc = inc[inc["buyer"] == buyer]
    total = float(inc["amount_gbp"].sum())
    out = areas[["code", "name", "geometry"]].copy()
    if inc.empty or out.empty:
        return out.assign(spend_gbp=0.0, suppliers=0, transactions=0, share=0.0)
    code = assign_area_codes(inc, areas)
    grouped = (
        inc.assign(_code=code.to_numpy())
        .groupby("_code")
        .agg(
            spend_gbp=("amount_gbp", "sum"),
            suppliers=("supplier_key", "nunique"),
            transactions=("amount_gbp", "size"),
        )
    )
    out = out.join(grouped, on="code")
    out[["spend_gbp", "suppliers", "transactions"]] = out[
        ["spend_gbp", "suppliers", "transactions"]
    ].fillna(0)
    out["suppliers"] = out["suppliers"].astype(int)
    out["transactions"] = out["transactions"].astype(int)
    out["spend_gbp"] = out["spend_gbp"].round(2)
    out["share"] = (out["spend_gbp"] / total).round(6) if total else 0.0
    return out


def supplier_points(analysis: SpendAnalysis, *, buyer: str = ALL_BUYERS) -> gpd.GeoDataFrame:
    """Located suppliers with their included spend (one point per supplier and location)."""
    inc = analysis.included
    if buyer != ALL_BUYERS:
        inc = inc[inc["buyer"] == buyer]
    inc = inc[inc.geometry.notna() & ~inc.geometry.is_empty]
    if inc.empty:
        return gpd.GeoDataFrame(
            columns=[
                "supplier_name",
                "spend_gbp",
                "transactions",
                "location",
                "sector",
                "geometry",
            ],
            geometry="geometry",
            crs=WGS84,
        )
    keyed = inc.assign(_wkb=inc.geometry.to_wkb())
    grouped = (
        keyed.groupby(["supplier_key", "_wkb"], sort=False)
        .agg(
            supplier_name=("supplier_name", "first"),
            spend_gbp=("amount_gbp", "sum"),
            transactions=("amount_gbp", "size"),
            location=("location", "first"),
            sector=("sector", "first"),
            geometry=("geometry", "first"),
        )
        .reset_index(drop=True)
    )
    grouped["spend_gbp"] = grouped["spend_gbp"].round(2)
    return gpd.GeoDataFrame(grouped, geometry="geometry", crs=WGS84)
