"""The real-data build gives matches that make sense (issue 12, item 6).

One build of ``tests/data/build/smethwick_matches_recipe.toml`` from ../shared/realdata
(skipped when absent) is shared by the tests of this module: West Midlands Contracts
Finder notices as illustrative contracts, Sandwell and West Birmingham Hospitals'
estimated job openings, local grant recipients with their activities. The matches it
gives were read by hand; the ones pinned below are those a community researcher would
agree with.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from realdata_paths import REALDATA
from typer.testing import CliRunner

from cwb.catalogue import catalogue
from cwb.cli import app
from cwb.dataset.io import read_dataset
from cwb.importers.ocds_filter import postcode_region
from cwb.matching.core import run_match

RECIPE = Path(__file__).resolve().parent / "data" / "build" / "smethwick_matches_recipe.toml"
runner = CliRunner()

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

BAME = "QU328 - Wellbeing of Black & Minority Ethnic"
EARLY_YEARS = "Early Years Expert STA-0233"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The built dataset folder and the build's output (one build for the module)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    out = tmp_path_factory.mktemp("build") / "built"
    args = ["build", str(RECIPE), "-o", str(out), "--realdata", str(REALDATA)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, " ".join(result.output.split())


@pytest.fixture(scope="module")
def matches(built: tuple[Path, str]) -> pd.DataFrame:
    return run_match(built[0]).matches


def _text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_build_writes_a_valid_dataset_and_report(built):
    out, output = built
    ds = read_dataset(out)  # valid: read_dataset raises on errors
    assert set(ds.assets["category"]) >= {"library", "charity", "business", "funder"}
    assert ds.areas["imd_decile"].dropna().between(1, 10).all() and len(ds.areas) > 10
    assert "releases: 100 read = " in output and "left out" in output
    assert (out / "report.html").stat().st_size > 10_000
    # a second build into the same folder needs --force
    again = runner.invoke(app, ["build", str(RECIPE), "-o", str(out), "--realdata", str(REALDATA)])
    assert again.exit_code == 2 and "--force" in again.output


def test_one_opportunity_of_each_imported_type_and_what_it_stands_for(built):
    opps = read_dataset(built[0]).opportunities
    contracts, jobs = opps[opps["type"] == "contract"], opps[opps["type"] == "job"]
    # contracts: the West Midlands notices, all awarded, so illustrative and never open
    assert len(contracts) == 8
    assert contracts["buyer_postcode"].map(postcode_region).eq("West Midlands").all()
    assert contracts["cpv"].notna().all() and contracts["sector"].notna().all()
    assert set(contracts["status"]) == {"awarded"}
    assert contracts["illustrative"].astype(str).str.lower().eq("true").all()
    # jobs: Sandwell and West Birmingham Hospitals (RXK), June 2018, 10 % of FTE a year
    assert len(jobs) == 11 and set(jobs["status"]) == {"estimated"}
    nurses = jobs.set_index("id").loc["nhs:RXK:nurses_health_visitors"]
    assert nurses["skills"] == "registered_nurse"
    assert int(nurses["quantity"]) == 165  # round(1,650.3 FTE × 0.10)
    assert "10% turnover" in nurses["description"]


def test_contract_skills_come_from_the_sector_table(built):
    opps = read_dataset(built[0]).opportunities.set_index("title")
    bame = opps.loc[opps.index.str.startswith(BAME)].iloc[0]
    # 18 CPV codes, most of them in division 85: health and care
    assert bame["sector"] == "health and care"
    assert bame["skills"] == "care_worker;health_promotion"
    assert opps.loc[EARLY_YEARS, "skills"] == "teaching"
    assert opps.loc["Minor Building Works", "skills"] == "construction"
    # a sector the vocabulary has no skill for is asked as itself, and says so
    consultancy = opps.loc["Professional Consultancy Services"]
    assert consultancy["skills"] == "sector architecture and engineering"
    assert "names no skill in the vocabulary" in consultancy["skills_basis"]


def test_every_match_shares_a_skill_or_sector(matches):
    assert len(matches) >= 10
    # nothing here asks for nothing, so no match may rest on "no particular skills asked"
    assert not matches["reasons"].str.contains("no particular skills asked").any()
    assert (matches["skills_covered"].fillna("") != "").all()
    for row in matches.itertuples():
        first = row.skills_covered.split(";")[0]
        assert f"has {first}" in row.reasons, row


def test_matches_a_researcher_would_agree_with(matches):
    def reasons(title_start: str, asset: str) -> str:
        hit = matches[
            matches["opportunity_title"].str.startswith(title_start)
            & (matches["asset_name"] == asset)
        ]
        assert len(hit) == 1, (title_start, asset)
        return str(hit["reasons"].iloc[0])

    # a day centre for the elderly (Lloyds Bank Foundation grant) → a wellbeing contract
    assert "has care worker" in reasons(BAME, "The Cape Community Care Day Centre")
    # the council's own supplier of the campaign (Citizens UK) → the same kind of work
    assert "has care worker, health promotion" in reasons(BAME, "Citizens UK")
    # a training charity → an early-years expert contract
    assert "has teaching and training delivery" in reasons(
        EARLY_YEARS, "Birmingham Churches Together Training"
    )
    # a sector with no vocabulary skill: its own supplier, by the sector alone
    assert "has sector architecture and engineering" in reasons(
        "Professional Consultancy Services", "Waterman Infrastructure & Environment Ltd"
    )
    # nobody nearby works in law or IT: those notices stay unmatched
    for title in ("Legal Panel", "Digital Advantage (ERDF) - AWARD"):
        assert not (matches["opportunity_title"] == title).any()
    # a community development trust with no care, training or building work matches nothing
    assert not (matches["asset_name"] == "North Smethwick Development Trust").any()


def test_report_names_illustrative_contracts_and_the_empty_human_catalogue(built):
    text = _text((built[0] / "report.html").read_text("utf-8"))
    assert "8 contract(s) marked [illustrative] are notices already awarded" in text
    assert "none of them is open" in text
    assert "of contract value; all of them illustrative (awarded), none open" in text
    assert f"{EARLY_YEARS} [illustrative]" in text
    assert "The human catalogue is empty" in text and "11 job opportunities" in text


def test_the_real_build_as_a_national_store_over_nhs_hospitals(built, tmp_path):
    """The built dataset as a store, run over NHS.uk's West Midlands hospitals.

    The store's catchment counts for the dataset's own project equal ``cwb catalogue``'s;
    over NHS.uk's hospital list (read as published), the hospitals near Smethwick find
    the assets and those across the county find none; no hospital has a location
    missing in the West Midlands rows.
    """
    hospitals = REALDATA / "nhs_techforuk" / "nhs_website_hospitals_2018_england.csv"
    if not hospitals.exists():
        pytest.skip(f"{hospitals} is not present")
    store = tmp_path / "store"
    assert runner.invoke(app, ["store", "build", str(built[0]), "-o", str(store)]).exit_code == 0
    every = pd.read_csv(hospitals, dtype=str)
    west_midlands = every[every["Postcode"].str.match(r"(B|WS|WV|DY)\d", na=False)]
    sites = tmp_path / "wm_hospitals.csv"
    west_midlands.to_csv(sites, index=False)
    out = tmp_path / "out"
    args = ["national", str(store), "--projects", str(sites), "--stage", "catalogue"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "projects_skipped.csv").exists()
    summary = pd.read_csv(out / "national_catalogue.csv").set_index("project")
    assert len(summary) == len(west_midlands) == 66
    near = summary.loc[["RXK01", "RXK02"], "assets"]  # Sandwell General, City Hospital
    assert (near > 0).all()
    far = summary.loc[["RWP01", "R1D22"], "assets"]  # Redditch, Bridgnorth: 25+ km away
    assert (far == 0).all()
    # the dataset's own project: the same counts as the single-dataset catalogue
    own = tmp_path / "own"
    result = runner.invoke(app, ["national", str(store), "--stage", "catalogue", "-o", str(own)])
    assert result.exit_code == 0, result.output
    ds = read_dataset(built[0])
    expected = catalogue(ds).by_band
    pid = ds.manifest.projects[0].id
    got = pd.read_csv(own / pid / "catalogue.csv")
    want = expected[(expected["project"] == pid) & ~expected["band"].str.startswith(">")]
    want = want[(want["band"] != "unlocated") & (want["kind"] != "human")]
    got = got[got["kind"] != "human"].groupby(["band", "kind"])["assets"].sum()
    assert got[got > 0].to_dict() == want.groupby(["band", "kind"])["assets"].sum().to_dict()
