"""The national store and the national stages: bbox reads, per-project outputs, three executors."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from typer.testing import CliRunner

from cwb.catalogue import catalogue
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.errors import UsageError
from cwb.matching.core import match
from cwb.matching.model import write_csv
from cwb.national import (
    build_store,
    executor,
    national_catalogue,
    national_match,
    national_spend,
    open_store,
    read_projects,
    scope_for,
)
from cwb.national.candidates import eligible_pairs
from cwb.national.stages import work_items
from cwb.national.store import (
    catchment_bbox,
    metre_distances,
    only_points,
    read_boxes,
    table_geometry,
    transformer,
    within_radius,
)
from cwb.synth.generate import synth_tables, write_synth

SITES = 3  # the first New Hospital Programme schemes (Smethwick, Liverpool, Carlisle)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two synthetic chunks around six NHP sites (ids prefixed so they can share a store)."""
    base = tmp_path_factory.mktemp("national")
    sites = read_projects("nhp")[:SITES]
    folders = []
    for i in range(2):
        tables = synth_tables(
            assets=1_500, opportunities=30, spend=300, seed=i, sites=sites, id_prefix=f"c{i}-"
        )
        folder = base / f"chunk{i}"
        folder.mkdir()
        write_synth(tables, folder, fmt="parquet")
        folders.append(folder)
    return folders


@pytest.fixture(scope="module")
def store_path(sources: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("store") / "store"
    build_store(sources, out, rows_per_file=500)
    return out


def test_nhp_table_has_the_schemes_in_england() -> None:
    projects = read_projects("nhp")
    assert 38 <= len(projects) <= 45
    assert len({p.id for p in projects}) == len(projects)
    assert all(49.9 < p.lat < 55.9 and -6.5 < p.lon < 1.9 for p in projects)
    assert projects[0].name == "Midland Metropolitan University Hospital"
    assert projects[0].extra["trust"].startswith("Sandwell")


def test_store_partitions_are_bounded_sorted_and_cover_every_row(
    store_path: Path, sources: list[Path]
) -> None:
    store = open_store(store_path)
    assert store.rows["assets"] == 3_000
    assert store.rows["spend"] == 600
    assert len(store.partitions["assets"]) >= 5
    assert all(p.rows <= 560 for p in store.partitions["assets"])
    first = pd.read_parquet(store.files("assets")[0])
    assert "bbox" in first.columns  # the GeoParquet 1.1 covering column
    meta = pq.read_schema(store.files("assets")[0]).metadata[b"geo"].decode()
    assert '"covering"' in meta
    # the ids of both sources, each once
    every = pd.concat([pd.read_parquet(f, columns=["id"]) for f in store.files("assets")])
    assert every["id"].is_unique
    assert every["id"].str.startswith("c1-").sum() == 1_500


def test_store_is_a_dataset_folder(store_path: Path) -> None:
    ds = read_dataset(store_path)
    assert len(ds.assets) == 3_000
    assert len(ds.projects) == SITES
    result = CliRunner().invoke(app, ["catalogue", str(store_path)])
    assert result.exit_code == 0, result.output


def test_catchment_read_by_bbox_equals_the_full_filter(store_path: Path) -> None:
    store = open_store(store_path)
    project = store.manifest.projects[0]
    near = store.read_catchment("assets", project, 3_000)
    every = store.read_all("assets")
    distance = metre_distances(every.geometry, [project])[:, 0]
    expected = set(every.loc[distance <= 3_000, "id"])
    assert set(near["id"]) == expected
    assert 0 < len(expected) < len(every)
    box = catchment_bbox(project, 3_000)
    assert len(store.overlapping("assets", box)) < len(store.partitions["assets"])
    # the default columns (and the geometry), built from the bbox: the same points
    assert list(near.columns) == ["id", "name", "kind", "category", "count", "geometry"]
    every = every.set_index("id").loc[near["id"]]
    assert shapely.equals(near.geometry.to_numpy(), every.geometry.to_numpy()).all()
    assert (near["kind"].to_numpy() == every["kind"].to_numpy()).all()
    whole = store.read_catchment("assets", project, 3_000, columns=None)
    assert set(whole.columns) == set(every.reset_index().columns) - {"bbox"}


def test_within_radius_is_exact_at_the_edge() -> None:
    """Points a metre either side of the radius, all round: decided as projecting them is."""
    project = read_projects("nhp")[0]
    metric = "EPSG:27700"
    cx, cy = transformer("EPSG:4326", metric).transform(project.lon, project.lat)
    angle = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    radius = np.concatenate([np.full(720, 4_999.0), np.full(720, 5_001.0), [0.0, 3_000, 9_000]])
    angle = np.concatenate([angle, angle, [0.0, 1.0, 2.0]])
    lon, lat = transformer(metric, "EPSG:4326").transform(
        cx + radius * np.cos(angle), cy + radius * np.sin(angle)
    )
    lon, lat = np.append(lon, np.nan), np.append(lat, np.nan)  # a row with no location
    got = within_radius(lon, lat, project, 5_000, metric)
    want = np.append(radius <= 5_000, False)
    np.testing.assert_array_equal(got, want)
    far_crs = within_radius(lon, lat, project, 5_000, "EPSG:3857")  # distances of Web Mercator
    x, y = transformer("EPSG:4326", "EPSG:3857").transform(lon, lat)
    mx, my = transformer("EPSG:4326", "EPSG:3857").transform(project.lon, project.lat)
    np.testing.assert_array_equal(far_crs, np.hypot(x - mx, y - my) <= 5_000)


def test_table_geometry_builds_points_from_the_bbox_and_decodes_other_shapes(
    tmp_path: Path,
) -> None:
    shapes = [
        shapely.Point(-1.5, 52.25),
        None,
        shapely.box(-1, 52, -0.9, 52.1),
        shapely.LineString([(-1, 52), (-1, 52)]),  # a bbox that is a point, not a point
        shapely.Point(0.125, 51.5),
        shapely.Point(),
    ]
    frame = gpd.GeoDataFrame({"id": list("abcdef")}, geometry=shapes, crs="EPSG:4326")
    frame.to_parquet(tmp_path / "t.parquet", write_covering_bbox=True)
    table = pq.read_table(tmp_path / "t.parquet")
    got = table_geometry(table)
    assert got[1] is None
    for mine, theirs in zip(got, shapes, strict=True):
        if theirs is not None:
            assert mine.geom_type == theirs.geom_type
            assert shapely.equals_exact(mine, theirs, tolerance=0) or (
                mine.is_empty and theirs.is_empty
            )


def test_files_of_points_are_read_without_their_geometry(tmp_path: Path) -> None:
    """A file of 2-D points only: its points come from the bbox, the WKB is never read."""
    points = [shapely.Point(-1.5, 52.25), None, shapely.Point(0.125, 51.5)]
    frame = gpd.GeoDataFrame({"id": list("abc")}, geometry=points, crs="EPSG:4326")
    frame.to_parquet(tmp_path / "points.parquet", write_covering_bbox=True)
    mixed = frame.set_geometry([points[0], None, shapely.box(0, 51, 0.5, 52)], crs="EPSG:4326")
    mixed.to_parquet(tmp_path / "mixed.parquet", write_covering_bbox=True)
    assert only_points(tmp_path / "points.parquet")
    assert not only_points(tmp_path / "mixed.parquet")
    box = (-2.0, 51.0, 1.0, 53.0)
    table = read_boxes(tmp_path / "points.parquet", [box], ["bbox", "id"])
    assert table.column_names == ["bbox", "id"]  # as asked, the bbox read once
    assert table["id"].to_pylist() == ["a", "c"]
    got = table_geometry(table)
    assert [(g.x, g.y) for g in got] == [(-1.5, 52.25), (0.125, 51.5)]
    every = table_geometry(pq.read_table(tmp_path / "points.parquet", columns=["id", "bbox"]))
    assert every[1] is None  # no bbox, no point
    whole = read_boxes(tmp_path / "mixed.parquet", [box])
    assert whole.column_names == pq.read_schema(tmp_path / "mixed.parquet").names


def test_duplicate_ids_across_sources_stop_the_build(sources: list[Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="earlier source"):
        build_store([sources[0], sources[0]], tmp_path / "s")


def _run_all(run: object, store_path: Path, out: Path) -> dict[str, pd.DataFrame]:
    scope = scope_for(open_store(store_path))
    national_catalogue(run, scope, out)  # type: ignore[arg-type]
    national_match(run, scope, out)  # type: ignore[arg-type]
    national_spend(run, scope, out)  # type: ignore[arg-type]
    tables = {}
    for path in sorted(out.rglob("*.csv")):
        tables[str(path.relative_to(out))] = pd.read_csv(path)
    return tables


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _external_cluster(tmp_path: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp_path / "cluster.log").open("wb")
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            stdout=log, stderr=log,
        )
    ]  # fmt: skip
    time.sleep(1.5)
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [str(dask), "worker", address, "--nthreads", "1", "--no-dashboard",
                 "--local-directory", str(tmp_path / "workers")],
                stdout=log, stderr=log,
            )
        )  # fmt: skip
    return address, procs


def test_plain_localcluster_and_external_scheduler_agree(store_path: Path, tmp_path: Path) -> None:
    with executor() as run:
        plain = _run_all(run, store_path, tmp_path / "plain")
    with executor(workers=2) as run:
        assert run.kind == "local"
        local = _run_all(run, store_path, tmp_path / "local")
    address, procs = _external_cluster(tmp_path)
    try:
        distributed = pytest.importorskip("distributed")
        with distributed.Client(address, timeout="30s") as probe:
            probe.wait_for_workers(2, timeout=60)
        with executor(scheduler=address) as run:
            assert run.kind == "cluster"
            cluster = _run_all(run, store_path, tmp_path / "cluster")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    names = set(plain)
    assert f"{read_projects('nhp')[0].id}/catalogue.csv" in names
    assert {"national_catalogue.csv", "national_match.csv", "national_spend.csv"} <= names
    assert set(local) == names and set(cluster) == names
    for name in names:
        pd.testing.assert_frame_equal(plain[name], local[name], check_exact=True, obj=name)
        pd.testing.assert_frame_equal(plain[name], cluster[name], check_exact=True, obj=name)
    summary = plain["national_catalogue.csv"]
    assert (summary["assets"] > 0).all()
    assert (plain["national_match.csv"]["matches"] > 0).any()
    assert plain["national_spend.csv"]["amount"].sum() > 0


def test_catalogue_matches_the_single_dataset_catalogue(store_path: Path, tmp_path: Path) -> None:
    """The national catalogue of a project equals cwb catalogue's band counts for it.

    Non-human assets only: resident groups are suppressed by another rule (see the README).
    """
    ds = read_dataset(store_path)
    expected = catalogue(ds).by_band
    with executor() as run:
        national_catalogue(run, scope_for(open_store(store_path)), tmp_path)
    pid = ds.manifest.projects[0].id
    got = pd.read_csv(tmp_path / pid / "catalogue.csv")
    want = expected[(expected["project"] == pid) & ~expected["band"].str.startswith(">")]
    want = want[want["band"] != "unlocated"]
    got, want = got[got["kind"] != "human"], want[want["kind"] != "human"]
    by_kind = got.groupby(["band", "kind"])["assets"].sum()
    assert len(by_kind) >= 8
    assert by_kind.to_dict() == want.set_index(["band", "kind"])["assets"].to_dict()


def test_cli_store_and_national(
    sources: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    result = runner.invoke(app, ["store", "build", str(sources[0]), "-o", str(store)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["store", "info", str(store)])
    assert result.exit_code == 0 and "assets.parquet" in result.output
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "Code,Site Name,Latitude,Longitude\nmmuh,MMUH,52.4951,-1.9447\nx9,Nowhere,,\n",
        encoding="utf-8",
    )
    outdir = tmp_path / "out"
    args = ["national", str(store), "-o", str(outdir), "--projects", str(sites)]
    result = runner.invoke(app, [*args, "--stage", "catalogue"])
    assert result.exit_code == 0, result.output
    assert (outdir / "mmuh" / "catalogue.csv").exists()
    # the row without coordinates is left out, said, and listed with its line
    said = " ".join(result.output.split())
    assert "1 row(s) of" in said and "have no usable location and are left out" in said
    skipped = pd.read_csv(outdir / "projects_skipped.csv")
    assert skipped.to_dict("records") == [
        {"line": 3, "id": "x9", "name": "Nowhere", "reason": "no location"}
    ]
    assert not (outdir / "x9").exists()
    monkeypatch.setattr("cwb.cli.national.SHOWN_ROWS", 0)  # a long summary: the rest in the CSV
    result = runner.invoke(app, [*args, "--stage", "catalogue"])
    said = "".join(result.output.split())  # the terminal wraps long paths anywhere
    assert result.exit_code == 0 and "…1moreproject(s)in" in said
    assert "out/national_catalogue.csv" in said and "MMUH" not in said
    assert not (outdir / "national_match.csv").exists()
    result = runner.invoke(app, [*args, "--stage", "nope"])
    assert result.exit_code == 2
    result = runner.invoke(app, [*args, "--workers", "1", "--scheduler", "tcp://x:1"])
    assert result.exit_code == 2
    shutil.rmtree(outdir)


def test_candidate_matching_equals_matching_the_whole_catchment(
    store_path: Path, tmp_path: Path
) -> None:
    """Candidates (a partition function) leave out only rows that could not be matched."""
    store = open_store(store_path)
    scope = scope_for(store)
    with executor() as run:
        result = national_match(run, scope, tmp_path / "out")
    for project in scope.projects:
        assets = store.read_catchment("assets", project, scope.radius_m, columns=None)
        opportunities = store.read_small("opportunities")
        opportunities = opportunities[opportunities["project"] == project.id]
        ds = Dataset(
            manifest=replace(store.manifest, projects=[project], files={}),
            assets=assets.drop(columns=["bbox"], errors="ignore"),
            opportunities=opportunities.reset_index(drop=True),
            areas=store.read_small("areas"),
        )
        write_csv(match(ds).matches, tmp_path / f"{project.id}.csv")
        want = pd.read_csv(tmp_path / f"{project.id}.csv")
        got = pd.read_csv(tmp_path / "out" / project.id / "matches.csv")
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, obj=project.id)
    summary = result.summary.set_index("project")
    assert (summary["candidates"] > 0).all()
    counts = pd.read_parquet(tmp_path / "out" / "_parts" / "candidate_counts")
    assert set(counts["project"]) == {p.id for p in scope.projects}
    assert (tmp_path / "out" / "_parts" / "candidates").is_dir()


def test_plain_runs_count_their_partitions_and_projects(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each stage shows a progress bar over its work: partitions, then projects."""
    import cwb.national.engine as engine  # noqa: PLC0415 - the module whose bar is watched

    shown: list[tuple[str, int]] = []

    def recording(items, label, total=None):  # type: ignore[no-untyped-def]
        items = list(items)
        shown.append((label, len(items)))
        yield from items

    monkeypatch.setattr(engine, "track", recording)
    scope = scope_for(open_store(store_path))
    with executor() as run:
        national_catalogue(run, scope, tmp_path)
        national_match(run, scope, tmp_path)
    labels = dict(shown)
    assert labels["assets: partitions"] == len(
        work_items(open_store(store_path), "assets", scope, ())
    )
    assert labels["candidates: partitions"] == labels["assets: partitions"]
    assert labels["matching: projects"] == len(scope.projects) == SITES


def test_a_project_without_opportunities_counts_its_candidates(
    store_path: Path, tmp_path: Path
) -> None:
    """A site with no opportunities of its own: nothing matched, its candidates counted."""
    store = open_store(store_path)
    own = store.manifest.projects[0]
    twin = replace(own, id="twin", name="Twin site", lat=own.lat + 0.001)
    scope = scope_for(store, [own, twin])
    with executor() as run:
        result = national_match(run, scope, tmp_path)
    summary = result.summary.set_index("project")
    counts = pd.read_parquet(tmp_path / "_parts" / "candidate_counts")
    assert summary.loc["twin", "opportunities"] == 0 and summary.loc["twin", "matches"] == 0
    expected = counts.loc[counts["project"] == "twin", "candidates"].sum()
    assert summary.loc["twin", "candidates"] == expected > 0
    assert summary.loc[own.id, "matches"] > 0
    assert (tmp_path / "twin" / "matches.csv").exists()


def test_eligible_pairs_equal_a_lookup_per_row() -> None:
    rng = np.random.default_rng(3)
    projects = rng.choice(["a", "b", "c", "d"], 2_000).astype(object)
    categories = rng.choice(["gp", "school", "charity", "cafe", "hall"], 2_000).astype(object)
    eligible = {"a": ("gp", "hall"), "b": ("school",), "c": ()}
    expected = [c in eligible.get(p, ()) for p, c in zip(projects, categories, strict=True)]
    got = eligible_pairs(projects, categories, eligible)
    assert got.tolist() == expected and 0 < got.sum() < len(got)
    assert not eligible_pairs(projects, categories, {}).any()
    assert eligible_pairs(projects[:0], categories[:0], eligible).tolist() == []
