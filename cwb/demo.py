"""``cwb demo``: run every stage on the bundled Birmingham dataset and write the outputs.

Each stage module contributes one step: a function ``(run: DemoRun) -> list[Path]``
returning the files it wrote. Steps run in order; a step's failure is reported
and the others still run. Work that several steps need (matching) is done once,
on the :class:`DemoRun` they share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cwb.dataset.model import Dataset
from cwb.progress import track

if TYPE_CHECKING:
    from cwb.matching.core import MatchResult


@dataclass
class DemoRun:
    """One ``cwb demo`` run: the dataset, the output folder and the results steps share."""

    dataset: Dataset
    out_dir: Path

    @cached_property
    def match_result(self) -> MatchResult:
        """Matching, allocation, consortia and gaps of the dataset, computed once per run."""
        from cwb.matching.core import match_dataset

        return match_dataset(self.dataset)


DemoStep = Callable[[DemoRun], list[Path]]


@dataclass(frozen=True)
class StepResult:
    """What one demo step did."""

    name: str
    written: list[Path]
    error: str | None = None


def demo_dataset_path() -> Path:
    """Folder of the bundled Birmingham dataset (installed copy first, then the source tree)."""
    from importlib import resources

    try:
        packaged = Path(str(resources.files("cwb") / "_data" / "birmingham"))
        if (packaged / "dataset.toml").exists():
            return packaged
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - depends on install
        pass
    source = Path(__file__).resolve().parents[1] / "data" / "birmingham"
    if (source / "dataset.toml").exists():
        return source
    from cwb.errors import UsageError

    raise UsageError("the bundled Birmingham dataset was not found; reinstall cwb")


def _steps() -> list[tuple[str, DemoStep]]:
    """The demo steps in order. Each later stage adds its line here."""
    from cwb.commons.pacts import demo_step as commons_step
    from cwb.dataset.catalogue import demo_step as catalogue_step
    from cwb.graph.io import demo_step as graph_step
    from cwb.matching.core import demo_step as matching_step
    from cwb.report import demo_step as report_step
    from cwb.spend.analysis import demo_step as spend_step

    return [
        ("catalogue", catalogue_step),
        ("matching", matching_step),
        ("spend", spend_step),
        ("community use of places", commons_step),
        ("graph", graph_step),
        ("map and report", report_step),
    ]


def run_demo(out_dir: Path, dataset_path: Path | None = None) -> list[StepResult]:
    """Read and validate the dataset, then run every demo step into ``out_dir``."""
    from cwb.dataset.io import read_dataset

    ds = read_dataset(dataset_path or demo_dataset_path())
    out_dir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(ds, out_dir)
    results: list[StepResult] = []
    for name, step in track(_steps(), "cwb demo: running each stage"):
        try:
            results.append(StepResult(name, step(run)))
        except Exception as exc:  # noqa: BLE001 - reported to the user, other steps go on
            results.append(StepResult(name, [], f"{type(exc).__name__}: {exc}"))
    return results
