"""``cwb spend`` through typer's CliRunner on the hand-built fixture (tests/data/spend)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_spend_register import fixture_with_register
from typer.testing import CliRunner

from cwb.cli import app

FIXTURE = Path(__file__).parent / "data" / "spend"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["spend", *args], env={"COLUMNS": "200"})


def test_prints_the_tables_and_writes_json(tmp_path):
    target = tmp_path / "spend.json"
    result = invoke(str(FIXTURE), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "Spend by buyer" in result.output
    assert "excluded: duplicate" in result.output
    assert "18.3%" in result.output  # Test Trust's local share, 1300 / 7085
    data = json.loads(target.read_text())
    trust = next(r for r in data["summary"] if r["buyer"] == "Test Trust")
    assert trust["local_gbp"] == 1300.0
    assert data["multiplier"][-1]["label"].startswith("estimate")


def test_local_and_buyer_options_and_csv(tmp_path):
    target = tmp_path / "spend.csv"
    result = invoke(str(FIXTURE), "--local", "Sandwell", "--buyer", "Test Trust", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "local = Sandwell" in result.output
    summary = pd.read_csv(target)
    assert list(summary["buyer"]) == ["Test Trust", "(all buyers)"]
    assert summary["local_gbp"].tolist() == [800.0, 800.0]


def test_raw_file_through_a_mapping(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text(
        "TRANS DATE,ORIGINAL GROSS AMT,ORIGINAL CUR,BILLING GROSS AMT,BILLING CUR CODE,"
        "MERCHANT NAME,CARD NUMBER,TRANS CAC DESC 1,TRANS CAC DESC 2,Directorate,"
        "TRANS VAT DESC,source_file\n"
        "2017-01-03,10.0,EUR,8.97,GBP,cafe,****1,Purchases Food,Site B66 1AA,X,VR,f.xls\n"
        "2016-05-03,20.0,,,,shop,****1,Equip,Team,X,VR,f.xls\n"
        "2016-05-03,20.0,,,,shop,****2,Equip,Team,X,VR,f.xls\n"
        "2016-05-03,20.0,,,,shop,****2,Equip,Team,X,VR,f.xls\n"
    )
    target = tmp_path / "out.json"
    result = invoke(str(FIXTURE), "--file", str(raw), "--mapping", "bcc-pcards", "-o", str(target))
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text())
    rec = {r["line"]: r for r in data["reconciliation"]}
    # the card is in this mapping's duplicate key: only the repeat on card 2 is a duplicate
    assert rec["excluded: duplicate"]["transactions"] == 1
    assert rec["included"]["amount_gbp"] == pytest.approx(48.97)
    overall = data["summary"][-1]
    assert overall["unlocated_share"] == 1.0  # merchants have no postcode: unlocated, not dropped


def test_usage_errors_exit_2(tmp_path):
    result = invoke(str(FIXTURE), "--local", "Atlantis")
    assert result.exit_code == 2
    assert "Atlantis" in result.output
    assert invoke(str(FIXTURE), "-o", str(tmp_path / "x.txt")).exit_code == 2
    assert invoke(str(FIXTURE), "--mapping", "bcc-pcards").exit_code == 2
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b\n1,2\n")
    result = invoke(str(FIXTURE), "--file", str(raw), "--mapping", "no-such-mapping")
    assert result.exit_code == 2
    assert "bcc-pcards" in result.output


def test_bad_survey_is_a_data_error(tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("supplier_name,local_respend\nKitchen Co-op,2.5\n")
    result = invoke(str(FIXTURE), "--survey", str(survey))
    assert result.exit_code == 1
    assert "local_respend" in result.output


def test_help_has_an_example():
    result = runner.invoke(app, ["spend", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example: cwb spend" in result.output


def test_register_tables_are_printed(tmp_path):
    folder = fixture_with_register(
        tmp_path, "supplier_name,lat,lon\nUnknown Ltd,52.50,-1.99\nFar Builder,53.48,-2.24\n"
    )
    result = invoke(str(folder))
    assert result.exit_code == 0, result.output
    assert "How suppliers were located" in result.output
    assert "fuzzy_name" in result.output
    assert "Far Builder (96)" in result.output  # "far builders" vs "far builder"
