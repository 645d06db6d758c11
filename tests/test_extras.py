"""Optional extras: a feature whose extra is missing names the pip command (library and CLI).

A missing module is simulated by ``sys.modules[name] = None`` (and the same for its
submodules already imported), which makes ``import name`` raise ImportError.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cwb.bench.maps import chromium
from cwb.cli import app
from cwb.errors import CwbError, MissingDependencyError
from cwb.importers.ocds import import_ocds
from cwb.importers.ocds_schema import _rules_resolve, core_schema
from cwb.importers.threesixtygiving import import_360giving
from cwb.national import executor as national_executor

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GRANTS_CSV = TESTS / "data" / "importers" / "grants_small.csv"
runner = CliRunner()


def hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` fail for each name (and its submodules) for one test."""
    for name in names:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.setitem(sys.modules, loaded, None)
        monkeypatch.setitem(sys.modules, name, None)


def ocds_package(folder: Path) -> Path:
    """A release package with one tender release (it must be compiled)."""
    release = {
        "ocid": "ocds-test-001",
        "id": "r1",
        "date": "2024-01-01T00:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {"id": "t1", "title": "Catering", "value": {"amount": 1000}},
    }
    path = folder / "package.json"
    path.write_text(json.dumps({"uri": "x", "version": "1.1", "releases": [release]}))
    return path


def ocds_spreadsheet(folder: Path) -> Path:
    """An OCDS spreadsheet with path headers."""
    path = folder / "releases.xlsx"
    pd.DataFrame(
        [{"ocid": "ocds-test-001", "id": "r1", "date": "2024-01-01", "tag": "tender"}]
    ).to_excel(path, index=False)
    return path


OCDS_CASES = [
    pytest.param(("ocdskit",), ocds_package, id="ocdskit"),
    pytest.param(("ocdsmerge", "ocdskit"), ocds_package, id="ocdsmerge"),
    pytest.param(("json_merge_patch",), ocds_package, id="json_merge_patch"),
    pytest.param(("ocdsextensionregistry",), ocds_package, id="ocdsextensionregistry"),
    pytest.param(("flattentool",), ocds_spreadsheet, id="flattentool"),
]


def test_the_error_is_a_cwb_error_and_an_import_error():
    exc = MissingDependencyError.for_extra("ocds", "importing OCDS")
    assert isinstance(exc, CwbError) and isinstance(exc, ImportError)
    assert str(exc).endswith("pip install 'cwb[ocds]'")


@pytest.mark.parametrize("hidden, make_input", OCDS_CASES)
def test_ocds_without_its_extra(monkeypatch, tmp_path, hidden, make_input):
    source = make_input(tmp_path)
    hide(monkeypatch, *hidden)
    with pytest.raises(MissingDependencyError, match=r"pip install 'cwb\[ocds\]'$"):
        import_ocds(source, project="hosp")


@pytest.mark.parametrize("hidden, make_input", OCDS_CASES)
def test_cli_ocds_without_its_extra_exits_2(monkeypatch, tmp_path, mini_copy, hidden, make_input):
    source = make_input(tmp_path)
    hide(monkeypatch, *hidden)
    result = runner.invoke(
        app, ["import", "ocds", str(source), "--into", str(mini_copy), "--project", "hosp"]
    )
    assert result.exit_code == 2, result.output
    assert "missing dependency" in result.output
    assert "pip install 'cwb[ocds]'" in result.output


def test_extension_merge_rules_without_ocdsmerge(monkeypatch):
    hide(monkeypatch, "ocdsmerge")
    with pytest.raises(MissingDependencyError, match=r"pip install 'cwb\[ocds\]'$"):
        _rules_resolve(core_schema())


def test_360giving_spreadsheet_without_its_extra(monkeypatch):
    hide(monkeypatch, "flattentool")
    with pytest.raises(MissingDependencyError, match=r"pip install 'cwb\[360giving\]'$"):
        import_360giving(GRANTS_CSV)


def test_360giving_json_needs_no_extra(monkeypatch):
    hide(monkeypatch, "flattentool")
    result = import_360giving(GRANTS_CSV.with_suffix(".json"))
    assert result.read > 0


def test_cli_360giving_without_its_extra_exits_2(monkeypatch, mini_copy):
    hide(monkeypatch, "flattentool")
    result = runner.invoke(app, ["import", "360giving", str(GRANTS_CSV), "--into", str(mini_copy)])
    assert result.exit_code == 2, result.output
    assert "pip install 'cwb[360giving]'" in result.output


def test_bench_browser_without_its_extra(monkeypatch):
    hide(monkeypatch, "playwright")
    with (
        pytest.raises(MissingDependencyError, match=r"pip install 'cwb\[bench\]'$"),
        chromium(Path(sys.executable)),
    ):
        pass


def test_extras_in_pyproject():
    """The light install leaves the heavy importer dependencies to their extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    for heavy in ("ocdskit", "ocdsmerge", "flattentool", "playwright", "dask", "distributed"):
        assert heavy not in base
    assert any(d.startswith("ocdskit") for d in extras["ocds"])
    assert any(d.startswith("flattentool") for d in extras["360giving"])
    assert extras["all"] == ["cwb[ocds,360giving,bench,national]"]
    assert any(d.startswith("dask-geopandas") for d in extras["national"])
    assert "cwb[all]" in extras["test"]
    # the dev tools are pinned exactly so CI does not change under us
    tools = [d for d in extras["test"] if not d.startswith("cwb[")]
    assert tools and all("==" in d for d in tools)


def test_national_dask_without_its_extra(monkeypatch):
    hide(monkeypatch, "distributed")
    with (
        pytest.raises(MissingDependencyError, match=r"pip install 'cwb\[national\]'$"),
        national_executor(workers=1),
    ):
        pass
