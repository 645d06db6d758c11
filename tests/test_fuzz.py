"""Fuzzing the readers (issue 11, item 7): hostile files raise only cwb's own errors.

The strategies live in :mod:`cwb.bench.fuzz` (``cwb bench --stages fuzz`` runs thousands
of cases). Here a short, derandomised profile runs a few dozen cases per kind of file
through :func:`cwb.read_dataset` and ``cwb validate``: anything but a
:class:`cwb.errors.CwbError` fails the test. Cases the fuzzer once crashed on are kept
below as plain example tests.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from cwb.bench.fuzz import STRATEGIES, FuzzCase, outcome, run_fuzz, write_case
from cwb.cli.app import app
from cwb.dataset import read_dataset
from cwb.errors import CwbError, DatasetError

#: The suite's profile: ~30 derandomised cases per kind of file (CWB_FUZZ_EXAMPLES overrides).
settings.register_profile(
    "cwb-fuzz-ci",
    max_examples=int(os.environ.get("CWB_FUZZ_EXAMPLES", "30")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("cwb-fuzz-ci")


def _read(case: FuzzCase) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_case(case, Path(tmp))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                read_dataset(folder)
            except CwbError:
                pass


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
def test_reading_hostile_files_raises_only_cwb_errors(kind: str) -> None:
    @FUZZ
    @given(case=STRATEGIES[kind]())
    def check(case: FuzzCase) -> None:
        _read(case)

    check()


@settings(FUZZ, max_examples=max(5, FUZZ.max_examples // 3))
@given(case=st.one_of(*(make() for make in STRATEGIES.values())))
def test_cwb_validate_on_hostile_files_exits_cleanly(case: FuzzCase) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_case(case, Path(tmp))
        result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


# --- cases the fuzzer found, kept as examples ------------------------------------------


def _xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "kind", "category", "lat", "lon"])
    sheet.append(["A9", "Formula", "physical", "library", "=1/0", "=A1+"])
    sheet.merge_cells("A3:C4")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _problems(case: FuzzCase, tmp_path: Path) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        read_dataset(write_case(case, tmp_path))
    return [str(p) for p in caught.value.errors]


def test_a_truncated_workbook_is_a_clean_dataset_error(tmp_path: Path) -> None:
    data = _xlsx_bytes()
    for cut in (len(data) // 2, 300, 30):
        folder = tmp_path / str(cut)
        problems = _problems(FuzzCase("xlsx", "assets", "assets.xlsx", data[:cut]), folder)
        # the zip check names it "not an Excel .xlsx workbook", the reader "could not be read as
        # an Excel workbook": either way the file, what it is not, and how to fix it
        assert any(
            p.startswith("assets.xlsx: ") and "Excel" in p and "save it" in p for p in problems
        ), problems


def test_a_workbook_with_a_flipped_byte_is_a_clean_dataset_error(tmp_path: Path) -> None:
    data = bytearray(_xlsx_bytes())
    data[40] ^= 0xFF  # inside the first part's compressed data
    name, exc = outcome(FuzzCase("xlsx", "assets", "assets.xlsx", bytes(data)), tmp_path)
    assert exc is None and name in ("DatasetError", "ok"), (name, exc)


def _with_sheet_text(data: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with ``old`` replaced by ``new`` in its first sheet's XML."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            part = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(old, new)
            target.writestr(item, part)
    return out.getvalue()


def test_a_number_cell_of_1e999_is_a_clean_dataset_error(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "kind", "category", "lat", "lon"])
    sheet.append(["A9", "Infinite", "physical", "library", 12345.5, -1.95])
    buffer = io.BytesIO()
    book.save(buffer)
    data = _with_sheet_text(buffer.getvalue(), b"12345.5", b"1e999")
    problems = _problems(FuzzCase("xlsx", "assets", "assets.xlsx", data), tmp_path)
    assert any(p.startswith("assets.xlsx: could not be read") for p in problems), problems


@pytest.mark.parametrize("value", ["1979-05-27", "[1, 2]"])
def test_a_min_count_of_the_wrong_type_is_a_clean_dataset_error(tmp_path: Path, value: str) -> None:
    """Found by the fuzzer (seeds 10 and 11); the manifest schema reports it."""
    manifest = (
        '[dataset]\nname = "x"\n[[projects]]\nid = "p"\nname = "P"\nlat = 52.49\n'
        f'lon = -1.95\n[privacy]\nmin_count = {value}\n[files]\nassets = "assets.csv"\n'
    )
    case = FuzzCase("toml", "manifest", "dataset.toml", manifest.encode())
    name, exc = outcome(case, tmp_path)
    if exc is not None:
        raise exc
    assert name == "DatasetError"


def test_formulas_without_cached_values_are_errors_naming_the_cell(tmp_path: Path) -> None:
    case = FuzzCase("xlsx", "assets", "assets.xlsx", _xlsx_bytes())
    problems = _problems(case, tmp_path)
    # a formula with no saved value is an error, never read as an empty cell (a guess)
    for column in ("lat", "lon"):
        assert any(
            p.startswith(f"assets.xlsx, row 2, column {column}: formula") and "no saved value" in p
            for p in problems
        ), problems


def test_the_base_dataset_of_the_fuzzer_is_valid(tmp_path: Path) -> None:
    """Each case damages one file of a valid dataset (so the other checks run too)."""
    assets = b"id,name,kind,category,lat,lon\r\nA1,Library,physical,library,52.49,-1.95\r\n"
    folder = write_case(FuzzCase("csv", "assets", "assets.csv", assets), tmp_path)
    ds = read_dataset(folder)
    assert ds.assets["id"].tolist() == ["A1"] and len(ds.areas) == 2


def test_the_bench_run_counts_every_case_by_outcome(tmp_path: Path) -> None:
    report = run_fuzz(8, seed=3, scratch=tmp_path)
    assert report.cases == 8 == sum(report.outcomes.values())
    assert set(report.by_kind) == set(STRATEGIES)
    assert report.non_cwb == 0, report.crashes
    assert set(report.to_dict()) >= {"cases", "non_cwb_errors", "outcomes", "by_kind"}


def test_the_bench_stage_runs_once_at_the_first_size(tmp_path: Path) -> None:
    from cwb.bench.harness import BenchContext, execute_stage  # noqa: PLC0415 - the bench

    params = {"fuzz_cases": 4, "sizes": [10, 20], "seed": 1}
    first = execute_stage("fuzz", BenchContext(tmp_path, tmp_path / "a", 10, params))
    assert first.ok and first.detail["cases"] == 4, first
    assert first.detail["non_cwb_errors"] == 0 and sum(first.detail["outcomes"].values()) == 4
    later = execute_stage("fuzz", BenchContext(tmp_path, tmp_path / "b", 20, params))
    assert later.ok and later.detail["cases"] == 0
