"""Every default comes from cwb.settings: the manifest, MatchSettings, the CLI and the docs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

from typer.testing import CliRunner

from cwb import settings
from cwb.cli import app
from cwb.commons.matching import CommonsSettings
from cwb.dataset.init import init_dataset
from cwb.dataset.manifest import manifest_from_dict
from cwb.importers.duplicates import DuplicateRule
from cwb.matching.core import MatchSettings
from cwb.spend.load import SpendSettings

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _plain(text: str) -> str:
    """CLI output without rich's box drawing, on one line."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_manifest_defaults_are_the_settings() -> None:
    manifest = manifest_from_dict({"dataset": {"name": "x"}})
    assert manifest.bands_m == settings.BANDS_M
    assert manifest.max_outside_m == settings.MAX_OUTSIDE_M
    assert manifest.min_count == settings.MIN_COUNT


def test_match_settings_defaults_are_the_settings() -> None:
    ms = MatchSettings()
    assert ms.weights == dict(settings.MATCH_WEIGHTS)
    assert (ms.decay_m, ms.max_distance_m, ms.min_score) == (
        settings.DECAY_M,
        settings.MAX_DISTANCE_M,
        settings.MIN_SCORE,
    )
    assert (ms.top_k, ms.related_credit, ms.fuzzy_threshold) == (
        settings.TOP_K,
        settings.RELATED_CREDIT,
        settings.SKILL_FUZZY_THRESHOLD,
    )
    assert (ms.contracts_per_supplier, ms.max_consortium_size, ms.consortia_per_contract) == (
        settings.CONTRACTS_PER_SUPPLIER,
        settings.MAX_CONSORTIUM_SIZE,
        settings.CONSORTIA_PER_CONTRACT,
    )
    # an empty [matching] section gives the same settings
    assert MatchSettings.from_manifest({}) == ms


def test_commons_settings_defaults_are_the_settings() -> None:
    cs = CommonsSettings()
    assert dict(cs.weights) == dict(settings.COMMONS_WEIGHTS)
    assert dict(cs.owner_scores) == dict(settings.COMMONS_OWNER_SCORES)
    assert (cs.decay_m, cs.max_distance_m, cs.min_score) == (
        settings.COMMONS_DECAY_M,
        settings.COMMONS_MAX_DISTANCE_M,
        settings.COMMONS_MIN_SCORE,
    )
    assert CommonsSettings.from_manifest({}) == cs


def test_spend_and_duplicate_defaults_are_the_settings() -> None:
    spend = SpendSettings()
    assert spend.register_fuzzy_threshold == settings.REGISTER_FUZZY_THRESHOLD
    assert spend.default_local_respend == settings.LOCAL_RESPEND
    assert spend.deprived_max == settings.DEPRIVED_MAX
    assert spend.year_start_month == settings.YEAR_START_MONTH
    assert spend.top == settings.SPEND_TOP
    rule = DuplicateRule()
    assert (rule.max_distance_m, rule.min_similarity) == (
        settings.DUPLICATE_DISTANCE_M,
        settings.DUPLICATE_SIMILARITY,
    )


def test_init_template_writes_the_settings(tmp_path: Path) -> None:
    folder = tmp_path / "blank"
    init_dataset(folder)
    text = (folder / "dataset.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    assert tuple(float(b) for b in raw["catchment"]["bands_m"]) == settings.BANDS_M
    assert raw["catchment"]["max_outside_m"] == settings.MAX_OUTSIDE_M
    assert raw["privacy"]["min_count"] == settings.MIN_COUNT
    # the commented [matching] block parses back to the defaults when uncommented
    block = text.split("# [matching]\n", 1)[1].split("\n\n", 1)[0]
    matching = tomllib.loads(re.sub(r"^# ", "", block, flags=re.M))
    assert MatchSettings.from_manifest(matching) == MatchSettings()


def test_cli_help_shows_the_settings() -> None:
    result = runner.invoke(app, ["match", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = _plain(result.output)
    assert f"else {settings.TOP_K}." in text
    assert f"else {settings.MIN_SCORE:g}." in text
    result = runner.invoke(app, ["stale", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert f"[default: {settings.STALE_MONTHS}]" in _plain(result.output)
    result = runner.invoke(app, ["import", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert f"[default: {settings.DUPLICATE_DISTANCE_M}]" in _plain(result.output)


def _readme_block(text: str, header: str) -> dict:
    """The TOML block of the README that starts with ``header``, parsed (comments dropped)."""
    found = re.search(r"^( *)```toml\n\1" + re.escape(header) + r"\n(.*?)^\1```", text, re.M | re.S)
    assert found, f"no TOML block starting with {header} in the README"
    indent = len(found.group(1))
    body = "\n".join(line[indent:] for line in found.group(2).splitlines())
    return tomllib.loads(header + "\n" + body)


def test_readme_quotes_the_settings() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    matching = _readme_block(text, "[matching]")["matching"]
    assert matching["weights"] == dict(settings.MATCH_WEIGHTS)
    assert matching["decay_m"] == settings.DECAY_M
    assert matching["max_distance_m"] == settings.MAX_DISTANCE_M
    assert matching["min_score"] == settings.MIN_SCORE
    assert matching["top_k"] == settings.TOP_K
    assert matching["related_credit"] == settings.RELATED_CREDIT
    assert matching["contracts_per_supplier"] == settings.CONTRACTS_PER_SUPPLIER
    spend = _readme_block(text, "[spend]")["spend"]
    assert spend["deprived_max"] == settings.DEPRIVED_MAX
    assert spend["default_local_respend"] == settings.LOCAL_RESPEND
    assert spend["register_fuzzy_threshold"] == settings.REGISTER_FUZZY_THRESHOLD
    commons = _readme_block(text, "[commons]")["commons"]
    assert commons["weights"] == dict(settings.COMMONS_WEIGHTS)
    assert commons["owner_scores"] == dict(settings.COMMONS_OWNER_SCORES)
    assert (commons["decay_m"], commons["max_distance_m"], commons["min_score"]) == (
        settings.COMMONS_DECAY_M,
        settings.COMMONS_MAX_DISTANCE_M,
        settings.COMMONS_MIN_SCORE,
    )
    flat = " ".join(text.split())
    assert f"`[catchment] max_outside_m`, default {settings.MAX_OUTSIDE_M / 1000:g} km" in flat
    assert f"`[privacy] min_count` (default {settings.MIN_COUNT})" in flat


def test_data_readme_quotes_the_settings() -> None:
    text = " ".join((ROOT / "data" / "README.md").read_text(encoding="utf-8").split())
    km = [f"{b / 1000:g}" for b in settings.BANDS_M]
    bands = ", ".join(km[:-1]) + " and " + km[-1]
    assert f"catchment bands {bands} km, privacy threshold {settings.MIN_COUNT}" in text
    assert f"(`min_count = {settings.MIN_COUNT}`)" in text


def test_settings_import_nothing_heavy() -> None:
    code = (
        "import sys, importlib.util;"
        "spec = importlib.util.spec_from_file_location('s', 'cwb/settings.py');"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        "print(sorted(k for k in ('pandas', 'geopandas', 'numpy') if k in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_match_setting_has_a_documented_default() -> None:
    doc = MatchSettings.__doc__ or ""
    assert all(f.name in doc for f in fields(MatchSettings))
