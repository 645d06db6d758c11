"""Every broken dataset of the corpus fails cleanly through the CLI: exit code, message.

The cases live in ``tests/broken_corpus.py``; each builds a small dataset in
``tmp_path`` from the mini dataset, breaks one thing, runs the command in-process
and checks the exit code (1 errors, 2 usage errors, 0 accepted with a named
warning) and the words of the message (file, row, column and reason).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from broken_corpus import CASES, Case, build
from typer.testing import CliRunner

from cwb.cli import app

runner = CliRunner()


def _run(case: Case, folder: Path, tmp_path: Path) -> tuple[int, str]:
    args = [case.command, str(folder)]
    if case.command == "map":
        args += ["--output", str(tmp_path / "map.html")]
    result = runner.invoke(app, args, env={"COLUMNS": "4000", "NO_COLOR": "1"})
    text = " ".join(result.output.split())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.id}: traceback\n{result.output}") from result.exception
    return result.exit_code, text


def test_corpus_is_large_and_named_once() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 120
    assert len(ids) == len(set(ids))
    groups = {case.group for case in CASES}
    for group in ("toml", "schema", "range", "crs", "path", "csv", "xlsx", "geojson", "gpkg"):
        assert group in groups
    assert {"parquet", "limit", "value", "warn", "command"} <= groups


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_dataset(case: Case, tmp_path: Path) -> None:
    folder = build(case, tmp_path)
    code, text = _run(case, folder, tmp_path)
    assert code == case.exit, f"{case.id}: exit {code}, expected {case.exit}\n{text}"
    assert "Traceback" not in text
    for words in case.expect:
        assert words in text, f"{case.id}: {words!r} not in\n{text}"
    if case.exit == 0 and case.group == "warn":
        assert re.search(r"\b[1-9]\d* warning\(s\)", text), text


def test_unbroken_base_is_valid(tmp_path: Path) -> None:
    """The base every case breaks is valid, so each failure is the case's own."""
    folder = build(Case("base:none", (), ()), tmp_path)
    code, text = _run(Case("base:none", (), ()), folder, tmp_path)
    assert code == 0, text
    assert "0 error(s)" in text
