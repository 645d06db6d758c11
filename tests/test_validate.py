"""Validation: one broken dataset per problem, each named by file, row and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from typer.testing import CliRunner

import cwb
from cwb.cli import app
from cwb.errors import DatasetError


def edit_csv(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the spreadsheet row (header = 1)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    frame.to_csv(path, index=False)


def set_cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda folder: edit_csv(folder / file, row, column, value)


def drop_column(file: str, column: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        frame.drop(columns=[column]).to_csv(folder / file, index=False)

    return mutate


def duplicate_row(file: str, row: int) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        pd.concat([frame, frame.iloc[[row - 2]]]).to_csv(folder / file, index=False)

    return mutate


def write_bytes(file: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_bytes(data)


def cp1252_assets(folder: Path) -> None:
    text = (folder / "assets.csv").read_text(encoding="utf-8").replace("Cape Hill", "Café Hill")
    (folder / "assets.csv").write_bytes(text.encode("cp1252"))


def area_geometry(geometry: dict | None) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        data = json.loads((folder / "areas.geojson").read_text())
        data["features"][1]["geometry"] = geometry
        (folder / "areas.geojson").write_text(json.dumps(data))

    return mutate


def areas_as(
    suffix: str, *, crs: str | None, manifest_crs: str | None = None, drop_prj: bool = False
) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        areas = gpd.read_file(folder / "areas.geojson")
        if crs:
            areas = areas.to_crs(crs)
        target = folder / f"areas{suffix}"
        areas.to_file(target)
        if drop_prj:
            target.with_suffix(".prj").unlink()
        manifest = (folder / "dataset.toml").read_text()
        entry = (
            f'{{ path = "areas{suffix}", crs = "{manifest_crs}" }}'
            if manifest_crs
            else f'"areas{suffix}"'
        )
        (folder / "dataset.toml").write_text(
            manifest.replace('areas = "areas.geojson"', f"areas = {entry}")
        )

    return mutate


def bng_numbers_in_geojson(folder: Path) -> None:
    areas = gpd.read_file(folder / "areas.geojson").to_crs("EPSG:27700")
    data = json.loads(areas.to_json())
    data.pop("crs", None)
    (folder / "areas.geojson").write_text(json.dumps(data))


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[-1.945, 52.48], [-1.91, 52.51], [-1.91, 52.48], [-1.945, 52.51], [-1.945, 52.48]]
    ],
}

# name, mutation, (file, row, column, code) expected among the errors
CASES = [
    (
        "missing file",
        lambda f: (f / "assets.csv").unlink(),
        ("assets.csv", None, None, "missing_file"),
    ),
    (
        "missing column",
        drop_column("assets.csv", "kind"),
        ("assets.csv", None, "kind", "missing_column"),
    ),
    (
        "unknown kind",
        set_cell("assets.csv", 3, "kind", "finance"),
        ("assets.csv", 3, "kind", "unknown_kind"),
    ),
    (
        "unknown category",
        set_cell("assets.csv", 2, "category", "social enterprize"),
        ("assets.csv", 2, "category", "unknown_category"),
    ),
    (
        "category of another kind",
        set_cell("assets.csv", 5, "category", "library"),
        ("assets.csv", 5, "category", "unknown_category"),
    ),
    (
        "duplicate id",
        set_cell("assets.csv", 4, "id", "A1"),
        ("assets.csv", 4, "id", "duplicate_id"),
    ),
    ("empty id", set_cell("assets.csv", 3, "id", ""), ("assets.csv", 3, "id", "empty_id")),
    (
        "number",
        set_cell("assets.csv", 2, "capacity", "lots"),
        ("assets.csv", 2, "capacity", "not_a_number"),
    ),
    (
        "whole number",
        set_cell("assets.csv", 4, "count", "2.5"),
        ("assets.csv", 4, "count", "not_a_number"),
    ),
    (
        "date",
        set_cell("assets.csv", 2, "collected_on", "31/13/2024"),
        ("assets.csv", 2, "collected_on", "not_a_date"),
    ),
    (
        "lat out of range",
        set_cell("assets.csv", 3, "lat", "152.1"),
        ("assets.csv", 3, "lat", "out_of_range"),
    ),
    (
        "lat/lon swapped",
        lambda f: (
            edit_csv(f / "assets.csv", 3, "lat", "-1.9667"),
            edit_csv(f / "assets.csv", 3, "lon", "52.4969"),
        ),
        ("assets.csv", 3, "lat", "swapped"),
    ),
    ("only lat", set_cell("assets.csv", 3, "lon", ""), ("assets.csv", 3, "lat", "half_location")),
    (
        "far outside",
        lambda f: (
            edit_csv(f / "assets.csv", 3, "lat", "51.5072"),
            edit_csv(f / "assets.csv", 3, "lon", "-0.1276"),
        ),
        ("assets.csv", 3, "lat", "far_outside"),
    ),
    (
        "invalid geometry",
        area_geometry(BOW_TIE),
        ("areas.geojson", 3, "geometry", "invalid_geometry"),
    ),
    ("empty geometry", area_geometry(None), ("areas.geojson", 3, "geometry", "empty_geometry")),
    (
        "missing CRS",
        areas_as(".shp", crs="EPSG:27700", drop_prj=True),
        ("areas.shp", None, "geometry", "missing_crs"),
    ),
    (
        "CRS disagrees with manifest",
        areas_as(".gpkg", crs="EPSG:27700", manifest_crs="EPSG:4326"),
        ("areas.gpkg", None, "geometry", "wrong_crs"),
    ),
    (
        "metres labelled as degrees",
        bng_numbers_in_geojson,
        ("areas.geojson", None, "geometry", "wrong_crs"),
    ),
    (
        "negative capacity",
        set_cell("assets.csv", 2, "capacity", "-5"),
        ("assets.csv", 2, "capacity", "negative"),
    ),
    (
        "negative count",
        set_cell("assets.csv", 4, "count", "-3"),
        ("assets.csv", 4, "count", "negative"),
    ),
    (
        "negative value",
        set_cell("opportunities.csv", 3, "value", "-100"),
        ("opportunities.csv", 3, "value", "negative"),
    ),
    (
        "unknown project",
        set_cell("opportunities.csv", 2, "project", "hospx"),
        ("opportunities.csv", 2, "project", "unknown_project"),
    ),
    ("not UTF-8", cp1252_assets, ("assets.csv", None, None, "encoding")),
    ("empty file", write_bytes("assets.csv", b""), ("assets.csv", None, None, "empty_file")),
    (
        "header only",
        write_bytes("assets.csv", b"id,name,kind,category\n"),
        ("assets.csv", None, None, "empty_file"),
    ),
    ("duplicate row", duplicate_row("assets.csv", 3), ("assets.csv", 7, None, "duplicate_row")),
    (
        "unknown link target",
        set_cell("links.csv", 2, "target", "A99"),
        ("links.csv", 2, "target", "unknown_id"),
    ),
    ("bad yes/no", set_cell("spend.csv", 2, "sme", "maybe"), ("spend.csv", 2, "sme", "not_a_bool")),
    (
        "malformed CSV",
        write_bytes("links.csv", b'source,target,relation\n"A1,A4,partner\n'),
        ("links.csv", None, None, "parse"),
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_located(mini_copy: Path, name: str, mutate, expected) -> None:
    mutate(mini_copy)
    file, row, column, code = expected
    with pytest.raises(DatasetError) as caught:
        cwb.read_dataset(mini_copy)
    matching = [p for p in caught.value.errors if p.code == code]
    assert matching, f"no {code} error among {[str(p) for p in caught.value.errors]}"
    problem = matching[0]
    assert problem.file == file
    assert problem.row == row
    assert problem.column == column
    assert problem.reason
    result = CliRunner().invoke(app, ["validate", str(mini_copy)])
    assert result.exit_code == 1, result.output
    assert file in result.output


def test_hints_suggest_the_right_word(mini_copy: Path) -> None:
    edit_csv(mini_copy / "assets.csv", 2, "category", "social enterprize")
    edit_csv(mini_copy / "assets.csv", 5, "category", "library")
    edit_csv(mini_copy / "assets.csv", 3, "kind", "finance")
    with pytest.raises(DatasetError) as caught:
        cwb.read_dataset(mini_copy)
    hints = {(p.row, p.column): p.hint for p in caught.value.errors}
    assert hints[(2, "category")] == "did you mean 'social_enterprise'?"
    assert hints[(5, "category")] == "'library' is a category of kind 'physical'"
    assert hints[(3, "kind")] == "did you mean 'financial'?"


def test_encoding_message_names_cp1252(mini_copy: Path) -> None:
    cp1252_assets(mini_copy)
    report = cwb.validate_dataset(mini_copy)
    (problem,) = [p for p in report.errors if p.code == "encoding"]
    assert "cp1252" in problem.reason and "line 2" in problem.reason
    assert "UTF-8" in (problem.hint or "")
    # the text was still decoded so the rest of the file was checked
    assert report.dataset.assets.loc[0, "name"] == "Café Hill Catering CIC"


def test_clean_dataset_exits_zero_and_prints_warnings(mini_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(mini_path)])
    assert result.exit_code == 0, result.output
    assert "has no location" in result.output  # spend row 3's warning is shown
    assert "is valid" in result.output


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(tmp_path / "nowhere")]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2
    assert runner.invoke(app, ["validate", str(tmp_path), "--no-such-option"]).exit_code == 2


def test_unknown_postcode_is_a_row_warning(mini_copy: Path) -> None:
    edit_csv(mini_copy / "assets.csv", 2, "postcode", "B66 2QQ")
    ds = cwb.read_dataset(mini_copy)
    (warning,) = [p for p in ds.warnings if p.code == "unknown_postcode"]
    assert (warning.file, warning.row, warning.column, warning.value) == (
        "assets.csv",
        2,
        "postcode",
        "B66 2QQ",
    )
    row = ds.assets.iloc[0]
    assert row["precision"] == "none" and row.geometry is None  # kept, not dropped


def test_strict_turns_warnings_into_errors(mini_path: Path) -> None:
    with pytest.raises(DatasetError):
        cwb.read_dataset(mini_path, strict=True)


def test_many_errors_are_counted_not_lost(mini_copy: Path) -> None:
    frame = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    many = pd.concat([frame.iloc[[1]]] * 500, ignore_index=True)
    many["id"] = [f"X{i}" for i in range(500)]
    many["capacity"] = "lots"
    many.to_csv(mini_copy / "assets.csv", index=False)
    report = cwb.validate_dataset(mini_copy)
    assert report.counts["assets"].with_errors == 500
    listed = [p for p in report.errors if p.code == "not_a_number" and p.row is not None]
    summary = [p for p in report.errors if p.code == "not_a_number" and p.row is None]
    assert len(listed) == 200 and "300 more rows" in summary[0].reason


cell_text = st.one_of(
    st.sampled_from(
        [
            "",
            "x",
            "-1",
            "12",
            "1.5",
            "INF",
            "1e30",
            "2024-01-01",
            "physical",
            "human",
            "library",
            "skills_group",
            "52.49",
            "-1.95",
            "B66 3AA",
            "W1",
        ]
    ),
    st.text(max_size=6),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                c: cell_text
                for c in [
                    "id",
                    "name",
                    "kind",
                    "category",
                    "lat",
                    "lon",
                    "postcode",
                    "area_code",
                    "capacity",
                    "count",
                    "collected_on",
                ]
            }
        ),
        min_size=1,
        max_size=25,
    )
)
def test_counts_add_up_to_rows_read(mini_copy: Path, rows: list[dict]) -> None:
    pd.DataFrame(rows).to_csv(mini_copy / "assets.csv", index=False, lineterminator="\r\n")
    report = cwb.validate_dataset(mini_copy)
    counts = report.counts["assets"]
    assert counts.read == len(rows)
    assert counts.clean + counts.with_warnings + counts.with_errors == counts.read
    assert len(report.dataset.assets) == len(rows)
    rows_with_errors = {p.row for p in report.errors if p.file == "assets.csv" and p.row}
    assert len(rows_with_errors) <= counts.with_errors


def test_excel_headers_and_dates_are_understood(mini_copy: Path) -> None:
    frame = pd.read_csv(mini_copy / "assets.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(
        columns={"postcode": "Post Code", "name": "Name", "lat": "Latitude", "lon": "Longitude"}
    )
    frame["collected_on"] = pd.to_datetime(frame["collected_on"])
    frame["capacity"] = pd.to_numeric(frame["capacity"])
    frame.to_excel(mini_copy / "assets.xlsx", index=False)
    (mini_copy / "assets.csv").unlink()
    manifest = (mini_copy / "dataset.toml").read_text().replace('"assets.csv"', '"assets.xlsx"')
    (mini_copy / "dataset.toml").write_text(manifest)
    ds = cwb.read_dataset(mini_copy)
    assert ds.assets.loc[0, "collected_on"] == "2024-01-10"
    assert ds.assets.loc[0, "capacity"] == 250000.0
    assert ds.assets.loc[0, "precision"] == "postcode"


def test_shapefile_with_manifest_crs_is_read(mini_copy: Path) -> None:
    areas_as(".shp", crs="EPSG:27700", manifest_crs="EPSG:27700", drop_prj=True)(mini_copy)
    ds = cwb.read_dataset(mini_copy)
    original = gpd.read_file(mini_copy / "areas.geojson")
    assert ds.areas.crs.to_epsg() == 4326
    assert (
        ds.areas.geometry.iloc[0].equals_exact(Polygon(original.geometry.iloc[0].exterior), 1e-6)
        or ds.areas.geometry.iloc[0].symmetric_difference(original.geometry.iloc[0]).area < 1e-10
    )
