"""Data commands: import (OSM, Open Referral, 360Giving, OCDS, registers), areas, stale, build."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cwb import settings
from cwb.cli._output import FOLDER, is_stdout, output_target, print_table
from cwb.cli.app import (
    DatasetArg,
    RawCsvOpt,
    app,
    err,
    library_errors,
    out,
    parse_bands,
    print_problems,
)


@app.command("import")
def import_command(
    kind: Annotated[
        str,
        typer.Argument(
            help="osm, openreferral, 360giving, ocds, register, brownfield "
            "(a brownfield land register), acv (Assets of Community Value) or "
            "nhs_workforce (NHS staff by staff group → a trust's estimated yearly job openings)."
        ),
    ],
    file: Annotated[
        Path,
        typer.Argument(
            help="Source file (or folder: Open Referral CSVs, OCDS packages).", exists=True
        ),
    ],
    into: Annotated[
        Path,
        typer.Option("--into", help="Dataset folder to import into.", exists=True, file_okay=False),
    ],
    map_: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="Register columns: cwb_column=SourceColumn,… "
            "(name, postcode, lat, lon, id, registered_number, sector …).",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Register preset: libraries, gp_practices, nhs_ods, "
            "nhs_hospitals, charity_commission, companies_house."
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(help="Category of every imported register row (or of 360Giving recipients)."),
    ] = None,
    project: Annotated[
        str | None, typer.Option(help="Project id for OCDS contracts (default: the first).")
    ] = None,
    ocds_extensions: Annotated[
        Path | None,
        typer.Option(
            "--ocds-extensions",
            help="OCDS: folder of extension release-schema patches "
            "(NAME/release-schema.json or NAME.json, NAME as in the extension URL), "
            "or one patch file; their merge rules compile the releases.",
            exists=True,
        ),
    ] = None,
    buyer: Annotated[
        list[str] | None,
        typer.Option(help="OCDS: keep notices whose buyer's name contains this (repeatable)."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help='OCDS: keep notices of this region ("West Midlands"): the delivery region, '
            "else the buyer's (its address, else its postcode area)."
        ),
    ] = None,
    buyer_region: Annotated[
        str | None, typer.Option("--buyer-region", help="OCDS: keep buyers in this region.")
    ] = None,
    delivery_region: Annotated[
        str | None,
        typer.Option("--delivery-region", help="OCDS: keep notices delivered in this region."),
    ] = None,
    postcode_area: Annotated[
        list[str] | None,
        typer.Option(
            "--postcode-area",
            help="OCDS: keep buyers in this postcode area or district (B, WS, B66); repeatable.",
        ),
    ] = None,
    cpv: Annotated[
        list[str] | None,
        typer.Option(help="OCDS: keep notices with a CPV code starting so (45, 8531); repeatable."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="OCDS: keep notices dated on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="OCDS: keep notices dated on or before (YYYY-MM-DD).")
    ] = None,
    open_only: Annotated[
        bool,
        typer.Option(
            "--open-only",
            help="OCDS: only open tenders become opportunities; an awarded or closed process "
            "gives its suppliers and spend only.",
        ),
    ] = False,
    organisation: Annotated[
        str | None,
        typer.Option(help="nhs_workforce: the trust's ODS code (RXK); default every one."),
    ] = None,
    turnover: Annotated[
        float,
        typer.Option(
            min=0.001,
            max=1.0,
            help="nhs_workforce: assumed yearly turnover; posts = round(FTE × turnover).",
        ),
    ] = 0.10,
    source: Annotated[
        str | None, typer.Option(help="Provenance: where the rows came from.")
    ] = None,
    licence: Annotated[str | None, typer.Option(help="Provenance: licence of the source.")] = None,
    collected_by: Annotated[
        str | None, typer.Option(help="Provenance: who collected the rows.")
    ] = None,
    collected_on: Annotated[
        str | None, typer.Option(help="Provenance: date collected (YYYY-MM-DD).")
    ] = None,
    on_duplicate: Annotated[
        str | None,
        typer.Option(
            help="keep-existing, replace, fill or keep-both "
            "(default: replace for brownfield and acv, whose newer registers update "
            "rows by reference; else keep-existing)."
        ),
    ] = None,
    max_distance: Annotated[
        float, typer.Option(help="Likely duplicates: names alike within this many metres.")
    ] = settings.DUPLICATE_DISTANCE_M,
    similarity: Annotated[
        float, typer.Option(help="Likely duplicates: least name similarity (0-100).")
    ] = settings.DUPLICATE_SIMILARITY,
    any_kind: Annotated[
        bool,
        typer.Option(
            "--any-kind",
            help="Likely duplicates by name may be of different kinds (default: same kind).",
        ),
    ] = False,
    drop_unlocated: Annotated[
        bool,
        typer.Option(
            "--drop-unlocated",
            help="Skip assets that cannot be located instead of keeping them "
            "(a funder with kept grants stays).",
        ),
    ] = False,
    within: Annotated[
        str | None,
        typer.Option(
            help="Keep only rows within this distance of the project(s), e.g. 3km or 800m "
            "(360Giving: recipients, with their grants and funders).",
        ),
    ] = None,
    areas: Annotated[
        str | None,
        typer.Option(
            help="Keep only rows in these areas of the dataset: codes, comma-separated "
            "(with --within: either). 360Giving default: all the dataset's areas.",
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            help="Register: source columns kept as extra asset columns, e.g. url,hours.",
        ),
    ] = None,
    category_from: Annotated[
        str | None,
        typer.Option(
            "--category-from",
            help="Register: take each row's category from this column "
            "(values mapped by --category-map, or already cwb categories).",
        ),
    ] = None,
    category_map: Annotated[
        str | None,
        typer.Option(
            "--category-map",
            help="Register: value=category pairs (Library=library,Church=place_of_worship) "
            "or a CSV file of value,category.",
        ),
    ] = None,
    duplicates_csv: Annotated[
        Path | None,
        typer.Option(
            "--duplicates-csv",
            help="Write the likely duplicates found to this CSV "
            "(scope: dataset = of an existing row, import = within the import); "
            "'-': standard output.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be imported; write nothing.")
    ] = False,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Import a standard data file into a dataset, with provenance and duplicate merging.

    Every record read is reported as imported, merged or skipped (with the reason).

    Example: cwb import register libraries.csv --into data/smethwick --preset libraries

    Example: cwb import register charities.csv --into data/smethwick
    --map name=charity_name,postcode=charity_contact_postcode --category charity

    Example: cwb import brownfield brownfield_register.csv --into data/smethwick

    Example: cwb import register warm_spaces.csv --into data/smethwick --map name=title
    --keep url,hours --category-from type --category-map "Library=library,Church=place_of_worship"
    --collected-on 2023-11-01 --within 3km

    Example: cwb import 360giving grants.json --into data/smethwick --within 3km

    Example: cwb import osm smethwick.geojson --into data/smethwick --on-duplicate fill --dry-run

    Example: cwb import ocds contracts_finder/ --into data/smethwick --ocds-extensions extensions/

    Example: cwb import ocds contracts_finder/ --into data/smethwick --region "West Midlands"
    --cpv 45 --cpv 55 --since 2024-01-01 --open-only

    Example: cwb import nhs_workforce hchs_staff_fte_by_staff_group.csv --into data/smethwick
    --organisation RXK --turnover 0.10
    """
    from cwb.errors import UsageError
    from cwb.importers.common import Provenance
    from cwb.importers.local import parse_distance
    from cwb.importers.merge import DuplicateRule, import_into
    from cwb.importers.ocds_filter import OcdsFilter
    from cwb.importers.registers import parse_category_map, parse_mapping

    flags = {
        "mapping": "--map",
        "extension_schemas": "--ocds-extensions",
        "within": "--within",
        "category_map": "--category-map",
        "since": "--since",
        "until": "--until",
        "region": "--region",
        "buyer_region": "--buyer-region",
        "delivery_region": "--delivery-region",
    }
    with (
        library_errors(flags=flags),
        output_target(duplicates_csv, ".csv", option="duplicates_csv") as duplicates_target,
    ):
        if kind != "register" and (keep or category_from or category_map):
            raise UsageError("--keep, --category-from and --category-map are register options")
        ocds_filter = OcdsFilter(
            buyers=list(buyer or []),
            region=region,
            buyer_region=buyer_region,
            delivery_region=delivery_region,
            postcode_areas=_split_all(postcode_area),
            cpv=_split_all(cpv),
            since=since,
            until=until,
            open_only=open_only,
        )
        if kind != "ocds" and (ocds_filter.describe() or ocds_extensions):
            raise UsageError(
                "--buyer, --region, --buyer-region, --delivery-region, --postcode-area, --cpv, "
                "--since, --until, --open-only and --ocds-extensions apply to ocds imports only"
            )
        provenance = Provenance(
            source=source or "",
            collected_by=collected_by or "",
            collected_on=collected_on or "",
            licence=licence or "",
        )
        result = import_into(
            kind,
            file,
            into,
            mapping=parse_mapping(map_),
            preset=preset,
            category=category,
            project=project,
            ocds_extensions=ocds_extensions,
            ocds_filter=ocds_filter,
            provenance=provenance,
            on_duplicate=on_duplicate,
            drop_unlocated=drop_unlocated,
            within_m=parse_distance(within),
            area_codes=[c.strip() for c in areas.split(",") if c.strip()] if areas else None,
            register_options={
                "keep": [c.strip() for c in keep.split(",") if c.strip()] if keep else None,
                "category_from": category_from,
                "category_map": parse_category_map(category_map),
            }
            if kind == "register"
            else None,
            workforce_options={"organisation": organisation, "turnover": turnover}
            if kind == "nhs_workforce"
            else None,
            dry_run=dry_run,
            rule=DuplicateRule(
                max_distance_m=max_distance, min_similarity=similarity, same_kind=not any_kind
            ),
        )
        if duplicates_target is not None:
            from cwb.dataset.io import write_table
            from cwb.importers.merge import duplicates_listing

            write_table(duplicates_listing(result), duplicates_target)
    print_problems(result.skipped, limit=20)
    out.print(result.summary(), highlight=False, markup=False)
    for found, label in (
        (result.duplicates, "likely duplicates"),
        (result.batch_duplicates, "likely duplicates within the import"),
    ):
        if found is None or not len(found):
            continue
        out.print(f"{label}: {len(found)} (rule: {on_duplicate or 'default'})")
        for row in found.head(10).itertuples():
            out.print(
                f"  {row.incoming_id} ~ {row.existing_id}: "
                f"{row.incoming_name!r} / {row.existing_name!r} "
                f"({row.reason})",
                highlight=False,
                markup=False,
            )
        if len(found) > 10:
            out.print(f"  … and {len(found) - 10} more (--duplicates-csv lists them all)")
    if dry_run:
        err.print("dry run: nothing was written")
    for path in result.written:
        out.print(f"wrote {path}")


@app.command()
def stale(
    dataset: DatasetArg,
    months: Annotated[
        int, typer.Option(help="List rows not verified for more than this many months.")
    ] = settings.STALE_MONTHS,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the listing to this CSV file ('-': standard output)."),
    ] = None,
    include_undated: Annotated[
        bool, typer.Option(help="Also list rows with no date at all.")
    ] = True,
    raw_csv: RawCsvOpt = False,
) -> None:
    """List assets and opportunities whose last_verified date is older than N months.

    Rows never verified fall back on collected_on; rows with neither date are listed too.

    Example: cwb stale data/birmingham --months 12 --csv to_check.csv
    """
    from cwb.dataset.io import read_dataset
    from cwb.dataset.stale import stale_records

    with library_errors(), output_target(csv, ".csv", option="csv") as target:
        ds = read_dataset(dataset)
        listing = stale_records(ds, months=months, include_undated=include_undated, out=target)
    for row in listing.head(50).itertuples():
        out.print(
            f"{row.table} {row.id}: {row.name} — {row.reason}"
            + (f" (checked {row.checked_on})" if isinstance(row.checked_on, str) else ""),
            highlight=False,
            markup=False,
        )
    if len(listing) > 50:
        out.print(
            f"… and {len(listing) - 50} more"
            + (f"; see {csv}" if csv and not is_stdout(csv) else "; use --csv to see all")
        )
    out.print(f"{len(listing)} stale row(s) (older than {months} months)")


@app.command("areas")
def areas_command(
    dataset: DatasetArg,
    boundaries: Annotated[
        list[Path],
        typer.Option(
            "--boundaries",
            "-b",
            exists=True,
            dir_okay=False,
            help="ONS boundary file (wards, 2011 or 2021 LSOAs …); repeat for each level. "
            "The level is named from its code column (ward22, lsoa11, lsoa21).",
        ),
    ],
    imd: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="IoD2019 File 1 (or 2): IMD by LSOA 2011."),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="IoD2019 File 6: population by LSOA (weights)."
        ),
    ] = None,
    lsoa_lookup: Annotated[
        Path | None,
        typer.Option(
            "--lsoa-lookup",
            exists=True,
            dir_okay=False,
            help="ONS LSOA 2011→2021 lookup CSV: gives 2021 LSOAs their IMD 2019.",
        ),
    ] = None,
    indicators: Annotated[
        list[str] | None,
        typer.Option(
            "--indicators",
            help="CSV of indicators by area code, as PATH or PATH:CODE_COLUMN; numeric columns "
            "are joined by code and the matches reported. Repeatable.",
        ),
    ] = None,
    within: Annotated[
        str | None,
        typer.Option(help="Keep areas within this distance of a project (default: largest band)."),
    ] = None,
    local_authority: Annotated[
        list[str] | None,
        typer.Option("--local-authority", help="Keep only this local authority (name or code)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here instead of the dataset's areas file ('-': GeoJSON to standard "
            "output).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the dataset's existing areas file.")
    ] = False,
) -> None:
    """Build a catchment's areas from ONS boundaries, with IMD 2019 and other indicators.

    Every level (wards, LSOAs) keeps the areas whose polygons come within the
    distance of a project; each gets IMD 2019 (2011 LSOAs directly, 2021 LSOAs
    through the lookup, wards aggregated from LSOAs) and every join says how
    many areas matched and which did not.

    Example: cwb areas data/smethwick -b wards22.geojson -b lsoa11.geojson
    --imd File_1.csv --population File_6.csv --within 3km --force
    """
    from cwb.dataset.catchment_areas import build_catchment_areas
    from cwb.dataset.io import write_table
    from cwb.dataset.manifest import read_manifest
    from cwb.errors import ProblemLog, UsageError

    with library_errors(), output_target(output, ".geojson") as written:
        manifest = read_manifest(dataset, ProblemLog())
        target = written or dataset / manifest.files["areas"].path
        if target.exists() and output is None and not force:
            raise UsageError(f"{target} exists: give --force to replace it, or -o another file")
        bands = parse_bands(within) or manifest.bands_m
        built = build_catchment_areas(
            list(boundaries),
            centres=[(p.lat, p.lon) for p in manifest.projects],
            within_m=max(bands),
            imd=imd,
            population=population,
            lsoa_lookup=lsoa_lookup,
            indicators=[_indicator_spec(text) for text in indicators or []],
            local_authorities=local_authority,
        )
        write_table(built.areas, target)
    print_table(built.levels(), f"Areas within {max(bands) / 1000:g} km of the projects")
    for report in built.reports:
        out.print(f"• {report.message()}", highlight=False, markup=False)
    if not is_stdout(output):
        out.print(f"wrote {target}")


@app.command("build")
def build_command(
    recipe: Annotated[
        Path, typer.Argument(help="Recipe TOML: dataset.toml sections plus [build] sources.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Dataset folder to write (new or empty).")
    ],
    realdata: Annotated[
        Path | None,
        typer.Option(
            "--realdata",
            file_okay=False,
            help="Folder the recipe's source paths are relative to (replaces [build] realdata).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild into a folder that is not empty.")
    ] = False,
) -> None:
    """Build a catchment dataset from the public files a recipe names, then its map and report.

    The recipe is a dataset.toml ([dataset], [[projects]], [catchment] …) with a [build]
    section: boundaries, IMD and population (as `cwb areas`), the postcode lookup,
    [[build.import]] entries (as `cwb import`, OCDS filters included) and
    [[build.spend]] files. See examples/smethwick_recipe.toml.

    Example: cwb build examples/smethwick_recipe.toml -o out/smethwick

    Example: cwb build recipe.toml -o out/catchment --realdata ../shared/realdata --force
    """
    from cwb.build import build

    with (
        library_errors(flags={"recipe": "RECIPE", "output": "--output"}),
        output_target(output, FOLDER),
    ):
        build(
            recipe,
            output,
            realdata=realdata,
            force=force,
            say=lambda line: out.print(line, highlight=False, markup=False),
        )


def _split_all(values: list[str] | None) -> list[str]:
    """Repeated options, each possibly comma-separated, as one list."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _indicator_spec(text: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH:COLUMN`` (a Windows drive letter is not a column)."""
    path, sep, column = text.rpartition(":")
    if sep and path and len(path) > 1 and Path(path).exists():
        return Path(path), column
    return Path(text), None
