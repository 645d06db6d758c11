"""Locating postcodes from the first run: a lookup at init, typo suggestions, postcodes.io.

The online lookup is tested against a local HTTP server that answers as
postcodes.io's bulk API does (no internet is used).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cwb
from cwb.cli import app
from cwb.dataset.geocode import extract_districts, geocode_online, parse_districts
from cwb.dataset.postcodes import PostcodeLookup, nearest_postcodes
from cwb.dataset.validate import validate_dataset
from cwb.errors import UsageError

runner = CliRunner()

# An extract in the ONS Postcode Directory's own headings (pcds, lat, long).
ONSPD = """pcd,pcds,lat,long,oslaua
B66 1ZY ,B66 1ZY,52.4990,-1.9620,E08000028
B66 2QT ,B66 2QT,52.4951,-1.9447,E08000028
B67 5AA ,B67 5AA,52.4850,-1.9700,E08000028
B6  7AA ,B6 7AA,52.5000,-1.8800,E08000025
B1  1AA ,B1 1AA,52.4767,-1.9035,E08000025
"""


@pytest.fixture
def onspd(tmp_path: Path) -> Path:
    path = tmp_path / "ONSPD_extract.csv"
    path.write_text(ONSPD, encoding="utf-8")
    return path


def _add_assets(folder: Path, lines: list[str]) -> None:
    path = folder / "assets.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = []
    for line in lines:
        values = dict(
            zip(("id", "name", "kind", "category", "postcode"), line.split("|"), strict=True)
        )
        rows.append(",".join(values.get(h, "") for h in header))
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("\r\n".join(rows) + "\r\n")


def test_parse_districts() -> None:
    assert parse_districts(" b66, B67 ,b") == ["B66", "B67", "B"]
    with pytest.raises(UsageError):
        parse_districts("66B")


def test_extract_keeps_the_districts_named_only(onspd: Path) -> None:
    rows = extract_districts(onspd, ["B66", "B67"])
    assert rows["postcode"].tolist() == ["B66 1ZY", "B66 2QT", "B67 5AA"]  # not B6 7AA
    assert rows.columns.tolist() == ["postcode", "lat", "lon"]
    with pytest.raises(UsageError, match="no postcode in B99"):
        extract_districts(onspd, ["B99"])


def test_init_with_postcodes_locates_from_the_first_run(tmp_path: Path, onspd: Path) -> None:
    folder = tmp_path / "smethwick"
    result = runner.invoke(
        app, ["init", str(folder), "--postcodes", str(onspd), "--districts", "B66,B67"]
    )
    assert result.exit_code == 0, result.output
    assert 'postcodes = "postcodes.csv"' in (folder / "dataset.toml").read_text(encoding="utf-8")
    _add_assets(
        folder,
        ["A1|Oak Road garage|physical|vacant_building| b66  2qt",
         "A2|Cape Hill tenants|community|tenants_association|BG6 1ZY"],
    )  # fmt: skip
    report = validate_dataset(folder)
    assets = report.dataset.assets.set_index("id")
    assert assets.loc["A1", "precision"] == "postcode"
    assert assets.loc["A1"].geometry.y == pytest.approx(52.4951)
    warning = next(p for p in report.warnings if p.code == "unknown_postcode")
    assert warning.row == 4 and warning.hint == "did you mean B66 1ZY?"
    assert not [p for p in report.problems if p.code == "no_postcode_lookup"]


def test_init_needs_both_postcodes_and_districts(tmp_path: Path, onspd: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "x"), "--postcodes", str(onspd)])
    assert result.exit_code == 2
    assert "--districts" in result.output
    assert not (tmp_path / "x" / "dataset.toml").exists()


def test_nearest_postcodes_one_slip_away() -> None:
    lookup = PostcodeLookup.from_frame(
        pd.DataFrame(
            {"postcode": ["B66 1ZY", "B66 2QT", "B67 1ZY"], "lat": [1.0, 2, 3], "lon": [1.0, 2, 3]}
        )
    )
    assert nearest_postcodes("bg6 1zy", lookup) == ["B66 1ZY"]
    assert nearest_postcodes("B66 1ZZ", lookup) == ["B66 1ZY"]
    assert nearest_postcodes("B68 1ZY", lookup) == ["B66 1ZY", "B67 1ZY"]
    assert nearest_postcodes("W1A 0AX", lookup) == []


def test_identical_warnings_are_one_line_with_a_count(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    _add_assets(
        folder,
        [f"B{i}|Group {i}|community|tenants_association|B66 2QT" for i in range(60)],
    )
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "no postcode lookup" in line]
    assert len(lines) == 1
    assert "60 rows (3, 4, 5, 6, 7 …)" in lines[0]
    assert "more warnings" not in result.output


# --------------------------------------------------------------------------- postcodes.io


class _FakePostcodesIO(BaseHTTPRequestHandler):
    known = {"B66 2QT": (52.4951, -1.9447), "B18 4AB": (52.4921, -1.9259)}
    requests: list[list[str]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        asked = json.loads(self.rfile.read(length))["postcodes"]
        type(self).requests.append(asked)
        result = []
        for query in asked:
            hit = self.known.get(query)
            found = {"postcode": query, "latitude": hit[0], "longitude": hit[1]} if hit else None
            result.append({"query": query, "result": found})
        body = json.dumps({"status": 200, "result": result}).encode()
        self.send_response(200 if self.path == "/postcodes" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def postcodes_io() -> Iterator[str]:
    _FakePostcodesIO.requests = []
    server = HTTPServer(("127.0.0.1", 0), _FakePostcodesIO)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_online_lookup_caches_and_never_sends_residents(tmp_path: Path, postcodes_io: str) -> None:
    folder = tmp_path / "online"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    _add_assets(
        folder,
        ["A1|Oak Road garage|physical|vacant_building|b66 2qt",
         "A2|Tenants|community|tenants_association|B18 4AB",
         "A3|Nowhere club|community|voluntary_group|B99 9ZZ",
         "A4|Young carers|human|skills_group|B67 7XX"],
    )  # fmt: skip
    result = runner.invoke(app, ["geocode", str(folder), "--online", "--base-url", postcodes_io])
    assert result.exit_code == 0, result.output
    sent = [p for batch in _FakePostcodesIO.requests for p in batch]
    assert sorted(sent) == ["B18 4AB", "B66 2QT", "B99 9ZZ"]  # not the residents' B67 7XX
    assert "located 2 of 3" in result.output
    assert "never sent online" in result.output
    lookup = pd.read_csv(folder / "postcodes.csv")
    assert lookup["postcode"].tolist() == ["B18 4AB", "B66 2QT"]
    # later runs are offline: the rows are placed from the cached lookup
    ds = cwb.read_dataset(folder)
    assert ds.assets.set_index("id").loc["A1", "precision"] == "postcode"
    # and a second online run asks only for what is still unknown
    _FakePostcodesIO.requests = []
    geocode_online(folder, base_url=postcodes_io)
    assert _FakePostcodesIO.requests == [["B99 9ZZ"]]


def test_online_lookup_batches_of_100(tmp_path: Path, postcodes_io: str) -> None:
    folder = tmp_path / "many"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    _add_assets(
        folder,
        [f"C{i}|Club {i}|community|voluntary_group|B66 {i % 10}{chr(65 + i // 10 % 26)}A"
         for i in range(250)],
    )  # fmt: skip
    result = geocode_online(folder, base_url=postcodes_io)
    assert [len(b) for b in _FakePostcodesIO.requests] == [100, 100, 50]
    assert len(result.not_found) == 250 and result.lookup is None


def test_online_lookup_unreachable_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "off"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    _add_assets(folder, ["A1|Garage|physical|vacant_building|B66 2QT"])
    result = runner.invoke(
        app, ["geocode", str(folder), "--online", "--base-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert "could not look postcodes up" in result.output
