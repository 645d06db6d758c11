"""Fuzzing the readers: hostile table files and manifests, and the exceptions they raise.

Every case is one file dropped into a small valid dataset folder (a base of assets,
opportunities and two areas): CSV bytes in odd encodings and delimiters with stray
quotes, NULs and byte-order marks; ``.xlsx`` workbooks with odd cell types, merged
cells and formulas that have no cached value; GeoJSON text with broken or odd
geometries and ``crs`` members; ``dataset.toml`` text with wrong types and odd paths.
The folder is then read with :func:`cwb.read_dataset` and
:func:`cwb.dataset.validate_dataset`. The goal is that the only exceptions raised are
:class:`cwb.errors.CwbError` subclasses (a clean message naming file, row and column).

The strategies are shared by the test suite (a short derandomised profile) and
``cwb bench --stages fuzz`` / ``python -m cwb.bench.fuzz --cases 2000`` (thousands of
cases, a count per exception type). They need hypothesis (``pip install 'cwb[test]'``).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import shutil
import tempfile
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from cwb.dataset.io import read_dataset
from cwb.errors import CwbError, MissingDependencyError

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - hypothesis is in the test extra
    raise MissingDependencyError.for_extra("test", "fuzzing the readers") from exc

#: Cases run by ``cwb bench --stages fuzz`` unless ``params["fuzz_cases"]`` says otherwise.
DEFAULT_CASES = 2_000
#: Cases per kind of file in one round of :func:`run_fuzz`.
ROUND = 25

_MANIFEST = """\
[dataset]
name = "Fuzz base"

[[projects]]
id = "hosp"
name = "Test Hospital"
lat = 52.4951
lon = -1.9447

[catchment]
bands_m = [1000, 3000]
max_outside_m = 10000

[files]
assets = "{assets}"
opportunities = "opportunities.csv"
areas = "{areas}"
"""
_ASSETS = """\
id,name,kind,category,lat,lon,postcode,area_code,skills,capacity,count,collected_on
A1,Cape Hill Catering CIC,financial,social_enterprise,52.49,-1.95,,,catering,250000,,2024-01-10
A2,Smethwick Library,physical,library,52.4969,-1.9667,,,meeting room,400,,2023-05-02
A3,Carers,human,skills_group,,,,W1,,,3,2024-02-01
"""
_OPPORTUNITIES = """\
id,project,type,title,skills,sector,quantity,value,pay_band,pathway
O1,hosp,job,Registered nurse,registered nurse,,40,33000,Band 5,
O2,hosp,contract,Catering,catering,catering,1,1200000,,
"""


def _square(code: str, west: float, east: float) -> dict[str, Any]:
    ring = [[west, 52.48], [east, 52.48], [east, 52.51], [west, 52.51], [west, 52.48]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Ward {code}", "imd_decile": 3, "population": 9000},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


_AREAS = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [_square("W1", -1.98, -1.945), _square("E1", -1.945, -1.91)],
    }
)


@dataclass(frozen=True)
class FuzzCase:
    """One hostile file: which table it stands for, its file name and its bytes."""

    kind: str  # csv, xlsx, geojson, toml
    table: str  # assets, areas or manifest
    filename: str
    data: bytes

    def __repr__(self) -> str:  # hypothesis prints failing examples with this
        return f"FuzzCase({self.kind!r}, {self.table!r}, {self.filename!r}, {self.data[:400]!r})"


def write_case(case: FuzzCase, folder: Path) -> Path:
    """Write the base dataset with ``case``'s file in place of its table; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    assets = case.filename if case.table == "assets" else "assets.csv"
    areas = case.filename if case.table == "areas" else "areas.geojson"
    (folder / "assets.csv").write_text(_ASSETS, encoding="utf-8")
    (folder / "opportunities.csv").write_text(_OPPORTUNITIES, encoding="utf-8")
    (folder / "areas.geojson").write_text(_AREAS, encoding="utf-8")
    manifest = _MANIFEST.format(assets=assets, areas=areas).encode()
    (folder / "dataset.toml").write_bytes(manifest)
    (folder / case.filename).write_bytes(case.data)
    return folder


# --- the values ----------------------------------------------------------------------

_COLUMNS = [
    "id", "name", "kind", "category", "lat", "lon", "postcode", "area_code", "geometry",
    "capacity", "count", "collected_on", "skills", "code", "imd_decile", "population",
    "Latitude", "LNG", "wkt", "", " ", "id ", "=HYPERLINK(\"x\")", "名前", "\ufeffid", "nan",
    "<img src=x onerror=alert(1)>", "a\x00b", "last_verified", "available_from",
]  # fmt: skip
_TEXT = [
    "", " ", "A1", "W1", "E1", "physical", "human", "financial", "community", "library",
    "carers", "social_enterprise", "52.49", "-1.95", "1,234", "£5k", "1e309", "-0", "nan",
    "NaN", "inf", "-inf", "NULL", "None", "TRUE", "2024-02-30", "31/12/2023", "0000-00-00",
    "99999-01-01", "1900-01-01", "B66 3AA", "ZZ99 9ZZ", "POINT (1", "POINT (-1.95 52.49)",
    "POINT EMPTY", "POINT (nan nan)", "POINT (1e400 1)", "POLYGON ((0 0, 1 1, 0 0))",
    "LINESTRING (0 0)", "GEOMETRYCOLLECTION EMPTY", "MULTIPOINT ((0 0), EMPTY)",
    '"', '""', "'", "\x00", "\r", "\n", "\r\n", "\ufeff", "\u202e", "\ud800", "=1+1", "@SUM(1)",
    "-3", "3", "0", "4.5", "99999999999999999999999", "0x1F", "١٢٣", "²", "½", "𝟘",
    "<script>alert(1)</script>", "a;b;;c", ";", "\t", "|", ",", "a" * 300,
]  # fmt: skip
_ENCODINGS = [
    "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32", "shift_jis"
]  # fmt: skip


_CHUNKS = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b'"', b"\r", b"\x80", b"\xc3"]


def _mutate(data: bytes, draw: Any) -> bytes:
    """Byte-level damage: truncation, NULs, byte-order marks, flipped bytes.

    Positions are drawn independently of the length (then wrapped), so that a case
    replays the same draws even when a workbook's bytes differ by its timestamps.
    """
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, 2**20)) % (len(data) + 1)
        how = draw(st.sampled_from(["truncate", "insert", "flip", "delete"]))
        chunk = draw(st.sampled_from(_CHUNKS))
        byte = draw(st.integers(0, 255))
        width = draw(st.integers(1, 8))
        if how == "truncate":
            data = data[:at]
        elif how == "insert":
            data = data[:at] + chunk + data[at:]
        elif how == "flip" and at < len(data):
            data = data[:at] + bytes([byte]) + data[at + 1 :]
        else:
            data = data[:at] + data[at + width :]
    return data


@st.composite
def csv_cases(draw: Any) -> FuzzCase:
    """CSV bytes: odd encodings, delimiters, quoting, NULs, BOMs, ragged rows."""
    width = draw(st.integers(1, 8))
    base = ["id", "name", "kind", "category", "lat", "lon"]
    header = (
        base[:width]
        if draw(st.booleans())
        else draw(st.lists(st.sampled_from(_COLUMNS), min_size=1, max_size=8))
    )
    # no lone surrogates: openpyxl cannot write them, so such a case would never reach cwb
    no_surrogates = st.characters(exclude_categories=["Cs"])
    text_cell = st.one_of(st.sampled_from(_TEXT), st.text(no_surrogates, max_size=12))
    rows = draw(st.lists(st.lists(text_cell, max_size=len(header) + 2), max_size=6))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from(["minimal", "all", "none"]))

    def line(cells: list[str]) -> str:
        if quoting == "all":
            cells = ['"' + c.replace('"', '""') + '"' for c in cells]
        elif quoting == "minimal":
            cells = [
                '"' + c.replace('"', '""') + '"'
                if any(ch in c for ch in f'"\r\n{delimiter}')
                else c
                for c in cells
            ]
        return delimiter.join(cells)

    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(line(r) for r in [header, *rows]) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(_ENCODINGS))
    data = text.encode(encoding, errors="replace")
    return FuzzCase("csv", "assets", "assets.csv", _mutate(data, draw))


def _excel_value(draw: Any) -> object:
    return draw(
        st.one_of(
            # openpyxl writes neither NUL nor a lone surrogate: such a case would not reach cwb
            st.sampled_from(_TEXT).map(lambda t: t.replace("\x00", "").replace("\ud800", "")),
            st.integers(-(2**62), 2**62),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.none(),
            st.dates(min_value=date(1900, 3, 1)),
            st.datetimes(min_value=datetime(1900, 3, 1)),
            st.times(),
            st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9999)),
            st.sampled_from(["=1/0", "=A1+", "=SUM(A:A)", "=NA()", "=#REF!", '="x"&"y"', "=NOW()"]),
        )
    )


@st.composite
def xlsx_cases(draw: Any) -> FuzzCase:
    """Workbooks (openpyxl): odd cell types, merged cells, formulas without cached values."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if draw(st.booleans()):
        sheet.title = draw(st.sampled_from(["Sheet1", "Data", "  ", "x" * 31, "名前"]))
    width = draw(st.integers(1, 7))
    header: list[object] = (
        list[object](["id", "name", "kind", "category", "lat", "lon", "postcode"][:width])
        if draw(st.booleans())
        else [
            draw(st.one_of(st.sampled_from(_COLUMNS), st.just(None), st.integers(), st.dates()))
            for _ in range(width)
        ]
    )
    rows = [header] + [
        [_excel_value(draw) for _ in range(width)] for _ in range(draw(st.integers(0, 6)))
    ]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            try:
                sheet.cell(row=r, column=c, value=value)
            except (IllegalCharacterError, ValueError, TypeError):
                sheet.cell(row=r, column=c, value="?")
    for _ in range(draw(st.integers(0, 2))):
        r1, c1 = draw(st.integers(1, len(rows) + 1)), draw(st.integers(1, width + 1))
        r2, c2 = r1 + draw(st.integers(0, 2)), c1 + draw(st.integers(0, 2))
        try:
            sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        except ValueError:
            pass
    if draw(st.booleans()):
        book.create_sheet(draw(st.sampled_from(["Other", "Notes"])))
    if draw(st.integers(0, 5)) == 0:
        sheet.insert_rows(1, draw(st.integers(1, 3)))  # a title block above the header
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:
        data = _mutate(data, draw)  # a damaged zip
    return FuzzCase("xlsx", "assets", "assets.xlsx", data)


_NUMBER: st.SearchStrategy[object] = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1.95, 52.49, 0, 1e308, -1e308, 400000, 180.0000001]),
    st.sampled_from(["1", None, True, [], {}]),
)


@st.composite
def _position(draw: Any) -> object:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([[], [1], None, "x", [1, 2, 3, 4], [[1, 2]]]))
    return [draw(_NUMBER), draw(_NUMBER)] if draw(st.booleans()) else [-1.95, 52.49]


@st.composite
def _geometry(draw: Any, depth: int = 0) -> object:
    kind = draw(
        st.sampled_from(
            [
                "Point",
                "MultiPoint",
                "LineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
                "Circle",
                None,
            ]
        )
    )
    if kind is None:
        return draw(st.sampled_from([None, {}, [], "POINT (1 2)", {"type": "Point"}]))
    if kind == "GeometryCollection":
        parts = (
            [draw(_geometry(depth + 1)) for _ in range(draw(st.integers(0, 2)))]
            if depth < 2
            else []
        )
        return {"type": kind, "geometries": parts}
    ring = [draw(_position()) for _ in range(draw(st.integers(0, 5)))]
    coords: object = {
        "Point": draw(_position()),
        "MultiPoint": ring,
        "LineString": ring,
        "Polygon": [ring],
        "MultiPolygon": [[ring]],
        "Circle": ring,
    }[kind]
    if draw(st.integers(0, 6)) == 0:
        coords = draw(st.sampled_from([None, [], "0 0", [[[[]]]]]))
    return {"type": kind, "coordinates": coords}


_CRS: st.SearchStrategy[object] = st.sampled_from(
    [
        None,
        {"type": "name", "properties": {"name": "EPSG:27700"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},
        {"type": "name", "properties": {"name": "not a crs"}},
        {"type": "link", "properties": {"href": "http://example.invalid/crs"}},
        {"type": "name"},
        "EPSG:4326",
        [],
    ]
)
_PROPERTY = st.one_of(
    st.sampled_from(_TEXT), st.integers(-(2**70), 2**70), st.floats(), st.booleans(), st.none(),
    st.just({"nested": [1, {"x": None}]}), st.just([1, "a", None]),
)  # fmt: skip


@st.composite
def geojson_cases(draw: Any) -> FuzzCase:
    """GeoJSON text: broken and odd geometries, odd properties and ``crs`` members."""
    table = draw(st.sampled_from(["assets", "areas"]))
    keys = (
        ["id", "name", "kind", "category"] if table == "assets" else ["code", "name", "imd_decile"]
    )
    features = []
    for _ in range(draw(st.integers(0, 4))):
        props = {k: draw(_PROPERTY) for k in keys if draw(st.integers(0, 4))}
        props.update(
            {
                draw(st.sampled_from(_COLUMNS)): draw(_PROPERTY)
                for _ in range(draw(st.integers(0, 2)))
            }
        )
        feature: dict[str, Any] = {
            "type": draw(st.sampled_from(["Feature", "Feature", "feature", "Nope"]))
        }
        if draw(st.integers(0, 6)):
            feature["properties"] = (
                props if draw(st.integers(0, 6)) else draw(st.sampled_from([None, [], "x"]))
            )
        if draw(st.integers(0, 6)):
            feature["geometry"] = draw(_geometry())
        features.append(feature)
    doc: dict[str, Any] = {
        "type": draw(st.sampled_from(["FeatureCollection"] * 4 + ["Feature", "Topology"]))
    }
    doc["features"] = (
        features if draw(st.integers(0, 8)) else draw(st.sampled_from([None, {}, "x"]))
    )
    crs = draw(_CRS)
    if crs is not None:
        doc["crs"] = crs
    text = json.dumps(doc, allow_nan=True, ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        data = _mutate(data, draw)
    suffix = draw(st.sampled_from([".geojson", ".geojson", ".json"]))
    return FuzzCase("geojson", table, f"{table}{suffix}", data)


def _toml_value(draw: Any) -> str:
    return draw(
        st.sampled_from(
            [
                '"x"', '""', "1", "-1", "0", "1.5", "nan", "inf", "-inf", "true", "[]", "[1, 2]",
                '["a", 1]', "{}", '{ a = 1 }', "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00",
                '"../../etc/passwd"', '"/dev/null"', '"."', '"assets.txt"', '"nope.csv"',
                '"EPSG:999999"', "[[1]]", "1e400", '"\\u0000"', "0x10", "[1000, -5, 1e9]",
            ]
        )
    )  # fmt: skip


_TOML_KEYS = {
    "dataset": ["name", "description", "metric_crs"],
    "projects": ["id", "name", "lat", "lon", "kind", "postcode", "investment", "opened"],
    "catchment": ["bands_m", "max_outside_m"],
    "privacy": ["min_count"],
    "files": ["assets", "opportunities", "areas", "spend", "links", "postcodes", "flows", "x"],
    "files.assets": ["path", "crs", "layer", "sheet", "columns"],
    "matching": ["weights", "min_score"],
}


@st.composite
def toml_cases(draw: Any) -> FuzzCase:
    """``dataset.toml`` text: keys of the base manifest given odd values, tables repeated."""
    lines = _MANIFEST.format(assets="assets.csv", areas="areas.geojson").splitlines()
    for _ in range(draw(st.integers(1, 6))):
        section = draw(st.sampled_from(sorted(_TOML_KEYS)))
        key = draw(st.sampled_from(_TOML_KEYS[section]))
        header = f"[[{section}]]" if section == "projects" else f"[{section}]"
        block = [header, f"{key} = {_toml_value(draw)}"]
        if draw(st.booleans()) or section not in ("dataset", "catchment", "files"):
            lines += block  # a new table (may repeat one: invalid TOML)
        else:
            at = lines.index(header) + 1 if header in lines else len(lines)
            lines[at:at] = block[1:]  # a key inside the existing table (may repeat a key)
    if draw(st.integers(0, 5)) == 0:
        del lines[draw(st.integers(0, len(lines) - 1))]
    data = "\n".join(lines).encode("utf-8")
    if draw(st.integers(0, 5)) == 0:
        data = _mutate(data, draw)
    return FuzzCase("toml", "manifest", "dataset.toml", data)


#: Every strategy by the kind of file it makes.
STRATEGIES: dict[str, Callable[[], st.SearchStrategy[FuzzCase]]] = {
    "csv": csv_cases,
    "xlsx": xlsx_cases,
    "geojson": geojson_cases,
    "toml": toml_cases,
}


def all_cases() -> st.SearchStrategy[FuzzCase]:
    """A case of any kind."""
    return st.one_of(*(make() for make in STRATEGIES.values()))


# --- running -------------------------------------------------------------------------


def read_case(folder: Path) -> None:
    """The entry point under test: :func:`cwb.read_dataset` (which validates the folder first)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_dataset(folder)


@dataclass
class FuzzReport:
    """Cases run, and how many ended in each outcome (``ok`` or an exception type)."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    crashes: list[dict[str, str]] = field(default_factory=list)  # first few non-CwbError

    @property
    def non_cwb(self) -> int:
        """Cases that raised anything but a CwbError."""
        return sum(n for name, n in self.outcomes.items() if name.startswith("!"))

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (for the bench JSON)."""
        return {
            "cases": self.cases,
            "non_cwb_errors": self.non_cwb,
            "outcomes": dict(self.outcomes.most_common()),
            "by_kind": {k: dict(v.most_common()) for k, v in self.by_kind.items()},
            "crashes": self.crashes,
        }


def outcome(case: FuzzCase, scratch: Path) -> tuple[str, BaseException | None]:
    """Run one case in a fresh folder under ``scratch``; its outcome and any crash.

    The outcome is ``"ok"``, the CwbError's type name, or ``"!"`` + the type name of
    any other exception (a crash, returned too).
    """
    folder = Path(tempfile.mkdtemp(dir=scratch))
    try:
        write_case(case, folder)
        read_case(folder)
    except CwbError as exc:
        return type(exc).__name__, None
    except Exception as exc:  # noqa: BLE001 - counting every crash is the point
        return "!" + type(exc).__name__, exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return "ok", None


def run_fuzz(
    cases: int = DEFAULT_CASES,
    *,
    seed: int = 0,
    scratch: Path | None = None,
    on_round: Callable[[FuzzReport], None] | None = None,
) -> FuzzReport:
    """Run ``cases`` cases spread evenly over the strategies; count the outcome of each.

    The cases run in rounds of :data:`ROUND` per kind of file, each round seeded from
    ``seed`` (the same seed runs the same cases), without shrinking; ``on_round`` is
    called with the report so far after each round.
    """
    report = FuzzReport()
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="cwb-fuzz-", dir=scratch))
    per_kind = max(1, math.ceil(cases / len(STRATEGIES)))
    try:
        for start in range(0, per_kind, ROUND):
            for kind, make in STRATEGIES.items():
                counts = report.by_kind.setdefault(kind, Counter())
                size = min(ROUND, per_kind - start)
                _run_strategy(make(), size, seed * 100_003 + start, root, report, counts)
            if on_round is not None:
                on_round(report)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return report


def _run_strategy(
    strategy: st.SearchStrategy[FuzzCase],
    cases: int,
    seed: int,
    root: Path,
    report: FuzzReport,
    counts: Counter[str],
) -> None:
    @settings(
        max_examples=cases,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @fixed_seed(seed)
    @given(case=strategy)
    def one(case: FuzzCase) -> None:
        name, exc = outcome(case, root)
        counts[name] += 1
        report.outcomes[name] += 1
        report.cases += 1
        if exc is not None and len(report.crashes) < 20:
            error = "".join(traceback.format_exception(exc)[-3:])
            report.crashes.append({"case": repr(case), "error": error})

    try:
        one()
    except Exception as exc:  # noqa: BLE001 - hypothesis itself gave up (flaky, health check)
        counts["!hypothesis " + type(exc).__name__] += 1
        report.outcomes["!hypothesis " + type(exc).__name__] += 1
        report.crashes.append({"case": "(hypothesis)", "error": str(exc)[:500]})


def main(argv: list[str] | None = None) -> int:
    """``python -m cwb.bench.fuzz [--cases N] [--seed S]``: print the counts as JSON."""
    parser = argparse.ArgumentParser(prog="python -m cwb.bench.fuzz", description=main.__doc__)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", type=Path, help="rewrite the counts so far here each round")
    args = parser.parse_args(argv)

    def progress(so_far: FuzzReport) -> None:
        if args.progress is not None:
            args.progress.write_text(json.dumps(so_far.to_dict(), indent=2, ensure_ascii=False))

    report = run_fuzz(args.cases, seed=args.seed, on_round=progress)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 1 if report.non_cwb else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
