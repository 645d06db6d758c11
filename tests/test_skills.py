"""The skills vocabulary: normalisation, synonyms, fuzzy matching, unknown terms, extensions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from match_helpers import make_dataset

from cwb.errors import DatasetError
from cwb.matching.skills import Vocabulary, normalise_term, skill_resolutions, unknown_skills

VOCAB = Vocabulary.load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Registered Nurses (RGN) ", "registered nurse rgn"),
        ("Children's nurse / Paediatric", "children nurse paediatric"),
        ("Cleaners & Domestics", "cleaner and domestic"),
        ("Café", "cafe"),
        ("class", "class"),
    ],
)
def test_normalise(text, expected):
    assert normalise_term(text) == expected


@pytest.mark.parametrize(
    ("term", "code", "method"),
    [
        ("RGN", "registered_nurse", "exact"),
        ("Registered Nurses", "registered_nurse", "exact"),
        ("staff nurse", "registered_nurse", "exact"),
        ("Experienced cook", "cook", "exact"),
        ("Overseas nursing qualification (Philippines)", "overseas_nursing_qualification", "exact"),
        ("PLAB 2", "plab", "exact"),
        ("SIA licence", "security", "exact"),
        ("Wi-Fi", "wifi", "exact"),
        ("Wheelchair accessible", "accessible", "exact"),
        ("hospital catering services", "catering", "contains"),
        ("electrican", "electrician", "fuzzy"),
        ("cleanning", "cleaning", "fuzzy"),
        ("halal", "catering", "exact"),
        ("CSCS card needed", "", "need"),
        ("zither tuning", "unknown:zither tuning", "unknown"),
    ],
)
def test_resolve(term, code, method):
    res = VOCAB.resolve(term)
    assert (res.code, res.method) == (code, method)


def test_short_terms_are_not_fuzzy_matched():
    assert VOCAB.resolve("hal").method == "unknown"


def test_cook_and_chef_are_related_both_ways():
    assert "chef" in VOCAB.related("cook") and "cook" in VOCAB.related("chef")


def test_codes_of_a_cell_keep_order_without_repeats():
    assert VOCAB.codes("RGN; registered nurse;cook;;Cook") == ["registered_nurse", "cook"]
    assert VOCAB.codes(None) == []


def test_no_synonym_names_two_skills():
    owners: dict[str, str] = {}
    for skill in VOCAB.skills.values():
        for name in (skill.code.replace("_", " "), skill.label, *skill.synonyms):
            key = normalise_term(name)
            assert owners.setdefault(key, skill.code) == skill.code, (
                f"{name!r}: {owners[key]} and {skill.code}"
            )


def test_soc2020_codes_exist_in_the_official_framework(realdata):
    path = realdata / "occupations_skills" / "soc2020_volume1_framework.csv"
    with path.open(encoding="utf-8-sig") as handle:
        units = {
            str(int(float(r["SOC2020 Unit Group"]))): r["SOC2020 Group Title"]
            for r in csv.DictReader(handle)
            if r["SOC2020 Unit Group"]
        }
    used = {s.code: s.soc2020 for s in VOCAB.skills.values() if s.soc2020}
    assert {c: u for c, u in used.items() if u not in units} == {}
    assert units[VOCAB.soc2020("registered_nurse")] == "Other registered nursing professionals"
    assert units[VOCAB.soc2020("midwife")] == "Midwifery nurses"
    assert units[VOCAB.soc2020("doctor")] == "Generalist medical practitioners"
    assert units[VOCAB.soc2020("chef")] == "Chefs" and units[VOCAB.soc2020("cook")] == "Cooks"
    assert units[VOCAB.soc2020("kitchen_assistant")] == "Kitchen and catering assistants"
    assert units[VOCAB.soc2020("cleaning")] == "Cleaners and domestics"
    assert units[VOCAB.soc2020("hospital_porter")] == "Hospital porters"


def test_esco_codes_exist(realdata):
    path = realdata / "occupations_skills" / "esco_v1.1.1_tabiya" / "occupations.csv"
    with path.open(encoding="utf-8") as handle:
        codes = {r["CODE"] for r in csv.DictReader(handle)}
    used = {s.code: s.esco for s in VOCAB.skills.values() if s.esco}
    assert {c: e for c, e in used.items() if e not in codes} == {}


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["code", "label", "group", "soc2020", "esco", "synonyms", "related"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_dataset_vocabulary_file_extends_the_bundled_one(tmp_path):
    _write(
        tmp_path / "skills_extra.csv",
        [
            {
                "code": "zither_tuning",
                "label": "zither tuning",
                "synonyms": "zither;zither repair",
                "related": "cook",
            },
            {"code": "cook", "synonyms": "tiffin maker"},
        ],
    )
    ds = make_dataset([], [], matching={"vocabulary": "skills_extra.csv"})
    ds.path = tmp_path
    vocab = Vocabulary.for_dataset(ds)
    assert vocab.resolve("Zither repair").code == "zither_tuning"
    assert vocab.resolve("tiffin maker").code == "cook"
    assert vocab.resolve("cook").code == "cook" and "zither_tuning" in vocab.related("cook")


def test_bad_vocabulary_rows_are_reported_with_row_and_column(tmp_path):
    path = _write(
        tmp_path / "bad.csv",
        [
            {"code": "Bad Code"},
            {"code": "ok_code", "related": "nothing_here"},
            {"code": "x", "soc2020": "12"},
        ],
    )
    with pytest.raises(DatasetError) as info:
        Vocabulary.load([path])
    where = {(p.row, p.column) for p in info.value.problems}
    assert where == {(2, "code"), (3, "related"), (4, "soc2020")}


def test_unknown_skills_are_listed_with_counts_and_rows():
    ds = make_dataset(
        [
            {
                "id": "A1",
                "name": "a",
                "kind": "financial",
                "category": "business",
                "skills": "zither tuning;cook",
            },
            {
                "id": "A2",
                "name": "b",
                "kind": "financial",
                "category": "business",
                "skills": "Zither tuning",
            },
        ],
        [{"id": "O1", "type": "contract", "title": "t", "skills": "nose flute"}],
    )
    unknown = unknown_skills(ds, VOCAB).set_index(["table", "term"])
    assert unknown.loc[("assets", "zither tuning"), "rows"] == "A1"
    assert unknown.loc[("assets", "Zither tuning"), "count"] == 1
    assert unknown.loc[("opportunities", "nose flute"), "count"] == 1
    resolved = skill_resolutions(ds, VOCAB)
    assert set(resolved["term"]) == {"zither tuning", "cook", "Zither tuning", "nose flute"}
