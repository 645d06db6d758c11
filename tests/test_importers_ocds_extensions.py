"""OCDS extensions: local release-schema patches give ocdsmerge their merge rules, offline."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from realdata_paths import REALDATA
from typer.testing import CliRunner

from cwb.cli import app
from cwb.errors import UsageError
from cwb.importers.common import ImportResult
from cwb.importers.ocds import compiled_releases, import_ocds
from cwb.importers.ocds_schema import extension_name, merge_schema

CF = REALDATA / "ocds_contracts_finder_bluetail" / "json_1_1_raw"

DELIVERY = "https://raw.githubusercontent.com/example/ocds_delivery_extension/v1.0/extension.json"
OTHER = "https://extensions.open-contracting.org/en/extensions/other/master/"

#: A hand-written extension patch: delivery addresses (objects without ids) are replaced
#: by the latest release's list instead of being appended to.
DELIVERY_PATCH = {
    "definitions": {
        "Tender": {
            "properties": {
                "deliveryAddresses": {
                    "type": "array",
                    "wholeListMerge": True,
                    "items": {"$ref": "#/definitions/DeliveryAddress"},
                }
            }
        },
        "DeliveryAddress": {"type": "object", "properties": {"postalCode": {"type": "string"}}},
    }
}


def release(rid: str, date: str, tag: str, postcodes: list[str]) -> dict:
    return {
        "ocid": "ocds-ext-1",
        "id": rid,
        "date": date,
        "tag": [tag],
        "buyer": {"id": "b", "name": "Test Trust"},
        "parties": [{"id": "b", "name": "Test Trust", "roles": ["buyer"]}],
        "tender": {
            "id": "t1",
            "title": "Laundry",
            "deliveryAddresses": [{"postalCode": pc} for pc in postcodes],
        },
    }


@pytest.fixture
def package(tmp_path: Path) -> Path:
    data = {
        "uri": "https://example.org/p.json",
        "version": "1.1",
        "publishedDate": "2024-02-01T00:00:00Z",
        "extensions": [DELIVERY, OTHER],
        "releases": [
            release("r1", "2024-01-01T00:00:00Z", "tender", ["B66 1AA", "B66 2BB"]),
            release("r2", "2024-01-15T00:00:00Z", "tenderUpdate", ["B67 5DD"]),
        ],
    }
    path = tmp_path / "package.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def extensions(tmp_path: Path) -> Path:
    folder = tmp_path / "extensions"
    (folder / "ocds_delivery_extension").mkdir(parents=True)
    (folder / "ocds_delivery_extension" / "release-schema.json").write_text(
        json.dumps(DELIVERY_PATCH)
    )
    return folder


def addresses(package: Path, local: Path | None) -> tuple[list[str], ImportResult]:
    result = ImportResult(importer="ocds", source_file=str(package))
    (compiled,) = compiled_releases(package, result, extension_schemas=local)
    return [a["postalCode"] for a in compiled["tender"]["deliveryAddresses"]], result


def test_extension_names_from_urls():
    assert extension_name(DELIVERY) == "delivery"
    assert extension_name(OTHER) == "other"
    assert (
        extension_name(
            "https://raw.githubusercontent.com/open-contracting/"
            "ocds_process_title_extension/v1.1/extension.json"
        )
        == "process_title"
    )
    assert extension_name("https://gitlab.com/x/ocds-lots-extension/-/raw/main/extension.json") == (
        "lots"
    )


def test_local_patch_changes_the_merged_release(package, extensions, caplog):
    default, result = addresses(package, None)
    assert default == ["B66 1AA", "B66 2BB", "B67 5DD"]  # default rule: appended
    assert any("2 listed OCDS extension(s) have no local schema" in n for n in result.notes)
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="cwb.importers.ocds")
    patched, result = addresses(package, extensions)
    assert patched == ["B67 5DD"]  # wholeListMerge: the latest release's list
    missing = [r for r in caplog.records if "no local release-schema patch" in r.getMessage()]
    assert len(missing) == 1 and OTHER in missing[0].getMessage()
    assert DELIVERY not in missing[0].getMessage()
    assert [n for n in result.notes if "no local schema" in n] == [
        "1 listed OCDS extension(s) have no local schema (extension_schemas); "
        f"their fields were merged with default rules: {OTHER}"
    ]


def test_one_patch_file_is_always_applied(package, tmp_path):
    patch = tmp_path / "my-rules.json"
    patch.write_text(json.dumps(DELIVERY_PATCH))
    assert addresses(package, patch)[0] == ["B67 5DD"]
    built = merge_schema([], patch)
    assert built.applied == ["my_rules"] and not built.missing


def test_unusable_patch_is_reported_and_left_out(package, tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    (folder / "delivery.json").write_text(
        json.dumps({"properties": {"extra": {"$ref": "#/definitions/Nowhere"}}})
    )
    built = merge_schema([DELIVERY], folder)
    assert built.missing == [DELIVERY] and built.applied == []
    assert "delivery.json" in built.problems[0] and "Nowhere" in built.problems[0]
    with pytest.raises(UsageError, match="does not exist"):
        merge_schema([DELIVERY], tmp_path / "absent")


def test_core_rules_hold_without_extensions(tmp_path):
    # additionalClassifications is wholeListMerge in the OCDS 1.1 core schema
    def item(rid, date, codes):
        r = release(rid, date, "tender", [])
        r["tender"]["items"] = [
            {"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": c} for c in codes]}
        ]
        return r

    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            {
                "version": "1.1",
                "releases": [
                    item("r1", "2024-01-01T00:00:00Z", ["55520000", "55320000"]),
                    item("r2", "2024-01-02T00:00:00Z", ["55520000"]),
                ],
            }
        )
    )
    result = ImportResult(importer="ocds", source_file=str(path))
    (compiled,) = compiled_releases(path, result)
    assert [c["id"] for c in compiled["tender"]["items"][0]["additionalClassifications"]] == [
        "55520000"
    ]
    assert compiled["tag"] == ["compiled"]
    # no extension to name; the two releases of the process are counted as compiled into one
    assert result.notes == [
        "1 release(s) share an ocid with another and were compiled into their process's "
        "release (1 ocid(s)); 0 of them repeat a release id already read"
    ]


def test_cli_import_with_extension_schemas(mini_copy, package, extensions):
    args = ["import", "ocds", str(package), "--into", str(mini_copy)]
    result = CliRunner().invoke(app, [*args, "--ocds-extensions", str(extensions)])
    assert result.exit_code == 0, result.output
    assert "1 listed OCDS extension(s) have no local schema" in result.output
    assert "extensions/other/master" in result.output
    assert "wrote" in result.output


@pytest.mark.skipif(not CF.is_dir(), reason="shared realdata not present")
def test_contracts_finder_extension_named_once(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="cwb.importers.ocds")
    result = import_ocds(CF, project="p")
    warned = [r for r in caplog.records if "no local release-schema patch" in r.getMessage()]
    assert len(warned) == 1 and "ocds_process_title_extension" in warned[0].getMessage()
    assert result.read == 100
    folder = tmp_path / "ext" / "ocds_process_title_extension"
    folder.mkdir(parents=True)
    (folder / "release-schema.json").write_text('{"definitions": {"Tender": {"properties": {}}}}')
    again = import_ocds(CF, project="p", extension_schemas=folder.parent)
    assert not [n for n in again.notes if "no local schema" in n]
    assert len(again.tables["opportunities"]) == len(result.tables["opportunities"])
