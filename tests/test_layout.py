"""The package layout: import contracts kept, sub-packages documented, the top level lazy."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cwb

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "geopandas", "shapely", "folium", "networkx", "scipy", "matplotlib")


def _subpackages() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(cwb.__path__, "cwb.") if m.ispkg)


def _modules_imported_by(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(done.stdout.split())


def test_import_contracts_are_kept() -> None:
    """The layers and the CLI's protection in pyproject's [tool.importlinter] hold."""
    linter = Path(sys.executable).with_name("lint-imports")
    command = [str(linter)] if linter.exists() else ["lint-imports"]
    done = subprocess.run(
        [*command, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_layers_contract_names_every_package_and_top_module() -> None:
    """A new sub-package or top-level module must be given a place in the layers."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text[text.index('type = "layers"') :]
    block = block[: block.index("]")]
    listed = set(re.findall(r"cwb\.[a-z_]+", block))
    top = {
        f"cwb.{m.name}" for m in pkgutil.iter_modules(cwb.__path__) if m.name not in {"__main__"}
    }
    assert top - listed == set()


@pytest.mark.parametrize("name", _subpackages())
def test_subpackage_has_docstring_and_all(name: str) -> None:
    package = importlib.import_module(name)
    doc = package.__doc__ or ""
    assert doc.strip() and "TODO" not in doc, f"{name} has no docstring"
    modules = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name != "__main__"]
    missing = [m for m in modules if f"``{m}``" not in doc]
    assert not missing, f"{name}'s docstring does not describe {missing}"
    names = getattr(package, "__all__", None)
    assert names, f"{name} has no __all__"
    assert len(set(names)) == len(names)
    unresolved = [n for n in names if not hasattr(package, n)]
    assert not unresolved, f"{name}.__all__ names {unresolved}, which do not resolve"


def test_top_level_api_resolves_and_is_listed() -> None:
    assert "__version__" in cwb.__all__
    for name in cwb.__all__:
        assert getattr(cwb, name) is not None, name
    assert set(cwb.__all__) <= set(dir(cwb))
    with pytest.raises(AttributeError):
        cwb.no_such_name  # noqa: B018


def test_the_top_level_imports_lazily() -> None:
    """``import cwb``, ``cwb.errors`` and ``cwb.cli`` load none of the heavy libraries."""
    loaded = _modules_imported_by("import cwb, cwb.errors, cwb.cli")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert "geopandas" in _modules_imported_by("import cwb; cwb.read_dataset")


def test_version_is_read_without_the_library() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwb", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and cwb.__version__ in done.stdout
