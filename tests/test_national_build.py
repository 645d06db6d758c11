"""Building a store batch by batch: the same problems as cwb validate, on every executor."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cwb import settings
from cwb.bench.national import bench_national, write_results
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.dataset.manifest import read_manifest
from cwb.dataset.raw import read_raw_table
from cwb.dataset.validate import validate_dataset
from cwb.errors import DatasetError, ProblemLog
from cwb.national import build_store, executor, open_store, read_projects
from cwb.national.build import (
    GB_BOUNDS,
    KEY,
    RunIndex,
    batch_rows_for,
    cross_row_problems,
    group_batches,
    hilbert_keys,
    merge_sorted,
)
from cwb.national.checks import validate_store
from cwb.synth.generate import synth_tables, write_synth
from cwb.synth.national import town_centres, write_national_synth

STORED = ("assets.parquet", "spend.parquet", "opportunities.parquet", "areas.parquet")


def _rewrite(path: Path, frame: gpd.GeoDataFrame, row_group: int) -> None:
    frame.to_parquet(path, index=False, row_group_size=row_group)


@pytest.fixture(scope="module")
def bad_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic assets in three row groups, with known bad rows across them."""
    folder = tmp_path_factory.mktemp("bad")
    tables = synth_tables(assets=3_000, opportunities=20, spend=400, seed=3)
    write_synth(tables, folder, fmt="parquet")
    assets = gpd.read_parquet(folder / "assets.parquet")
    assets.loc[5, "category"] = "spaceship"  # row 7
    assets.loc[1_500, "id"] = assets.loc[10, "id"]  # a repeated id two batches later
    assets.loc[2_500, "id"] = assets.loc[10, "id"]  # and again in the third
    assets.loc[2_999] = assets.loc[20]  # a repeated row, first in batch one
    assets.loc[2_100, "id"] = str(assets.loc[30, "id"]).lower()  # a look-alike id
    assets.loc[1_200, "name"] = "bad\x07name"  # a control character
    negative = assets.index[(assets["capacity"] > 0)][:260]  # more than the 200 listed
    assets.loc[negative, "capacity"] = -1.0
    _rewrite(folder / "assets.parquet", assets, 1_000)
    spend = gpd.read_parquet(folder / "spend.parquet")
    spend["amount"] = spend["amount"].astype(str)
    spend.loc[300, "amount"] = "lots"  # a spend row in its second batch
    spend.to_parquet(folder / "spend.parquet", index=False, row_group_size=250)
    return folder


def _stored_problems(folder: Path) -> list[str]:
    report = validate_dataset(folder)
    return [str(p) for p in report.problems if p.file in STORED or p.file.endswith(".toml")]


@pytest.mark.parametrize("workers", [None, 2])
def test_store_build_reports_what_validate_reports(
    bad_dataset: Path, tmp_path: Path, workers: int | None
) -> None:
    expected = _stored_problems(bad_dataset)
    assert any("spaceship" in p for p in expected)
    assert any("is already used on row 12" in p for p in expected)
    assert any("more rows with the same problem (negative)" in p for p in expected)
    with executor(workers) as run, pytest.raises(DatasetError) as raised:
        build_store([bad_dataset], tmp_path / "store", batch_rows=1_000, run=run)
    got = [str(p) for p in raised.value.problems]
    rows = [p for p in expected if ", row " in p]
    assert [p for p in got if ", row " in p] == rows  # same rows, same order
    assert sorted(got) == sorted(expected)
    assert "spend.parquet, row 302" in "\n".join(got)
    assert "assets.parquet, row 3001: duplicate row: the same as row 22" in "\n".join(got)


def test_clean_build_plain_and_localcluster_write_the_same_store(tmp_path: Path) -> None:
    sites = read_projects("nhp")[:4]
    source = write_national_synth(tmp_path / "src", 4_000, sites=sites, chunk=1_000).folder
    stores = {}
    for workers in (None, 2):
        out = tmp_path / f"store-{workers}"
        with executor(workers) as run:
            build_store([source], out, batch_rows=1_500, rows_per_file=1_200, run=run)
        stores[workers] = open_store(out)
    plain, local = stores[None], stores[2]
    assert plain.rows == local.rows == {"assets": 4_000, "spend": 400}
    assert [p.rows for p in plain.partitions["assets"]] == [
        p.rows for p in local.partitions["assets"]
    ]
    for a, b in zip(plain.files("assets"), local.files("assets"), strict=True):
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    every = pd.concat([gpd.read_parquet(f) for f in plain.files("assets")], ignore_index=True)
    assert every["id"].is_unique
    keys = hilbert_keys(every.geometry)
    assert (np.diff(keys) >= 0).all()  # one curve across batches and files
    meta = pq.read_schema(plain.files("assets")[0]).metadata[b"geo"].decode()
    assert '"covering"' in meta


def test_hilbert_keys_clamp_to_the_national_extent() -> None:
    points = gpd.GeoSeries.from_xy([GB_BOUNDS[0] - 5, -1.9, 40.0, None], [52.0, 52.5, 70.0, None])
    points.iloc[3] = None
    keys = hilbert_keys(points)
    assert keys[3] == np.iinfo(np.int64).max
    assert len(set(keys[:3])) == 3


def test_synthetic_national_assets_follow_the_towns(tmp_path: Path) -> None:
    sites = read_projects("nhp")
    towns = town_centres()
    assert len(towns) > 300 and towns["lsoas"].sum() == 32_844
    folder = write_national_synth(tmp_path / "n", 20_000, sites=sites, chunk=5_000).folder
    assert pq.ParquetFile(folder / "assets.parquet").metadata.num_row_groups == 4
    assets = gpd.read_parquet(folder / "assets.parquet")
    located = assets.geometry.dropna().to_crs("EPSG:27700")
    smethwick = gpd.GeoSeries.from_xy([sites[0].lon], [sites[0].lat], crs=4326).to_crs(27700)
    share = float((located.distance(smethwick.iloc[0]) <= 5_000).mean())
    assert 0.001 < share < 0.05  # a catchment holds a small share, not an eighth
    london = gpd.GeoSeries.from_xy([-0.1276], [51.5072], crs=4326).to_crs(27700).iloc[0]
    assert float((located.distance(london) <= 30_000).mean()) > 0.08  # people live there


@pytest.fixture(scope="module")
def damaged_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose second asset file has a negative capacity and an id of the first file."""
    base = tmp_path_factory.mktemp("damaged")
    source = write_national_synth(
        base / "src", 3_000, sites=read_projects("nhp")[:3], chunk=1_000
    ).folder
    out = base / "store"
    build_store([source], out, rows_per_file=1_000)
    files = open_store(out).files("assets")
    first, second = gpd.read_parquet(files[0]), gpd.read_parquet(files[1])
    second = second.drop(columns=["bbox"], errors="ignore")
    second.loc[3, "id"] = first.loc[7, "id"]
    second.loc[9, "capacity"] = -5.0
    second.to_parquet(files[1], index=False, write_covering_bbox=True, row_group_size=200)
    return out


@pytest.mark.parametrize("workers", [None, 2])
def test_store_validation_by_partition_equals_validating_it_whole(
    damaged_store: Path, workers: int | None
) -> None:
    whole = [str(p) for p in validate_dataset(damaged_store).problems]
    rows = len(pd.read_parquet(open_store(damaged_store).files("assets")[0]))
    assert f"assets.parquet, row {rows + 5}, column id" in "\n".join(whole)
    assert f"assets.parquet, row {rows + 11}, column capacity" in "\n".join(whole)
    with executor(workers) as run:
        by_part = [str(p) for p in validate_store(damaged_store, run, batch_rows=300)]
    assert by_part == whole


def test_cli_store_validate_and_validate_of_a_store(damaged_store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["store", "validate", str(damaged_store)])
    assert result.exit_code == 1, result.output
    assert "is already used on row 9" in result.output
    result = runner.invoke(app, ["validate", str(damaged_store)])
    assert result.exit_code == 1 and "is already used on row 9" in result.output


def test_bench_national_reports_each_step(tmp_path: Path) -> None:
    steps = (
        "store_build",
        "catchment_read",
        "catalogue_plain_whole",
        "catalogue_store",
        "candidates_store",
    )
    results = bench_national([3_000], tmp_path, steps=steps, plain_max=1_000)
    by_step = {r.step: r for r in results}
    assert set(by_step) == set(steps)
    assert all(r.error is None for r in results), [r.error for r in results]
    assert by_step["store_build"].detail["files"] >= 1
    assert by_step["store_build"].peak_mb > 0
    assert (
        0
        <= by_step["catchment_read"].detail["median_s"]
        <= by_step["catchment_read"].detail["slowest_s"]
    )
    assert by_step["catchment_read"].detail["slowest_scheme"] in {
        p.id for p in read_projects("nhp")
    }
    assert by_step["catchment_read"].detail["slowest_cpu_s"] > 0
    assert by_step["catalogue_plain_whole"].detail["not_run"] == "needs ~0 GB"
    assert by_step["catalogue_store"].detail["assets"] > 0
    assert "load" in by_step["catalogue_store"].detail
    # candidates for every scheme, not only the first ones matched
    assert by_step["candidates_store"].detail["projects"] == len(read_projects("nhp"))
    assert by_step["candidates_store"].detail["candidates"] > 0
    table = write_results(results, tmp_path / "n.json").with_suffix(".md").read_text()
    assert "| 3,000 | catalogue_plain_whole | – | – |" in table


def _whole_file_reference(keys: list[Path]) -> tuple[list[tuple[str, int, int]], np.ndarray]:
    """The cross-row checks over whole arrays (every hash and id held at once)."""
    read = lambda c: pd.concat([pd.read_parquet(k, columns=[c]) for k in keys])[c].to_numpy()  # noqa: E731

    def firsts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = pd.Series(np.arange(len(values))).groupby(values).transform("min").to_numpy()
        return first != np.arange(len(values)), first

    dup, first_row = firsts(read("row_hash"))
    ids = read("id_hash")
    given = ids != pd.util.hash_array(np.array([""], dtype=object))[0]
    repeated, first_id = firsts(ids)
    repeated &= ~dup & given
    folded, first_fold = firsts(read("fold_hash"))
    lookalike = folded & ~(dup | repeated) & given
    found = [("duplicate_row", int(i) + 2, int(first_row[i]) + 2) for i in np.flatnonzero(dup)]
    for i in np.flatnonzero(repeated | lookalike):
        first = first_id[i] if repeated[i] else first_fold[i]
        found.append(("duplicate_id" if repeated[i] else "lookalike_id", i + 2, first + 2))
    return found, np.unique(ids[given & ~repeated & ~dup])


def test_cross_row_checks_a_key_file_at_a_time_equal_the_whole_file(tmp_path: Path) -> None:
    """Repeats found from one sorted hash column at a time: as over every row at once."""
    rng = np.random.default_rng(5)
    n = 3_000
    ids = np.array([f"a{i}" for i in rng.integers(0, 2_600, n)], dtype=object)
    ids[rng.integers(0, n, 40)] = ""  # rows without an id, some repeated
    rows = rng.integers(0, 2_900, n)  # repeated rows: the same id and row
    ids = np.where(rows < 200, "r" + rows.astype(str), ids)
    folded = np.char.lower(ids.astype(str)).astype(object)
    folded[::97] = "A" + folded[::97]  # ids that fold alike only here
    ids[::97] = "A" + ids[::97]
    ids[::193] = np.char.upper(ids[::193].astype(str))  # look-alikes of their folded twin
    folded[::193] = np.char.lower(ids[::193].astype(str))
    hashed = lambda v: pd.util.hash_array(np.asarray(v, dtype=object))  # noqa: E731
    frame = pd.DataFrame(
        {
            "row_hash": np.where(rows < 200, hashed(rows.astype(str)), hashed(np.arange(n))),
            "id_hash": hashed(ids),
            "fold_hash": hashed(folded),
            "id": ids,
        }
    )
    keys = []
    for i, first in enumerate(range(0, n, 700)):
        keys.append(tmp_path / f"keys-{i:05d}.parquet")
        frame.iloc[first : first + 700].to_parquet(keys[-1], index=False)
    problems, distinct = cross_row_problems("assets.csv", "assets", keys, "id")
    found = [(p["code"], p["row"], int(p["reason"].split("row ")[-1].split()[0])) for p in problems]
    want, want_distinct = _whole_file_reference(keys)
    assert {c for c, _, _ in want} == {"duplicate_row", "duplicate_id", "lookalike_id"}
    assert found == want
    np.testing.assert_array_equal(distinct, want_distinct)
    assert [p["value"] for p in problems if p["code"] == "duplicate_id"] == [
        ids[r - 2] for c, r, _ in want if c == "duplicate_id"
    ]


@pytest.mark.parametrize("as_dataset", [False, True])
def test_an_empty_table_in_a_source_leaves_no_partition(
    mini_copy: Path, tmp_path: Path, as_dataset: bool
) -> None:
    """A spend.csv with its header only (a real build with no spend): the store has no spend."""
    spend = mini_copy / "spend.csv"
    spend.write_text(spend.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    source = read_dataset(mini_copy) if as_dataset else mini_copy
    built = build_store([source], tmp_path / "store")
    assert "spend" not in built.store.partitions
    assert built.store.rows["assets"] == len(pd.read_csv(mini_copy / "assets.csv"))
    assert built.store.read_all("spend").empty


def test_group_batches_join_small_row_groups_and_cut_big_ones(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    with pq.ParquetWriter(path, pa.schema([("x", pa.int64())])) as writer:
        for n in (1_000, 1_000, 300, 2_500):
            writer.write_table(pa.table({"x": np.arange(n)}))
    meta = pq.ParquetFile(path).metadata
    assert group_batches(meta, 1_500) == [
        ((0,), 0, 0, -1),
        ((1, 2), 1_000, 0, -1),
        ((3,), 2_300, 0, 1_250),  # equal slices, none above 1,500 rows
        ((3,), 3_550, 1_250, 1_250),
    ]
    assert group_batches(meta, 10_000) == [((0, 1, 2, 3), 0, 0, -1)]
    sliced = [(b[2], b[3]) for b in group_batches(meta, 700) if b[0] == (3,)]
    assert sliced == [(0, 625), (625, 625), (1_250, 625), (1_875, 625)]


def test_read_raw_table_reads_a_slice_of_row_groups(bad_dataset: Path) -> None:
    entry = read_manifest(bad_dataset, ProblemLog()).files["assets"]
    whole = read_raw_table(bad_dataset, entry, ProblemLog(), row_groups=[1, 2])
    part = read_raw_table(bad_dataset, entry, ProblemLog(), row_groups=[1, 2], rows=(700, 900))
    assert whole is not None and part is not None and len(part.cells) == 900
    pd.testing.assert_frame_equal(
        part.cells.reset_index(drop=True), whole.cells.iloc[700:1_600].reset_index(drop=True)
    )


def test_merge_sorted_equals_sorting_the_pieces_together() -> None:
    rng = np.random.default_rng(2)
    pieces = []
    for i, n in enumerate((500, 1, 730, 0, 260)):
        keys = np.sort(rng.integers(0, 300, n))  # ties within and across pieces
        pieces.append(pa.table({KEY: keys, "piece": np.full(n, i), "row": np.arange(n)}))
    pieces = [p for p in pieces if p.num_rows]
    want = pa.concat_tables(pieces).sort_by(KEY)  # a stable sort: ties in piece order
    for rows in (1, 97, 200, 5_000):
        chunks = list(merge_sorted(pieces, rows))
        assert [c.num_rows for c in chunks[:-1]] == [rows] * (len(chunks) - 1)
        assert pa.concat_tables(chunks).equals(want)


def test_a_run_index_reads_only_the_row_groups_meeting_a_key_range(tmp_path: Path) -> None:
    keys = np.arange(0, 3_000, 3, dtype=np.int64)  # 1,000 sorted keys in 4 row groups
    table = pa.table({KEY: keys, "name": [f"row {i}" for i in range(len(keys))]})
    pq.write_table(table, tmp_path / "run.parquet", row_group_size=250)
    run = RunIndex.of(tmp_path / "run.parquet")
    assert run.ranges == ((0, 747), (750, 1_497), (1_500, 2_247), (2_250, 2_997))
    assert run.groups_meeting(700, 800) == [0, 1]
    assert run.groups_meeting(748, 750) == []  # between two groups' keys
    assert run.groups_meeting(2_997, None) == [3]
    assert run.groups_meeting(3_000, None) == []
    for lo, hi in ((700, 800), (0, None), (748, 750), (2_000, 2_001)):
        inside = (table[KEY].to_numpy() >= lo) & (hi is None or table[KEY].to_numpy() < hi)
        assert run.read(lo, hi).equals(table.filter(pa.array(inside)))


def test_batch_rows_follow_the_workers_memory_limit() -> None:
    assert batch_rows_for(None) == settings.STORE_BATCH_ROWS  # plain: no limit
    default = batch_rows_for(settings.STORE_WORKER_MEMORY_MB)
    assert settings.STORE_ROW_GROUP < default < settings.STORE_BATCH_ROWS
    assert batch_rows_for(2_000) == settings.STORE_BATCH_ROWS  # a 2 GB worker: the most
    assert batch_rows_for(500) == settings.STORE_ROW_GROUP  # never below a row group
    assert batch_rows_for(900) < default < batch_rows_for(1_100)


def test_batches_cut_inside_row_groups_report_the_same_problems(
    bad_dataset: Path, tmp_path: Path
) -> None:
    """Row groups of 1,000 assets read as slices of 334 (and spend by whole groups)."""
    expected = _stored_problems(bad_dataset)
    with pytest.raises(DatasetError) as raised:
        build_store([bad_dataset], tmp_path / "store", batch_rows=400)
    got = [str(p) for p in raised.value.problems]
    assert [p for p in got if ", row " in p] == [p for p in expected if ", row " in p]
    assert sorted(got) == sorted(expected)


def test_localcluster_sized_batches_write_the_same_store_byte_for_byte(tmp_path: Path) -> None:
    """Whole row groups plainly; slices of them on workers given a memory limit."""
    sites = read_projects("nhp")[:4]
    source = write_national_synth(tmp_path / "src", 4_000, sites=sites, chunk=1_000).folder
    build_store([source], tmp_path / "plain", batch_rows=1_000, rows_per_file=1_200)
    with executor(2, worker_memory_mb=800) as run:
        assert run.worker_memory_mb == pytest.approx(800)
        build_store([source], tmp_path / "dask", batch_rows=300, rows_per_file=1_200, run=run)
    plain, dask = open_store(tmp_path / "plain"), open_store(tmp_path / "dask")
    assert len(plain.files("assets")) == 4
    assert json.loads((tmp_path / "plain" / "store.json").read_text()) == json.loads(
        (tmp_path / "dask" / "store.json").read_text()
    )
    for table in ("assets", "spend"):
        for a, b in zip(plain.files(table), dask.files(table), strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name


def test_a_local_cluster_serves_the_dashboard_it_names() -> None:
    with executor(1, None) as run:
        assert run.describe().startswith("a local Dask cluster of 1 worker(s); dashboard http")
        assert run.dashboard is not None
        with urllib.request.urlopen(run.dashboard, timeout=20) as page:
            html = page.read().decode()
    assert "<title>Dask" in html and "needs bokeh" not in html
    with executor() as plain:
        assert plain.dashboard is None and plain.describe() == "plain geopandas, in this process"


def test_cli_store_build_on_workers_with_a_memory_limit(tmp_path: Path) -> None:
    source = write_national_synth(
        tmp_path / "src", 2_000, sites=read_projects("nhp")[:2], chunk=1_000
    ).folder
    out = tmp_path / "store"
    args = ["store", "build", str(source), "-o", str(out), "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--worker-memory", "800", "--batch-rows", "400"])
    assert result.exit_code == 0, result.output
    assert open_store(out).rows == {"assets": 2_000, "spend": 200}
    said = " ".join(result.output.split())
    assert "running on a local Dask cluster of 1 worker(s); dashboard http://" in said
    too_little = [
        "store",
        "build",
        str(source),
        "-o",
        str(tmp_path / "s2"),
        "--worker-memory",
        "50",
    ]
    result = CliRunner().invoke(app, too_little)
    assert result.exit_code == 2 and "worker-memory" in result.output  # a usage error
