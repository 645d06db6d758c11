"""Compare scenarios: one dataset matched under different settings.

A researcher changes the matching weights (or the distances, thresholds,
consortium sizes, or the weights of place-to-group matching) and wants to see what
moves. The baseline is the dataset's own ``[matching]`` and ``[commons]`` sections;
each scenario is a small TOML file whose sections change some of them, for example::

    # skills_first.toml
    [matching.weights]
    skills = 0.6
    distance = 0.1

    [commons.weights]
    ownership = 0.5

:func:`compare_scenarios` runs matching, allocation, consortia and gaps once per
scenario, and place matching (:mod:`cwb.commons`) when the dataset has needs, and lines
up the headline figures (:mod:`cwb.matching.impact`, :class:`cwb.commons.CommonsFigures`),
the local take-up of each opportunity and the settings that differ. Residents appear only
in the aggregate figures, as everywhere in cwb.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from cwb.commons.matching import CommonsSettings, match_places
from cwb.commons.pacts import commons_figures
from cwb.dataset.io import read_dataset
from cwb.dataset.model import Dataset
from cwb.errors import UsageError
from cwb.matching.core import MatchSettings, match_dataset, write_csv
from cwb.matching.impact import FIGURE_LABELS, impact_figures
from cwb.progress import track

log = logging.getLogger(__name__)

BASELINE = "baseline"


@dataclass(frozen=True)
class Scenario:
    """A named set of matching (and place matching) settings and where they came from."""

    name: str
    settings: MatchSettings
    source: str
    commons: CommonsSettings = field(default_factory=CommonsSettings)


#: The place-matching figures of a scenario (when the dataset has needs), by label.
COMMONS_FIGURE_LABELS: dict[str, str] = {
    "commons_groups_placed": "groups given all the sessions they asked (place matching)",
    "commons_groups_partly_placed": "groups given some of their sessions",
    "commons_groups_unplaced": "groups no place fits",
    "commons_sessions": "sessions a week booked in under-used places",
    "commons_places_unused": "places left unused",
}


@dataclass
class ScenarioComparison:
    """Scenarios side by side; each ``change_<name>`` column is that scenario minus the first.

    Attributes
    ----------
    scenarios
        Scenario names, the baseline first.
    figures
        One row per headline figure: ``figure``, ``label``, a column per scenario
        and a ``change_<name>`` column per scenario after the first.
    opportunities
        One row per opportunity: ``opportunity_id``, ``project``, ``type``,
        ``title``, ``demand``, the units filled locally in each scenario and the changes.
    settings
        The settings that differ between scenarios: ``setting`` and a column per scenario.
    """

    scenarios: list[str]
    figures: pd.DataFrame
    opportunities: pd.DataFrame
    settings: pd.DataFrame


def scenario_from_toml(
    path: str | Path, base: MatchSettings, base_commons: CommonsSettings | None = None
) -> Scenario:
    """A scenario from a TOML file whose ``[matching]`` section changes ``base``.

    Keys of ``[matching]`` may also sit at the top level of the file. A ``[commons]``
    section changes ``base_commons`` (place matching). ``weights`` are merged component
    by component, so a file may change one weight only.

    Raises
    ------
    UsageError
        When the file cannot be read, is not TOML, or names an unknown setting.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the scenario file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    base_commons = base_commons or CommonsSettings()
    commons = base_commons
    if "commons" in data:
        if not isinstance(data["commons"], dict):
            raise UsageError(f"{path}: [commons] must be a table of settings")
        commons = _commons_changed(path, base_commons, data.pop("commons"))
    section = data.get("matching", data)
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [matching] must be a table of settings")
    known = {f.name for f in fields(MatchSettings)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise UsageError(
            f"{path}: unknown matching setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    changes = dict(section)
    if "weights" in changes:
        if not isinstance(changes["weights"], dict):
            raise UsageError(f"{path}: [matching.weights] must be a table of component = weight")
        changes["weights"] = {**base.weights, **changes["weights"]}
    try:
        settings = base.with_(**changes)
    except (TypeError, ValueError, UsageError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    return Scenario(path.stem, settings, str(path), commons)


def _commons_changed(path: Path, base: CommonsSettings, changes: dict[str, Any]) -> CommonsSettings:
    """``base`` with a scenario's ``[commons]`` changes (weights merged part by part)."""
    merged = {
        "weights": {**base.weights, **changes.pop("weights", {})},
        "owner_scores": {**base.owner_scores, **changes.pop("owner_scores", {})},
        "decay_m": base.decay_m,
        "max_distance_m": base.max_distance_m,
        "min_score": base.min_score,
        **changes,
    }
    try:
        return CommonsSettings.from_manifest(merged)
    except (TypeError, ValueError, UsageError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def compare_scenarios(
    ds: Dataset, scenarios: Sequence[Scenario], *, project: str | None = None
) -> ScenarioComparison:
    """Match ``ds`` under each scenario and line up the results (the first is the reference)."""
    if not scenarios:
        raise UsageError("compare: give at least one scenario")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise UsageError(f"compare: scenario names must differ, got {', '.join(names)}")
    figures: dict[str, dict[str, float]] = {}
    has_needs = ds.needs is not None and len(ds.needs) > 0
    labels = dict(FIGURE_LABELS) | (COMMONS_FIGURE_LABELS if has_needs else {})
    filled: dict[str, pd.Series] = {}
    demand = pd.DataFrame()
    for scenario in track(scenarios, "cwb compare: matching each scenario"):
        log.info("scenario %s (%s)", scenario.name, scenario.source)
        result = match_dataset(ds, settings=scenario.settings, project=project)
        figures[scenario.name] = impact_figures(ds, result).as_dict()
        if has_needs:
            figures[scenario.name] |= _commons_figures(ds, scenario.commons)
        table = result.allocation.demand
        filled[scenario.name] = table.set_index("opportunity_id")["filled"]
        if demand.empty:
            demand = table[["opportunity_id", "project", "type", "title", "demand"]]
    return ScenarioComparison(
        scenarios=names,
        figures=_with_changes(
            pd.DataFrame(
                {"figure": list(labels), "label": list(labels.values())}
                | {name: [figs[f] for f in labels] for name, figs in figures.items()}
            ),
            names,
        ),
        opportunities=_with_changes(
            demand.assign(
                **{
                    name: demand["opportunity_id"].map(series).fillna(0).astype(int).to_numpy()
                    for name, series in filled.items()
                }
            ).reset_index(drop=True),
            names,
        ),
        settings=_settings_that_differ(scenarios),
    )


def _commons_figures(ds: Dataset, settings: CommonsSettings) -> dict[str, float]:
    """The place-matching figures of one scenario (:data:`COMMONS_FIGURE_LABELS`)."""
    figures = commons_figures(ds, match_places(ds, settings))
    return {
        "commons_groups_placed": figures.groups_placed,
        "commons_groups_partly_placed": figures.groups_partly_placed,
        "commons_groups_unplaced": figures.groups_unplaced,
        "commons_sessions": figures.proposed_bookings,
        "commons_places_unused": figures.places_unused,
    }


def _with_changes(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Add ``change_<name>`` (name minus the first scenario) for every later scenario."""
    for name in names[1:]:
        table[f"change_{name}"] = table[name] - table[names[0]]
    return table


def _settings_that_differ(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    flat: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        values = asdict(scenario.settings)
        weights = values.pop("weights")
        values.update({f"weights.{k}": v for k, v in weights.items()})
        commons = asdict(scenario.commons)
        for group in ("weights", "owner_scores"):
            values.update({f"commons.{group}.{k}": v for k, v in commons.pop(group).items()})
        values.update({f"commons.{k}": v for k, v in commons.items()})
        flat[scenario.name] = values
    keys = list(next(iter(flat.values())))
    rows = [
        {"setting": key, **{name: values[key] for name, values in flat.items()}}
        for key in keys
        if len({repr(values[key]) for values in flat.values()}) > 1
    ]
    return pd.DataFrame(rows, columns=["setting", *flat])


def run_compare(
    path: str | Path,
    scenario_files: Sequence[str | Path],
    *,
    output: str | Path | None = None,
    opportunities_output: str | Path | None = None,
    project: str | None = None,
) -> ScenarioComparison:
    """Read a dataset, compare its baseline with each scenario file, write the tables (CSV).

    This is ``cwb compare``. ``output`` gets the figures table,
    ``opportunities_output`` the per-opportunity table.
    """
    ds = read_dataset(path)
    base = MatchSettings.for_dataset(ds)
    base_commons = CommonsSettings.from_manifest(ds.manifest.settings.get("commons"))
    scenarios = [Scenario(BASELINE, base, "dataset.toml", base_commons)]
    scenarios += [scenario_from_toml(file, base, base_commons) for file in scenario_files]
    comparison = compare_scenarios(ds, scenarios, project=project)
    if output is not None:
        write_csv(comparison.figures, output)
    if opportunities_output is not None:
        write_csv(comparison.opportunities, opportunities_output)
    return comparison
