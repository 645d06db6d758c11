"""The flow-map benchmark: cwb's flow layer beside a plain folium ``PolyLine`` per flow.

For 10k, 100k and 1M synthetic flows between a few thousand places in
England, both maps are built and saved (seconds, HTML MB) and opened in
headless Chromium offline (seconds from navigation to the first drawn frame,
as in :mod:`cwb.bench.maps`). The folium baseline is run only up to
``baseline_max`` flows: past that, one SVG path per flow does not finish in
reasonable time (see ``BROWSER_TESTING.md``).

Run: ``python -m cwb.bench.flows 10000 100000 1000000``.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd

from cwb.bench.maps import chromium, figure_cell, open_page, wait_drawn
from cwb.errors import MissingDependencyError
from cwb.flows.table import flow_frame
from cwb.maps.flows import flow_map

log = logging.getLogger(__name__)

#: lon/lat box of the synthetic places (England).
_BOX = (-3.0, 50.8, 0.3, 54.6)

#: Inside the drawn page: decoding the layer again and drawing one frame, in milliseconds.
_LAYER_MS = (
    "() => { const l = Object.values(window).find(v => v instanceof cwbMap.FlowLayer); "
    "let t = performance.now(); new cwbMap.FlowLayer(l.spec); "
    "const decode = performance.now() - t; "
    "t = performance.now(); l._dirty = true; cwbMap.base.redraw(l._map); "
    "return [decode, performance.now() - t]; }"
)

_ITEMS_DRAWN = {
    "cwb": "() => { const l = Object.values(window).find(v => v instanceof cwbMap.FlowLayer); "
    "return l.drawn; }",
    "polyline": "() => document.querySelectorAll('.leaflet-overlay-pane path').length",
}


def synth_flows(n: int, *, places: int | None = None, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic commuting flows between random places, gravity-like, pairs distinct.

    Places cluster around 40 towns; most flows are short; magnitudes are
    log-normal. Identical pairs are drawn apart, so there are exactly ``n`` rows.
    """
    rng = np.random.default_rng(seed)
    count = places or max(500, int(4 * np.sqrt(n)))
    towns = rng.uniform(_BOX[:2], _BOX[2:], size=(40, 2))
    home = rng.integers(0, len(towns), count)
    xy = towns[home] + rng.normal(0, 0.15, size=(count, 2))
    per_origin = int(np.ceil(n / count)) + 1
    origins = np.repeat(np.arange(count), per_origin)
    # destinations: mostly places of the same town, some anywhere
    same_town = rng.random(len(origins)) < 0.7
    by_town = pd.Series(np.arange(count)).groupby(home).apply(np.asarray)
    local = np.array(
        [rng.choice(by_town[home[o]]) for o in origins[: min(len(origins), 50_000)]]
        + list(rng.integers(0, count, max(0, len(origins) - 50_000)))
    )
    anywhere = rng.integers(0, count, len(origins))
    dest = np.where(same_town, local, anywhere)
    pairs = pd.DataFrame({"o": origins, "d": dest}).drop_duplicates()
    while len(pairs) < n:  # top up with random distinct pairs
        extra = pd.DataFrame({"o": rng.integers(0, count, n), "d": rng.integers(0, count, n)})
        pairs = pd.concat([pairs, extra]).drop_duplicates()
    pairs = pairs.iloc[:n]
    magnitude = np.round(rng.lognormal(3.0, 1.4, len(pairs))) + 1
    magnitude[pairs["o"].to_numpy() == pairs["d"].to_numpy()] *= 20
    codes = np.array([f"P{i:05d}" for i in range(count)])
    o, d = pairs["o"].to_numpy(), pairs["d"].to_numpy()
    return flow_frame(
        pd.DataFrame(
            {
                "origin": codes[o],
                "destination": codes[d],
                "magnitude": magnitude,
                "kind": np.where(rng.random(len(pairs)) < 0.8, "commuting", "patients"),
                "origin_name": codes[o],
                "destination_name": codes[d],
                "origin_lon": xy[o, 0],
                "origin_lat": xy[o, 1],
                "destination_lon": xy[d, 0],
                "destination_lat": xy[d, 1],
            }
        )
    )


def polyline_map(flows: pd.DataFrame) -> Any:
    """The folium baseline: one ``PolyLine`` per flow, weight by magnitude (no base map)."""
    fmap = folium.Map(location=[52.7, -1.4], zoom_start=7, tiles=None, max_zoom=19, maxZoom=19)
    top = float(flows["magnitude"].max() or 1)
    for row in flows.itertuples(index=False):
        folium.PolyLine(
            [(row.origin_lat, row.origin_lon), (row.destination_lat, row.destination_lon)],
            weight=max(1.0, 10 * row.magnitude / top),
            opacity=0.5,
        ).add_to(fmap)
    return fmap


def _timed_save(build: Any, path: Path) -> dict[str, float]:
    start = time.perf_counter()
    fmap = build()
    built = time.perf_counter()
    fmap.save(str(path))
    done = time.perf_counter()
    return {
        "build_s": round(built - start, 3),
        "save_s": round(done - built, 3),
        "html_mb": round(path.stat().st_size / 1e6, 2),
    }


def bench_flows(
    n: int,
    out_dir: Path,
    *,
    baseline: bool = True,
    repeats: int = 3,
    settle_s: float = 1.0,
    chrome: Any = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Build, save and draw the cwb flow map (and the PolyLine baseline) of ``n`` flows.

    Returns
    -------
    dict
        ``flows``, ``places``; ``cwb`` and (with ``baseline``) ``polyline`` with
        ``build_s``, ``save_s``, ``html_mb`` and, with a browser, ``drawn_s``
        (median), ``drawn_runs_s``, ``items_drawn`` and ``errors``; the cwb map
        also ``decode_ms`` (unpacking the layer) and ``frame_ms`` (one full redraw:
        totals, selection and painting), measured inside the page.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    flows = synth_flows(n, seed=seed)
    result: dict[str, Any] = {
        "flows": len(flows),
        "places": int(pd.concat([flows["origin"], flows["destination"]]).nunique()),
    }
    pages = [("cwb", out_dir / "cwb_flows.html")]
    result["cwb"] = _timed_save(lambda: flow_map(flows, tiles=None), pages[0][1])
    if baseline:
        pages.append(("polyline", out_dir / "polyline_flows.html"))
        result["polyline"] = _timed_save(lambda: polyline_map(flows), pages[1][1])
    try:
        with nullcontext(chrome) if chrome is not None else chromium() as active:
            times: dict[str, list[float]] = {key: [] for key, _ in pages}
            layer_ms: dict[str, list[float]] = {}
            for _ in range(repeats):
                for key, html in pages:
                    page, page_log = open_page(active, html, timeout_ms=600_000)
                    times[key].append(wait_drawn(page))
                    result[key]["items_drawn"] = page.evaluate(_ITEMS_DRAWN[key])
                    if key == "cwb":
                        decode, frame = page.evaluate(_LAYER_MS)
                        layer_ms.setdefault("decode", []).append(decode)
                        layer_ms.setdefault("frame", []).append(frame)
                    result[key]["errors"] = page_log.errors[:5]
                    page.context.close()
                    time.sleep(settle_s)
            for key, values in times.items():
                result[key]["drawn_s"] = round(float(np.median(values)), 2)
                result[key]["drawn_runs_s"] = [round(v, 2) for v in values]
            for part, values in layer_ms.items():
                result["cwb"][f"{part}_ms"] = round(float(np.median(values)), 1)
    except MissingDependencyError as exc:
        log.warning("no drawn times: %s", exc)
    return result


def bench_flow_sizes(
    sizes: list[int], work_dir: Path, *, baseline_max: int = 100_000
) -> list[dict[str, Any]]:
    """:func:`bench_flows` at each size; the baseline only up to ``baseline_max`` flows."""
    rows = []
    for n in sizes:
        row = bench_flows(
            n,
            work_dir / f"flows_{n}",
            baseline=n <= baseline_max,
            repeats=3 if n <= 100_000 else 1,
        )
        log.info("flow bench %s: %s", n, row)
        rows.append(row)
    return rows


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (build+save s / HTML MB / drawn s)."""
    lines = [
        "| flows (places) | cwb flow layer: build+save s / HTML MB / drawn s | "
        "in the page: decode ms / frame ms | "
        "folium PolyLine per flow: build+save s / HTML MB / drawn s |",
        "|---|---|---|---|",
    ]

    def cell(fig: dict[str, Any] | None) -> str:
        return figure_cell(fig, missing="not run")

    for r in rows:
        lines.append(
            f"| {r['flows']:,} ({r['places']:,}) | {cell(r.get('cwb'))} | "
            f"{r['cwb'].get('decode_ms', '–')} / {r['cwb'].get('frame_ms', '–')} | "
            f"{cell(r.get('polyline'))} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual runs
    import json
    import sys

    logging.basicConfig(level=logging.INFO)
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    table = bench_flow_sizes(sizes, Path(os.environ.get("CWB_BENCH_DIR", "bench-out/flows")))
    print(json.dumps(table, indent=1))
    print(to_markdown(table))
