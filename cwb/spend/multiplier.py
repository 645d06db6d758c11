"""An LM3-style local multiplier estimate for anchor spend.

Round 1 (R1) is the spend analysed (plus the buyer's payroll when given);
round 2 (R2) the part of it spent with local suppliers (plus wages paid to
local employees); round 3 (R3) what those local suppliers and employees spend
locally in turn, from a supplier survey of local re-spend shares, or a
documented default share when a supplier has no answer.
``LM3 = (R1 + R2 + R3) / R1``. The result is an estimate and is labelled so,
with every input shown beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cwb.errors import DatasetError, Problem, UsageError
from cwb.spend.load import SpendSettings
from cwb.text import normalise_names

#: Label carried by every multiplier figure.
ESTIMATE_LABEL = "estimate (LM3-style; round 3 from survey shares or the default share)"

MULTIPLIER_COLUMNS = [
    "buyer",
    "r1_gbp",
    "r2_suppliers_gbp",
    "r2_employees_gbp",
    "r2_gbp",
    "r3_suppliers_gbp",
    "r3_employees_gbp",
    "r3_gbp",
    "lm3",
    "local_suppliers",
    "surveyed_suppliers",
    "default_local_respend",
    "label",
]


def read_survey(path: str | Path) -> pd.DataFrame:
    """Read a supplier survey CSV: ``supplier_id`` and/or ``supplier_name``, and ``local_respend``.

    ``local_respend`` is the share (0-1, or a percentage written ``35%``) of
    the supplier's income that it spends locally (local staff, local suppliers).

    Raises
    ------
    UsageError
        When the file does not exist or lacks the needed columns.
    DatasetError
        When a share is not a number between 0 and 1 (every bad row is listed).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"supplier survey {path} does not exist")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c.strip().casefold() for c in raw.columns]
    if "local_respend" not in raw or not ({"supplier_id", "supplier_name"} & set(raw.columns)):
        raise UsageError(
            f"supplier survey {path} needs a local_respend column and supplier_id or "
            f"supplier_name; it has {', '.join(raw.columns)}"
        )
    text = raw["local_respend"].str.strip()
    percent = text.str.endswith("%")
    share = pd.to_numeric(text.str.rstrip("%"), errors="coerce")
    share = share.where(~percent, share / 100)
    bad = share.isna() | (share < 0) | (share > 1)
    if bad.any():
        raise DatasetError(
            [
                Problem(
                    file=path.name,
                    row=int(i) + 2,
                    column="local_respend",
                    value=text[i],
                    reason="must be a share between 0 and 1 (or a percentage such as 35%)",
                )
                for i in raw.index[bad]
            ]
        )
    out = pd.DataFrame({"local_respend": share.astype(float)})
    out["supplier_id"] = (
        raw.get("supplier_id", pd.Series("", index=raw.index)).str.strip().str.upper()
    )
    out["supplier_name"] = normalise_names(raw.get("supplier_name", pd.Series("", index=raw.index)))
    return out


def respend_shares(
    transactions: pd.DataFrame, survey: pd.DataFrame | None, default: float
) -> tuple[pd.Series, pd.Series]:
    """Local re-spend share of each transaction's supplier, and whether it came from the survey."""
    share = pd.Series(np.nan, index=transactions.index)
    if survey is not None and len(survey):
        ids = transactions["supplier_id"].astype("string").str.strip().str.upper()
        by_id = survey[survey["supplier_id"] != ""].drop_duplicates("supplier_id")
        share = ids.map(by_id.set_index("supplier_id")["local_respend"]).astype(float)
        names = normalise_names(transactions["supplier_name"])
        by_name = survey[survey["supplier_name"] != ""].drop_duplicates("supplier_name")
        share = share.fillna(
            names.map(by_name.set_index("supplier_name")["local_respend"]).astype(float)
        )
    surveyed = share.notna()
    return share.fillna(default), surveyed


def local_multiplier(
    included: pd.DataFrame,
    settings: SpendSettings,
    *,
    survey: pd.DataFrame | None = None,
    all_label: str = "(all buyers)",
) -> pd.DataFrame:
    """LM3 per buyer and for all buyers together.

    Parameters
    ----------
    included
        Included transactions with ``buyer``, ``supplier_key``, ``supplier_id``,
        ``supplier_name``, ``amount_gbp`` and ``location`` (``local`` marks a
        local supplier).
    settings
        ``default_local_respend`` and ``employees`` are used.
    survey
        Supplier survey from :func:`read_survey`, or None.

    Returns
    -------
    DataFrame
        One row per buyer plus ``all_label``, columns :data:`MULTIPLIER_COLUMNS`.
    """
    frame = included.copy()
    frame["respend"], frame["surveyed"] = respend_shares(
        frame, survey, settings.default_local_respend
    )
    local = frame[frame["location"] == "local"]
    rows = []
    for buyer, group in frame.groupby("buyer", sort=True):
        loc = local[local["buyer"] == buyer]
        staff = settings.employees.get(str(buyer), {})
        payroll = float(staff.get("payroll", 0.0))
        local_wages = payroll * float(staff.get("local_share", 0.0))
        staff_respend = float(staff.get("local_respend", settings.default_local_respend))
        rows.append(
            {
                "buyer": buyer,
                "r1_gbp": float(group["amount_gbp"].sum()) + payroll,
                "r2_suppliers_gbp": float(loc["amount_gbp"].sum()),
                "r2_employees_gbp": local_wages,
                "r3_suppliers_gbp": float((loc["amount_gbp"] * loc["respend"]).sum()),
                "r3_employees_gbp": local_wages * staff_respend,
                "local_suppliers": int(loc["supplier_key"].nunique()),
                "surveyed_suppliers": int(loc.loc[loc["surveyed"], "supplier_key"].nunique()),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "buyer",
            "r1_gbp",
            "r2_suppliers_gbp",
            "r2_employees_gbp",
            "r3_suppliers_gbp",
            "r3_employees_gbp",
            "local_suppliers",
            "surveyed_suppliers",
        ],
    )
    # no included rows (pandas 2 gives the empty table object columns): sums stay numbers
    gbp = [c for c in table.columns if c.endswith("_gbp")]
    table[gbp] = table[gbp].astype("float64")
    total = table.drop(columns="buyer").sum(numeric_only=True).to_dict()
    total["local_suppliers"] = int(local["supplier_key"].nunique())
    total["surveyed_suppliers"] = int(local.loc[local["surveyed"], "supplier_key"].nunique())
    table = pd.concat([table, pd.DataFrame([{"buyer": all_label, **total}])], ignore_index=True)
    table["r2_gbp"] = table["r2_suppliers_gbp"] + table["r2_employees_gbp"]
    table["r3_gbp"] = table["r3_suppliers_gbp"] + table["r3_employees_gbp"]
    r1 = table["r1_gbp"].where(table["r1_gbp"] > 0)
    table["lm3"] = ((table["r1_gbp"] + table["r2_gbp"] + table["r3_gbp"]) / r1).round(4)
    table["default_local_respend"] = settings.default_local_respend
    table["label"] = ESTIMATE_LABEL
    money = [c for c in MULTIPLIER_COLUMNS if c.endswith("_gbp")]
    table[money] = table[money].astype(float).round(2)
    return table[MULTIPLIER_COLUMNS]
