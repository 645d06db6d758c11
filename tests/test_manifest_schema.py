"""The manifest schema: key lists agree with the stages that read them; flags round-trip."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from cwb.commons.matching import CommonsSettings
from cwb.dataset import _manifest_schema as schema
from cwb.dataset.manifest import ReadLimits, leads_outside, manifest_from_dict
from cwb.errors import ProblemLog
from cwb.matching.model import MatchSettings
from cwb.spend.load import _SETTING_NAMES


def test_stage_keys_match_the_stages() -> None:
    assert set(schema.SPEND_KEYS) == set(_SETTING_NAMES)
    match_fields = {f.name for f in dataclasses.fields(MatchSettings)}
    assert set(schema.MatchingSection.model_fields) == match_fields | {"vocabulary"}
    commons_fields = {f.name for f in dataclasses.fields(CommonsSettings)}
    assert set(schema.CommonsSection.model_fields) == commons_fields


def test_flags_and_limits_round_trip() -> None:
    raw = {
        "dataset": {"name": "x", "allow_outside": True},
        "projects": [{"id": "p", "name": "P", "lat": 52.0, "lon": -1.0, "opened": "2024-01-02"}],
        "privacy": {"min_count": 1, "allow_small_groups": True},
        "limits": {"max_columns": 50},
    }
    log = ProblemLog()
    manifest = manifest_from_dict(raw, log)
    assert manifest.allow_outside and manifest.allow_small_groups
    assert manifest.limits == ReadLimits(max_columns=50)
    assert [p.code for p in log.problems] == ["small_groups"]
    assert log.problems[0].severity == "warning"
    again = manifest_from_dict(tomllib.loads(manifest.to_toml()), ProblemLog())
    assert again.limits == manifest.limits and again.allow_small_groups and again.allow_outside
    assert again.projects[0].opened == "2024-01-02"


def test_a_bad_key_keeps_the_others() -> None:
    log = ProblemLog()
    manifest = manifest_from_dict(
        {"catchment": {"bands_m": "abc", "max_outside_m": 500}, "privacy": {"min_count": 7}}, log
    )
    assert manifest.max_outside_m == 500 and manifest.min_count == 7
    assert manifest.bands_m == tuple(schema.CatchmentSection().bands_m)
    assert [p.column for p in log.problems if p.code == "invalid"] == ["catchment.bands_m"]


def test_toml_dates_are_accepted() -> None:
    raw = tomllib.loads('[[projects]]\nid = "p"\nlat = 1\nlon = 2\nopened = 2024-10-06\n')
    log = ProblemLog()
    assert manifest_from_dict(raw, log).projects[0].opened == "2024-10-06"
    assert not log.has_errors


def test_leads_outside(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "ds" / "link").symlink_to(tmp_path / "other")
    assert not leads_outside(tmp_path / "ds", "a.csv")
    assert not leads_outside(tmp_path / "ds", "sub/../a.csv")
    assert leads_outside(tmp_path / "ds", "../a.csv")
    assert leads_outside(tmp_path / "ds", "/etc/passwd")
    assert leads_outside(tmp_path / "ds", "link/a.csv")  # symlinks are followed


def test_a_table_path_with_a_nul_is_an_error_naming_the_key(tmp_path) -> None:
    """Found by the fuzzer (2,000-case run): a NUL in a path crashed the inside-the-folder check."""
    log = ProblemLog()
    raw = {
        "dataset": {"name": "x"},
        "projects": [{"id": "p", "name": "P", "lat": 52.49, "lon": -1.95}],
        "files": {"spend": "\x00", "postcodes": {"path": "a\x00b.csv"}},
    }
    manifest = manifest_from_dict(raw, log)
    keys = {p.column for p in log.problems if "control character" in p.reason}
    assert keys == {"files.spend", "files.postcodes"}
    assert "spend" not in manifest.files and "postcodes" not in manifest.files
