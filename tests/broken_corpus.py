"""A corpus of broken datasets: each case copies the mini dataset and breaks one thing.

Every case names what it breaks, the exit code the CLI must give (1: the data
has errors; 2: a usage error; 0: accepted with a named warning) and the text
the message must hold (file, row, column and reason where they exist).
``tests/test_broken_corpus.py`` runs each through the CLI in-process.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyarrow.parquet as pq

MINI = Path(__file__).resolve().parent / "data" / "mini"

Break = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One broken dataset: how to break the mini dataset and what the CLI must say."""

    id: str
    breaks: tuple[Break, ...]
    expect: tuple[str, ...]
    exit: int = 1
    command: str = "validate"

    @property
    def group(self) -> str:
        return self.id.split(":")[0]


def build(case: Case, root: Path) -> Path:
    """The broken dataset of ``case`` in ``root/ds``: the mini dataset without spend and links."""
    folder = root / "ds"
    shutil.copytree(MINI, folder)
    for name in ("spend.csv", "links.csv"):
        (folder / name).unlink()
    toml = folder / "dataset.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('spend = "spend.csv"\n', "").replace('links = "links.csv"\n', "")
    toml.write_text(text, encoding="utf-8")
    for step in case.breaks:
        step(folder)
    return folder


# --------------------------------------------------------------------------- break steps


def sub(old: str, new: str, file: str = "dataset.toml") -> Break:
    """Replace text in a file (it must be there)."""

    def step(folder: Path) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return step


def append(text: str, file: str = "dataset.toml") -> Break:
    """Add text at the end of a file."""

    def step(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)

    return step


def write(file: str, content: str | bytes) -> Break:
    """Write (or overwrite) a file."""

    def step(folder: Path) -> None:
        path = folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")

    return step


def remove(file: str) -> Break:
    def step(folder: Path) -> None:
        (folder / file).unlink()

    return step


def mkdir(file: str) -> Break:
    """Put an empty folder where a file belongs."""

    def step(folder: Path) -> None:
        path = folder / file
        if path.exists():
            path.unlink()
        path.mkdir()

    return step


def cell(file: str, row: int, column: str, value: str) -> Break:
    """Set one CSV cell; ``row`` is the spreadsheet row (header = 1)."""

    def step(folder: Path) -> None:
        path = folder / file
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        rows[row - 1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8", newline="")

    return step


def truncate(file: str, keep: float = 0.5) -> Break:
    """Cut a file to a fraction of its bytes (a download that stopped)."""

    def step(folder: Path) -> None:
        path = folder / file
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return step


def corrupt(file: str, at: float = 0.5, length: int = 64) -> Break:
    """Overwrite bytes in the middle of a file with garbage."""

    def step(folder: Path) -> None:
        path = folder / file
        data = bytearray(path.read_bytes())
        start = int(len(data) * at)
        data[start : start + length] = b"\xff\x00garbage" * (length // 9 + 1)
        path.write_bytes(bytes(data[: len(data)]))

    return step


def convert(table: str, fmt: str) -> Break:
    """Write a table in another format and point the manifest at it."""
    suffix = {"xlsx": ".xlsx", "parquet": ".parquet", "gpkg": ".gpkg", "geojson": ".geojson"}[fmt]

    def step(folder: Path) -> None:
        old = next(p for p in folder.iterdir() if p.stem == table and p.is_file())
        new = folder / f"{table}{suffix}"
        if old.suffix == ".geojson":
            frame = gpd.read_file(old)
            if fmt == "parquet":
                frame.to_parquet(new)
            elif fmt == "gpkg":
                frame.to_file(new, layer=table)
            else:
                frame.to_file(new, driver="GeoJSON")
        else:
            frame = pd.read_csv(old, dtype=str, keep_default_na=False)
            if fmt == "xlsx":
                frame.to_excel(new, index=False)
            else:
                frame.to_parquet(new)
        if old != new:
            old.unlink()
        sub(f'{table} = "{old.name}"', f'{table} = "{new.name}"')(folder)

    return step


def rename(file: str, new: str) -> Break:
    """Rename a file and point the manifest at the new name (content unchanged)."""

    def step(folder: Path) -> None:
        (folder / file).rename(folder / new)
        sub(f'"{file}"', f'"{new}"')(folder)

    return step


def workbook(file: str, rows: list[list[object]]) -> Break:
    """Write an .xlsx with these rows (formulas are written without a saved value)."""

    def step(folder: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        book.save(folder / file)

    return step


def zip_bomb(file: str, mb: int) -> Break:
    """An .xlsx whose one sheet unzips to ``mb`` MiB of zeros (a few KiB zipped)."""

    def step(folder: Path) -> None:
        with zipfile.ZipFile(folder / file, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                chunk = b"\0" * 2**20
                for _ in range(mb):
                    part.write(chunk)

    return step


def square(code: str, name: str, x: float = -1.98, y: float = 52.48) -> str:
    ring = (
        f"[[{x}, {y}], [{x + 0.03}, {y}], [{x + 0.03}, {y + 0.03}], [{x}, {y + 0.03}], [{x}, {y}]]"
    )
    return (
        '{"type": "Feature", "properties": {"code": "' + code + '", "name": "' + name + '"}, '
        '"geometry": {"type": "Polygon", "coordinates": [' + ring + "]}}"
    )


def areas(*features: str, crs: str | None = None) -> Break:
    head = '{"type": "FeatureCollection", '
    if crs:
        head += '"crs": {"type": "name", "properties": {"name": "' + crs + '"}}, '
    return write("areas.geojson", head + '"features": [' + ", ".join(features) + "]}")


ASSET_HEADER = (
    "id,name,kind,category,lat,lon,postcode,area_code,skills,sector,capacity,count,"
    "collected_on,contact_name,contact_email\n"
)


def asset_row(row: str) -> Break:
    return append(row + "\n", "assets.csv")


def postcodes(text: str) -> Break:
    return write("postcodes.csv", "postcode,lat,lon\n" + text)


# --------------------------------------------------------------------------- the corpus


def _c(
    id: str, *breaks: Break, expect: tuple[str, ...] | str, exit: int = 1, command: str = "validate"
) -> Case:
    return Case(id, breaks, (expect,) if isinstance(expect, str) else expect, exit, command)


MANIFEST = "dataset.toml"

CASES: list[Case] = [
    # ---- the manifest: syntax, encoding, presence
    _c("toml:syntax", sub("[privacy]", "[privacy"), expect=(MANIFEST, "is not valid TOML")),
    _c(
        "toml:unclosed-string",
        sub('name = "Test Hospital"', 'name = "Test'),
        expect="not valid TOML",
    ),
    _c("toml:duplicate-key", append("\n[privacy]\nmin_count = 6\n"), expect="not valid TOML"),
    _c("toml:not-utf8", write(MANIFEST, b'[dataset]\nname = "Caf\xe9"\n'), expect="not UTF-8"),
    _c("toml:binary", write(MANIFEST, b"\x89PNG\r\n\x1a\n\x00\x00"), expect=(MANIFEST,)),
    _c("toml:missing", remove(MANIFEST), expect=(MANIFEST, "file is missing")),
    _c("toml:empty", write(MANIFEST, ""), expect=("dataset.toml: is empty", "[[projects]]")),
    _c("toml:directory", mkdir(MANIFEST), expect=(MANIFEST, "is a folder, not a file")),
    _c("toml:truncated", truncate(MANIFEST, 0.3), expect=(MANIFEST,)),
    # ---- the manifest: unknown sections and keys, with did-you-mean
    _c(
        "schema:unknown-section",
        sub("[privacy]", "[privcy]"),
        expect=("dataset.toml, key privcy", "unknown section [privcy]", "did you mean 'privacy'"),
    ),
    _c(
        "schema:unknown-key",
        sub("min_count = 5", "min_cont = 5"),
        expect=("key privacy.min_cont", "'5'", "did you mean 'min_count'"),
    ),
    _c(
        "schema:matching-wieghts",
        append("\n[matching]\nwieghts = { skills = 1.0 }\n"),
        expect=("key matching.wieghts", "did you mean 'weights'"),
    ),
    _c(
        "schema:matching-weight-component",
        append("\n[matching]\nweights = { skils = 1.0 }\n"),
        expect=("key matching.weights", "unknown component 'skils'", "did you mean 'skills'"),
    ),
    _c(
        "schema:catchment-key",
        sub("max_outside_m", "max_outside"),
        expect=("key catchment.max_outside", "did you mean 'max_outside_m'"),
    ),
    _c(
        "schema:dataset-key",
        sub("[dataset]\n", '[dataset]\nmetric_src = "EPSG:27700"\n'),
        expect=("key dataset.metric_src", "did you mean 'metric_crs'"),
    ),
    _c(
        "schema:files-unknown-table",
        sub('assets = "assets.csv"', 'assets = "assets.csv"\nasets = "assets.csv"'),
        expect=("key files.asets", "unknown table 'asets'", "did you mean 'assets'"),
    ),
    _c(
        "schema:files-entry-key",
        sub('areas = "areas.geojson"', 'areas = { path = "areas.geojson", lyer = "x" }'),
        expect=("key files.areas.lyer", "did you mean 'layer'"),
    ),
    _c(
        "schema:spend-key",
        append("\n[spend]\nyear_start_mnth = 4\n"),
        expect=("key spend.year_start_mnth", "did you mean 'year_start_month'"),
    ),
    _c(
        "schema:commons-key",
        append("\n[commons]\ndecay = 100\n"),
        expect=("key commons.decay", "did you mean 'decay_m'"),
    ),
    _c(
        "schema:flows-key",
        append('\n[flows]\ncatchmnt = ["E1"]\n'),
        expect=("key flows.catchmnt", "did you mean 'catchment'"),
    ),
    # ---- the manifest: types
    _c(
        "schema:min-count-text",
        sub("min_count = 5", 'min_count = "five"'),
        expect=("dataset.toml, key privacy.min_count", "'five'", "must be a whole number"),
    ),
    _c(
        "schema:min-count-float",
        sub("min_count = 5", "min_count = 5.5"),
        expect=("key privacy.min_count", "'5.5'", "whole number"),
    ),
    _c(
        "schema:bands-text",
        sub("bands_m = [1000, 3000]", 'bands_m = "abc"'),
        expect=("key catchment.bands_m", "'abc'", "must be a list"),
    ),
    _c(
        "schema:bands-item-text",
        sub("bands_m = [1000, 3000]", 'bands_m = [1000, "two km"]'),
        expect=("key catchment.bands_m.1", "'two km'", "must be a number"),
    ),
    _c(
        "schema:bands-empty",
        sub("bands_m = [1000, 3000]", "bands_m = []"),
        expect=("key catchment.bands_m", "at least 1 item"),
    ),
    _c(
        "schema:max-outside-text",
        sub("max_outside_m = 10000", 'max_outside_m = "far"'),
        expect=("key catchment.max_outside_m", "'far'", "must be a number"),
    ),
    _c(
        "schema:projects-table",
        sub("[[projects]]", "[projects]"),
        expect=("key projects", "must be an array of tables", "[[projects]]"),
    ),
    _c(
        "schema:project-lat-text",
        sub("lat = 52.4951", 'lat = "north"'),
        expect=("key projects.1.lat", "'north'", "must be a number"),
    ),
    _c(
        "schema:project-no-id",
        sub('id = "hosp"\n', ""),
        expect=("key projects.1.id", "is required"),
    ),
    _c(
        "schema:project-id-table",
        sub('id = "hosp"', "id = { a = 1 }"),
        expect=("key projects.1.id", "must be text"),
    ),
    _c(
        "schema:project-duplicate",
        append('\n[[projects]]\nid = "hosp"\nname = "Again"\nlat = 52.5\nlon = -1.9\n'),
        expect=("key projects.2.id", "declared twice"),
    ),
    _c(
        "schema:project-opened",
        sub('kind = "hospital"', 'kind = "hospital"\nopened = "2024-02-10garbage"'),
        expect=("key projects.1.opened", "is not a date"),
    ),
    _c(
        "schema:columns-text",
        sub('assets = "assets.csv"', 'assets = { path = "assets.csv", columns = "x" }'),
        expect=("key files.assets.columns", "'x'", "must be a table"),
    ),
    _c(
        "schema:files-no-path",
        sub('assets = "assets.csv"', 'assets = { crs = "EPSG:4326" }'),
        expect=("key files.assets.path", "is required"),
    ),
    _c(
        "schema:files-number",
        sub('assets = "assets.csv"', "assets = 5"),
        expect=("key files.assets", "'5'", "must be a path in quotes"),
    ),
    _c(
        "schema:files-not-table",
        sub("[dataset]\n", "files = 3\n[dataset]\n"),
        sub("[files]", "[other]"),
        expect=("[files] must be a table", "unknown section [other]"),
    ),
    _c(
        "schema:dataset-name-number",
        sub('name = "Mini test dataset"', "name = 42"),
        expect=("key dataset.name", "'42'", "must be text"),
    ),
    _c(
        "schema:allow-outside-text",
        sub("[dataset]\n", '[dataset]\nallow_outside = "yes"\n'),
        expect=("key dataset.allow_outside", "'yes'", "true or false"),
    ),
    _c(
        "schema:section-not-table",
        sub("[privacy]\nmin_count = 5\n", ""),
        sub("[dataset]\n", "privacy = 3\n[dataset]\n"),
        expect=("key privacy", "[privacy] must be a table"),
    ),
    # ---- the manifest: ranges and enumerations
    _c(
        "range:min-count-one",
        sub("min_count = 5", "min_count = 1"),
        expect=("key privacy.min_count", "'1'", "allow_small_groups = true"),
    ),
    _c(
        "range:min-count-zero",
        sub("min_count = 5", "min_count = 0"),
        expect=("key privacy.min_count", "'0'", "greater than or equal to 1"),
    ),
    _c(
        "range:min-count-negative",
        sub("min_count = 5", "min_count = -3"),
        expect=("key privacy.min_count", "'-3'", "greater than or equal to 1"),
    ),
    _c(
        "range:bands-negative",
        sub("bands_m = [1000, 3000]", "bands_m = [-1000, 3000]"),
        expect=("key catchment.bands_m.0", "'-1000'", "greater than 0"),
    ),
    _c(
        "range:bands-nan",
        sub("bands_m = [1000, 3000]", "bands_m = [nan, 3000]"),
        expect=("key catchment.bands_m.0", "finite number"),
    ),
    _c(
        "range:max-outside-negative",
        sub("max_outside_m = 10000", "max_outside_m = -1"),
        expect=("key catchment.max_outside_m", "'-1'", "greater than or equal to 0"),
    ),
    _c(
        "range:project-lat",
        sub("lat = 52.4951", "lat = 152.4951"),
        expect=("key projects.1.lat", "'152.4951'", "less than or equal to 90"),
    ),
    _c(
        "range:project-lon",
        sub("lon = -1.9447", "lon = -191.9"),
        expect=("key projects.1.lon", "greater than or equal to -180"),
    ),
    _c(
        "range:investment-negative",
        sub('kind = "hospital"', 'kind = "hospital"\ninvestment = -5'),
        expect=("key projects.1.investment", "greater than or equal to 0"),
    ),
    _c(
        "range:matching-min-score",
        append("\n[matching]\nmin_score = 2\n"),
        expect=("key matching.min_score", "'2'", "less than or equal to 1"),
    ),
    _c(
        "range:matching-consortium",
        append("\n[matching]\nmax_consortium_size = 9\n"),
        expect=("key matching.max_consortium_size", "'9'", "less than or equal to 6"),
    ),
    _c(
        "range:matching-weight-negative",
        append("\n[matching]\nweights = { skills = -1 }\n"),
        expect=("key matching.weights.skills", "greater than or equal to 0"),
    ),
    _c(
        "range:matching-top-k-text",
        append('\n[matching]\ntop_k = "ten"\n'),
        expect=("key matching.top_k", "'ten'", "whole number"),
    ),
    _c(
        "range:limits-columns",
        append("\n[limits]\nmax_columns = 0\n"),
        expect=("key limits.max_columns", "'0'", "greater than or equal to 1"),
    ),
    # ---- the manifest: CRS
    _c(
        "crs:metric-garbage",
        sub("[dataset]\n", '[dataset]\nmetric_crs = "garbage"\n'),
        expect=("key dataset.metric_crs", "'garbage'", "not a coordinate reference system"),
    ),
    _c(
        "crs:metric-unknown-epsg",
        sub("[dataset]\n", '[dataset]\nmetric_crs = "EPSG:99999"\n'),
        expect=("key dataset.metric_crs", "'EPSG:99999'", "not a coordinate reference system"),
    ),
    _c(
        "crs:metric-geographic",
        sub("[dataset]\n", '[dataset]\nmetric_crs = "EPSG:4326"\n'),
        expect=("key dataset.metric_crs", "'EPSG:4326'", "not a projected CRS in metres"),
    ),
    _c(
        "crs:metric-feet",
        sub("[dataset]\n", '[dataset]\nmetric_crs = "EPSG:2263"\n'),
        expect=("key dataset.metric_crs", "'EPSG:2263'", "not a projected CRS in metres"),
    ),
    _c(
        "crs:files-unknown",
        sub('areas = "areas.geojson"', 'areas = { path = "areas.geojson", crs = "EPSG:99999" }'),
        expect=("key files.areas.crs", "'EPSG:99999'", "not a coordinate reference system"),
    ),
    _c(
        "crs:files-garbage",
        sub('areas = "areas.geojson"', 'areas = { path = "areas.geojson", crs = "WGS-84ish" }'),
        expect=("key files.areas.crs", "'WGS-84ish'", "not a coordinate reference system"),
    ),
    _c(
        "crs:geojson-disagrees",
        sub('areas = "areas.geojson"', 'areas = { path = "areas.geojson", crs = "EPSG:27700" }'),
        expect=("areas.geojson, column geometry", "says EPSG:27700"),
    ),
    _c(
        "crs:geojson-metres-as-degrees",
        areas(square("W1", "West", 400000, 290000)),
        expect=("areas.geojson, column geometry", "cannot be degrees", "the CRS is wrong"),
    ),
    # ---- table paths: outside the folder, folders where files belong
    _c(
        "path:outside-relative",
        write("../elsewhere/assets.csv", ASSET_HEADER),
        sub('assets = "assets.csv"', 'assets = "../elsewhere/assets.csv"'),
        expect=("key files.assets", "../elsewhere/assets.csv", "leads outside the dataset folder"),
    ),
    _c(
        "path:outside-absolute",
        sub('areas = "areas.geojson"', 'areas = "/etc/hostname.geojson"'),
        expect=("key files.areas", "/etc/hostname.geojson", "leads outside the dataset folder"),
    ),
    _c(
        "path:outside-dotdot-inside-name",
        sub('assets = "assets.csv"', 'assets = "sub/../../assets.csv"'),
        expect=("key files.assets", "leads outside the dataset folder"),
    ),
    _c(
        "path:table-is-directory",
        mkdir("opportunities.csv"),
        expect=("opportunities.csv: is a folder, not a file",),
    ),
    _c(
        "path:geojson-is-directory",
        mkdir("areas.geojson"),
        expect=("areas.geojson: is a folder, not a file",),
    ),
    _c("path:missing-table", remove("assets.csv"), expect=("assets.csv: file is missing",)),
    _c(
        "path:unsupported-suffix",
        rename("assets.csv", "assets.txt"),
        expect=("assets.txt: unsupported file type '.txt'",),
    ),
    _c(
        "path:no-suffix",
        rename("assets.csv", "assets"),
        expect=("assets: unsupported file type ''",),
    ),
    # ---- CSV
    _c("csv:empty", write("assets.csv", ""), expect=("assets.csv: file is empty",)),
    _c("csv:blank-lines", write("assets.csv", "\n\n  \n"), expect=("assets.csv: file is empty",)),
    _c(
        "csv:header-only",
        write("assets.csv", ASSET_HEADER),
        expect=("assets.csv: file has a header but no rows",),
    ),
    _c(
        "csv:unbalanced-quote",
        asset_row('A9,"Unclosed,physical,library,,,,,,,,,,,'),
        expect=("assets.csv", "well-formed CSV"),
    ),
    _c(
        "csv:too-many-cells",
        asset_row("A9,Extra,physical,library,,,,,,,,,,,,x,y"),
        expect=("assets.csv", "well-formed CSV"),
    ),
    _c(
        "csv:ragged-row",
        asset_row("A9,Short row,physical,library"),
        expect=("warning: assets.csv, row 7", "fewer cells than the header's 15"),
        exit=0,
    ),
    _c(
        "csv:nul-byte",
        asset_row("A9,Nul\0here,physical,library,,,,,,,,,,,"),
        expect=("assets.csv, row 7, column name", "x00here", "control character"),
    ),
    _c(
        "csv:binary",
        write("assets.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20),
        expect=("assets.csv", "not UTF-8"),
    ),
    _c(
        "csv:truncated-mid-quote",
        asset_row('A9,"Truncated'),
        expect=("assets.csv", "well-formed CSV"),
    ),
    _c(
        "csv:xlsx-renamed-csv",
        workbook("fake.xlsx", [["id", "name"], ["A1", "x"]]),
        lambda f: (f / "fake.xlsx").replace(f / "assets.csv"),
        expect=("assets.csv",),
    ),
    _c(
        "csv:missing-required-column",
        write("assets.csv", "id,name,kind\nA1,X,physical\n"),
        expect=("assets.csv, column category", "required column 'category' is missing"),
    ),
    _c(
        "csv:duplicate-column",
        write("assets.csv", "id,name,kind,category,Name\nA1,X,physical,library,Y\n"),
        expect=("assets.csv", "appear more than once"),
    ),
    # ---- XLSX
    _c(
        "xlsx:truncated",
        convert("assets", "xlsx"),
        truncate("assets.xlsx", 0.5),
        expect=("assets.xlsx", "not an Excel .xlsx workbook"),
    ),
    _c(
        "xlsx:csv-renamed",
        rename("assets.csv", "assets.xlsx"),
        expect=("assets.xlsx", "not an Excel .xlsx workbook"),
    ),
    _c(
        "xlsx:zip-not-workbook",
        convert("assets", "xlsx"),
        lambda f: zipfile.ZipFile(f / "assets.xlsx", "w").writestr("hello.txt", "hi"),
        expect=("assets.xlsx", "could not be read as an Excel workbook"),
    ),
    _c(
        "xlsx:corrupt-part",
        convert("assets", "xlsx"),
        lambda f: _corrupt_zip_member(f / "assets.xlsx", "xl/worksheets/sheet1.xml"),
        expect=("assets.xlsx", "could not be read as an Excel workbook"),
    ),
    _c(
        "xlsx:zip-bomb",
        zip_bomb("assets.xlsx", 8),
        sub('assets = "assets.csv"', 'assets = "assets.xlsx"'),
        append("\n[limits]\nmax_xlsx_unzipped_mb = 4\n"),
        expect=("assets.xlsx", "unzips to 8 MiB", "more than the limit of 4 MiB"),
    ),
    _c(
        "xlsx:unknown-sheet",
        convert("assets", "xlsx"),
        sub('assets = "assets.xlsx"', 'assets = { path = "assets.xlsx", sheet = "Nope" }'),
        expect=("assets.xlsx", "Nope"),
        exit=2,
    ),
    _c(
        "xlsx:formula-without-value",
        workbook(
            "assets.xlsx",
            [
                ["id", "name", "kind", "category", "capacity", "area_code"],
                ["A1", "Hall", "physical", "building", "=2*50", "W1"],
            ],
        ),
        sub('assets = "assets.csv"', 'assets = "assets.xlsx"'),
        expect=("assets.xlsx, row 2, column capacity", "'=2*50'", "has no saved value"),
    ),
    _c(
        "xlsx:directory",
        mkdir("assets.xlsx"),
        sub('assets = "assets.csv"', 'assets = "assets.xlsx"'),
        expect=("assets.xlsx: is a folder, not a file",),
    ),
    _c(
        "xlsx:empty",
        write("assets.xlsx", b""),
        sub('assets = "assets.csv"', 'assets = "assets.xlsx"'),
        expect=("assets.xlsx: file is empty",),
    ),
    # ---- GeoJSON
    _c("geojson:truncated", truncate("areas.geojson", 0.6), expect=("areas.geojson", "could not")),
    _c("geojson:corrupt", corrupt("areas.geojson", 0.3), expect=("areas.geojson", "could not")),
    _c(
        "geojson:not-json",
        write("areas.geojson", "code,name\nW1,West\n"),
        expect=("areas.geojson", "could not"),
    ),
    _c(
        "geojson:csv-renamed",
        rename("assets.csv", "assets.geojson"),
        expect=("assets.geojson", "could not"),
    ),
    _c(
        "geojson:empty-object",
        write("areas.geojson", "{}"),
        expect=("areas.geojson", "could not"),
    ),
    _c(
        "geojson:unknown-crs",
        areas(square("W1", "West"), crs="urn:ogc:def:crs:EPSG::99999"),
        expect=("areas.geojson, column geometry", "'urn:ogc:def:crs:EPSG::99999'", "not know"),
    ),
    _c(
        "geojson:duplicate-code",
        areas(square("W1", "West"), square("W1", "Other", -1.94)),
        expect=("areas.geojson, row 3, column code", "'W1'", "already used on row 2"),
    ),
    _c(
        "geojson:no-code-column",
        write(
            "areas.geojson",
            '{"type": "FeatureCollection", "features": ['
            + square("W1", "West").replace('"code"', '"ward"')
            + "]}",
        ),
        expect=("areas.geojson, column code", "required column 'code' is missing"),
    ),
    _c(
        "geojson:empty-code",
        areas(square("", "West")),
        expect=("areas.geojson, row 2, column code", "code is empty"),
    ),
    _c(
        "geojson:lookalike-code",
        areas(square("W1", "West"), square("w1", "Other", -1.94)),
        expect=("areas.geojson, row 3, column code", "only by case"),
    ),
    # ---- GeoPackage
    _c(
        "gpkg:truncated",
        convert("areas", "gpkg"),
        truncate("areas.gpkg", 0.3),
        expect=("areas.gpkg", "could not"),
    ),
    _c(
        "gpkg:corrupt",
        convert("areas", "gpkg"),
        corrupt("areas.gpkg", 0.0, 100),
        expect=("areas.gpkg", "could not"),
    ),
    _c(
        "gpkg:csv-renamed",
        rename("assets.csv", "assets.gpkg"),
        expect=("assets.gpkg", "could not"),
    ),
    _c(
        "gpkg:unknown-layer",
        convert("areas", "gpkg"),
        sub('areas = "areas.gpkg"', 'areas = { path = "areas.gpkg", layer = "wards" }'),
        expect=("areas.gpkg", "could not", "wards"),
    ),
    _c(
        "gpkg:directory",
        mkdir("areas.gpkg"),
        sub('areas = "areas.geojson"', 'areas = "areas.gpkg"'),
        expect=("areas.gpkg: is a folder, not a file",),
    ),
    # ---- Parquet / GeoParquet
    _c(
        "parquet:truncated",
        convert("assets", "parquet"),
        truncate("assets.parquet", 0.5),
        expect=("assets.parquet", "could not be read as a parquet file"),
    ),
    _c(
        "parquet:corrupt",
        convert("assets", "parquet"),
        corrupt("assets.parquet", 0.4, 200),
        expect=("assets.parquet", "could not be read as a parquet file"),
    ),
    _c(
        "parquet:csv-renamed",
        rename("assets.csv", "assets.parquet"),
        expect=("assets.parquet", "could not be read as a parquet file"),
    ),
    _c(
        "parquet:geoparquet-truncated",
        convert("areas", "parquet"),
        truncate("areas.parquet", 0.7),
        expect=("areas.parquet", "could not be read as a parquet file"),
    ),
    _c(
        "parquet:bad-geo-metadata",
        convert("areas", "parquet"),
        lambda f: _parquet_geo_metadata(f / "areas.parquet", b'{"not": "geo"'),
        expect=("areas.parquet", "could not be read as a parquet file"),
    ),
    _c(
        "parquet:directory",
        mkdir("assets.parquet"),
        sub('assets = "assets.csv"', 'assets = "assets.parquet"'),
        expect=("assets.parquet: is a folder, not a file",),
    ),
    # ---- limits
    _c(
        "limit:wide-header",
        write("assets.csv", ",".join(f"c{i}" for i in range(200_000)) + "\n1\n"),
        expect=("assets.csv", "has 200,000 columns", "limit of 2,000"),
    ),
    _c(
        "limit:configured-columns",
        append("\n[limits]\nmax_columns = 10\n"),
        expect=("assets.csv", "has 15 columns", "limit of 10"),
    ),
    _c(
        "limit:file-size",
        append("\n[limits]\nmax_file_mb = 0.0001\n"),
        expect=("assets.csv", "more than the limit of 0.0001 MiB"),
    ),
    _c(
        "limit:wide-xlsx",
        workbook("assets.xlsx", [[f"c{i}" for i in range(30)], [1] * 30]),
        sub('assets = "assets.csv"', 'assets = "assets.xlsx"'),
        append("\n[limits]\nmax_columns = 20\n"),
        expect=("assets.xlsx", "has 30 columns", "limit of 20"),
    ),
    # ---- ambiguous values: errors, never guesses
    _c(
        "value:decimal-comma",
        cell("assets.csv", 3, "capacity", "1,5"),
        expect=("assets.csv, row 3, column capacity", "'1,5'", "is not a number"),
    ),
    _c(
        "value:spaced-digits",
        cell("assets.csv", 3, "capacity", "1 2 3"),
        expect=("assets.csv, row 3, column capacity", "'1 2 3'", "is not a number"),
    ),
    _c(
        "value:bad-thousands",
        cell("opportunities.csv", 2, "value", "33,00"),
        expect=("opportunities.csv, row 2, column value", "'33,00'", "is not a number"),
    ),
    _c(
        "value:date-garbage-suffix",
        cell("assets.csv", 2, "collected_on", "2024-02-10garbage"),
        expect=("assets.csv, row 2, column collected_on", "'2024-02-10garbage'", "not a date"),
    ),
    _c(
        "value:date-impossible",
        cell("assets.csv", 2, "collected_on", "2024-02-30"),
        expect=("assets.csv, row 2, column collected_on", "'2024-02-30'", "not a date"),
    ),
    _c(
        "value:date-us-order",
        cell("assets.csv", 2, "collected_on", "02/30/2024"),
        expect=("assets.csv, row 2, column collected_on", "'02/30/2024'", "not a date"),
    ),
    _c(
        "value:id-case",
        asset_row("a1,Lookalike,physical,library,52.49,-1.95,,,,,,,,,"),
        expect=("assets.csv, row 7, column id", "only by case"),
    ),
    _c(
        "value:id-zero-width-space",
        asset_row("A1\u200b,Lookalike,physical,library,52.49,-1.95,,,,,,,,,"),
        expect=("assets.csv, row 7, column id", "invisible characters", "\\u200b"),
    ),
    _c(
        "value:id-full-width-digit",
        asset_row("A\uff11,Lookalike,physical,library,52.49,-1.95,,,,,,,,,"),
        expect=("assets.csv, row 7, column id", "character width"),
    ),
    _c(
        "value:id-duplicate",
        asset_row("A1,Again,physical,library,52.49,-1.95,,,,,,,,,"),
        expect=("assets.csv, row 7, column id", "already used on row 2"),
    ),
    _c(
        "value:control-character-name",
        cell("assets.csv", 3, "name", "Smethwick\x07Library"),
        expect=("assets.csv, row 3, column name", "control character", "\\x07"),
    ),
    _c(
        "value:control-character-escape",
        cell("opportunities.csv", 2, "title", "Nurse\x1b[31m"),
        expect=("opportunities.csv, row 2, column title", "control character"),
    ),
    _c(
        "value:vertical-tab",
        cell("assets.csv", 3, "skills", "a\x0bb"),
        expect=("assets.csv, row 3, column skills", "control character"),
    ),
    _c(
        "value:postcode-two-places",
        append("B66 3AA,52.6,-1.5\n", "postcodes.csv"),
        expect=("postcodes.csv, row 5, column postcode", "'B66 3AA'", "second place", "row 3"),
    ),
    _c(
        "value:postcode-two-places-spelling",
        append("b663aa,52.6,-1.5\n", "postcodes.csv"),
        expect=("postcodes.csv, row 5, column postcode", "'b663aa'", "second place"),
    ),
    _c(
        "value:unknown-kind",
        cell("assets.csv", 2, "kind", "finacial"),
        expect=("assets.csv, row 2, column kind", "'finacial'", "did you mean 'financial'"),
    ),
    _c(
        "value:unknown-category",
        cell("assets.csv", 3, "category", "libary"),
        expect=("assets.csv, row 3, column category", "did you mean 'library'"),
    ),
    _c(
        "value:latitude-text",
        cell("assets.csv", 3, "lat", "52,4969"),
        expect=("assets.csv, row 3, column lat",),
    ),
    _c(
        "value:negative-capacity",
        cell("assets.csv", 3, "capacity", "-400"),
        expect=("assets.csv, row 3, column capacity", "must not be negative"),
    ),
    _c(
        "value:infinite",
        cell("assets.csv", 3, "capacity", "inf"),
        expect=("assets.csv, row 3, column capacity", "'inf'", "is not a number"),
    ),
    _c(
        "value:unknown-project",
        cell("opportunities.csv", 2, "project", "hosp2"),
        expect=("opportunities.csv, row 2, column project", "not declared in dataset.toml"),
    ),
    _c(
        "value:not-utf8",
        write("opportunities.csv", b"id,project,type,title\nO1,hosp,job,Caf\xe9 worker\n"),
        expect=("opportunities.csv", "not UTF-8", "Windows-1252"),
    ),
    # ---- warnings: accepted, with a named warning (exit 0)
    _c(
        "warn:small-groups-allowed",
        sub("min_count = 5", "min_count = 1\nallow_small_groups = true"),
        expect=("key privacy.min_count", "groups of single residents are shown"),
        exit=0,
    ),
    _c(
        "warn:outside-allowed",
        write("../shared_tables/opportunities.csv", (MINI / "opportunities.csv").read_text()),
        sub(
            'opportunities = "opportunities.csv"',
            'opportunities = "../shared_tables/opportunities.csv"',
        ),
        sub("[dataset]\n", "[dataset]\nallow_outside = true\n"),
        expect=("key files.opportunities", "read from outside the dataset folder", "is valid"),
        exit=0,
    ),
    _c(
        "warn:unlocated-row",
        asset_row("A9,Nowhere,physical,library,,,,,,,,,,,"),
        expect=("assets.csv, row 7", "has no location"),
        exit=0,
    ),
    # ---- the same breaks through other commands
    _c(
        "command:catalogue-min-count",
        sub("min_count = 5", 'min_count = "five"'),
        expect=("key privacy.min_count", "whole number"),
        command="catalogue",
    ),
    _c(
        "command:catalogue-truncated-xlsx",
        convert("assets", "xlsx"),
        truncate("assets.xlsx", 0.5),
        expect=("assets.xlsx", "not an Excel .xlsx workbook"),
        command="catalogue",
    ),
    _c(
        "command:catalogue-outside",
        sub('assets = "assets.csv"', 'assets = "../../assets.csv"'),
        expect=("key files.assets", "leads outside the dataset folder"),
        command="catalogue",
    ),
    _c(
        "command:map-metric-crs",
        sub("[dataset]\n", '[dataset]\nmetric_crs = "EPSG:4326"\n'),
        expect=("key dataset.metric_crs", "not a projected CRS"),
        command="map",
    ),
    _c(
        "command:map-duplicate-area",
        areas(square("W1", "West"), square("W1", "Other", -1.94)),
        expect=("areas.geojson, row 3, column code", "already used on row 2"),
        command="map",
    ),
    _c(
        "command:map-directory",
        mkdir("areas.geojson"),
        expect=("areas.geojson: is a folder, not a file",),
        command="map",
    ),
]


def _corrupt_zip_member(path: Path, member: str) -> None:
    """Rewrite a zip with one member's bytes replaced by invalid XML."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts[member] = b"<worksheet><sheetData><row><c r='A1' t='s'><v>99999</v></c></row>" + b"\0"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _parquet_geo_metadata(path: Path, geo: bytes) -> None:
    table = pq.read_table(path)
    metadata = dict(table.schema.metadata or {})
    metadata[b"geo"] = geo
    pq.write_table(table.replace_schema_metadata(metadata), path)
