"""The one sector table: CPV/SIC/text → sector → skills, activity words, and matching by it."""

from __future__ import annotations

import pytest
from match_helpers import make_dataset
from typer.testing import CliRunner

from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.dataset.sectors import cpv_sector, find_activities, sector_skills, sector_table
from cwb.importers.ocds import notice_sector, sector_terms
from cwb.importers.workforce import import_nhs_workforce
from cwb.matching.core import match
from cwb.matching.skills import Vocabulary
from cwb.spend.sectors import classify_one


def test_every_sector_is_defined_once_and_names_known_skills():
    table = sector_table()
    assert set(table["scheme"]) == {"sector", "cpv", "sic", "text", "activity"}
    defined = table[table["scheme"] == "sector"]
    assert defined["code"].is_unique
    used = set(table.loc[table["scheme"] != "sector", "sector"])
    assert used <= set(defined["code"]), used - set(defined["code"])
    vocab = Vocabulary.load()
    for cell in table["skills"]:
        for code in filter(None, cell.split(";")):
            assert code in vocab, code


@pytest.mark.parametrize(
    ("code", "sector"),
    [
        ("55520000-1", "catering"),
        ("90911200-8", "cleaning"),
        ("45210000", "construction"),
        ("85100000", "health and care"),
        ("80000000", "education and training"),
        ("79100000", "legal services"),
        ("71530000", "architecture and engineering"),
        ("33140000", "medical supplies"),
    ],
)
def test_spend_and_ocds_read_the_same_table(code, sector):
    assert cpv_sector(code) == sector
    assert classify_one(code) == (sector, "cpv")


def test_sector_skills():
    assert sector_skills("catering") == ("catering",)
    assert sector_skills("Health and care") == ("care_worker", "health_promotion")
    assert sector_skills("education and training") == ("teaching",)
    assert sector_skills("construction") == ("construction",)
    assert sector_skills("medical supplies") == ()  # no skill in the vocabulary
    assert sector_skills(None) == () and sector_skills("no such sector") == ()


def test_notice_sector_is_the_one_most_codes_fall_in():
    assert notice_sector(["80561000", "85000000", "85100000", "79413000"]) == "health and care"
    assert notice_sector(["80000000", "85000000"]) == "education and training"  # tie: first
    assert notice_sector(["99999999"]) is None
    assert sector_terms("catering") == ("catering", "sector catering → catering")
    skills, basis = sector_terms("medical supplies")
    assert skills == "sector medical supplies" and "names no skill" in basis
    assert sector_terms(None)[0] is None


def test_activity_words():
    found = find_activities(
        "The Cape Community Care Day Centre",
        "To address the exclusion of the elderly and vulnerable and lonely.",
    )
    assert found.words == ("care", "day centre", "elderly")
    assert found.sectors == ("health and care",) and found.skills == ("care_worker",)
    # whole words only: "Careers" is not "care", "Artsy" not "arts"
    assert find_activities("Careers Artsy Ltd").words == ()
    # a longer phrase wins over a word inside it
    assert find_activities("North Smethwick Community Development Trust").skills == (
        "community_development",
    )
    assert find_activities(None, "") == find_activities()


def _org(id_: str, name: str, category: str, **extra: object) -> dict[str, object]:
    kind = "community" if category == "charity" else "financial"
    return {"id": id_, "name": name, "kind": kind, "category": category, "at": (500, 0), **extra}


def test_a_sector_only_contract_matches_by_its_sector_not_everyone():
    ds = make_dataset(
        [
            _org("F1", "Halal Caterers", "business", sector="catering"),
            _org("F2", "Food Social Enterprise", "social_enterprise", sector="food"),
            _org("C1", "Any Charity", "charity"),  # nothing recorded
            _org("C2", "Advice Charity", "charity", skills="advice"),
            _org("F3", "Scanners Ltd", "business", sector="medical supplies"),
        ],
        [
            {"id": "K1", "type": "contract", "title": "Patient catering", "sector": "catering"},
            {"id": "K2", "type": "contract", "title": "Scanners", "sector": "medical supplies"},
        ],
    )
    m = match(ds).matches
    catering = m[m["opportunity_id"] == "K1"].set_index("asset_id")
    # the caterer (its sector) and the food enterprise (its sector's skills) match; no charity
    assert set(catering.index) == {"F1", "F2"}
    assert "has catering" in catering.loc["F1", "reasons"]
    assert "has catering" in catering.loc["F2", "reasons"]
    assert not m["reasons"].str.contains("no particular skills asked").any()
    # a sector with no skill in the vocabulary is matched by that sector alone, and says so
    scanners = m[m["opportunity_id"] == "K2"]
    assert scanners["asset_id"].tolist() == ["F3"]
    assert "has sector medical supply" in scanners["reasons"].iloc[0]


def _hchs(tmp_path):
    path = tmp_path / "hchs.csv"
    path.write_text(
        "Month,Organisation code,Organisation name,Staff group,FTE\n"
        "2017-SEP,RXK,Trust X,Nurses & health visitors,1600.0\n"
        "2018-JUN,RXK,Trust X,Nurses & health visitors,1650.3\n"
        "2018-JUN,RXK,Trust X,Midwives,193.1\n"
        "2018-JUN,RXK,Trust X,Ambulance staff,4.6\n"
        "2018-JUN,RXK,Trust X,Unknown,40.0\n"
        "2018-JUN,RBK,Trust Y,Midwives,100.0\n",
        encoding="utf-8",
    )
    return path


def test_nhs_workforce_jobs(tmp_path):
    path = _hchs(tmp_path)
    result = import_nhs_workforce(path, project="mmuh", organisation="rxk", turnover=0.1)
    jobs = result.tables["opportunities"].set_index("id")
    assert jobs["quantity"].to_dict() == {
        "nhs:RXK:nurses_health_visitors": 165,
        "nhs:RXK:midwives": 19,
    }
    assert jobs.loc["nhs:RXK:midwives", "skills"] == "midwife"
    assert set(jobs["type"]) == {"job"} and set(jobs["status"]) == {"estimated"}
    assert jobs["collected_on"].eq("2018-06-30").all()
    reasons = result.skip_reasons()
    assert reasons["an earlier month (the latest month is used)"] == 1
    assert reasons["fewer than one post a year at this turnover"] == 1
    assert reasons["staff group without skills (nhs_staff_groups.csv)"] == 1
    assert reasons["another organisation than rxk"] == 1
    assert result.read == len(jobs) + len(result.skipped)


def test_cli_imports_workforce_jobs_into_a_dataset(tmp_path, mini_copy):
    path = _hchs(tmp_path)
    args = ["import", "nhs_workforce", str(path), "--into", str(mini_copy)]
    result = CliRunner().invoke(app, [*args, "--organisation", "RXK", "--turnover", "0.2"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "accounted for: 6 read = 3 opportunities imported + 3 skipped" in output
    assert "posts = 20% of FTE a year (assumed turnover)" in output
    jobs = read_dataset(mini_copy).opportunities.set_index("id")
    assert jobs.loc["nhs:RXK:nurses_health_visitors", "quantity"] == 330
    bad = CliRunner().invoke(app, [*args, "--turnover", "2"])
    assert bad.exit_code == 2
