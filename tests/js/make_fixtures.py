"""Write the fixture that tests/js/roundtrip.test.js checks cwb_map.js against.

Every spec is made by cwb's own Python encoders (cwb/maps/elements.py); the expected values by
their Python decoders, and by :func:`shown`, the Python statement of how a popup shows a column.
Nothing generated is committed: tests/test_js.py (and .ci/run) write it to a temporary folder::

    python tests/js/make_fixtures.py DIR    # writes DIR/fixtures.json

and pass that folder to ``node --test`` in the ``CWB_JS_FIXTURES`` environment variable.
"""

from __future__ import annotations

import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from cwb.maps.elements import (
    COMPRESS_ABOVE,
    _b64,
    decode_array,
    decode_points,
    encode_array,
    encode_points,
    joined_column,
    number_column,
    pack_fields,
    safe_json,
    spatial_order,
    text_column,
    zigzag_varints,
)

#: Largest magnitude the browser decodes exactly (Number.MAX_SAFE_INTEGER).
SAFE = 2**53 - 1


def float_text(v: float) -> str:
    """A float as text that JavaScript's ``Number()`` reads back exactly (NaN, infinities too)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(float(v))


def js_string(v: float) -> str:
    """ECMAScript ``Number::toString`` of a finite float (the ``plain`` column format)."""
    if v == 0:
        return "0"
    digits_tuple = Decimal(repr(abs(v))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    k = len(digits)
    n = int(digits_tuple.exponent) + k
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return ("-" if v < 0 else "") + text


def grouped(v: float) -> str:
    """A whole number with thousands separators, halves rounded away from zero."""
    r = int(Decimal(abs(v)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return ("-" if v < 0 and r else "") + f"{r:,}"


def show_number(v: float, fmt: str) -> str:
    """How a popup shows one number of a ``number_column``."""
    if math.isnan(v):
        return ""
    if fmt == "plain":
        return js_string(v)
    text = grouped(v)
    if fmt != "money":
        return text
    return "-£" + text[1:] if text.startswith("-") else "£" + text


def shown(col: dict[str, Any], n: int) -> list[str]:
    """The strings a popup shows for rows ``0..n-1`` of an encoded column."""
    if "const" in col:
        return [col["const"]] * n
    if "dict" in col:
        return [col["dict"][int(i)] for i in decode_array(col["idx"])]
    if "list" in col:
        return list(col["list"])
    if "num" in col:
        return [show_number(float(v), col["fmt"]) for v in decode_array(col["num"])]
    parts = [shown(c, n) for c in col["join"]]
    return [col["sep"].join(p for p in row if p) for row in zip(*parts, strict=True)]


def varint_cases() -> list[dict[str, Any]]:
    """Single values at the edges, each packed alone, with its bytes."""
    values = [0, 1, -1, 63, -64, 64, -65, 127, -128, 8191, -8192, 8192]
    values += [2**31 - 1, -(2**31), 2**31, 2**32 - 1, 2**32, 2**52, -(2**52), SAFE, -SAFE]
    out = []
    for v in values:
        data = zigzag_varints(np.array([v]))
        out.append({"value": str(v), "b64": _b64(data), "bytes": list(data)})
    return out


def run_cases() -> list[dict[str, Any]]:
    """Sequences of deltas with their running sums (what a packed coordinate column holds)."""
    rng = np.random.default_rng(7)
    small = rng.integers(-5000, 5000, 500)
    cases = [
        ([], 0),
        ([0, 0, 0], 12),
        ([SAFE, -SAFE, -SAFE, SAFE], 0),
        ([2**31, 2**31, -(2**32)], -5),
        (small.tolist(), 123_456),
    ]
    out = []
    for deltas, start in cases:
        sums = (start + np.cumsum(np.array(deltas, dtype=np.int64))).tolist() if deltas else []
        out.append(
            {
                "n": len(deltas),
                "start": start,
                "b64": _b64(zigzag_varints(np.array(deltas, dtype=np.int64))),
                "expected": [str(s) for s in sums],
            }
        )
    return out


def point_cases() -> list[dict[str, Any]]:
    """Points packed as map layers pack them, with the decoded degrees and Web Mercator."""
    rng = np.random.default_rng(11)
    city_lon = rng.uniform(-2.05, -1.7, 3000)
    city_lat = rng.uniform(52.38, 52.6, 3000)
    order = spatial_order(city_lon, city_lat)
    cases = {
        "empty": ([], []),
        "one": ([-1.89831], [52.48142]),
        "origin and poles": ([0.0, 180.0, -180.0, 0.0, 0.0], [0.0, 90.0, -90.0, 85.1, -85.1]),
        "jumps": ([-180.0, 180.0] * 50, [-90.0, 90.0] * 50),
        "fine": ([1e-5, 2e-5, -1e-5, 0.0, 4.4e-6], [-1e-5, 0.0, 1e-5, 5.1e-6, -5.1e-6]),
        "city": (city_lon[order].tolist(), city_lat[order].tolist()),
    }
    out = []
    for name, (lon, lat) in cases.items():
        spec = encode_points(np.array(lon, dtype=float), np.array(lat, dtype=float))
        dlon, dlat = decode_points(spec)
        q = spec["q"]
        steps_x = np.rint(np.asarray(dlon) / q).astype(np.int64).tolist()
        steps_y = np.rint(np.asarray(dlat) / q).astype(np.int64).tolist()
        mx = [0.5 + x * q / 360 for x in steps_x]
        my = []
        for y in steps_y:
            la = max(-85.0511287798, min(85.0511287798, y * q))
            my.append(0.5 - math.log(math.tan(math.pi / 4 + la * math.pi / 360)) / (2 * math.pi))
        out.append(
            {
                "name": name,
                "spec": spec,
                "lon": [float(v) for v in dlon],
                "lat": [float(v) for v in dlat],
                "stepsX": steps_x,
                "stepsY": steps_y,
                "mx": mx,
                "my": my,
            }
        )
    return out


def array_cases() -> list[dict[str, Any]]:
    """Typed arrays of every kind, with their values as exact text."""
    cases: list[tuple[list[float], str | None]] = [
        ([], None),
        ([0, 1, 255], None),
        ([0, 256, 65535], None),
        ([0, 65536, 2**32 - 1], None),
        ([7, 0, 200], "u8"),
        ([1, 2, 3], "u16"),
        ([0, 2**32 - 1], "u32"),
        ([], "f64"),
        ([0.1, -1.5, 3.4e38, 1e-40, float("inf"), float("nan")], "f32"),
        ([0.1, -0.0, 5e-324, 1.7976931348623157e308, float("-inf"), float("nan"), SAFE], "f64"),
    ]
    out = []
    for values, kind in cases:
        spec = encode_array(np.array(values), kind)
        decoded = decode_array(spec)
        out.append({"spec": spec, "expected": [float_text(float(v)) for v in decoded]})
    return out


UNICODE = [
    "Café Ünïcode",
    "日本語のテキスト",
    "🏳️‍🌈 flag",
    "</script><img src=x onerror=alert(1)>",
    "line\u2028separator\u2029paragraph",
    "tab\there & <b>",
    'quote " and \\ backslash',
    "two\nlines\r\nhere",
    "",
]

NUMBERS = [0, -0.0, 0.4, 0.5, 1.5, 2.5, -0.4, -0.5, -2.5, 999.5, 1234, -1234567.89, 2**31 - 1]
NUMBERS += [-(2**31), 2**53, 1e20, float("nan"), None, "12", "not a number", 0.1, 1 / 3]
PLAIN = [0.1, 1 / 3, 1e-7, 1e21, 1.2345e-6, 123456789012345680000.0, -0.0, 5e-324, 100, -1.5]
PLAIN += [1.7976931348623157e308, 2**53 + 2, None]


def column_cases() -> list[dict[str, Any]]:
    """Popup columns of every form, with the strings a popup shows."""
    many = [f"name {i % 300}" for i in range(2000)]
    cols: dict[str, tuple[dict[str, Any], int]] = {
        "empty text": (text_column([]), 0),
        "all missing": (text_column([None, float("nan"), None]), 3),
        "constant": (text_column(["Birmingham"] * 4), 4),
        "unicode dict": (text_column(UNICODE + UNICODE[::-1] + [None]), 2 * len(UNICODE) + 1),
        "unicode list": (text_column([f"{t} {i}" for i, t in enumerate(UNICODE * 40)]), 360),
        "u16 dictionary": (text_column(many), len(many)),
        "display": (text_column(["a;b", "c", None, "a;b"], lambda t: t.replace(";", "; ")), 4),
        "numbers as text": (text_column([1, 2.5, None, 1]), 4),
        "int": (number_column(NUMBERS), len(NUMBERS)),
        "money": (number_column(NUMBERS, "money"), len(NUMBERS)),
        "plain": (number_column(PLAIN, "plain"), len(PLAIN)),
        "empty numbers": (number_column([]), 0),
        "joined": (
            joined_column(
                [
                    text_column(["Shop", None, "", "Café"]),
                    number_column([1500, 2, None, float("nan")], "money"),
                    text_column(["x", "y", None, None]),
                ]
            ),
            4,
        ),
        "joined nothing": (joined_column([text_column([None, None])], sep=" / "), 2),
    }
    out = []
    for name, (col, n) in cols.items():
        expected = shown(col, n)
        assert len(expected) == n, name
        out.append({"name": name, "col": col, "n": n, "expected": expected})
    return out


def field_cases() -> list[dict[str, Any]]:
    """Popup fields packed inline and deflated, with the strings each field shows."""
    small = [("Name", text_column(["A", "B"])), ("Value", number_column([1, None], "money"))]
    n_big = 3000
    big = [
        ("Name", text_column([f"Organisation {i} — ünïcode" for i in range(n_big)])),
        ("Size", number_column(np.arange(n_big) * 1000.5)),
        ("Kind", text_column(["shop", "café", None] * (n_big // 3))),
    ]
    out = []
    for name, fields, n in (("inline", small, 2), ("deflated", big, n_big)):
        spec = pack_fields(fields)
        assert ("fieldsZ" in spec) == (name == "deflated"), COMPRESS_ABOVE
        expected = {label: shown(col, n) for label, col in fields}
        out.append({"name": name, "spec": spec, "n": n, "expected": expected})
    return out


def fixtures() -> dict[str, Any]:
    """Every case, by kind."""
    return {
        "varints": varint_cases(),
        "runs": run_cases(),
        "points": point_cases(),
        "arrays": array_cases(),
        "columns": column_cases(),
        "fields": field_cases(),
    }


def main(folder: str) -> Path:
    """Write ``fixtures.json`` into ``folder`` (as script-safe JSON, as a map page holds it)."""
    path = Path(folder) / "fixtures.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(safe_json(fixtures()), encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/js/make_fixtures.py DIR")
    print(main(sys.argv[1]))
