"""Preston-model analysis of anchor institutions' procurement spend.

Where does the money go? For each buyer and for all buyers together,
:func:`analyse_spend` reports the share of spend that stays in one or more
nested "local" geographies (neighbourhood → local authority → region), with
SMEs and social enterprises, by sector, into the most deprived areas, by year
and before/after a date, the top suppliers and the leakage (spend with
suppliers located outside the local geography) by sector. It then points the
leaking sectors at enterprises in the catalogue that could win that spend
(:func:`relocalisable_opportunities`) and estimates an LM3-style multiplier.

Every row read is accounted for: the reconciliation table splits the rows
read into included rows and each exclusion reason, in transactions and £.
Unlocated suppliers are included and reported as ``unlocated``, never dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cwb._atomic import write_text_atomic
from cwb.dataset.io import read_dataset
from cwb.dataset.model import WGS84, Dataset
from cwb.dataset.schema import SPEND
from cwb.errors import UsageError
from cwb.safe_output import neutralise_frame
from cwb.spend.geo import (
    LOCATION_CLASSES,
    Geography,
    build_geographies,
    deprived_membership,
    geography_spec_from_text,
    locate_classes,
    supplier_points,
    supplier_spend_by_area,
)
from cwb.spend.load import (
    ALL_BUYERS,
    INCLUDED,
    MAPPING_SETTINGS,
    READ_NOTES,
    SpendSettings,
    date_values,
    financial_year,
    prepare_transactions,
    read_spend_file,
    reconciliation,
    spend_settings,
)
from cwb.spend.multiplier import local_multiplier, read_survey
from cwb.spend.register import (
    locate_by_register,
    located_by_table,
    register_for,
    register_review,
)
from cwb.spend.relocal import relocalisable_opportunities, relocalisable_table
from cwb.spend.result import SpendAnalysis
from cwb.spend.sectors import sector_scheme_table

__all__ = [
    "ALL_BUYERS",
    "LOCATION_CLASSES",
    "SpendAnalysis",
    "analyse_spend",
    "relocalisable_opportunities",
    "run_spend",
    "supplier_points",
    "supplier_spend_by_area",
    "write_spend",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- analysis


def analyse_spend(
    ds: Dataset,
    *,
    spend: gpd.GeoDataFrame | None = None,
    local: Sequence[str] | None = None,
    buyer: str | None = None,
    survey: pd.DataFrame | str | Path | None = None,
    settings: SpendSettings | dict[str, Any] | None = None,
) -> SpendAnalysis:
    """Analyse anchor spend against the dataset's local geographies.

    Parameters
    ----------
    ds
        The dataset: its areas, assets (for re-localisable spend), projects and
        ``[spend]`` settings.
    spend
        A spend table to analyse instead of ``ds.spend`` (e.g. from
        :func:`cwb.spend.load.read_spend_file`).
    local
        Geographies replacing the configured ones, innermost first (see
        :func:`geography_spec_from_text`); the first is the local one.
    buyer
        Only this buyer's transactions (case-insensitive).
    survey
        Supplier survey (DataFrame from :func:`cwb.spend.multiplier.read_survey` or a CSV path);
        default: ``[spend] survey``.
    settings
        Settings replacing the manifest's ``[spend]`` section.

    Raises
    ------
    UsageError
        When there is no spend table, the buyer is unknown, or a geography cannot be built.
    DatasetError
        When the ``[spend]`` settings are invalid.
    """
    table = ds.spend if spend is None else spend
    if table is None:
        raise UsageError(
            "the dataset has no spend table: add spend.csv and name it under [files] in "
            "dataset.toml, or give a spend file (with its column mapping)",
            argument="file",
        )
    if not isinstance(settings, SpendSettings):
        section = ds.manifest.section("spend") if settings is None else dict(settings)
        # a column mapping's settings (e.g. its duplicate key) apply unless the dataset sets them
        section = dict(table.attrs.get(MAPPING_SETTINGS, {})) | section
        settings = spend_settings(section)
    base_dir = ds.path
    if settings.before_after is None:
        opened = next((p.opened for p in ds.manifest.projects if p.opened), None)
        if opened:
            settings = replace(settings, before_after=str(opened)[:10])
    if local:
        specs = tuple(geography_spec_from_text(text, settings, ds.areas) for text in local)
        settings = replace(settings, geographies=specs, local=specs[0]["name"])
    geos = build_geographies(settings, ds.areas, base_dir)
    names = [g.name for g in geos]
    local_name = settings.local or names[0]
    if local_name not in names:
        raise UsageError(f"[spend] local = {local_name!r} is not one of the geographies {names}")
    regional = settings.regional
    if regional is None and len(geos) > 1:
        regional = "region" if "region" in names else names[-1]
    if regional is not None and regional not in names:
        raise UsageError(f"[spend] regional = {regional!r} is not one of the geographies {names}")
    if regional == local_name:
        regional = None

    frame = _complete(table)
    if buyer is not None:
        buyers = sorted(frame["buyer"].dropna().astype(str).unique())
        keep = frame["buyer"].fillna("").astype(str).str.casefold() == buyer.casefold()
        if not keep.any():
            raise UsageError(
                f"no transactions for buyer {buyer!r}; buyers: {', '.join(buyers[:20])}"
            )
        frame = frame[keep]
    register = register_for(settings, base_dir=base_dir, assets=ds.assets, postcodes=ds.postcodes)
    frame = locate_by_register(frame, register, threshold=settings.register_fuzzy_threshold)
    frame = prepare_transactions(frame, settings)
    frame = locate_classes(frame, geos, local_name, regional)
    frame["deprived"] = deprived_membership(frame, ds.areas, settings)
    frame["year"] = financial_year(frame["date"], frame["period"], settings.year_start_month)
    frame["before_after"] = _before_after(frame["date"], settings.before_after)
    inc = frame[frame["status"] == INCLUDED]
    both = pd.concat([inc, inc.assign(buyer=ALL_BUYERS)], ignore_index=True)
    if isinstance(survey, str | Path):
        survey_table = read_survey(survey)
    elif survey is None and settings.survey:
        path = Path(settings.survey)
        survey_table = read_survey(
            path if path.is_absolute() or base_dir is None else base_dir / path
        )
    else:
        survey_table = survey
    multiplier = local_multiplier(inc, settings, survey=survey_table, all_label=ALL_BUYERS)
    by_sector = _by_sector(both)
    analysis = SpendAnalysis(
        dataset=ds.name,
        settings=settings,
        geography_names=names,
        local=local_name,
        regional=regional,
        transactions=frame,
        reconciliation=reconciliation(frame),
        summary=_summary(both, settings, multiplier),
        geographies=_geography_table(both, geos),
        bands=_shares(both, "band"),
        by_sector=by_sector,
        by_org_type=_shares(both, "org_type"),
        by_sme=_shares(both, "sme_flag"),
        by_year=_by_period(both, "year"),
        before_after=_by_period(both, "before_after")
        if settings.before_after
        else _by_period(both.iloc[0:0], "before_after"),
        top_suppliers=_top_suppliers(both, settings.top),
        leakage=_leakage(by_sector),
        relocalisable=pd.DataFrame(),
        multiplier=multiplier,
        sector_schemes=sector_scheme_table(frame),
        located_by=located_by_table(frame),
        register_review=register_review(frame),
    )
    analysis.relocalisable = relocalisable_table(ds, analysis, geos)
    analysis.by_area = supplier_spend_by_area(analysis, ds.areas)
    analysis.notes = [*table.attrs.get(READ_NOTES, []), *_notes(analysis)]
    return analysis


def _complete(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return a copy with every SPEND column and a geometry (None where absent)."""
    frame = table.copy()
    for column in SPEND.column_names:
        if column not in frame and column not in ("lat", "lon"):
            frame[column] = pd.NA
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index), crs=WGS84
        )
    return frame


def _before_after(dates: pd.Series, cutoff: str | None) -> pd.Series:
    if not cutoff:
        return pd.Series("unknown", index=dates.index, dtype=object)
    parsed = date_values(dates)
    when = pd.Timestamp(cutoff)
    out = np.where(
        parsed.isna(), "unknown", np.where(parsed < when, f"before {cutoff}", f"from {cutoff}")
    )
    return pd.Series(out, index=dates.index, dtype=object)


def _share(part: pd.Series | float, whole: pd.Series | float) -> Any:
    if isinstance(whole, pd.Series):
        # float: an empty table's columns are object under pandas 2
        whole = whole.astype("float64")
        part = part.astype("float64") if isinstance(part, pd.Series) else float(part)
        return (part / whole.where(whole != 0)).round(6)
    return round(part / whole, 6) if whole else float("nan")


def _pivot(both: pd.DataFrame, by: list[str], column: str, values: Sequence[str]) -> pd.DataFrame:
    table = both.pivot_table(
        index=by, columns=column, values="amount_gbp", aggfunc="sum", fill_value=0.0, observed=True
    )
    return table.reindex(columns=list(values), fill_value=0.0)


def _summary(both: pd.DataFrame, settings: SpendSettings, multiplier: pd.DataFrame) -> pd.DataFrame:
    grouped = both.groupby("buyer", sort=True)
    table = pd.DataFrame(
        {
            "transactions": grouped.size(),
            "suppliers": grouped["supplier_key"].nunique(),
            "total_gbp": grouped["amount_gbp"].sum(),
        }
    )
    classes = _pivot(both, ["buyer"], "location", LOCATION_CLASSES)
    for name in LOCATION_CLASSES:
        table[f"{name}_gbp"] = classes[name]
    table["leakage_gbp"] = table["regional_gbp"] + table["elsewhere_gbp"]
    table["sme_gbp"] = _pivot(both, ["buyer"], "sme_flag", ["sme"])["sme"]
    table["sme_unknown_gbp"] = _pivot(both, ["buyer"], "sme_flag", ["unknown"])["unknown"]
    social = both[both["org_type"].isin(settings.social_types)]
    table["social_enterprise_gbp"] = social.groupby("buyer")["amount_gbp"].sum()
    table["deprived_areas_gbp"] = (
        both[both["deprived"].fillna(False).astype(bool)].groupby("buyer")["amount_gbp"].sum()
    )
    table = table.fillna({"social_enterprise_gbp": 0.0, "deprived_areas_gbp": 0.0})
    for name in (*LOCATION_CLASSES, "leakage", "sme", "social_enterprise", "deprived_areas"):
        table[f"{name}_share"] = _share(table[f"{name}_gbp"], table["total_gbp"])
    located = table["total_gbp"] - table["unlocated_gbp"]
    table["local_share_of_located"] = _share(table["local_gbp"], located)
    known_size = table["total_gbp"] - table["sme_unknown_gbp"]
    table["sme_share_of_known"] = _share(table["sme_gbp"], known_size)
    table = table.join(multiplier.set_index("buyer")[["lm3"]])
    money = [c for c in table.columns if c.endswith("_gbp")]
    table[money] = table[money].round(2)
    return _buyers_last(table.reset_index())


def _buyers_last(table: pd.DataFrame) -> pd.DataFrame:
    """Put the all-buyers rows last, keeping the order otherwise."""
    order = (table["buyer"] == ALL_BUYERS).astype(int)
    return (
        table.assign(_o=order)
        .sort_values("_o", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _shares(both: pd.DataFrame, column: str) -> pd.DataFrame:
    table = (
        both.groupby(["buyer", column], sort=True)["amount_gbp"].agg(["sum", "size"]).reset_index()
    )
    table.columns = ["buyer", column, "amount_gbp", "transactions"]
    totals = table.groupby("buyer")["amount_gbp"].transform("sum")
    table["share"] = _share(table["amount_gbp"], totals)
    table["amount_gbp"] = table["amount_gbp"].round(2)
    table = table.sort_values(["buyer", "amount_gbp"], ascending=[True, False], kind="stable")
    return _buyers_last(table)


def _geography_table(both: pd.DataFrame, geos: list[Geography]) -> pd.DataFrame:
    rows = []
    for geo in geos:
        flag = both[f"in_{geo.name}"]
        state = np.where(flag.isna(), "unknown", np.where(flag.fillna(False), "inside", "outside"))
        sums = both.assign(_s=state).pivot_table(
            index="buyer", columns="_s", values="amount_gbp", aggfunc="sum", fill_value=0.0
        )
        sums = sums.reindex(columns=["inside", "outside", "unknown"], fill_value=0.0)
        for buyer, row in sums.iterrows():
            total = float(row.sum())
            rows.append(
                {
                    "buyer": buyer,
                    "geography": geo.name,
                    "definition": geo.description,
                    "inside_gbp": round(float(row["inside"]), 2),
                    "outside_gbp": round(float(row["outside"]), 2),
                    "unknown_gbp": round(float(row["unknown"]), 2),
                    "inside_share": _share(float(row["inside"]), total),
                }
            )
    columns = [
        "buyer",
        "geography",
        "definition",
        "inside_gbp",
        "outside_gbp",
        "unknown_gbp",
        "inside_share",
    ]
    return _buyers_last(pd.DataFrame(rows, columns=columns))


def _by_sector(both: pd.DataFrame) -> pd.DataFrame:
    table = _pivot(both, ["buyer", "sector"], "location", LOCATION_CLASSES)
    out = pd.DataFrame(index=table.index)
    out["total_gbp"] = table.sum(axis=1)
    out["local_gbp"] = table["local"]
    out["leakage_gbp"] = table["regional"] + table["elsewhere"]
    out["unlocated_gbp"] = table["unlocated"]
    out["local_share"] = _share(out["local_gbp"], out["total_gbp"])
    out["leakage_share"] = _share(out["leakage_gbp"], out["total_gbp"])
    out = out.reset_index()
    out["share_of_spend"] = _share(
        out["total_gbp"], out.groupby("buyer")["total_gbp"].transform("sum")
    )
    money = ["total_gbp", "local_gbp", "leakage_gbp", "unlocated_gbp"]
    out[money] = out[money].round(2)
    return _buyers_last(
        out.sort_values(["buyer", "total_gbp"], ascending=[True, False], kind="stable")
    )


def _leakage(by_sector: pd.DataFrame) -> pd.DataFrame:
    leak = by_sector[by_sector["leakage_gbp"] > 0][
        ["buyer", "sector", "leakage_gbp", "total_gbp"]
    ].copy()
    leak["share_of_leakage"] = _share(
        leak["leakage_gbp"], leak.groupby("buyer")["leakage_gbp"].transform("sum")
    )
    leak = leak.sort_values(["buyer", "leakage_gbp"], ascending=[True, False], kind="stable")
    return _buyers_last(leak.reset_index(drop=True))


def _by_period(both: pd.DataFrame, column: str) -> pd.DataFrame:
    classes = (
        _pivot(both, ["buyer", column], "location", LOCATION_CLASSES)
        if len(both)
        else pd.DataFrame(columns=list(LOCATION_CLASSES))
    )
    out = pd.DataFrame(index=classes.index)
    out["total_gbp"] = classes.sum(axis=1)
    out["local_gbp"] = classes["local"]
    out["unlocated_gbp"] = classes["unlocated"]
    out["local_share"] = _share(out["local_gbp"], out["total_gbp"])
    out["local_share_of_located"] = _share(
        out["local_gbp"], out["total_gbp"] - out["unlocated_gbp"]
    )
    if len(both):
        sme = _pivot(both, ["buyer", column], "sme_flag", ["sme"])["sme"]
        out["sme_share"] = _share(sme, out["total_gbp"])
    else:
        out["sme_share"] = pd.Series(dtype=float)
    out = (
        out.reset_index()
        if len(both)
        else out.reset_index(drop=True).assign(buyer=[], **{column: []})
    )
    money = ["total_gbp", "local_gbp", "unlocated_gbp"]
    out[money] = out[money].astype(float).round(2)
    cols = ["buyer", column, *money, "local_share", "local_share_of_located", "sme_share"]
    return _buyers_last(out[cols])


def _top_suppliers(both: pd.DataFrame, top: int) -> pd.DataFrame:
    keys = ["buyer", "supplier_key"]
    grouped = both.groupby(keys, sort=False)
    table = grouped.agg(
        supplier_name=("supplier_name", "first"),
        supplier_id=("supplier_id", "first"),
        amount_gbp=("amount_gbp", "sum"),
        transactions=("amount_gbp", "size"),
    ).reset_index()
    totals = table.groupby("buyer")["amount_gbp"].transform("sum")
    table["share"] = _share(table["amount_gbp"], totals)
    table = table.sort_values(
        ["buyer", "amount_gbp", "supplier_key"], ascending=[True, False, True]
    )
    table = table.groupby("buyer", sort=False).head(top)
    table["rank"] = table.groupby("buyer").cumcount() + 1
    table["amount_gbp"] = table["amount_gbp"].round(2)
    chosen = both.merge(table[keys], on=keys)
    for column in ("location", "sector"):
        table = table.join(_modes(chosen, keys, column), on=keys)
    cols = ["buyer", "rank", "supplier_name", "supplier_id", "amount_gbp", "share", "transactions"]
    return _buyers_last(table[[*cols, "location", "sector"]].reset_index(drop=True))


def _modes(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Find the most frequent value of ``column`` in each group of ``keys`` (first seen on ties)."""
    counts = frame.groupby([*keys, column], sort=False).size().reset_index(name="_n")
    counts = counts.sort_values("_n", ascending=False, kind="stable").drop_duplicates(keys)
    return counts.set_index(keys)[column]


# --------------------------------------------------------------------------- outputs


def _notes(analysis: SpendAnalysis) -> list[str]:
    notes = []
    recon = analysis.reconciliation.set_index("line")
    read = recon.loc["read"]
    notes.append(
        f"{int(read['transactions']):,} transactions read (£{read['amount_gbp']:,.2f}); "
        f"{int(recon.loc[INCLUDED, 'transactions']):,} included."
    )
    for line, row in recon.iterrows():
        if str(line).startswith("excluded") and row["transactions"]:
            extra = f" ({row['other_currency']})" if row["other_currency"] else ""
            notes.append(
                f"{int(row['transactions']):,} excluded: {row['reason']}; "
                f"£{row['amount_gbp']:,.2f}{extra}."
            )
    credits = recon.loc["  of which credit notes"]
    if credits["transactions"]:
        notes.append(
            f"{int(credits['transactions']):,} credit notes (£{credits['amount_gbp']:,.2f}) netted "
            "against payments to the same supplier."
        )
    overall = analysis.summary[analysis.summary["buyer"] == ALL_BUYERS]
    if len(overall) and overall["unlocated_gbp"].iloc[0]:
        row = overall.iloc[0]
        notes.append(
            f"£{row['unlocated_gbp']:,.2f} ({row['unlocated_share']:.1%}) is with suppliers "
            "that could not be located (no postcode, or a postcode not in the lookup): "
            "reported as unlocated, neither local nor leakage."
        )
    if len(overall) and overall["total_gbp"].iloc[0]:
        unknown_size = overall["sme_unknown_gbp"].iloc[0] / overall["total_gbp"].iloc[0]
        by_type = analysis.by_org_type
        unknown_type = by_type[
            (by_type["buyer"] == ALL_BUYERS) & (by_type["org_type"] == "unknown")
        ]
        unknown_type_share = float(unknown_type["share"].sum())
        if unknown_size > 0 or unknown_type_share > 0:
            notes.append(
                f"Supplier size is unknown for {unknown_size:.1%} and organisation type for "
                f"{unknown_type_share:.1%} of spend: the SME and social-enterprise shares count "
                "only suppliers known to be so."
            )
    how = analysis.located_by.set_index("located_by")
    via = how.loc[how.index.isin(["company_number", "name", "fuzzy_name"])]
    if via["transactions"].sum() or how.loc["ambiguous", "transactions"]:
        notes.append(
            "Supplier register: "
            + "; ".join(
                f"{int(r.transactions):,} rows (£{r.amount_gbp:,.2f}) located by {line}"
                for line, r in via.iterrows()
                if r.transactions
            )
            + f"; {int(how.loc['ambiguous', 'transactions']):,} rows "
            f"(£{how.loc['ambiguous', 'amount_gbp']:,.2f}) matched more than one register "
            f"entry and stay unlocated; {int(how.loc['unlocated', 'transactions']):,} rows "
            f"(£{how.loc['unlocated', 'amount_gbp']:,.2f}) found no match."
        )
    schemes = analysis.sector_schemes
    translated = schemes[(schemes["scheme"] != "given") & (schemes["transactions"] > 0)]
    if len(translated):
        notes.append(
            "Sectors translated to cwb's vocabulary: "
            + "; ".join(
                f"{r.scheme} {int(r.transactions):,} rows (£{r.amount_gbp:,.2f})"
                for r in translated.itertuples()
            )
            + "; other sector values are kept as given (original in sector_source)."
        )
    notes.append(
        "LM3 is an estimate: "
        + (
            f"suppliers without a survey answer are assumed to re-spend "
            f"{analysis.settings.default_local_respend:.0%} locally."
        )
    )
    return notes


def write_spend(analysis: SpendAnalysis, path: str | Path) -> Path:
    """Write the analysis: ``.json`` (every table) or ``.csv`` (the per-buyer summary)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    elif suffix == ".csv":
        text = neutralise_frame(analysis.summary).to_csv(index=False)
    else:
        raise UsageError(f"cannot write spend analysis to {path.name}: use a .json or .csv file")
    return write_text_atomic(path, text)


def run_spend(
    dataset: str | Path,
    *,
    file: str | Path | None = None,
    mapping: str | Path | None = None,
    postcodes: str | Path | None = None,
    local: Sequence[str] | None = None,
    buyer: str | None = None,
    survey: str | Path | None = None,
    output: str | Path | None = None,
    sheet: str | None = None,
) -> SpendAnalysis:
    """Read a dataset (and optionally a raw spend file), analyse its spend, write the result.

    This is what ``cwb spend`` runs. ``file`` replaces the dataset's spend
    table; it is read through ``mapping`` (a bundled name such as
    ``bcc-pcards`` or a TOML path; None when the file has cwb's column names)
    and located with ``postcodes`` (a lookup CSV) or else the dataset's
    postcode lookup; ``sheet`` picks a workbook's sheet. ``output`` is a ``.json``
    or ``.csv`` path.
    """
    if mapping is not None and file is None:
        raise UsageError(
            "needs a spend file: the mapping says how to read that file", argument="mapping"
        )
    if sheet is not None and file is None:
        raise UsageError(
            "needs a spend file: it picks the sheet of that workbook", argument="sheet"
        )
    if output is not None and Path(output).suffix.lower() not in (".json", ".csv"):
        raise UsageError(f"cannot write spend analysis to {Path(output).name}: use .json or .csv")
    ds = read_dataset(dataset)
    spend = None
    if file is not None:
        lookup = postcodes if postcodes is not None else ds.postcodes
        spend = read_spend_file(file, mapping, postcodes=lookup, sheet=sheet)
    analysis = analyse_spend(ds, spend=spend, local=local, buyer=buyer, survey=survey)
    if output is not None:
        write_spend(analysis, output)
    return analysis
