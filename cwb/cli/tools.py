"""Scale tooling: ``cwb synth`` (synthetic datasets) and ``cwb bench`` (the benchmark)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cwb.cli._output import FOLDER, is_stdout, output_target, print_table
from cwb.cli.app import app, err, library_errors, out


@app.command()
def synth(
    folder: Annotated[Path, typer.Argument(help="Folder to write the synthetic dataset into.")],
    assets: Annotated[int, typer.Option("--assets", "-n", help="Number of assets.")] = 10_000,
    opportunities: Annotated[
        int, typer.Option("--opportunities", "-m", help="Number of opportunities.")
    ] = 100,
    spend: Annotated[
        int | None,
        typer.Option("--spend", help="Spend transactions (default: max(1000, assets/10))."),
    ] = None,
    projects: Annotated[
        int, typer.Option("--projects", help="Capital projects (West Midlands sites).")
    ] = 3,
    links: Annotated[
        int | None, typer.Option("--links", help="Asset links (default: assets/20).")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")
    ] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or gpkg.")] = "csv",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a dataset already in FOLDER.")
    ] = False,
) -> None:
    """Write a valid synthetic dataset of any size, clustered around West Midlands project sites.

    Assets of all four kinds cluster around the projects; skills come from the
    same vocabulary as the Birmingham demo. Use Parquet for a million rows.

    Example: cwb synth big/ --assets 1000000 --opportunities 2000 --format parquet
    """
    from cwb.synth.generate import synth_dataset

    with (
        library_errors(flags={"overwrite": "--force", "folder": "FOLDER"}),
        output_target(folder, FOLDER, option="folder"),
    ):
        result = synth_dataset(
            folder,
            assets=assets,
            opportunities=opportunities,
            spend=spend,
            projects=projects,
            links=links,
            seed=seed,
            fmt=fmt,
            overwrite=force,
        )
    for path in result.files:
        out.print(f"wrote {path}", soft_wrap=True, highlight=False)
    rows = ", ".join(f"{n:,} {t}" for t, n in result.counts.items())
    out.print(f"{rows} in {result.seconds:.1f} s (skills from {result.vocabulary_source})")


@app.command()
def bench(
    sizes: Annotated[
        str, typer.Option("--sizes", help="Asset counts, comma-separated (10k, 1M allowed).")
    ] = ("10000,100000,1000000"),
    stages: Annotated[
        str | None, typer.Option("--stages", help="Stages to run, comma-separated (default: all).")
    ] = None,
    out_path: Annotated[
        Path, typer.Option("--out", help="JSON report to write ('-': standard output).")
    ] = Path("bench.json"),
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="Also write a Markdown table next to the JSON and print it."
        ),
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="File format of the synthetic data.")
    ] = "parquet",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic data.")] = 0,
    opportunities: Annotated[
        int | None,
        typer.Option(
            "--opportunities", help="Opportunities per dataset (default: assets/500, 40 to 2000)."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed per stage and size.")
    ] = 1800.0,
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Keep the generated datasets in this folder.")
    ] = None,
    list_stages: Annotated[bool, typer.Option("--list", help="List the stages and exit.")] = False,
    national: Annotated[
        bool,
        typer.Option(
            "--national",
            help="The national steps instead: store build, catchment reads, catalogue and "
            "matching over the New Hospital Programme sites, plain and on Dask.",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(help="--national: Dask workers.", min=1)] = 2,
) -> None:
    """Time each pipeline stage and its peak memory at growing dataset sizes.

    Each stage runs in a fresh process on a synthetic dataset; peak memory is
    the resident memory of that process during the stage (with --national: of the
    process and every process it starts, Dask workers included).

    Examples: cwb bench --sizes 10k,100k --stages read,validate,catalogue --markdown

      cwb bench --sizes 10k,100k,1M --stages pipeline   (the whole pipeline, one process)

      cwb bench --national --sizes 1M,10M --work-dir /tmp/nat --out national.json
    """
    import pandas as pd

    from cwb.bench import harness as b

    if national:
        from cwb.bench.national import NATIONAL_STEPS, bench_national, write_results

        chosen = tuple(stages.split(",")) if stages else NATIONAL_STEPS
        with library_errors(), output_target(out_path, ".json", option="out") as target:
            assert target is not None
            results = bench_national(
                b.parse_sizes(sizes),
                work_dir or Path("bench-national"),
                steps=chosen,
                workers=workers,
                seed=seed,
                timeout=timeout,
                progress=lambda msg: err.print(msg),
            )
            write_results(results, target)
            table = target.with_suffix(".md").read_text(encoding="utf-8")
        out.print(table)
        return

    if list_stages:
        for name, stage in b.STAGES.items():
            missing = b.missing_requirements(stage)
            note = f"  [yellow](needs {', '.join(missing)})[/yellow]" if missing else ""
            out.print(f"{name:<12} {stage.description}{note}")
        return

    def progress(r: b.StageResult) -> None:
        text = b.format_cell(r) if r.ok else f"{r.status}: {r.reason}"
        err.print(f"{r.size:>10,}  {r.stage:<12} {text}", highlight=False)

    with library_errors(), output_target(out_path, ".json", option="out") as target:
        names = [s.strip() for s in stages.split(",") if s.strip()] if stages else None
        report = b.run_benchmark(
            b.parse_sizes(sizes),
            names,
            work_dir=work_dir,
            fmt=fmt,
            seed=seed,
            opportunities=opportunities,
            timeout_s=timeout,
            on_result=progress,
        )
        md_path = out_path.with_suffix(".md") if markdown and not is_stdout(out_path) else None
        written = b.write_report(report, target, md_path)
    if is_stdout(out_path):
        written = written[1:]
    size_labels = [f"{size:,}" for size in report.sizes]
    print_table(
        [
            (stage, *(b.format_cell(report.result(size, stage)) for size in report.sizes))
            for stage in report.stages
        ],
        "cwb bench: seconds · peak memory (MB)",
        columns=("stage", *size_labels),
        right=size_labels,
        typed=pd.DataFrame(
            [
                (r.stage, r.size, r.status, r.seconds, r.peak_rss_mb, r.rss_before_mb)
                for r in report.results
            ],
            columns=["stage", "size", "status", "seconds", "peak_rss_mb", "rss_before_mb"],
        ),
    )
    for r in report.results:
        if r.status != "ok":
            out.print(f"[yellow]{r.stage} at {r.size:,}: {r.status}[/yellow] ({r.reason})")
    if markdown:
        out.print(report.to_markdown(), markup=False, highlight=False, soft_wrap=True)
    for path in written:
        out.print(f"wrote {path}", soft_wrap=True, highlight=False)
